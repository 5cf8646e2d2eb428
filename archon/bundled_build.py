"""Build-time constants. This committed copy holds the DEVELOPMENT values.

Wheels and frozen binaries carry a generated copy (build_tools/constants.py renders it); the work tree is never
modified by a build. With ``BUNDLED_POSTHOG_KEY = ""`` a source checkout can never send telemetry.
"""

from __future__ import annotations

BUNDLED_IS_BINARY: bool = False
BUNDLED_VERSION: str = "dev"
BUNDLED_GIT_COMMIT: str = "unknown"
BUNDLED_POSTHOG_KEY: str = ""
BUNDLED_POSTHOG_HOST: str = "https://telemetry.archon-cli.dev"
BUNDLED_INSTALL_METHOD: str = "source"
