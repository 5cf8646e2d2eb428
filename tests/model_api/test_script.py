"""How the scripted fake model picks its answer: by marker and by the number of tool results since it."""

from __future__ import annotations

import pytest

from tests.support.model_api import EditFile, Exchange, Fail, Failure, ModelScript, ReadFile, Say
from tests.support.model_api.script import UserTurn

EDIT = (ReadFile("/w/f"), EditFile("/w/f", "a", "b"), Say("done"))


def test_the_step_is_the_number_of_tool_results_after_the_marked_prompt() -> None:
    script = ModelScript([Exchange("M1", EDIT)])
    for results, expected in enumerate(EDIT):
        assert script.step("anthropic", [UserTurn("M1: edit it", results)])[0] == expected
    assert script.problems() == []


def test_the_latest_marked_prompt_wins_so_a_resumed_session_gets_the_new_exchange() -> None:
    script = ModelScript([Exchange("ONE", (Say("first"),)), Exchange("TWO", (Say("second"),))])
    turns = [UserTurn("ONE: hi", 0), UserTurn("TWO: again", 0)]
    assert script.step("openai", turns) == (Say("second"), "TWO#0")


def test_a_request_without_a_marker_is_a_side_request_and_consumes_nothing() -> None:
    script = ModelScript([Exchange("M1", (Say("main"),))], side_answer=Say("title"))
    assert script.step("anthropic", [UserTurn("write a title for this", 0)]) == (Say("title"), "side")
    assert script.step("anthropic", [UserTurn("M1 go", 0)])[0] == Say("main")


def test_a_request_past_the_last_step_is_a_problem_the_test_sees() -> None:
    script = ModelScript([Exchange("M1", (Say("only"),))])
    action, label = script.step("anthropic", [UserTurn("M1", 1)])
    assert label == "M1#1:exhausted"
    assert isinstance(action, Say)
    (problem,) = script.problems()
    assert "has 1 steps; step 1 was asked" in problem.message


def test_fail_times_then_answers_once_the_failures_are_used_up() -> None:
    script = ModelScript([Exchange("M1", (Fail(Failure.OVERLOADED, times=2, then=Say("finally")),))])
    answers = [script.step("anthropic", [UserTurn("M1", 0)])[0] for _ in range(3)]
    assert [type(a).__name__ for a in answers] == ["Fail", "Fail", "Say"]
    assert answers[2] == Say("finally")


def test_markers_must_be_unique_and_exchanges_non_empty() -> None:
    with pytest.raises(ValueError, match="share a marker"):
        ModelScript([Exchange("M", (Say("a"),)), Exchange("M", (Say("b"),))])
    with pytest.raises(ValueError, match="no steps"):
        Exchange("M", ())
