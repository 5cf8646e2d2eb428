"""Whether telemetry is on, and why: a pure function of the environment and ``config.yaml``.

The order is fixed (docs/telemetry.md, "Turning it off"); the first rule that matches decides:

1. ``DO_NOT_TRACK`` set to anything :func:`archon.runtime.flag` does not read as false (``""``, ``0``, ``false``,
   ``no``, ``off``, in any case, surrounding spaces ignored) -> off.
2. ``ARCHON_TELEMETRY_DISABLED`` true (``1``, ``true``, ``yes``, ``on``) -> off. A value that is not understood
   also means off (and is reported), since the variable only exists to disable.
3. ``ARCHON_TELEMETRY``: true -> on, false -> off, anything else -> off (reported).
4. ``config.yaml``: ``telemetry.local_only: true`` -> local-only (events kept on this machine, never sent; it
   wins over ``telemetry.enabled``, and is written with ``enabled: false``, which is all an archon without local
   mode reads), else ``telemetry.enabled: true|false``. Unreadable or malformed config -> off (reported).
5. Otherwise off.

The environment rules decide without reading ``config.yaml``: the caller passes a function that reads it, called
only when rules 1 to 3 did not decide. Before anything may turn telemetry on, the archon home is checked (the
caller passes that check too): a home or telemetry directory that another user owns, or that others may write,
means off (:attr:`"untrusted-home"`), whatever ``ARCHON_TELEMETRY`` or ``config.yaml`` say, and
``config.yaml`` there is not even read. The result is data (:class:`Consent`: the decision, the rule that made it,
what was not understood); ``archon.cli`` words it. Nothing here reads the disk or the process environment itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from archon.runtime import ENV_ARCHON_TELEMETRY, ENV_ARCHON_TELEMETRY_DISABLED, ENV_DO_NOT_TRACK, flag
from archon.value import Value

if TYPE_CHECKING:
    from typing import Literal

    from archon.config import ConfigState
    from archon.private_files import Untrusted

__all__ = [
    "CONFIG_ENABLED_KEY",
    "CONFIG_LOCAL_ONLY_KEY",
    "ConfigSetting",
    "Consent",
    "ConsentProblem",
    "ConsentSource",
    "config_setting",
    "may_record",
    "resolve_consent",
]

CONFIG_ENABLED_KEY = ("telemetry", "enabled")
CONFIG_LOCAL_ONLY_KEY = ("telemetry", "local_only")


if TYPE_CHECKING:
    ConsentSource = Literal[
        "DO_NOT_TRACK", "ARCHON_TELEMETRY_DISABLED", "ARCHON_TELEMETRY", "config", "archon-home", "default"
    ]
    """The rule that decided (what ``status --json`` reports as ``source``). ``archon-home``: the archon home (or its
    telemetry directory) is not this user's own (see ``Consent.untrusted``).

    Plain strings (``Literal``), not enums, here and below, and types only (a ``Literal`` made at run time costs
    ~0.05 ms, an enum ~0.2 ms): every command loads this module (see :mod:`archon.value`)."""

    ConsentProblem = Literal[
        "value-not-understood", "config-unusable", "local-only-not-understood", "local-only-wins", "untrusted-home"
    ]
    """Something that was not understood, and therefore made the decision off:

    - ``value-not-understood``: the deciding variable's value, or ``telemetry.enabled``, is not a boolean (see
      ``Consent.value``);
    - ``config-unusable``: ``config.yaml`` could not be read or parsed (see ``Consent.config.problem``);
    - ``local-only-not-understood``: ``telemetry.local_only`` is not a boolean (see ``Consent.value``): off;
    - ``local-only-wins``: ``telemetry.enabled: true`` beside ``telemetry.local_only: true`` (an archon without local
      mode ran ``telemetry on`` after ``telemetry local``): local-only, which never sends, decides;
    - ``untrusted-home``: the archon home or a telemetry directory in it belongs to another user, is writable by
      others, or is a symlink where archon keeps a directory of its own (see ``Consent.untrusted``): never used for
      telemetry.
    """

    ConfigSetting = Literal["on", "off", "local", "unset", "invalid"]
    """What ``config.yaml`` says about telemetry. ``invalid``: unreadable or malformed config, or a
    ``telemetry.enabled`` that is not true or false."""


class Consent(Value):
    """The decision and the rule that made it, as values. ``enabled`` means events are recorded to be sent;
    ``local_only`` means they are recorded and kept here (``enabled`` is then False, so whatever does not know
    about local-only mode treats it as off).
    """

    enabled: bool
    source: ConsentSource
    local_only: bool = False
    problem: ConsentProblem | None = None
    value: str | None = None
    """The deciding environment variable's raw value, or ``repr`` of an invalid ``telemetry.enabled``."""
    config: ConfigState | None = None
    """``config.yaml`` as read, when it was read to decide (rules 4 and 5); None when the environment decided."""
    untrusted: Untrusted | None = None
    """The directory that made the decision off, with :attr:`"untrusted-home"`."""


