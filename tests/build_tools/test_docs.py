"""docs/telemetry.md is generated from the schema; the committed page must be exactly what the generator makes."""

from __future__ import annotations

from archon.telemetry import schema
from build_tools.docs import GENERATED_HEADER, main, render_telemetry_page, telemetry_page_path


def test_committed_page_is_what_the_schema_generates() -> None:
    committed = telemetry_page_path().read_text(encoding="utf-8")
    assert committed == render_telemetry_page(), "docs/telemetry.md is stale: run `python -m build_tools.docs`"


def test_check_mode_agrees() -> None:
    assert main(["--check"]) == 0


def test_first_line_says_it_is_generated() -> None:
    assert render_telemetry_page().splitlines()[0] == GENERATED_HEADER
    assert "GENERATED" in GENERATED_HEADER


def test_every_event_and_property_is_on_the_page() -> None:
    page = render_telemetry_page()
    for cls in schema.ALL_EVENTS:
        assert f"### `{cls.NAME}`" in page
        assert cls.WHY in page
        for declared, _ in schema.schema_fields(cls):
            assert f"| `{declared.name}` |" in page
            assert declared.doc in page
    for name in schema.CommonProperties.PROPERTIES:
        assert f"| `{name}` |" in page
    for name in schema.PRIVACY_PROPERTIES:
        assert f"| `{name}` |" in page


def test_the_page_covers_what_the_issue_asks_for() -> None:
    page = render_telemetry_page()
    for needed in (
        "DO_NOT_TRACK",
        "ARCHON_TELEMETRY_DISABLED=1",
        "ARCHON_TELEMETRY=off",
        "archon telemetry off",
        "telemetry.enabled: false",
        "What is never sent",
        "**Retention:** PostHog keeps events for as long as the PostHog plan",  # not a period nobody enforces
        "ReplacingMergeTree",  # de-duplication by uuid is eventual
        "accepted *by capture*",  # over quota is a 200 too
        "eu.i.posthog.com",
        "proxy.md",
        "archon telemetry inspect",
        "ARCHON_TELEMETRY_DEBUG=1",
    ):
        assert needed in page, needed
    assert "{{" not in page
