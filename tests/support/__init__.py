"""Test helpers: a loopback ingest server standing in for PostHog, and wheel/venv builders."""
