"""build_tools/pypi_upload.py: a re-run uploads only what the index lacks, skips what it has identically, and
refuses (copying nothing) when the index has a file of that name with other content. The index is a loopback
server answering as PyPI's JSON API does (``urls[].filename``, ``urls[].digests.sha256``; 404 for no version)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from build_tools.pypi_upload import Plan, PyPIUploadError, main, plan, published_files

WHEEL = "archon_cli-1.4.0-py3-none-any.whl"
SDIST = "archon_cli-1.4.0.tar.gz"


class Index(BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, tuple[int, bytes]]] = {}
    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.asked.append(self.path)
        status, body = self.answers.get(self.path, (404, b'{"message": "Not Found"}'))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def index() -> Iterator[str]:
    Index.answers, Index.asked = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Index)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def publish(files: dict[str, bytes]) -> None:
    urls = [{"filename": name, "digests": {"sha256": hashlib.sha256(data).hexdigest()}} for name, data in files.items()]
    Index.answers["/pypi/archon-cli/1.4.0/json"] = (200, json.dumps({"info": {}, "urls": urls}).encode())


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    folder = tmp_path / "pypi-dist"
    folder.mkdir()
    (folder / WHEEL).write_bytes(b"the wheel")
    (folder / SDIST).write_bytes(b"the sdist")
    return folder


def run(dist: Path, out: Path, index: str) -> int:
    return main(
        ["--project", "archon-cli", "--version", "1.4.0", "--dist", str(dist), "--out", str(out), "--index", index]
    )


def test_the_plan_uploads_what_is_missing_skips_what_is_identical_and_names_what_differs() -> None:
    assert plan({"a": "1", "b": "2", "c": "3"}, {"b": "2", "c": "9", "z": "0"}) == Plan(("a",), ("b",), ("c",))
    assert plan({"a": "1"}, {}) == Plan(("a",), (), ())


def test_a_first_run_uploads_both(dist: Path, tmp_path: Path, index: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(dist, tmp_path / "up", index) == 0
    assert capsys.readouterr().out == "upload=true\n"
    assert sorted(path.name for path in (tmp_path / "up").iterdir()) == [WHEEL, SDIST]
    assert Index.asked == ["/pypi/archon-cli/1.4.0/json"]


def test_a_re_run_after_the_wheel_went_up_uploads_only_the_sdist(
    dist: Path, tmp_path: Path, index: str, capsys: pytest.CaptureFixture[str]
) -> None:
    publish({WHEEL: b"the wheel"})
    assert run(dist, tmp_path / "up", index) == 0
    captured = capsys.readouterr()
    assert captured.out == "upload=true\n"
    assert f"{WHEEL} is on the index already, identical: skipped" in captured.err
    assert [path.name for path in (tmp_path / "up").iterdir()] == [SDIST]
    assert (tmp_path / "up" / SDIST).read_bytes() == b"the sdist"


def test_a_re_run_of_a_finished_upload_uploads_nothing(
    dist: Path, tmp_path: Path, index: str, capsys: pytest.CaptureFixture[str]
) -> None:
    publish({WHEEL: b"the wheel", SDIST: b"the sdist"})
    assert run(dist, tmp_path / "up", index) == 0
    assert capsys.readouterr().out == "upload=false\n"
    assert list((tmp_path / "up").iterdir()) == []


def test_a_file_the_index_has_with_other_content_stops_everything(
    dist: Path, tmp_path: Path, index: str, capsys: pytest.CaptureFixture[str]
) -> None:
    publish({SDIST: b"an sdist built elsewhere"})
    assert run(dist, tmp_path / "up", index) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"the index already has {SDIST} for archon-cli 1.4.0 with other content" in captured.err
    assert not (tmp_path / "up").exists()  # the wheel is not uploaded alone either


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (500, b"oops", "answered 500"),
        (200, b"<html>a captive portal</html>", "could not read"),
        (200, b'{"urls": [{"name": "x"}]}', "is not the index's JSON for a version"),
    ],
)
def test_an_index_that_cannot_be_read_is_an_error_never_an_empty_index(
    index: str, status: int, body: bytes, says: str
) -> None:
    Index.answers["/pypi/archon-cli/1.4.0/json"] = (status, body)
    with pytest.raises(PyPIUploadError, match=says):
        published_files(index, "archon-cli", "1.4.0")


def test_only_https_is_asked() -> None:
    with pytest.raises(PyPIUploadError, match="not https"):
        published_files("http://pypi.org", "archon-cli", "1.4.0")
