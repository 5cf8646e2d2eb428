# archon installer for Windows (x86_64; Windows on Arm runs that build under emulation), attached to every release:
#
#   powershell -ExecutionPolicy ByPass -c "irm https://github.com/archon-cli/archon/releases/latest/download/install.ps1 | iex"
#   & ([scriptblock]::Create((irm https://github.com/archon-cli/archon/releases/latest/download/install.ps1))) -Uninstall
#
# The contract of scripts/install.sh, on Windows: it downloads archon-windows-x86_64.zip and SHA256SUMS, checks the
# archive's checksum BEFORE unpacking it (and its build provenance with `gh attestation verify` when the GitHub CLI
# is installed and logged in, else it says it skipped that), checks that the unpacked archon runs (with every
# telemetry opt-out, in a throwaway home), installs it into a versioned folder and switches the junction
# `current` to it. Anything that fails before that switch leaves the installed version as it was. Never needs
# administrator rights and sends nothing itself. It writes the same receipt (channel=curl) beside archon.exe, so
# `archon version` says `Install method: curl`; -Uninstall removes what it installed and nothing else.
#
# Windows has no symbolic links without administrator rights or developer mode, so instead of a link in
# ARCHON_BIN_DIR, the stable folder `<install dir>\current` (a junction, which needs no rights) goes on your user
# PATH, once; the switch renames the new junction over the old one in two renames, and puts the old one back if
# the second fails.
#
# Environment: ARCHON_VERSION, ARCHON_INSTALL_BASE_URL, ARCHON_INSTALL_DIR (default ~\.archon\install),
# ARCHON_INSTALL_ATTESTATION (auto|require|skip), as for install.sh; ARCHON_NO_MODIFY_PATH=1 leaves PATH alone.
param(
    [switch]$Uninstall,
    [switch]$Help
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'  # Invoke-WebRequest's progress bar makes Windows PowerShell 5.1 slow

$Repo = 'archon-cli/archon'
$GitHubReleases = "https://github.com/$Repo/releases"
$ReceiptName = 'install-receipt'
$script:Reported = $false
$script:Work = $null
$script:Stage = $null

function Say([string]$Message) { [Console]::Error.WriteLine($Message) }
function Step([string]$Message) { [Console]::Error.WriteLine("  $Message") }
function Fail([string]$Message, [string]$Hint = '') {
    [Console]::Error.WriteLine("archon installer: error: $Message")
    if ($Hint) { [Console]::Error.WriteLine("  $Hint") }
    $script:Reported = $true
    throw $Message
}

# --- where things go -------------------------------------------------------------------------------------------

function Get-Layout {
    $dir = $env:ARCHON_INSTALL_DIR
    if (-not $dir) { $dir = Join-Path $HOME '.archon\install' }
    $dir = [IO.Path]::GetFullPath($dir).TrimEnd('\')
    [pscustomobject]@{
        InstallDir = $dir
        Versions   = Join-Path $dir 'versions'
        Current    = Join-Path $dir 'current'
    }
}

# New-Item -ItemType Directory for DIR and its missing parents, outermost first; returns those it created.
function New-Folders([string]$Dir) {
    $missing = @()
    $probe = $Dir
    while ($probe -and -not (Test-Path -LiteralPath $probe)) {
        $missing = @($probe) + $missing
        $probe = Split-Path -Parent $probe
    }
    foreach ($folder in $missing) { New-Item -ItemType Directory -Path $folder | Out-Null }
    return $missing
}

function Read-Receipt([string]$Path) {
    $values = @{ created = @() }
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { return $null }
    foreach ($line in Get-Content -LiteralPath $Path) {
        if ($line -match '^([a-z_]+)=(.*)$') {
            if ($Matches[1] -eq 'created') { $values.created += $Matches[2] } else { $values[$Matches[1]] = $Matches[2] }
        }
    }
    return $values
}

# The version folder `current` points at, if it is this installer's (its receipt says curl); else $null.
function Get-CurrentVersionDir($Layout) {
    if (-not (Test-Path -LiteralPath $Layout.Current)) { return $null }
    $receipt = Read-Receipt (Join-Path $Layout.Current $ReceiptName)
    if ($null -eq $receipt -or $receipt['channel'] -ne 'curl' -or -not $receipt['version']) { return $null }
    return Join-Path $Layout.Versions $receipt['version']
}

function Remove-Junction([string]$Path) {
    # Only the link: Remove-Item -Recurse on a junction would delete what it points to in Windows PowerShell 5.1.
    [IO.Directory]::Delete($Path)
}

# --- downloading and checking ----------------------------------------------------------------------------------

function Test-BaseUrl([string]$Url) {
    if ($Url -match '^https://') { return }
    if ($Url -match '^http://(127\.0\.0\.1|localhost|\[::1\])([:/]|$)') { return }
    Fail "ARCHON_INSTALL_BASE_URL must be an https:// URL (plain http:// only on loopback, for tests): $Url"
}

function Get-ReleaseUrl([string]$Wanted) {
    $base = $env:ARCHON_INSTALL_BASE_URL
    if ($base) {
        $base = $base.TrimEnd('/')
        Test-BaseUrl $base
        if ($Wanted) { return "$base/v$Wanted" }
        return "$base/latest"
    }
    if ($Wanted) { return "$GitHubReleases/download/v$Wanted" }
    return "$GitHubReleases/latest/download"
}

function Save-Url([string]$Url, [string]$File) {
    try {
        Invoke-WebRequest -Uri $Url -OutFile $File -UseBasicParsing
    } catch {
        Fail "could not download ${Url}: $($_.Exception.Message)"
    }
}

function Get-ExpectedDigest([string]$Sums, [string]$Name) {
    $found = @()
    foreach ($line in Get-Content -LiteralPath $Sums) {
        if ($line -match '^(\S+)\s+\*?(\S+)$' -and $Matches[2] -eq $Name) { $found += $Matches[1].ToLowerInvariant() }
    }
    if ($found.Count -eq 0) {
        Fail "SHA256SUMS has no entry for ${Name}: refusing to install an archive that cannot be checked (nothing was changed)"
    }
    if ($found.Count -gt 1) { Fail "SHA256SUMS has more than one entry for ${Name}: refusing to install (nothing was changed)" }
    if ($found[0] -notmatch '^[0-9a-f]{64}$') {
        Fail "SHA256SUMS's entry for $Name is not a SHA-256 digest: refusing to install (nothing was changed)"
    }
    return $found[0]
}

function Invoke-Native([string]$File, [string[]]$Arguments, [hashtable]$Environment = @{}) {
    $info = New-Object System.Diagnostics.ProcessStartInfo
    $info.FileName = $File
    $info.Arguments = ($Arguments | ForEach-Object { '"' + $_ + '"' }) -join ' '
    $info.UseShellExecute = $false
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    foreach ($key in $Environment.Keys) { $info.EnvironmentVariables[$key] = $Environment[$key] }
    $process = [System.Diagnostics.Process]::Start($info)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    $process.WaitForExit()
    [pscustomobject]@{ ExitCode = $process.ExitCode; Stdout = $stdout.Result; Stderr = $stderr.Result }
}

function Get-AttestationMode {
    $mode = $env:ARCHON_INSTALL_ATTESTATION
    if (-not $mode) { $mode = 'auto' }
    if ($mode -notin @('auto', 'require', 'skip')) {
        Fail "ARCHON_INSTALL_ATTESTATION must be auto, require or skip, not '$mode'"
    }
    return $mode
}

function Test-Provenance([string]$File, [string]$Name) {
    $mode = Get-AttestationMode
    if ($mode -eq 'skip') { Step 'provenance: not checked (ARCHON_INSTALL_ATTESTATION=skip)'; return }
    $gh = Get-Command gh -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    $why = ''
    if ($null -eq $gh) {
        $why = 'the GitHub CLI (gh) is not installed'
    } elseif ((Invoke-Native $gh.Source @('auth', 'status')).ExitCode -ne 0) {
        $why = 'the GitHub CLI (gh) is not logged in (gh auth login)'
    }
    if ($why) {
        if ($mode -eq 'require') { Fail "ARCHON_INSTALL_ATTESTATION=require, but ${why}: refusing to install (nothing was changed)" }
        Step "provenance: NOT checked: $why. The checksum above was checked; to check who built it too: gh attestation verify $Name --repo $Repo"
        return
    }
    $result = Invoke-Native $gh.Source @('attestation', 'verify', $File, '--repo', $Repo)
    if ($result.ExitCode -ne 0) {
        Say ($result.Stdout + $result.Stderr)
        Fail "gh attestation verify failed for ${Name}: refusing to install it (nothing was changed)"
    }
    Step "provenance: verified (gh attestation verify --repo $Repo)"
}

function Test-Version([string]$Version) { return $Version -match '^[0-9][0-9A-Za-z.+-]*$' }

# Runs an archon once, as a check, in a throwaway home with telemetry off every way there is; its version or $null.
function Get-ArchonVersion([string]$Exe) {
    $checkHome = Join-Path $script:Work 'check-home'
    New-Item -ItemType Directory -Force -Path $checkHome | Out-Null
    $result = Invoke-Native $Exe @('version') @{
        ARCHON_HOME = $checkHome; DO_NOT_TRACK = '1'; ARCHON_TELEMETRY = 'off'; ARCHON_TELEMETRY_DISABLED = '1'
        ARCHON_TELEMETRY_DEBUG = '0'
    }
    $script:CheckLog = $result.Stderr
    if ($result.ExitCode -ne 0) { return $null }
    $first = ($result.Stdout -split "`r?`n")[0]
    return ($first -replace '^archon ', '')
}

# --- install ---------------------------------------------------------------------------------------------------

function Get-Target {
    $arch = $env:PROCESSOR_ARCHITEW6432
    if (-not $arch) { $arch = $env:PROCESSOR_ARCHITECTURE }
    switch ($arch) {
        'AMD64' { return 'windows-x86_64' }
        'ARM64' { Step 'Windows on Arm: installing the x86_64 build, which Windows runs under emulation'; return 'windows-x86_64' }
        default { Fail "archon has no standalone binary for $arch; install the Python package instead: pipx install archon-cli" }
    }
}

function Add-ToUserPath([string]$Folder) {
    if ($env:ARCHON_NO_MODIFY_PATH -eq '1') { return $false }
    $path = [Environment]::GetEnvironmentVariable('Path', 'User')
    $entries = @(if ($path) { $path -split ';' | Where-Object { $_ } })
    if ($entries -contains $Folder) { return $false }
    [Environment]::SetEnvironmentVariable('Path', (@($Folder) + $entries) -join ';', 'User')
    $env:Path = "$Folder;$env:Path"
    return $true
}

function Remove-FromUserPath([string]$Folder) {
    $path = [Environment]::GetEnvironmentVariable('Path', 'User')
    if (-not $path) { return }
    $kept = @($path -split ';' | Where-Object { $_ -and $_ -ne $Folder })
    [Environment]::SetEnvironmentVariable('Path', $kept -join ';', 'User')
}

function Write-Receipt([string]$Folder, [string]$Version, [string]$Target, [bool]$PathAdded, [string[]]$Created) {
    $lines = @(
        "# Written by archon's install.ps1. archon reads only 'channel'; install.ps1 -Uninstall reads the rest.",
        'channel=curl',
        "version=$Version",
        "target=$Target",
        "path_added=$(if ($PathAdded) { '1' } else { '0' })"
    ) + @($Created | ForEach-Object { "created=$_" })
    [IO.File]::WriteAllLines((Join-Path $Folder $ReceiptName), [string[]]$lines)
}

function Install-Archon {
    $layout = Get-Layout
    $wanted = "$env:ARCHON_VERSION" -replace '^v', ''
    if ($wanted -and -not (Test-Version $wanted)) { Fail "ARCHON_VERSION is not a version: $env:ARCHON_VERSION" }
    $null = Get-AttestationMode
    $target = Get-Target
    $url = Get-ReleaseUrl $wanted
    $archive = "archon-$target.zip"
    $shown = if ($wanted) { $wanted } else { '(latest)' }
    Say "archon installer: archon $shown for $target, from $url/"

    $script:Work = Join-Path ([IO.Path]::GetTempPath()) ("archon-install-" + [Guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $script:Work | Out-Null
    $sums = Join-Path $script:Work 'SHA256SUMS'
    $zip = Join-Path $script:Work $archive
    Save-Url "$url/SHA256SUMS" $sums
    $expected = Get-ExpectedDigest $sums $archive
    Save-Url "$url/$archive" $zip
    Step "downloaded SHA256SUMS and $archive ($((Get-Item -LiteralPath $zip).Length) bytes)"
    $actual = (Get-FileHash -Algorithm SHA256 -LiteralPath $zip).Hash.ToLowerInvariant()
    if ($actual -ne $expected) {
        Fail "checksum mismatch for ${archive}: refusing to install it (nothing was changed)" "SHA256SUMS says $expected, the download is $actual"
    }
    Step "checksum: OK (sha256 $actual)"
    Test-Provenance $zip $archive

    $unpacked = Join-Path $script:Work 'unpacked'
    Expand-Archive -LiteralPath $zip -DestinationPath $unpacked
    $bundle = Join-Path $unpacked "archon-$target"
    if (-not (Test-Path -LiteralPath (Join-Path $bundle 'archon.exe') -PathType Leaf)) { Fail "$archive does not hold archon-$target\archon.exe" }
    $version = Get-ArchonVersion (Join-Path $bundle 'archon.exe')
    if ($null -eq $version) {
        Say $script:CheckLog
        Fail 'the downloaded archon does not run on this system: nothing was changed' 'Install the Python package instead: pipx install archon-cli'
    }
    if (-not (Test-Version $version)) { Fail "the downloaded archon reports an unexpected version: $version" }
    if ($wanted -and $version -ne $wanted) { Fail "asked for archon $wanted, but the download is archon ${version}: refusing to install it" }
    Step "unpacked; it runs: archon $version (checked with telemetry off, in a throwaway home)"

    $previous = Get-CurrentVersionDir $layout
    $created = @()
    $pathAdded = $false
    if ($previous) {
        $old = Read-Receipt (Join-Path $previous $ReceiptName)
        $created = @($old.created)
        $pathAdded = $old['path_added'] -eq '1'
    }
    $created += @(New-Folders $layout.Versions)
    foreach ($stale in Get-ChildItem -LiteralPath $layout.Versions -Directory -Force -Filter '.*') {
        Remove-Item -LiteralPath $stale.FullName -Recurse -Force  # left by an installer that was stopped
    }
    $dest = Join-Path $layout.Versions $version
    if ($previous -eq $dest -and (Get-ArchonVersion (Join-Path $dest 'archon.exe')) -eq $version) {
        Say "archon $version is already installed at $dest; nothing to change."
        return
    }
    $script:Stage = Join-Path $layout.Versions ".incoming-$version.$PID"
    Copy-Item -LiteralPath $bundle -Destination $script:Stage -Recurse
    $pathAdded = (Add-ToUserPath $layout.Current) -or $pathAdded
    Write-Receipt $script:Stage $version $target $pathAdded $created
    $aside = Join-Path $layout.Versions ".old-$version.$PID"
    if (Test-Path -LiteralPath $dest) { Move-Item -LiteralPath $dest -Destination $aside }
    Move-Item -LiteralPath $script:Stage -Destination $dest
    $script:Stage = $null

    # The switch: a new junction, renamed over the old one; the old one is put back if the second rename fails.
    $newLink = Join-Path $layout.InstallDir "current.new.$PID"
    $oldLink = Join-Path $layout.InstallDir "current.old.$PID"
    New-Item -ItemType Junction -Path $newLink -Target $dest | Out-Null
    if (Test-Path -LiteralPath $layout.Current) { Move-Item -LiteralPath $layout.Current -Destination $oldLink }
    try {
        Move-Item -LiteralPath $newLink -Destination $layout.Current
    } catch {
        if (Test-Path -LiteralPath $oldLink) { Move-Item -LiteralPath $oldLink -Destination $layout.Current }
        Remove-Junction $newLink
        Fail "could not switch $($layout.Current) to archon ${version}: the installed version is unchanged"
    }
    if (Test-Path -LiteralPath $oldLink) { Remove-Junction $oldLink }
    if ($previous -and $previous -ne $dest -and (Test-Path -LiteralPath $previous)) {
        Remove-Item -LiteralPath $previous -Recurse -Force
        Say "upgraded: archon $(Split-Path -Leaf $previous) -> $version, in $dest"
    } else {
        Say "installed archon $version in $dest"
    }
    if (Test-Path -LiteralPath $aside) { Remove-Item -LiteralPath $aside -Recurse -Force }
    Say "$($layout.Current) -> $dest"
    if ($pathAdded) { Say "$($layout.Current) is on your user PATH; open a new terminal to use archon." }
    elseif ($env:ARCHON_NO_MODIFY_PATH -eq '1') { Say "PATH left alone (ARCHON_NO_MODIFY_PATH=1): run $($layout.Current)\archon.exe" }
    Say "Run 'archon version' to check it."
}

# --- uninstall -------------------------------------------------------------------------------------------------

function Uninstall-Archon {
    $layout = Get-Layout
    $current = Get-CurrentVersionDir $layout
    $ours = @()
    if (Test-Path -LiteralPath $layout.Versions) {
        foreach ($dir in Get-ChildItem -LiteralPath $layout.Versions -Directory -Force) {
            $receipt = Read-Receipt (Join-Path $dir.FullName $ReceiptName)
            if ($null -ne $receipt -and $receipt['channel'] -eq 'curl') { $ours += $dir.FullName }
        }
    }
    if (-not $current -and $ours.Count -eq 0) {
        Say "archon installer: nothing to uninstall: no archon installed by this installer in $($layout.InstallDir)"
        return
    }
    $receipt = $null
    if ($current) { $receipt = Read-Receipt (Join-Path $current $ReceiptName) }
    if ($null -eq $receipt) { $receipt = Read-Receipt (Join-Path $ours[0] $ReceiptName) }
    if (Test-Path -LiteralPath $layout.Current) { Remove-Junction $layout.Current; Say "removed $($layout.Current)" }
    foreach ($dir in $ours) { Remove-Item -LiteralPath $dir -Recurse -Force; Say "removed $dir" }
    if ($receipt['path_added'] -eq '1') { Remove-FromUserPath $layout.Current; Say "removed $($layout.Current) from your user PATH" }
    $createdDirs = @($receipt.created)
    [array]::Reverse($createdDirs)  # innermost first
    foreach ($dir in @($layout.Versions, $layout.InstallDir) + $createdDirs) {
        if ($dir -and (Test-Path -LiteralPath $dir) -and -not (Get-ChildItem -LiteralPath $dir -Force)) {
            Remove-Item -LiteralPath $dir -Force
        }
    }
    $archonHome = Join-Path $HOME '.archon'
    if (Test-Path -LiteralPath $archonHome) {
        Say "kept ${archonHome}: it holds archon's own settings and telemetry files. Delete it to remove them too."
    }
    Say 'archon is uninstalled.'
}

if ($Help) {
    Say 'archon installer: install, upgrade or uninstall the archon standalone binary (see the comments at the top).'
    return
}
$failed = $false
try {
    if ($Uninstall) { Uninstall-Archon } else { Install-Archon }
} catch {
    $failed = $true
    if (-not $script:Reported) { [Console]::Error.WriteLine("archon installer: error: $($_.Exception.Message)") }
} finally {
    if ($script:Stage -and (Test-Path -LiteralPath $script:Stage)) { Remove-Item -LiteralPath $script:Stage -Recurse -Force }
    if ($script:Work -and (Test-Path -LiteralPath $script:Work)) { Remove-Item -LiteralPath $script:Work -Recurse -Force }
}
if ($failed) {
    if ($PSCommandPath) { exit 1 }  # run as a file; under `irm | iex`, exit would close the user's window
}
