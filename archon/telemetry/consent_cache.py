"""Whether the consent record covers this build's whole policy, without reading JSON on every run.

While consent comes from ``config.yaml``, only what the consent record allows may be recorded, and a build that
would send more than the record allows must say so (once) before its first event. Finding that out means reading
``consent.json`` (JSON) and building this build's policy from the schema: more than the rest of recording costs
in the command's process. Almost always the answer is the same as last time: the record holds exactly this build's
policy (``archon telemetry on`` wrote it, and archon has not been upgraded since).

So that answer, and only that one, is kept in ``telemetry/.consent-cache``: the identity of ``consent.json``
(:func:`~archon.private_files.file_signature`: any write to it changes it) and the hash of the policy the record was
found to hold. It counts only while both still match: the same file, and this build's policy hash,
:data:`POLICY_HASH`. Anything else (no cache, another record, another build's policy, a cache that cannot be read)
means asking the long way (:mod:`archon.telemetry.recorder`), which writes the cache again when the answer is yes.
A plain text file of our own, read with one careful read and no parser.

:data:`POLICY_HASH` is this build's policy hash as a constant, so that checking needs neither the schema nor
``hashlib``; ``tests/telemetry/test_consent_cache.py`` fails, naming the new value, when the schema changes it.
"""

from __future__ import annotations

from typing import Final

from archon.paths import ArchonPaths
from archon.private_files import file_signature, read_regular_file, write_atomic

__all__ = ["CACHE_VERSION", "POLICY_HASH", "covers_this_build", "remember_full_consent"]

POLICY_HASH: Final = "9cd7f01ab27e5bbda350397cffb59735f4888ab59c7c4e20d8697f1522c05a97"
"""``policy_hash(build_policy())`` of this build (:mod:`archon.telemetry.policy`); also quoted in docs/telemetry.md."""

CACHE_VERSION = "archon-consent-cache 1"
_MAX_BYTES = 512


def _content(signature: str) -> bytes:
    return f"{CACHE_VERSION}\n{signature}\n{POLICY_HASH}\n".encode("ascii")


def covers_this_build(paths: ArchonPaths) -> bool:
    """True when the consent record is known to hold exactly this build's policy. Never raises; False when unsure."""
    signature = file_signature(paths.consent_record)
    if signature is None:
        return False
    try:
        cached = read_regular_file(paths.consent_cache, limit=_MAX_BYTES)
    except OSError:
        return False
    return cached == _content(signature)


def remember_full_consent(paths: ArchonPaths, *, signature: str | None) -> None:
    """Note that the consent record whose :func:`~archon.private_files.file_signature` was ``signature`` (taken
    before it was read) holds exactly this build's policy. Nothing is noted if the record changed since; errors are
    ignored (the next run asks the long way again)."""
    if signature is None or file_signature(paths.consent_record) != signature:
        return
    try:
        write_atomic(paths.consent_cache, _content(signature), durable=False, make_parents=False)
    except OSError:
        return
