"""The lexer under bash_contexts: what it marks by syntax alone, and the words it hands to its subclass's hooks
(bash_contexts' rules are tested against the real bash in test_bash_contexts.py)."""

from __future__ import annotations

from archon.workflows.bash_lexer import BashLexer, Context


class Words(BashLexer):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.commands: list[list[str]] = []
        self.tests: list[list[str]] = []

    def command(self, words: list[tuple[int, int]]) -> None:
        if words:
            self.commands.append([self.text[s:e] for s, e in words])

    def test_words(self, words: list[tuple[int, int]]) -> None:
        self.tests.append([self.text[s:e] for s, e in words])


def _lex(script: str) -> Words:
    lexer = Words(script)
    lexer.code(0, closer=None)
    return lexer


def test_each_command_and_each_test_reaches_the_hooks_as_whole_words() -> None:
    lexer = _lex("echo \"a b\" 'c;d' $(date)\nlet x=1; [[ $n -gt 2 ]] && printf -v v x")
    assert lexer.commands == [
        ["date"],  # the substitution's own command, met inside the word that holds it
        ["echo", '"a b"', "'c;d'", "$(date)"],
        ["let", "x=1"],
        ["printf", "-v", "v", "x"],
    ]
    assert lexer.tests == [["$n", "-gt", "2"]]


def test_arithmetic_by_syntax_is_marked_wherever_it_is_even_inside_quotes_and_substitutions() -> None:
    script = 'a=$(( x + 1 )); echo "${arr[$i]}" `echo $[ y ]`; (( z ))'
    marked = sorted((script[s.start : s.end], s.context) for s in _lex(script).spans)
    assert marked == [
        ("$(( x + 1 ))", Context.ARITHMETIC),
        ("$[ y ]", Context.ARITHMETIC),
        ("(( z ))", Context.ARITHMETIC),
        ("[$i]", Context.SUBSCRIPT),
    ]


def test_quoted_here_documents_are_data_and_unquoted_ones_expand() -> None:
    script = "cat <<'A'\n$(( 1 ))\nA\ncat <<B\n$(( 2 ))\nB\n"
    assert [script[s.start : s.end] for s in _lex(script).spans] == ["$(( 2 ))"]
