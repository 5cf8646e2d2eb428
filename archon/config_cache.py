"""What ``config.yaml`` says about telemetry, without parsing YAML on every run.

Every archon command that has to decide about telemetry from ``config.yaml`` (everyone who ran ``archon telemetry
on|off`` or ``archon setup`` has one) would otherwise import ruamel.yaml, which costs more than the rest of
``archon version`` together. So the ``telemetry:`` section, as ruamel.yaml parsed it, is kept in a small cache
file, ``.config-cache`` beside ``config.yaml``, keyed by the file's identity (device, inode, size, modification and
change times in nanoseconds). Any write to ``config.yaml`` (by archon, which replaces the file, or by an editor)
changes that key, and the next read parses the file again and rewrites the cache.

Only scalars under ``telemetry:`` are cached (booleans, null, integers, single-line strings); a file whose
``telemetry:`` holds anything else, or that cannot be parsed, is not cached: it is parsed every time, and the
decision is the same as without the cache. The cache is a plain text file in a format of our own, so reading it
needs no JSON or YAML library.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from archon.config import ConfigState, read_config
from archon.paths import ArchonPaths
from archon.private_files import file_signature, read_regular_file, write_atomic

__all__ = ["CACHE_VERSION", "read_telemetry_config"]

CACHE_VERSION = "archon-config-cache 1"
_SECTION = "telemetry"
_MAX_BYTES = 4096


def read_telemetry_config(paths: ArchonPaths) -> ConfigState:
    """``config.yaml`` reduced to its ``telemetry:`` section: from the cache when it is current, else parsed
    (and the cache rewritten). Never raises; the other keys of the file are not in the result."""
    key = file_signature(paths.config)
    if key is None:
        return read_config(paths.config)  # missing (the common case) or unreadable: nothing to cache
    cached = _read_cache(paths, key)
    if cached is not None:
        return ConfigState(path=paths.config, exists=True, data={_SECTION: cached} if cached else {})
    state = read_config(paths.config)
    section = _cacheable(state)
    if section is not None and file_signature(paths.config) == key:  # what was parsed is what the key describes
        _write_cache(paths, key, section)
    return state


def _cacheable(state: ConfigState) -> dict[str, Any] | None:
    """The ``telemetry:`` section if it can be cached exactly (a mapping of scalars), else None."""
    if state.problem is not None:
        return None
    section = state.data.get(_SECTION)
    if section is None:
        return {}
    if not isinstance(section, Mapping):
        return None
    scalars: dict[str, Any] = {}
    for name, value in section.items():
        if not isinstance(name, str) or not name.isidentifier() or _encode(value) is None:
            return None
        scalars[name] = value
    return scalars


def _encode(value: object) -> str | None:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"int:{value}"
    if isinstance(value, str) and value.isprintable():
        return f"str:{value}"
    return None


def _decode(text: str) -> tuple[bool, object]:
    """(understood, value) for one encoded value."""
    if text in ("null", "true", "false"):
        return True, {"null": None, "true": True, "false": False}[text]
    kind, _, rest = text.partition(":")
    if kind == "int":
        try:
            return True, int(rest)
        except ValueError:
            return False, None
    if kind == "str":
        return True, rest
    return False, None


def _write_cache(paths: ArchonPaths, key: str, section: Mapping[str, object]) -> None:
    lines = [CACHE_VERSION, key]
    lines += [f"{name}={_encode(value)}" for name, value in section.items()]
    text = "\n".join(lines) + "\n"
    try:
        write_atomic(paths.config_cache, text.encode("utf-8"), durable=False, make_parents=False)
    except OSError:
        return  # a read-only home: parse again next time


def _read_cache(paths: ArchonPaths, key: str) -> dict[str, object] | None:
    """The cached section for ``key``; None when there is no current, readable cache."""
    try:
        raw = read_regular_file(paths.config_cache, limit=_MAX_BYTES)
    except OSError:  # missing, refused (a symlink, a FIFO, too large) or unreadable: parse config.yaml instead
        return None
    try:
        version, cached_key, *entries = raw.decode("utf-8").splitlines()
    except (UnicodeDecodeError, ValueError):
        return None
    if version != CACHE_VERSION or cached_key != key:
        return None
    section: dict[str, object] = {}
    for entry in entries:
        name, sep, encoded = entry.partition("=")
        understood, value = _decode(encoded)
        if not sep or not understood or not name.isidentifier():
            return None
        section[name] = value
    return section
