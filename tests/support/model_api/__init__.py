"""Loopback fakes of the model APIs the assistant CLIs call (Anthropic Messages, OpenAI Responses), answering from
a script the test writes. See script.py for how a test says what the model does, server.py for the server."""

from __future__ import annotations

from tests.support.model_api.failures import Failure
from tests.support.model_api.recording import RecordedRequest, RequestLog
from tests.support.model_api.script import (
    CallTool,
    Chunk,
    EditFile,
    Exchange,
    Fail,
    FailMidStream,
    ModelScript,
    ReadFile,
    RunCommand,
    Say,
    ScriptProblem,
    WriteFile,
)
from tests.support.model_api.server import ModelApiServer

__all__ = [
    "CallTool",
    "Chunk",
    "EditFile",
    "Exchange",
    "Fail",
    "FailMidStream",
    "Failure",
    "ModelApiServer",
    "ModelScript",
    "ReadFile",
    "RecordedRequest",
    "RequestLog",
    "RunCommand",
    "Say",
    "ScriptProblem",
    "WriteFile",
]
