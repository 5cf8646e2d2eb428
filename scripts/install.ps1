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

# The counterpart of install.sh's refusal of root with someone else's HOME (sudo -E): an elevated administrator (or
# SYSTEM) whose home folder belongs to another user account would install into, and remove from, a folder that
# user controls, with administrator rights. Only an owner that is another *user account* is refused: a profile
# folder owned by SYSTEM or by the Administrators group is normal.
function Test-HomeOwner {
    if ([Environment]::OSVersion.Platform -ne [PlatformID]::Win32NT) { return }
    $me = [Security.Principal.WindowsIdentity]::GetCurrent()
    $elevated = (New-Object Security.Principal.WindowsPrincipal $me).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
    if (-not $elevated -and -not $me.IsSystem) { return }
    $acl = Get-Acl -LiteralPath $HOME -ErrorAction SilentlyContinue
    if ($null -eq $acl) { return }
    $owner = $acl.GetOwner([Security.Principal.SecurityIdentifier])
    if ($null -ne $owner.AccountDomainSid -and $owner -ne $me.User) {
        Fail "you are running as an administrator, but your home folder ($HOME) belongs to another user ($owner): refusing to install into someone else's home" 'Run the installer as that user, in a PowerShell that is not elevated (it never needs administrator rights).'
    }
}

# Deletes PATH and everything in it, never following a junction or link inside it (Windows PowerShell 5.1's
# Remove-Item -Recurse deletes what a junction points to): a junction or link is removed, not its target.
function Remove-Tree([string]$Path) {
    $item = Get-Item -LiteralPath $Path -Force -ErrorAction SilentlyContinue
    if ($null -eq $item) { return }
    if ($item.PSIsContainer -and (Test-ReparsePoint $item)) { [IO.Directory]::Delete($Path); return }
    if ($item.PSIsContainer) {
        foreach ($child in @(Get-ChildItem -LiteralPath $Path -Force)) { Remove-Tree $child.FullName }
    }
    Remove-Item -LiteralPath $Path -Force
}

