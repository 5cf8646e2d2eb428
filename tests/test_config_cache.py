"""archon/config_cache.py: config.yaml's telemetry section is parsed once per version of the file, and the cache
never says anything the file does not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archon.config_cache
from archon.config import ConfigState, read_config
from archon.config_cache import read_telemetry_config
from archon.paths import ArchonPaths


def _write(paths: ArchonPaths, text: str) -> None:
    paths.home.mkdir(parents=True, exist_ok=True)
    paths.config.write_text(text, encoding="utf-8")


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every path config_cache hands to the YAML reader from now on."""
    calls: list[Path] = []

    def counting(path: Path) -> ConfigState:
        calls.append(path)
        return read_config(path)

    monkeypatch.setattr(archon.config_cache, "read_config", counting)
    return calls


def test_the_second_read_of_an_unchanged_file_parses_nothing(
    paths: ArchonPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(paths, "# mine\ndefaultAssistant: codex\ntelemetry:\n  enabled: true\n")
    parses = _parses(monkeypatch)
    first = read_telemetry_config(paths)
    second = read_telemetry_config(paths)
    assert len(parses) == 1
    assert first.get("telemetry", "enabled") is second.get("telemetry", "enabled") is True
    assert second.get("defaultAssistant") is None  # the cache holds the telemetry section only
    assert paths.config_cache.exists()


def _replace(path: Path, text: str) -> None:
    new = path.with_name("new.yaml")
    new.write_text(text, encoding="utf-8")
    os.replace(new, path)


@pytest.mark.parametrize(
    ("text", "in_place"),
    [
        ("telemetry:\n  enabled: false\n", True),  # another size
        ("telemetry:\n  enabled: nope\n", True),  # the same size: only the times tell
        ("telemetry: {}\n", False),  # a new file (what archon's own writes and most editors do)
    ],
    ids=["other-size", "same-size", "replaced"],
)
def test_any_change_to_the_file_is_seen(
    paths: ArchonPaths, monkeypatch: pytest.MonkeyPatch, text: str, in_place: bool
) -> None:
    _write(paths, "telemetry:\n  enabled: true\n")
    read_telemetry_config(paths)
    if in_place:
        paths.config.write_text(text, encoding="utf-8")
    else:
        _replace(paths.config, text)
    parses = _parses(monkeypatch)
    assert read_telemetry_config(paths).get("telemetry", "enabled") == read_config(paths.config).get(
        "telemetry", "enabled"
    )
    assert len(parses) == 1


def test_a_file_that_cannot_be_parsed_is_never_cached(paths: ArchonPaths, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(paths, "telemetry: [unclosed\n")
    parses = _parses(monkeypatch)
    assert read_telemetry_config(paths).problem is not None
    assert read_telemetry_config(paths).problem is not None
    assert len(parses) == 2
    assert not paths.config_cache.exists()


def test_a_section_that_is_not_all_scalars_is_never_cached(paths: ArchonPaths) -> None:
    _write(paths, "telemetry:\n  enabled: true\n  extra: [1, 2]\n")
    assert read_telemetry_config(paths).get("telemetry", "enabled") is True
    assert not paths.config_cache.exists()


@pytest.mark.parametrize(
    "content",
    [b"", b"garbage\n", b"archon-config-cache 1\n1 2 3 4 5\nenabled=true\n", b"archon-config-cache 1\n\xff\n"],
)
def test_a_cache_that_does_not_match_is_ignored(paths: ArchonPaths, content: bytes) -> None:
    """A stale key, or anything that is not a cache this archon wrote, means the file is parsed again."""
    _write(paths, "telemetry:\n  enabled: false\n")
    paths.config_cache.write_bytes(content)
    assert read_telemetry_config(paths).get("telemetry", "enabled") is False


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_a_symlinked_cache_is_not_followed(paths: ArchonPaths, tmp_path: Path) -> None:
    _write(paths, "telemetry:\n  enabled: false\n")
    read_telemetry_config(paths)
    planted = tmp_path / "planted"
    planted.write_bytes(paths.config_cache.read_bytes().replace(b"enabled=false", b"enabled=true"))
    paths.config_cache.unlink()
    paths.config_cache.symlink_to(planted)
    assert read_telemetry_config(paths).get("telemetry", "enabled") is False


def test_no_config_no_cache(paths: ArchonPaths) -> None:
    state = read_telemetry_config(paths)
    assert (state.exists, state.problem) == (False, None)
    assert not paths.home.exists()


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20),
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(section=st.dictionaries(st.sampled_from(["enabled", "local_only", "mode", "x1"]), _SCALARS, max_size=4))
def test_the_cache_says_exactly_what_the_parser_says(paths: ArchonPaths, section: dict[str, object]) -> None:
    from ruamel.yaml import YAML

    paths.home.mkdir(parents=True, exist_ok=True)
    with paths.config.open("w", encoding="utf-8") as handle:
        YAML().dump({"telemetry": section} if section else {"other": 1}, handle)
    parsed = read_config(paths.config).get("telemetry")
    read_telemetry_config(paths)  # writes the cache (when the section can be cached)
    cached = read_telemetry_config(paths).get("telemetry")
    assert (dict(cached) if cached else None) == (dict(parsed) if parsed else None)
