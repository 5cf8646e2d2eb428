"""How each fake reads a request: the user turns (tool results counted, not read as prompts) and the tools offered,
including codex's code mode, where the real tools are nested in one JavaScript ``exec`` tool."""

from __future__ import annotations

import json
from typing import Any

from tests.support.model_api import EditFile, RunCommand, Say
from tests.support.model_api import anthropic_messages as anthropic
from tests.support.model_api import openai_responses as openai
from tests.support.model_api.openai_tools import ToolCall, patch_text, plan_call
from tests.support.model_api.script import UserTurn


def test_anthropic_tool_results_count_after_the_prompt_they_answer() -> None:
    body = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "<system-reminder>x</system-reminder>"},
                    {"type": "text", "text": "M1 go"},
                ],
            },
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Read", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "M2 in a file"}]},
        ]
    }
    assert anthropic.user_turns(body) == [UserTurn("<system-reminder>x</system-reminder>\nM1 go", 1)]


def test_openai_tool_outputs_count_after_the_prompt_they_answer() -> None:
    body = {
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "<environment_context/>"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "M1 go"}]},
            {"type": "custom_tool_call", "call_id": "c1", "name": "exec", "input": "..."},
            {"type": "custom_tool_call_output", "call_id": "c1", "output": "M2"},
        ]
    }
    assert openai.user_turns(body) == [UserTurn("<environment_context/>", 0), UserTurn("M1 go", 1)]


def test_a_claude_edit_uses_the_offered_edit_tool_with_its_schema() -> None:
    schema = {
        "type": "object",
        "properties": {"file_path": {}, "old_string": {}, "new_string": {}},
        "required": ["file_path", "old_string", "new_string"],
        "additionalProperties": False,
    }
    tools = anthropic.offered_tools({"tools": [{"name": "Edit", "input_schema": schema}]})
    assert anthropic.tool_call(EditFile("/w/f", "a", "b")) == (
        "Edit",
        {"file_path": "/w/f", "old_string": "a", "new_string": "b"},
    )
    assert set(tools) == {"Edit"}


FLAT = {
    "tools": [
        {
            "type": "function",
            "name": "exec_command",
            "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]},
        },
        {"type": "custom", "name": "apply_patch", "format": {"type": "grammar"}},
    ]
}
CODE_MODE: dict[str, Any] = {
    "input": [
        {
            "type": "additional_tools",
            "tools": [
                {
                    "type": "namespace",
                    "name": "functions",
                    "tools": [
                        {
                            "type": "custom",
                            "name": "exec",
                            "description": "declare const tools: { apply_patch(input: string): Promise<unknown>; };\n"
                            "declare const tools: { exec_command(args: {\n  // Shell command.\n  cmd: string;\n"
                            "}): Promise<{}>; };",
                        }
                    ],
                }
            ],
        }
    ]
}


def test_a_codex_edit_with_flat_tools_is_a_free_form_apply_patch() -> None:
    edit = EditFile("greet.py", "print('hello')", "print('goodbye')")
    assert plan_call(edit, FLAT) == ToolCall("apply_patch", "custom", patch_text(edit), None)
    assert patch_text(edit) == (
        "*** Begin Patch\n*** Update File: greet.py\n@@\n-print('hello')\n+print('goodbye')\n*** End Patch\n"
    )
    assert plan_call(RunCommand("ls"), FLAT) == ToolCall("exec_command", "function", {"cmd": "ls"}, None)


def test_in_code_mode_the_call_is_javascript_for_the_exec_tool() -> None:
    call = plan_call(RunCommand("ls -l"), CODE_MODE)
    assert call == ToolCall("exec", "custom", 'text(await tools.exec_command({"cmd": "ls -l"}));\n', "functions")
    edit = EditFile("f", "a", "b")
    source = f"text(await tools.apply_patch({json.dumps(patch_text(edit))}));\n"
    assert plan_call(edit, CODE_MODE) == ToolCall("exec", "custom", source, "functions")


def test_a_tool_the_request_does_not_offer_is_a_reason_not_a_guess() -> None:
    assert plan_call(RunCommand("ls"), {"tools": []}) == "tool 'exec_command' is not offered (offered: [])"
    no_shell = {
        "input": [{"type": "additional_tools", "tools": [{"type": "custom", "name": "exec", "description": ""}]}]
    }
    assert plan_call(RunCommand("ls"), no_shell) == "code-mode exec does not declare tools.exec_command"
    assert plan_call(Say("hi"), FLAT) is None
