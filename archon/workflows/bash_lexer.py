"""The lexical part of finding where bash evaluates text as code (:mod:`archon.workflows.bash_contexts`): a
scanner that follows quotes, ``$( )``, backquotes, ``${ }``, ``$(( ))``, comments and here-documents through a
script, marks the spans that are arithmetic by their syntax (``(( ))``, ``$(( ))``, ``$[ ]``, array subscripts,
substring offsets), and hands each simple command's words, and each ``[[ ]]``'s, to hooks a subclass fills in.

This is a scanner, not a bash parser: it errs on the side of finding a span.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import NamedTuple

__all__ = ["BashLexer", "Context", "Span"]


class Context(StrEnum):
    ARITHMETIC = "arithmetic"
    SUBSCRIPT = "array subscript"
    SUBSTRING = "substring offset"
    TEST_OPERAND = "arithmetic comparison in [[ ]]"
    INTEGER_DECLARATION = "integer or nameref declaration"
    VARIABLE_NAME = "variable name"
    EVAL = "eval"


class Span(NamedTuple):
    start: int
    end: int
    context: Context


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PARAM_NAME = re.compile(r"[#!]?(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])")
_COMMAND_END = frozenset(";&|\n")
_HEREDOC = re.compile(r"<<-?[ \t]*(?:'([^'\n]*)'|\"([^\"\n]*)\"|(\\)?([A-Za-z0-9_.-]+))")


def _matching(text: str, i: int, opener: str, closer: str, depth: int = 1) -> int:
    """The index just past the ``closer`` that brings ``depth`` to 0, scanning from ``i`` (or the end)."""
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == opener:
            depth += 1
        elif char == closer:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


class BashLexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.spans: list[Span] = []
        self.heredocs: list[tuple[str, bool]] = []

    def mark(self, start: int, end: int, context: Context) -> None:
        self.spans.append(Span(start, end, context))

    # -- expansions, in any context ----------------------------------------------------------------------------

    def dollar(self, i: int) -> int:
        """``text[i]`` is ``$``: scan the expansion it starts; return the index after it."""
        text = self.text
        if text.startswith("$((", i):
            end = _matching(text, i + 3, "(", ")", depth=2)
            self.mark(i, end, Context.ARITHMETIC)
            return end
        if text.startswith("$(", i):
            return self.code(i + 2, closer=")")
        if text.startswith("$[", i):
            end = _matching(text, i + 2, "[", "]")
            self.mark(i, end, Context.ARITHMETIC)
            return end
        if text.startswith("${", i):
            return self.parameter(i + 2)
        return i + 1

    def parameter(self, i: int) -> int:
        """After ``${``: a subscript and a substring offset are arithmetic; the rest is a word up to ``}``."""
        text = self.text
        match = _PARAM_NAME.match(text, i)
        i = match.end() if match else i
        if i < len(text) and text[i] == "[":
            end = _matching(text, i + 1, "[", "]")
            self.mark(i, end, Context.SUBSCRIPT)
            i = end
        if text.startswith(":", i) and not text.startswith((":-", ":=", ":+", ":?"), i):
            end = _matching(text, i + 1, "{", "}")
            self.mark(i, end, Context.SUBSTRING)
            return end
        return self.word_until(i, "}")

    def backquote(self, i: int) -> int:
        end = i + 1
        while end < len(self.text) and self.text[end] != "`":
            end += 2 if self.text[end] == "\\" else 1
        inner = type(self)(self.text[i + 1 : end])
        inner.code(0, closer=None)
        self.absorb(inner, i + 1)
        return end + 1

    def absorb(self, inner: BashLexer, offset: int) -> None:
        """The spans ``inner`` found in the part of this text that starts at ``offset``."""
        self.spans.extend(Span(s.start + offset, s.end + offset, s.context) for s in inner.spans)

    def quoted(self, i: int) -> int | None:
        """If ``text[i]`` starts an escape, a quoted string or an expansion, the index after it (its expansions
        scanned); else None."""
        char = self.text[i]
        if char == "\\":
            return i + 2
        if char == "'":
            return self.text.find("'", i + 1) + 1 or len(self.text)
        if char == '"':
            return self.double_quoted(i + 1)
        if char == "$":
            return self.dollar(i)
        if char == "`":
            return self.backquote(i)
        return None

    def double_quoted(self, i: int, closer: str | None = '"') -> int:
        """Inside ``"..."`` (or a here-document body, ``closer`` None): only expansions matter."""
        text = self.text
        while i < len(text):
            char = text[i]
            if char == "\\":
                i += 2
            elif closer is not None and char == closer:
                return i + 1
            elif char == "$":
                i = self.dollar(i)
            elif char == "`":
                i = self.backquote(i)
            else:
                i += 1
        return i

    def word_until(self, i: int, closer: str) -> int:
        """The word part of ``${...}`` up to its ``}``: quotes and expansions, nested braces counted."""
        text = self.text
        depth = 1
        while i < len(text):
            after = self.quoted(i)
            if after is not None:
                i = after
                continue
            depth += text[i] == "{"
            depth -= text[i] == closer
            i += 1
            if depth == 0:
                return i
        return i

    # -- code: words and commands ------------------------------------------------------------------------------

    def code(self, i: int, *, closer: str | None) -> int:
        """Commands up to an unmatched ``closer`` (``)`` of ``$(``) or the end; returns the index after it."""
        text = self.text
        words: list[tuple[int, int]] = []
        depth = 0
        while i < len(text):
            char = text[i]
            if char in " \t":
                i += 1
            elif char == "\n":
                self.command(words)
                words = []
                i = self.heredoc_bodies(i + 1)
            elif char == "#":
                i = text.find("\n", i) if "\n" in text[i:] else len(text)
            elif text.startswith("((", i):
                end = _matching(text, i + 2, "(", ")", depth=2)
                self.mark(i, end, Context.ARITHMETIC)
                i = end
            elif text.startswith("[[", i) and (i + 2 == len(text) or text[i + 2] in " \t\n"):
                i = self.test(i + 2)
            elif char == closer and depth == 0:
                self.command(words)
                return i + 1
            elif char in "()":
                depth += 1 if char == "(" else -1
                self.command(words)
                words = []
                i += 1
            elif char in _COMMAND_END:
                self.command(words)
                words = []
                i += 1
            elif text.startswith("<<", i) and not text.startswith("<<<", i):
                i = self.heredoc_start(i)
            else:
                start = i
                i = self.word(i)
                words.append((start, i))
        self.command(words)
        return i

    def word(self, i: int) -> int:
        text = self.text
        start = i
        name = _NAME.match(text, i)
        if name and text.startswith("[", name.end()):  # a[...]=..., or a word that names an array element
            end = _matching(text, name.end() + 1, "[", "]")
            self.mark(name.end(), end, Context.SUBSCRIPT)
            i = end
        while i < len(text) and text[i] not in " \t\n;&|()<>" and not (i > start and text.startswith("[[", i)):
            after = self.quoted(i)
            i = i + 1 if after is None else after
        return max(i, start + 1)

    def test(self, i: int) -> int:
        """After ``[[``: its words up to ``]]``, handed to :meth:`test_words`."""
        text = self.text
        words: list[tuple[int, int]] = []
        while i < len(text) and not (text.startswith("]]", i) and (not words or text[i - 1] in " \t\n")):
            if text[i] in " \t\n":
                i += 1
                continue
            start = i
            i = self.word(i)
            words.append((start, i))
        self.test_words(words)
        return i + 2

    # -- what the words of a command mean: the subclass's --------------------------------------------------------

    def command(self, words: list[tuple[int, int]]) -> None:
        """One simple command's words (start, end), at its end."""

    def test_words(self, words: list[tuple[int, int]]) -> None:
        """The words of one ``[[ ]]``."""

    # -- here-documents ------------------------------------------------------------------------------------------

    def heredoc_start(self, i: int) -> int:
        match = _HEREDOC.match(self.text, i)
        if match is None:
            return i + 2
        quoted = match[4] is None or match[3] is not None
        delimiter = next(group for group in (match[1], match[2], match[4]) if group is not None)
        self.heredocs.append((delimiter, quoted))
        return match.end()

    def heredoc_bodies(self, i: int) -> int:
        """At the start of the line after a command with here-documents: skip (or scan) their bodies."""
        text = self.text
        for delimiter, quoted in self.heredocs:
            body_start = i
            while i < len(text):
                line_end = text.find("\n", i)
                line_end = len(text) if line_end < 0 else line_end
                if text[i:line_end].lstrip("\t") == delimiter:
                    if not quoted:
                        self.scan_body(body_start, i)
                    i = line_end + 1
                    break
                i = line_end + 1
            else:
                if not quoted:
                    self.scan_body(body_start, len(text))
        self.heredocs = []
        return i

    def scan_body(self, start: int, end: int) -> None:
        """An unquoted here-document's body: expansions only, as in ``"..."``."""
        inner = type(self)(self.text[start:end])
        inner.double_quoted(0, closer=None)
        self.absorb(inner, start)
