"""``config.yaml``: read it without trusting it, write single keys while keeping the user's comments and order.

Reading never raises: a missing file is an empty config, and an unreadable or malformed one is reported as
:class:`ConfigState` with ``error`` set, so callers (telemetry consent above all) can resolve to a safe default
and say why.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archon.errors import ConfigError

if TYPE_CHECKING:
    from ruamel.yaml import YAML

__all__ = ["ConfigState", "read_config", "set_config_value"]


@dataclass(frozen=True)
class ConfigState:
    """What ``config.yaml`` says, or why it could not be read. ``data`` is empty whenever ``error`` is set."""

    path: Path
    exists: bool
    data: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None

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


def read_config(path: Path) -> ConfigState:  # noqa: PLR0911 - one return per way a file can be unusable
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ConfigState(path=path, exists=False)
    except OSError as exc:
        return ConfigState(path=path, exists=True, error=f"cannot read {path}: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return ConfigState(path=path, exists=True, error=f"{path} is not valid UTF-8")
    from ruamel.yaml.error import YAMLError  # startup time: only when there is a file to parse

    try:
        data = _yaml().load(text)
    except YAMLError as exc:
        problem = getattr(exc, "problem", None) or "malformed YAML"
        return ConfigState(path=path, exists=True, error=f"{path} is not valid YAML ({problem})")
    if data is None:
        return ConfigState(path=path, exists=True)
    if not isinstance(data, Mapping):
        return ConfigState(path=path, exists=True, error=f"{path} must hold a mapping at the top level")
    return ConfigState(path=path, exists=True, data=data)


def set_config_value(path: Path, keys: tuple[str, ...], value: Any) -> None:
    """Set ``keys`` to ``value`` in ``config.yaml``, keeping every other key and comment; atomic, 0600.

    Refuses (``ConfigError``) to overwrite a file it cannot parse, so nothing the user wrote is ever lost.
    """
    from ruamel.yaml.comments import CommentedMap  # startup time: only commands that write config need it

    from archon.atomic import write_atomic  # startup time: tempfile, only for writing

    if not keys:
        raise ValueError("keys must not be empty")
    state = read_config(path)
    if state.error is not None:
        raise ConfigError(f"{state.error}; fix or remove it, then try again")
    root: Any = state.data if isinstance(state.data, CommentedMap) else CommentedMap(state.data)
    node = root
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, Mapping):
            child = CommentedMap()
            node[key] = child
        node = child
    node[keys[-1]] = value
    buffer = io.StringIO()
    _yaml().dump(root, buffer)
    try:
        # A config.yaml that is a symlink (dotfiles) keeps being one: the file it points to is replaced.
        target = path.resolve() if path.is_symlink() else path
        write_atomic(target, buffer.getvalue().encode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from exc
