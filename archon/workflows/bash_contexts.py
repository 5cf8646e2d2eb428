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

from archon.workflows.bash_lexer import BashLexer, Context, Span

__all__ = ["Context", "Span", "evaluated_spans"]

_ARITH_TEST_OPS = frozenset({"-eq", "-ne", "-lt", "-le", "-gt", "-ge"})
_DECLARE = frozenset({"declare", "typeset", "local", "readonly", "export"})


class _Scanner(BashLexer):
    """What the words of a command mean: which of them bash evaluates."""

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

    def test_words(self, words: list[tuple[int, int]]) -> None:
        """In ``[[ ]]``: operands of arithmetic comparisons, and the name after ``-v``."""
        texts = [self.text[s:e] for s, e in words]
        for index, word in enumerate(texts):
            if word in _ARITH_TEST_OPS:
                for neighbour in (index - 1, index + 1):
                    if 0 <= neighbour < len(words):
                        self.mark(*words[neighbour], Context.TEST_OPERAND)
            elif word == "-v" and index + 1 < len(words):
                self.mark(*words[index + 1], Context.VARIABLE_NAME)


def evaluated_spans(script: str) -> list[Span]:
    """Every span of ``script`` where bash would evaluate a value as code, in no particular order; spans may nest."""
    scanner = _Scanner(script)
    scanner.code(0, closer=None)
    return scanner.spans
