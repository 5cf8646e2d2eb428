"""Render the Homebrew formula of a release (``archon.rb``, formula ``archon``) from its ``SHA256SUMS``.

A pure render: the version, the release's ``SHA256SUMS`` text and the base URL in, the formula's text out; every
value is validated before it is written into Ruby, so no input can inject code. release.yml runs it on the
published ``SHA256SUMS`` and pushes the result to the tap (docs/release.md)::

    python -m build_tools.homebrew_formula --version 1.4.0 --sums release/SHA256SUMS --output Formula/archon.rb

The formula installs the archive's onedir folder under ``libexec`` (the executable needs its ``_internal/``),
links ``archon`` into ``bin``, writes the receipt that makes ``archon version`` say ``Install method: homebrew``
(archon/install_channel.py), installs the bash, zsh and fish completion scripts the archive ships (so ``brew
install`` never runs archon), and its ``test`` block runs ``archon version``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = [
    "ALL_TARGETS",
    "DEFAULT_BASE_URL",
    "FORMULA_TARGETS",
    "FormulaError",
    "archive_url",
    "parse_sha256sums",
    "render_formula",
]

DEFAULT_BASE_URL = "https://github.com/archon-cli/archon/releases/download"
"""Where releases are: ``<base>/v<version>/<file>``, the same layout install.sh's ARCHON_INSTALL_BASE_URL has."""
HOMEPAGE = "https://github.com/archon-cli/archon"
DESCRIPTION = "Run AI coding workflows from the command line"
RECEIPT_NAME = "install-receipt"  # archon.install_channel.RECEIPT_NAME; build_tools does not import the package
FORMULA_TARGETS: tuple[tuple[str, str, str], ...] = (
    # (release target, Homebrew OS block, Homebrew CPU block)
    ("macos-arm64", "on_macos", "on_arm"),
    ("macos-x86_64", "on_macos", "on_intel"),
    ("linux-arm64", "on_linux", "on_arm"),
    ("linux-x86_64", "on_linux", "on_intel"),
)
ALL_TARGETS: tuple[str, ...] = tuple(row[0] for row in FORMULA_TARGETS)
_VERSION = re.compile(r"[0-9][0-9A-Za-z.+-]{0,63}")
_DIGEST = re.compile(r"[0-9a-f]{64}")
_SUMS_LINE = re.compile(r"([0-9a-fA-F]{64}) [ *](\S+)")
_URL = re.compile(r"https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~%/+-]*)?")


class FormulaError(ValueError):
    """An input the formula cannot be rendered from; the message says which and why."""


def parse_sha256sums(text: str) -> dict[str, str]:
    """File name to lower-case hex digest, from ``sha256sum`` output (text or binary mode). Refuses a malformed
    line, and a file listed twice with different digests."""
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _SUMS_LINE.fullmatch(line.rstrip("\r"))
        if match is None:
            raise FormulaError(f"SHA256SUMS line {number} is not '<sha256>  <file>': {line!r}")
        digest, name = match.group(1).lower(), match.group(2)
        if sums.get(name, digest) != digest:
            raise FormulaError(f"SHA256SUMS lists {name} twice, with different digests")
        sums[name] = digest
    return sums


def archive_url(base_url: str, version: str, target: str) -> str:
    return f"{base_url}/v{version}/archon-{target}.tar.gz"


def _validated(version: str, base_url: str) -> tuple[str, str]:
    version = version.removeprefix("v")
    if not _VERSION.fullmatch(version):
        raise FormulaError(f"version {version!r} is not a version (digits first; letters, digits, '.', '+', '-')")
    base_url = base_url.rstrip("/")
    if not _URL.fullmatch(base_url):
        raise FormulaError(f"base URL {base_url!r} must be https:// with a host and a plain path")
    return version, base_url