def config_setting(config: ConfigState) -> ConfigSetting:
    if config.problem is not None:
        return "invalid"
    local_only = config.get(*CONFIG_LOCAL_ONLY_KEY)
    if local_only is True:
        return "local"
    if local_only is not None and not isinstance(local_only, bool):
        return "invalid"
    value = config.get(*CONFIG_ENABLED_KEY)
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "on" if value else "off"
    return "invalid"


def resolve_consent(
    env: Mapping[str, str],
    read_config: Callable[[], ConfigState],
    *,
    home_trust: Callable[[], Untrusted | None] | None = None,
) -> Consent:
    """Decide whether telemetry is on. Never raises; anything unexpected resolves to off.

    An environment opt-out decides alone. Otherwise ``home_trust`` (when given:
    :func:`~archon.private_files.untrusted_home` of the home in use) is asked first, and ``read_config`` only if
    the home may be used and no environment variable decided.
    """
    decided = _from_environment(env)
    if decided is not None and not decided.enabled:
        return decided
    untrusted = home_trust() if home_trust is not None else None
    if untrusted is not None:
        return Consent(enabled=False, source="archon-home", problem="untrusted-home", untrusted=untrusted)
    return decided or _from_config(read_config())


def _from_environment(env: Mapping[str, str]) -> Consent | None:
    """Rules 1 to 3: the variables. None when none of them is set."""
    dnt = env.get(ENV_DO_NOT_TRACK, "")
    if flag(dnt) is not False:
        return Consent(enabled=False, source="DO_NOT_TRACK", value=dnt)

    disabled = env.get(ENV_ARCHON_TELEMETRY_DISABLED, "")
    disabled_flag = flag(disabled)
    if disabled_flag is not False:
        return Consent(
            enabled=False,
            source="ARCHON_TELEMETRY_DISABLED",
            problem="value-not-understood" if disabled_flag is None else None,
            value=disabled,
        )

    switch = env.get(ENV_ARCHON_TELEMETRY, "")
    if not switch.strip():
        return None
    switch_flag = flag(switch)
    return Consent(
        enabled=switch_flag is True,
        source="ARCHON_TELEMETRY",
        problem="value-not-understood" if switch_flag is None else None,
        value=switch,
    )


def _from_config(config: ConfigState) -> Consent:
    """Rules 4 and 5: ``config.yaml``, else the default."""
    setting = config_setting(config)
    if setting == "unset":
        return Consent(enabled=False, source="default", config=config)
    if setting == "local":
        wins: ConsentProblem | None = "local-only-wins" if config.get(*CONFIG_ENABLED_KEY) is True else None
        return Consent(enabled=False, local_only=True, source="config", problem=wins, config=config)
    if setting == "invalid":
        return Consent(enabled=False, source="config", config=config, **_config_problem(config))
    return Consent(enabled=setting == "on", source="config", config=config)


def _config_problem(config: ConfigState) -> dict[str, Any]:
    """What made ``config.yaml`` invalid for telemetry: the ``problem`` and ``value`` of the off it resolves to."""
    if config.problem is not None:
        return {"problem": "config-unusable", "value": None}
    local_only = config.get(*CONFIG_LOCAL_ONLY_KEY)
    if local_only is not None and not isinstance(local_only, bool):
        return {"problem": "local-only-not-understood", "value": repr(local_only)}
    return {"problem": "value-not-understood", "value": repr(config.get(*CONFIG_ENABLED_KEY))}


def may_record(consent: Callable[[], Consent], *, key_embedded: bool, debug_preview: bool) -> bool:
    """Whether a run can record (or, with ``ARCHON_TELEMETRY_DEBUG``, preview) anything at all: consent on or
    local-only, and a key embedded. A build without a key records nothing, not even in local-only mode, so it never
    even reads ``config.yaml`` (``consent`` is asked only when it matters).
    """
    if debug_preview:
        return True
    if not key_embedded:
        return False
    decided = consent()
    return decided.enabled or decided.local_only
