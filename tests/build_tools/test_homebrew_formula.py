"""build_tools/homebrew_formula.py: the formula is valid Ruby (``ruby -c``), names the right archive and sha256 on
each platform, and, run under a small stand-in for Homebrew's formula DSL on the real release archive, installs an
archon that says ``Install method: homebrew``, with the archive's completion scripts, and passes its own ``test do``
block.

The stand-in is not Homebrew: it implements only the DSL calls the formula makes, as Homebrew's own code does them
(Library/Homebrew/extend/pathname.rb: ``Pathname#install`` moves files in, a hash renames them; ``install_symlink``;
formula.rb: the ``bash_completion``, ``zsh_completion`` and ``fish_completion`` folders). release.yml's
``homebrew-check`` job runs ``brew install`` and ``brew test`` for real on macOS; nothing here runs Homebrew.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from build_tools.homebrew_formula import (
    ALL_TARGETS,
    FormulaError,
    archive_url,
    main,
    parse_sha256sums,
    render_formula,
)
from tests.conftest import require_tool
from tests.support.binary import FROZEN_VERSION, FrozenArchon
from tests.support.tools import needs_tools

SUMS = {f"archon-{target}.tar.gz": hashlib.sha256(target.encode()).hexdigest() for target in ALL_TARGETS}
SUMS_TEXT = "".join(f"{digest}  {name}\n" for name, digest in SUMS.items()) + f"{'0' * 64}  archon-1.4.0.tar.gz\n"

# A stand-in for the parts of Homebrew's DSL the formula uses. ARGV: os cpu formula [stage prefix testpath]
HARNESS = r"""
require "pathname"
require "fileutils"
$os, $cpu, $formula, $stage, $prefix, $testpath = ARGV

class Pathname
  def install(*sources)
    mkpath
    sources.each do |source|
      pairs = source.is_a?(Hash) ? source : [source].flatten.to_h { |s| [s, File.basename(s.to_s)] }
      pairs.each { |from, name| FileUtils.mv(from.to_s, (self / name).to_s) }
    end
  end

  def install_symlink(*targets)
    mkpath
    targets.flatten.each { |target| File.symlink(target.to_s, (self / File.basename(target.to_s)).to_s) }
  end
end

class Formula
  class << self
    attr_reader :test_block

    def desc(_) end
    def homepage(_) end
    def license(_) end
    def version(value = nil) = value ? (@version = value) : @version
    def on_macos = ($os == "macos" ? yield : nil)
    def on_linux = ($os == "linux" ? yield : nil)
    def on_arm = ($cpu == "arm" ? yield : nil)
    def on_intel = ($cpu == "intel" ? yield : nil)
    def url(value) = puts("url #{value}")
    def sha256(value) = puts("sha256 #{value}")
    def test(&block) = (@test_block = block)
  end

  def version = self.class.version
  def prefix = Pathname($prefix)
  def libexec = prefix / "libexec"
  def bin = prefix / "bin"
  def bash_completion = prefix / "etc/bash_completion.d"
  def zsh_completion = prefix / "share/zsh/site-functions"
  def fish_completion = prefix / "share/fish/vendor_completions.d"
  def buildpath = Pathname($stage)
  def testpath = Pathname($testpath)

  def shell_output(command)
    output = `#{command}`
    raise "#{command} failed: #{$?}" unless $?.success?
    output
  end

  def assert_match(expected, actual)
    raise "expected #{expected.inspect} in #{actual.inspect}" unless actual.include?(expected)
  end
end

load $formula
if $prefix
  Dir.chdir($stage) { Archon.new.install }
  Archon.new.instance_eval(&Archon.test_block)
  puts "test passed"