def _platform_blocks(version: str, base_url: str, sums: Mapping[str, str], targets: Sequence[str]) -> list[str]:
    lines: list[str] = []
    for os_block in ("on_macos", "on_linux"):
        chosen = [
            (target, cpu) for target, os_name, cpu in FORMULA_TARGETS if os_name == os_block and target in targets
        ]
        if not chosen:
            continue
        lines.append(f"  {os_block} do")
        for target, cpu_block in chosen:
            name = f"archon-{target}.tar.gz"
            digest = sums.get(name)
            if digest is None:
                raise FormulaError(f"SHA256SUMS has no entry for {name}: the formula would have no archive to install")
            if not _DIGEST.fullmatch(digest):
                raise FormulaError(f"SHA256SUMS's entry for {name} is not a SHA-256 digest")
            lines += [
                f"    {cpu_block} do",
                f'      url "{archive_url(base_url, version, target)}"',
                f'      sha256 "{digest}"',
                "    end",
            ]
        lines += ["  end", ""]
    return lines


def render_formula(
    *,
    version: str,
    sums: Mapping[str, str],
    base_url: str = DEFAULT_BASE_URL,
    targets: Sequence[str] = ALL_TARGETS,
) -> str:
    """The formula's Ruby source for ``version``, with the URL and sha256 of each of ``targets``' archives."""
    version, base_url = _validated(version, base_url)
    unknown = sorted(set(targets) - set(ALL_TARGETS))
    if unknown or not targets:
        raise FormulaError(f"no Homebrew platform for targets {unknown or '(none given)'}")
    head = [
        "# Generated by build_tools/homebrew_formula.py from the release's SHA256SUMS. Do not edit: re-run it.",
        "class Archon < Formula",
        f'  desc "{DESCRIPTION}"',
        f'  homepage "{HOMEPAGE}"',
        f'  version "{version}"',
        '  license "MIT"',
        "",
    ]
    body = [
        "  def install",
        "    # The archive's archon-<platform>/ folder, which brew has changed into; archon needs its _internal/.",
        '    libexec.install Dir["*"]',
        "    # Makes `archon version` say `Install method: homebrew` (docs/telemetry.md); archon reads only 'channel'.",
        f'    (libexec/"{RECEIPT_NAME}").write <<~EOS',
        "      # Written by the Homebrew formula. archon reads only 'channel'.",
        "      channel=homebrew",
        "      version=#{version}",
        "    EOS",
        '    bin.install_symlink libexec/"archon"',
        "    # The completion scripts every archive ships (scripts/build-binaries.sh wrote them with the frozen",
        "    # `archon completion <shell>`); moved out, they leave an empty folder that brew's cleaner removes.",
        '    bash_completion.install libexec/"completions/archon.bash" => "archon"',
        '    zsh_completion.install libexec/"completions/_archon"',
        '    fish_completion.install libexec/"completions/archon.fish"',
        "  end",
        "",
        "  test do",
        '    ENV["DO_NOT_TRACK"] = "1"',
        '    ENV["ARCHON_HOME"] = (testpath/".archon").to_s',
        '    output = shell_output("#{bin}/archon version")',
        '    assert_match "archon #{version}", output',
        '    assert_match "Install method: homebrew", output',
        "  end",
        "end",
        "",
    ]
    return "\n".join([*head, *_platform_blocks(version, base_url, sums, targets), *body])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m build_tools.homebrew_formula", description=__doc__)
    parser.add_argument("--version", required=True, help="the release version (a leading v is dropped)")
    parser.add_argument("--sums", type=Path, required=True, help="the release's SHA256SUMS")
    parser.add_argument("--base-url", default=DEFAULT_BASE_URL, help="<base>/v<version>/<archive> (default: GitHub)")
    parser.add_argument("--output", type=Path, help="write the formula here (default: stdout)")
    args = parser.parse_args(argv)
    try:
        formula = render_formula(
            version=args.version, sums=parse_sha256sums(args.sums.read_text(encoding="utf-8")), base_url=args.base_url
        )
    except (FormulaError, OSError) as exc:
        print(f"homebrew_formula: error: {exc}", file=sys.stderr)
        return 1
    if args.output is None:
        sys.stdout.write(formula)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(formula, encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