function Get-Layout {
    Test-HomeOwner
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

function Test-ReparsePoint($Item) { return [bool]($Item.Attributes -band [IO.FileAttributes]::ReparsePoint) }

function Test-SamePath([string]$A, [string]$B) {
    return [string]::Equals($A.TrimEnd('\'), $B.TrimEnd('\'), [StringComparison]::OrdinalIgnoreCase)
}

# The folders New-Folders may create for the versions folder (it and its parents, not the drive's root): the only
# values a receipt's created= may hold.
function Get-CreatableFolders($Layout) {
    $folders = @()
    $probe = $Layout.Versions
    while ($probe -and ([IO.Path]::GetPathRoot($probe) -ne $probe)) {
        $folders += $probe
        $probe = Split-Path -Parent $probe
    }
    return $folders
}

# The receipt in FOLDER, as this installer wrote it for VERSION, every value it will use checked: exactly one
# channel=curl, exactly one version=VERSION, at most one path_added= (0 or 1), created= only folders this installer
# could have made. Other keys are ignored and never copied. Returns @{ created; path_added }, or $null with the
# reason in $script:ReceiptProblem.
function Read-OwnReceipt([string]$Folder, [string]$Version, $Layout) {
    $path = Join-Path $Folder $ReceiptName
    $script:ReceiptProblem = "$path is not a receipt this installer wrote"
    $item = Get-Item -LiteralPath $path -Force -ErrorAction SilentlyContinue
    if ($null -eq $item -or $item.PSIsContainer -or (Test-ReparsePoint $item)) {
        $script:ReceiptProblem = "$path is missing or not a regular file"
        return $null
    }
    if ($item.Length -gt 16384) { return $null }
    $creatable = Get-CreatableFolders $Layout
    $values = @{ created = @(); path_added = '0' }
    $counts = @{ channel = 0; version = 0; path_added = 0 }
    foreach ($line in [IO.File]::ReadAllLines($path)) {
        if ($line -eq '' -or $line.StartsWith('#')) { continue }
        if (-not ($line -cmatch '^([a-z_]+)=(.*)$')) { return $null }
        $key = $Matches[1]
        $value = $Matches[2]
        switch -CaseSensitive ($key) {
            'channel' { if ($value -cne 'curl') { return $null }; $counts['channel'] += 1 }
            'version' { if ($value -cne $Version) { return $null }; $counts['version'] += 1 }
            'path_added' { if ($value -notin @('0', '1')) { return $null }; $values.path_added = $value; $counts['path_added'] += 1 }
            'created' {
                if (-not @($creatable | Where-Object { Test-SamePath $_ $value })) { return $null }
                $values.created += $value
            }
            default { }  # a key this installer does not read (a later installer's): ignored, never copied
        }
    }
    if ($counts.channel -ne 1 -or $counts.version -ne 1 -or $counts.path_added -gt 1) { return $null }
    $script:ReceiptProblem = ''
    return $values
}

# The version the junction `current` points to, when it is a junction whose target is exactly <versions>\<version>,
# <version> named as this installer names folders; else $null.
function Get-JunctionVersion($Layout) {
    $current = Get-Item -LiteralPath $Layout.Current -Force -ErrorAction SilentlyContinue
    if ($null -eq $current -or -not (Test-ReparsePoint $current)) { return $null }
    $target = @($current.Target) | Select-Object -First 1
    if (-not $target) { return $null }
    $target = [IO.Path]::GetFullPath(($target -replace '^\\\\\?\\', '')).TrimEnd('\')
    $name = Split-Path -Leaf $target
    if (-not (Test-NormalVersion $name) -or -not (Test-SamePath (Split-Path -Parent $target) $Layout.Versions)) { return $null }
    return $name
}

# The version folder the junction `current` points to, when it is this installer's: a junction whose target is
# exactly one folder of the versions folder, named as this installer names them (a PEP 440 normal form: no '..',
# no '\'), itself no junction or link, holding a receipt Read-OwnReceipt accepts. Sets $script:Previous (the
# folder) and $script:PreviousReceipt, or $script:NotOurs (why `current` is not this installer's; empty when there
# is no `current` at all).
function Find-Previous($Layout) {
    $script:Previous = $null
    $script:PreviousReceipt = $null
    $script:NotOurs = ''
    if ($null -eq (Get-Item -LiteralPath $Layout.Current -Force -ErrorAction SilentlyContinue)) { return }
    $script:NotOurs = "it is not a junction to a version folder of $($Layout.Versions)"
    $name = Get-JunctionVersion $Layout
    if (-not $name) { return }
    $folder = Join-Path $Layout.Versions $name
    $item = Get-Item -LiteralPath $folder -Force -ErrorAction SilentlyContinue
    if ($null -eq $item -or -not $item.PSIsContainer -or (Test-ReparsePoint $item)) { return }
    $receipt = Read-OwnReceipt $folder $name $Layout
    if ($null -eq $receipt) { $script:NotOurs = $script:ReceiptProblem; return }
    $script:NotOurs = ''
    $script:Previous = $folder
    $script:PreviousReceipt = $receipt
}

function Stop-IfNotOurs($Layout) {
    if ($script:NotOurs) {
        Fail "$($Layout.Current) already exists and was not installed by this installer: $($script:NotOurs)" 'Remove it first, or choose another folder with ARCHON_INSTALL_DIR=...'
    }
}

function Remove-Junction([string]$Path) {
    # Only the link: Remove-Item -Recurse on a junction would delete what it points to in Windows PowerShell 5.1.
    [IO.Directory]::Delete($Path)
}

# --- downloading and checking ----------------------------------------------------------------------------------

# https://host[:port][/path], or http:// on loopback (127.0.0.1, localhost, [::1]) for tests. Nothing else: no user
# name or password (the request would go to what follows the '@'), no query, no fragment, no character a URL parser
# could read two ways; and System.Uri, which Invoke-WebRequest uses, must read the same host.
function Test-BaseUrl([string]$Url) {
    if ($Url.Contains('@')) { Fail "ARCHON_INSTALL_BASE_URL must not hold a user name or password (user@host): $Url" }
    $label = '[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?'
    $tail = '(:[0-9]{1,5})?(/[A-Za-z0-9._~%+/-]*)?$'
    $https = $Url -cmatch "^https://($label(\.$label)*|\[[0-9A-Fa-f:.]+\])$tail"
    $http = $Url -cmatch "^http://(127\.0\.0\.1|localhost|\[::1\])$tail"
    $uri = $null
    $parsed = [Uri]::TryCreate($Url, [UriKind]::Absolute, [ref]$uri)
    if (($https -or $http) -and $parsed -and -not $uri.UserInfo -and -not $uri.Query -and -not $uri.Fragment -and
        ($https -or $uri.IsLoopback)) { return }
    Fail "ARCHON_INSTALL_BASE_URL must be an https:// URL (plain http:// only on loopback, for tests), with a host and no user, query or fragment: $Url"
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

function Test-Version([string]$Version) { return $Version -cmatch '^[0-9][0-9A-Za-z.+-]*$' }

# A version in the PEP 440 normal form archon's releases carry (1.4.0, 1.4.0rc1, 1.4.0.post1, 1.4.0.dev2): the only
# names this installer gives version folders, and the only version= its receipts hold. No '\', no '..'.
function Test-NormalVersion([string]$Version) {
    $n = '(0|[1-9][0-9]*)'
    return $Version.Length -le 64 -and $Version -cmatch "^$n(\.$n)*((a|b|rc)$n)?(\.post$n)?(\.dev$n)?$"
}

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
    Find-Previous $layout
    Stop-IfNotOurs $layout
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
    if (-not (Test-NormalVersion $version)) { Fail "the downloaded archon reports an unexpected version: $version" }
    if ($wanted -and $version -ne $wanted) { Fail "asked for archon $wanted, but the download is archon ${version}: refusing to install it" }
    Step "unpacked; it runs: archon $version (checked with telemetry off, in a throwaway home)"

    Find-Previous $layout  # again: what is there now is what the switch replaces
    Stop-IfNotOurs $layout
    $previous = $script:Previous
    $created = @()
    $pathAdded = $false
    if ($previous) {  # only values Read-OwnReceipt checked are carried into the new receipt
        $created = @($script:PreviousReceipt.created)
        $pathAdded = $script:PreviousReceipt.path_added -eq '1'
    }
    $created += @(New-Folders $layout.Versions)
    foreach ($stale in Get-ChildItem -LiteralPath $layout.Versions -Directory -Force) {
        if ($stale.Name -notlike '.incoming-*' -and $stale.Name -notlike '.old-*') { continue }
        # Left by an installer that was stopped. A junction or link is removed, never what it points to.
        Remove-Tree $stale.FullName
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
        Remove-Tree $previous
        Say "upgraded: archon $(Split-Path -Leaf $previous) -> $version, in $dest"
    } else {
        Say "installed archon $version in $dest"
    }
    Remove-Tree $aside
    Say "$($layout.Current) -> $dest"
    if ($pathAdded) { Say "$($layout.Current) is on your user PATH; open a new terminal to use archon." }
    elseif ($env:ARCHON_NO_MODIFY_PATH -eq '1') { Say "PATH left alone (ARCHON_NO_MODIFY_PATH=1): run $($layout.Current)\archon.exe" }
    Say "Run 'archon version' to check it."
}

# --- uninstall -------------------------------------------------------------------------------------------------

function Uninstall-Archon {
    $layout = Get-Layout
    Find-Previous $layout
    $receipt = $script:PreviousReceipt
    $ours = @()
    if (Test-Path -LiteralPath $layout.Versions) {
        foreach ($dir in Get-ChildItem -LiteralPath $layout.Versions -Directory -Force) {
            if (Test-ReparsePoint $dir) { continue }  # never ours: the installer makes folders, not links
            $name = $dir.Name -replace '^\.(incoming|old)-(.*)\.[0-9]+$', '$2'
            $checked = Read-OwnReceipt $dir.FullName $name $layout
            if ($null -eq $checked) { Say "left $($dir.FullName) alone: $($script:ReceiptProblem)"; continue }
            $ours += $dir.FullName
            if ($null -eq $receipt) { $receipt = $checked }
        }
    }
    if (-not $script:Previous -and $ours.Count -eq 0) {
        Say "archon installer: nothing to uninstall: no archon installed by this installer in $($layout.InstallDir)"
        return
    }
    if (Get-JunctionVersion $layout) { Remove-Junction $layout.Current; Say "removed $($layout.Current)" }
    foreach ($dir in $ours) { Remove-Tree $dir; Say "removed $dir" }
    if ($receipt.path_added -eq '1') { Remove-FromUserPath $layout.Current; Say "removed $($layout.Current) from your user PATH" }
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
    if ($script:Stage) { Remove-Tree $script:Stage }
    if ($script:Work -and (Test-Path -LiteralPath $script:Work)) { Remove-Item -LiteralPath $script:Work -Recurse -Force }
}
if ($failed) {
    if ($PSCommandPath) { exit 1 }  # run as a file; under `irm | iex`, exit would close the user's window
}
