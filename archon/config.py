"""``config.yaml``: read it without trusting it, write single keys while keeping the user's comments and order.

Reading never raises: a missing file is an empty config, and an unreadable or malformed one is reported as
:class:`ConfigState` with ``problem`` set (a :class:`ConfigProblem`, plus the system's or the parser's own detail),
so callers (telemetry consent above all) can resolve to a safe default and the CLI can say why. The file is read
only if it is a regular file of at most :data:`CONFIG_SIZE_LIMIT` bytes, opened without following a symlink and
without blocking (:func:`~archon.private_files.read_regular_file`): a FIFO would hang every command, a symlink to
``/dev/zero`` would be read until memory runs out, and megabytes of YAML take seconds to parse.

Writing never goes through a symlink and never into a directory someone else controls
(:func:`~archon.private_files.untrusted_directory`): it refuses instead, with a :class:`~archon.errors.ConfigError`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from archon.errors import ConfigError
from archon.private_files import RefusedFile, read_regular_file, untrusted_directory, write_atomic
from archon.value import Value

if TYPE_CHECKING:
    from typing import Literal

    from ruamel.yaml import YAML

    ConfigProblem = Literal[
        "unreadable", "symlink", "not-a-regular-file", "too-large", "not-utf-8", "invalid-yaml", "not-a-mapping"
    ]
    """Why ``config.yaml`` could not be used. Plain strings, not an enum: see :mod:`archon.value`."""

__all__ = [
    "CONFIG_SIZE_LIMIT",
    "REMOVE",
    "ConfigProblem",
    "ConfigState",
    "read_config",
    "set_config_value",
    "set_config_values",
]

CONFIG_SIZE_LIMIT = 64 * 1024
"""A ``config.yaml`` larger than this is not read (archon's own keys take a few dozen bytes)."""


_PROBLEM_TEXT: dict[ConfigProblem, str] = {
    "unreadable": "cannot be read",
    "symlink": "is a symbolic link, which archon neither follows nor writes through",
    "not-a-regular-file": "is not a regular file",
    "too-large": f"is larger than {CONFIG_SIZE_LIMIT // 1024} KiB",
    "not-utf-8": "is not valid UTF-8",
    "invalid-yaml": "is not valid YAML",
    "not-a-mapping": "must hold a mapping at the top level",
}


_NOTHING: Mapping[str, Any] = MappingProxyType({})


class ConfigState(Value):
    """What ``config.yaml`` says, or why it could not be read. ``data`` is empty whenever ``problem`` is set."""

    path: Path
    exists: bool
    data: Mapping[str, Any] = _NOTHING
    problem: ConfigProblem | None = None
    detail: str | None = None
    """The system's or the YAML parser's own words for the problem (``Permission denied``), if any."""

    def describe_problem(self) -> str | None:
        """The problem as a clause for error messages (``/home/u/.archon/config.yaml is not valid YAML (...)``)."""
        if self.problem is None:
            return None
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.path} {_PROBLEM_TEXT[self.problem]}{detail}"

    def get(self, *keys: str) -> Any:
        """The value at ``keys`` (e.g. ``get("telemetry", "enabled")``), or None if any level is missing."""
        node: Any = self.data
        for key in keys:
            if not isinstance(node, Mapping) or key not in node:
                return None
            node = node[key]
        return node


def _yaml() -> YAML:
    from ruamel.yaml import YAML  # startup time: imported only when a config file is read or written

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


_REFUSALS: dict[str, ConfigProblem] = {  # by FileRefusal (a StrEnum: its members are these strings)
    "symlink": "symlink",
    "not-regular": "not-a-regular-file",
    "too-large": "too-large",
}


def read_config(path: Path) -> ConfigState:  # noqa: PLR0911 - one return per way a file can be unusable
    try:
        raw = read_regular_file(path, limit=CONFIG_SIZE_LIMIT)
    except FileNotFoundError:
        return ConfigState(path=path, exists=False)
    except RefusedFile as exc:
        return ConfigState(path=path, exists=True, problem=_REFUSALS[exc.reason])
    except OSError as exc:
        return ConfigState(path=path, exists=True, problem="unreadable", detail=exc.strerror or str(exc))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return ConfigState(path=path, exists=True, problem="not-utf-8")
    from ruamel.yaml.error import YAMLError  # startup time: only when there is a file to parse

    try:
        data = _yaml().load(text)
    except YAMLError as exc:
        detail = getattr(exc, "problem", None)
        return ConfigState(path=path, exists=True, problem="invalid-yaml", detail=str(detail) if detail else None)
    if data is None:
        return ConfigState(path=path, exists=True)
    if not isinstance(data, Mapping):
        return ConfigState(path=path, exists=True, problem="not-a-mapping")
    return ConfigState(path=path, exists=True, data=data)


REMOVE: Any = object()
"""A value for :func:`set_config_values` that removes the key instead (nothing happens if it is absent)."""


def set_config_value(path: Path, keys: tuple[str, ...], value: Any) -> None:
    """Set ``keys`` to ``value`` in ``config.yaml``, keeping every other key and comment; atomic, 0600.

    Refuses (``ConfigError``) to overwrite a file it cannot parse, so nothing the user wrote is ever lost; to
    write through a symlink (it would rewrite a file elsewhere, chosen by whoever made the link); and to write into
    a directory that belongs to someone else or that others may write.
    """
    if not keys:
        raise ValueError("keys must not be empty")
    set_config_values(path, {keys: value})


def set_config_values(path: Path, values: Mapping[tuple[str, ...], Any]) -> None:
    """Set (or, with :data:`REMOVE`, remove) several keys in one atomic write, as :func:`set_config_value` does."""
    from ruamel.yaml.comments import CommentedMap  # startup time: only commands that write config need it

    if not values or not all(values):
        raise ValueError("keys must not be empty")
    untrusted = untrusted_directory(path.parent, follow_symlink=True)
    if untrusted is not None:
        raise ConfigError(f"{untrusted.describe()}, so archon writes nothing there")
    state = read_config(path)
    if state.problem is not None:
        raise ConfigError(f"{state.describe_problem()}; fix or remove it, then try again")
    root: Any = state.data if isinstance(state.data, CommentedMap) else CommentedMap(state.data)
    for keys, value in values.items():
        node = root
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, Mapping):
                if value is REMOVE:
                    break
                child = CommentedMap()
                node[key] = child
            node = child
        else:
            if value is REMOVE:
                node.pop(keys[-1], None)
            else:
                node[keys[-1]] = value
    buffer = io.StringIO()
    _yaml().dump(root, buffer)
    try:
        write_atomic(path, buffer.getvalue().encode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from exc
