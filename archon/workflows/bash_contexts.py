"""Where in a bash script bash evaluates text as code even though it arrived as data: the spans of a script in which
a variable's *value* is read as an arithmetic expression (and so may run ``x[$(cmd)]``), as a variable name, or
as a script.

bash evaluates a value as arithmetic in ``(( ))``, ``$(( ))``, ``$[ ]``, ``let``, the operands of ``[[ ]]``'s
``-eq -ne -lt -le -gt -ge``, an array subscript (``a[$v]``, ``${a[$v]}``), a substring offset or length
(``${s:$v:1}``), and every argument of ``declare``/``typeset``/``local``/``readonly``/``export`` with ``-i``
(or ``-n``, whose value is a variable name); a value used as a variable *name* (``-v`` of ``test``/``[``/
``[[``/``printf``, the names ``declare`` and its kin assign) is evaluated too when it holds a subscript; and
``eval`` runs its arguments as a script. tests/workflows/test_bash_contexts.py runs each of them through the real
bash with the value ``x[$(...)]``, and each context this scanner leaves alone, to keep that list true.

This is a scanner, not a bash parser. It follows quotes, ``$( )``, backquotes, ``${ }``, comments and here-documents
far enough to find those spans, and errs on the side of finding one. What it cannot see is stated in
docs/workflows.md ("Where the promise ends"): a value first copied into another variable, and text assembled at
run time.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import NamedTuple

__all__ = ["Context", "Span", "evaluated_spans"]


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
_ARITH_TEST_OPS = frozenset({"-eq", "-ne", "-lt", "-le", "-gt", "-ge"})
_DECLARE = frozenset({"declare", "typeset", "local", "readonly", "export"})
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


class _Scanner:
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
        inner = _Scanner(self.text[i + 1 : end])
        inner.code(0, closer=None)
        self.spans.extend(Span(s.start + i + 1, s.end + i + 1, s.context) for s in inner.spans)
        return end + 1

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
            char = text[i]
            if char == "\\":
                i += 2
            elif char == "'":
                i = text.find("'", i + 1) + 1 or len(text)
            elif char == '"':
                i = self.double_quoted(i + 1)
            elif char == "$":
                i = self.dollar(i)
            elif char == "`":
                i = self.backquote(i)
            else:
                depth += char == "{"
                depth -= char == closer
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
            char = text[i]
            if char == "\\":
                i += 2
            elif char == "'":
                i = text.find("'", i + 1) + 1 or len(text)
            elif char == '"':
                i = self.double_quoted(i + 1)
            elif char == "$":
                i = self.dollar(i)
            elif char == "`":
                i = self.backquote(i)
            else:
                i += 1
        return max(i, start + 1)

    def command(self, words: list[tuple[int, int]]) -> None:
        """One simple command's words: ``let``, ``eval``, the ``declare`` family, and ``-v`` name arguments."""
        if not words:
            return
        texts = [self.text[s:e] for s, e in words]
        head = texts[0]
        if head in ("let", "eval"):
            self.mark(words[1][0] if len(words) > 1 else words[0][1], words[-1][1],
                      Context.ARITHMETIC if head == "let" else Context.EVAL)  # fmt: skip
        elif head in _DECLARE:
            options = "".join(t for t in texts[1:] if t.startswith(("-", "+")))
            for (start, end), word in zip(words[1:], texts[1:], strict=True):
                if word.startswith(("-", "+")):
                    continue
                if "i" in options or "n" in options:
                    self.mark(start, end, Context.INTEGER_DECLARATION)
                else:  # the name part of NAME=VALUE
                    self.mark(start, start + (word.find("=") if "=" in word else len(word)), Context.VARIABLE_NAME)
        elif head in ("test", "[", "printf"):
            for index, word in enumerate(texts[:-1]):
                if word == "-v":
                    self.mark(*words[index + 1], Context.VARIABLE_NAME)

    def test(self, i: int) -> int:
        """After ``[[``: operands of arithmetic comparisons, and the name after ``-v``, up to ``]]``."""
        text = self.text
        words: list[tuple[int, int]] = []
        while i < len(text) and not (text.startswith("]]", i) and (not words or text[i - 1] in " \t\n")):
            if text[i] in " \t\n":
                i += 1
                continue
            start = i
            i = self.word(i)
            words.append((start, i))
        texts = [text[s:e] for s, e in words]
        for index, word in enumerate(texts):
            if word in _ARITH_TEST_OPS:
                for neighbour in (index - 1, index + 1):
                    if 0 <= neighbour < len(words):
                        self.mark(*words[neighbour], Context.TEST_OPERAND)
            elif word == "-v" and index + 1 < len(words):
                self.mark(*words[index + 1], Context.VARIABLE_NAME)
        return i + 2

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
                        _scan_body(self, body_start, i)
                    i = line_end + 1
                    break
                i = line_end + 1
            else:
                if not quoted:
                    _scan_body(self, body_start, len(text))
        self.heredocs = []
        return i


def _scan_body(scanner: _Scanner, start: int, end: int) -> None:
    inner = _Scanner(scanner.text[start:end])
    inner.double_quoted(0, closer=None)
    scanner.spans.extend(Span(s.start + start, s.end + start, s.context) for s in inner.spans)


def evaluated_spans(script: str) -> list[Span]:
    """Every span of ``script`` where bash would evaluate a value as code, in no particular order; spans may nest."""
    scanner = _Scanner(script)
    scanner.code(0, closer=None)
    return scanner.spans