end
"""


@pytest.fixture(scope="module")
@needs_tools("ruby")
def ruby() -> str:
    return require_tool("ruby")


def ruby_run(ruby: str, tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    harness = tmp_path / "harness.rb"
    harness.write_text(HARNESS)
    return subprocess.run(
        [ruby, str(harness), *map(str, args)], capture_output=True, text=True, check=False, timeout=300
    )


def platform_lines(ruby: str, tmp_path: Path, formula: str, os_name: str, cpu: str) -> list[str]:
    path = tmp_path / "archon.rb"
    path.write_text(formula)
    result = ruby_run(ruby, tmp_path, os_name, cpu, path)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_the_formula_is_valid_ruby(ruby: str, tmp_path: Path) -> None:
    path = tmp_path / "archon.rb"
    path.write_text(render_formula(version="1.4.0", sums=parse_sha256sums(SUMS_TEXT)))
    result = subprocess.run([ruby, "-c", str(path)], capture_output=True, text=True, check=False, timeout=60)
    assert (result.returncode, result.stdout.strip()) == (0, "Syntax OK"), result.stderr


@pytest.mark.parametrize(
    ("os_name", "cpu", "target"),
    [
        ("macos", "arm", "macos-arm64"),
        ("macos", "intel", "macos-x86_64"),
        ("linux", "arm", "linux-arm64"),
        ("linux", "intel", "linux-x86_64"),
    ],
)
def test_each_platform_gets_its_own_archive_and_sha256(
    ruby: str, tmp_path: Path, os_name: str, cpu: str, target: str
) -> None:
    formula = render_formula(version="v1.4.0", sums=parse_sha256sums(SUMS_TEXT))
    assert platform_lines(ruby, tmp_path, formula, os_name, cpu) == [
        f"url https://github.com/archon-cli/archon/releases/download/v1.4.0/archon-{target}.tar.gz",
        f"sha256 {SUMS[f'archon-{target}.tar.gz']}",
    ]


def test_the_urls_follow_the_release_layout_install_sh_uses() -> None:
    assert archive_url("https://mirror.example.org/archon", "1.4.0", "linux-arm64") == (
        "https://mirror.example.org/archon/v1.4.0/archon-linux-arm64.tar.gz"
    )
    formula = render_formula(version="1.4.0", sums=SUMS, base_url="https://mirror.example.org/archon/")
    assert 'url "https://mirror.example.org/archon/v1.4.0/archon-macos-arm64.tar.gz"' in formula


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"sums": {k: v for k, v in SUMS.items() if "macos-arm64" not in k}}, "no entry for archon-macos-arm64"),
        ({"sums": {**SUMS, "archon-linux-arm64.tar.gz": "abc"}}, "not a SHA-256 digest"),
        ({"version": '1.4.0"; system("id"); "'}, "is not a version"),
        ({"version": "main"}, "is not a version"),
        ({"base_url": "http://github.com/x"}, "must be https://"),
        ({"base_url": 'https://example.org/"#{`id`}'}, "must be https://"),
        ({"targets": ["windows-x86_64"]}, "no Homebrew platform"),
        ({"targets": []}, "no Homebrew platform"),
    ],
)
def test_refused_inputs(kwargs: dict[str, object], reason: str) -> None:
    arguments: dict[str, object] = {"version": "1.4.0", "sums": SUMS, **kwargs}
    with pytest.raises(FormulaError, match=reason):
        render_formula(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not a sums line\n", "line 1 is not"),
        (f"{'a' * 64}  x.tar.gz\n{'b' * 64}  x.tar.gz\n", "lists x.tar.gz twice"),
    ],
)
def test_malformed_sha256sums_are_refused(text: str, reason: str) -> None:
    with pytest.raises(FormulaError, match=reason):
        parse_sha256sums(text)


def test_binary_mode_and_upper_case_sums_are_read() -> None:
    assert parse_sha256sums(f"{'A' * 64} *x.tar.gz\r\n\n") == {"x.tar.gz": "a" * 64}


def test_the_command_line_writes_the_formula_or_fails_plainly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(SUMS_TEXT)
    out = tmp_path / "tap" / "Formula" / "archon.rb"
    assert main(["--version", "1.4.0", "--sums", str(sums), "--output", str(out)]) == 0
    assert out.read_text() == render_formula(version="1.4.0", sums=SUMS)
    sums.write_text(SUMS_TEXT.replace("archon-linux-x86_64", "archon-linux-x86_65"))
    assert main(["--version", "1.4.0", "--sums", str(sums)]) == 1
    assert "homebrew_formula: error: SHA256SUMS has no entry for archon-linux-x86_64.tar.gz" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="Homebrew runs on macOS and Linux")
def test_the_formula_installs_the_real_archive_as_a_homebrew_archon(
    ruby: str, frozen_archon: FrozenArchon, tmp_path: Path
) -> None:
    """The formula rendered from the real SHA256SUMS names the real archive; its install block, run on that
    archive unpacked as brew does, gives an archon that reports `homebrew`, and the formula's own test passes."""
    target = frozen_archon.target
    archive = frozen_archon.dist / f"archon-{target}.tar.gz"
    sums = parse_sha256sums((frozen_archon.dist / "SHA256SUMS").read_text(encoding="utf-8"))
    formula = render_formula(version=FROZEN_VERSION, sums=sums, targets=[target])
    os_name, arch = target.split("-")
    lines = platform_lines(ruby, tmp_path, formula, os_name, "arm" if arch == "arm64" else "intel")
    assert lines == [
        f"url https://github.com/archon-cli/archon/releases/download/v{FROZEN_VERSION}/{archive.name}",
        f"sha256 {hashlib.sha256(archive.read_bytes()).hexdigest()}",
    ]

    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="tar")
    stage = unpacked / f"archon-{target}"  # brew changes into an archive's single top-level folder
    prefix = tmp_path / "Cellar" / "archon" / FROZEN_VERSION
    testpath = tmp_path / "testpath"
    testpath.mkdir()
    result = ruby_run(
        ruby, tmp_path, os_name, "arm" if arch == "arm64" else "intel", tmp_path / "archon.rb", stage, prefix, testpath
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "test passed"
    assert (prefix / "bin" / "archon").is_symlink()
    assert (prefix / "libexec" / "install-receipt").read_text().splitlines()[1:] == [
        "channel=homebrew",
        f"version={FROZEN_VERSION}",
    ]
    version = subprocess.run(
        [str(prefix / "bin" / "archon"), "version"],
        env={"ARCHON_HOME": str(tmp_path / "archon-home"), "DO_NOT_TRACK": "1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert "Install method: homebrew" in version.stdout.splitlines()
    assert "Upgrade: brew upgrade archon" in version.stdout.splitlines()
    shipped = frozen_archon.folder / "completions"
    installed = {
        "etc/bash_completion.d/archon": "archon.bash",
        "share/zsh/site-functions/_archon": "_archon",
        "share/fish/vendor_completions.d/archon.fish": "archon.fish",
    }
    for path, name in installed.items():
        assert (prefix / path).read_bytes() == (shipped / name).read_bytes(), path
    assert "complete -o default -F _archon_completion archon" in (prefix / "etc/bash_completion.d/archon").read_text()
    assert list((prefix / "libexec" / "completions").iterdir()) == []  # moved out; brew's cleaner prunes it
    assert list(stage.iterdir()) == []  # all went to libexec, and archon never ran there (no .archon-home)
