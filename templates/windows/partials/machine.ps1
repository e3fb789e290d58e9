# Machine access: file system paths, registry, identity and ACLs.
# CCFLEET_FAKE_ROOT is the test seam. When it is set (only ccfleet's test suite sets it), Windows
# paths map into that folder (C:\Users\a becomes <root>/C/Users/a), the registry is the JSON file
# <root>/registry.json, the identity comes from CCFLEET_FAKE_SID and CCFLEET_FAKE_ADMIN, and ACL
# changes are appended to <root>/acl.log. When it is not set, every function below uses the real
# Windows API and the fake branches never run. The seam works only under pwsh on Linux or macOS,
# where the script could change nothing real: on Windows the variable is ignored, so a stray one
# never turns an install into a silent no-op.
$script:CcfFakeRoot = $null
if ($PSVersionTable['Platform'] -eq 'Unix') { $script:CcfFakeRoot = [Environment]::GetEnvironmentVariable('CCFLEET_FAKE_ROOT') }
$script:CcfUtf8 = New-Object Text.UTF8Encoding -ArgumentList $false
if ($script:CcfFakeRoot) {
    # pwsh on Linux has none of these; a test may still set its own.
    if (-not $env:ProgramData) { $env:ProgramData = 'C:\ProgramData' }
    if (-not $env:ProgramW6432) { $env:ProgramW6432 = 'C:\Program Files' }
    if (-not $env:SystemDrive) { $env:SystemDrive = 'C:' }
}

function Resolve-CcfPath {
    param([string]$Path)
    if (-not $script:CcfFakeRoot) { return $Path }
    $relative = $Path -replace '^([A-Za-z]):\\', '$1\' -replace '\\', '/'
    return [IO.Path]::Combine($script:CcfFakeRoot, $relative)
}

function Join-CcfPath {
    param([string]$Parent, [string]$Child)
    return $Parent.TrimEnd('\') + '\' + $Child
}

function Split-CcfParent {
    param([string]$Path)
    return $Path.Substring(0, $Path.LastIndexOf('\'))
}

function Test-CcfFile {
    param([string]$Path)
    return [IO.File]::Exists((Resolve-CcfPath $Path))
}

function Test-CcfFolder {
    param([string]$Path)
    return [IO.Directory]::Exists((Resolve-CcfPath $Path))
}

function Read-CcfBytes {
    param([string]$Path)
    $real = Resolve-CcfPath $Path
    if (-not [IO.File]::Exists($real)) { return $null }
    return , [IO.File]::ReadAllBytes($real)
}

function Get-CcfSha256 {
    param([byte[]]$Bytes)
    $sha = [Security.Cryptography.SHA256]::Create()
    try { return (($sha.ComputeHash($Bytes) | ForEach-Object { $_.ToString('x2') }) -join '') }
    finally { $sha.Dispose() }
}

function Get-CcfTimestamp {
    return [DateTime]::UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", [Globalization.CultureInfo]::InvariantCulture)
}

# Creates the folder and any missing parents; returns the folders it created (outermost first).
function New-CcfFolder {
    param([string]$Path)
    $created = @()
    $current = $Path
    $missing = @()
    while ($current.Contains('\') -and -not (Test-CcfFolder $current)) {
        $missing = @($current) + $missing
        $current = Split-CcfParent $current
    }
    foreach ($folder in $missing) {
        [void][IO.Directory]::CreateDirectory((Resolve-CcfPath $folder))
        $created += $folder
    }
    return , $created
}

# Writes bytes to a temporary file in the target's folder and moves it over the target, so a
# reader sees the old or the new file, never a mix. File.Replace keeps the target's ACL.
function Write-CcfFileAtomic {
    param([string]$Path, [byte[]]$Bytes)
    $real = Resolve-CcfPath $Path
    $item = Get-Item -LiteralPath $real -Force -ErrorAction SilentlyContinue
    if ($null -ne $item -and $item.LinkType -eq 'SymbolicLink') {
        $target = @($item.Target)[0]
        if (-not [IO.Path]::IsPathRooted($target)) { $target = [IO.Path]::Combine([IO.Path]::GetDirectoryName($real), $target) }
        $real = $target
    }
    $folder = [IO.Path]::GetDirectoryName($real)
    $temporary = [IO.Path]::Combine($folder, '.' + [IO.Path]::GetFileName($real) + '.ccfleet-tmp-' + [Guid]::NewGuid().ToString('N'))
    [IO.File]::WriteAllBytes($temporary, $Bytes)
    try {
        if ([IO.File]::Exists($real)) { [IO.File]::Replace($temporary, $real, [NullString]::Value) }
        else { [IO.File]::Move($temporary, $real) }
    }
    catch {
        [IO.File]::Delete($temporary)
        throw
    }
}

# Copies the file to <file>.ccfleet-backup-<UTC time> before it changes; returns the backup path.
function Backup-CcfFile {
    param([string]$Path)
    $backup = $Path + '.ccfleet-backup-' + (Get-CcfTimestamp)
    $candidate = $backup
    $suffix = 1
    while (Test-CcfFile $candidate) { $suffix++; $candidate = $backup + '-' + $suffix }
    [IO.File]::Copy((Resolve-CcfPath $Path), (Resolve-CcfPath $candidate))
    return $candidate
}

function Remove-CcfFile {
    param([string]$Path)
    $real = Resolve-CcfPath $Path
    if ([IO.File]::Exists($real)) { [IO.File]::Delete($real); return $true }
    return $false
}

function Get-CcfJsonFileNames {
    param([string]$Folder)
    if (-not (Test-CcfFolder $Folder)) { return , @() }
    $names = @([IO.Directory]::GetFiles((Resolve-CcfPath $Folder), '*.json') | ForEach-Object { [IO.Path]::GetFileName($_) } | Sort-Object)
    return , $names
}

# Registry access by full key name, for example HKEY_LOCAL_MACHINE\SOFTWARE\Policies\ClaudeCode.
function Read-CcfFakeRegistry {
    $file = [IO.Path]::Combine($script:CcfFakeRoot, 'registry.json')
    if (-not [IO.File]::Exists($file)) { return (New-Object PSObject) }
    return ([IO.File]::ReadAllText($file) | ConvertFrom-Json)
}

function Save-CcfFakeRegistry {
    param($Registry)
    $file = [IO.Path]::Combine($script:CcfFakeRoot, 'registry.json')
    [IO.File]::WriteAllText($file, ($Registry | ConvertTo-Json -Depth 5), $script:CcfUtf8)
}

function Test-CcfRegistryKey {
    param([string]$Key)
    if ($script:CcfFakeRoot) { return ($null -ne (Read-CcfFakeRegistry).PSObject.Properties[$Key]) }
    return (Test-Path -LiteralPath ('Registry::' + $Key))
}

function Get-CcfRegistryValue {
    param([string]$Key, [string]$Name)
    if ($script:CcfFakeRoot) {
        $entry = (Read-CcfFakeRegistry).PSObject.Properties[$Key]
        if ($null -eq $entry -or $null -eq $entry.Value.PSObject.Properties[$Name]) { return $null }
        return [string]$entry.Value.PSObject.Properties[$Name].Value
    }
    $item = Get-ItemProperty -LiteralPath ('Registry::' + $Key) -Name $Name -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    return [string]$item.$Name
}

function Get-CcfRegistrySubKeyNames {
    param([string]$Key)
    if ($script:CcfFakeRoot) {
        $prefix = $Key + '\'
        $names = @((Read-CcfFakeRegistry).PSObject.Properties | Where-Object { $_.Name.StartsWith($prefix) -and -not $_.Name.Substring($prefix.Length).Contains('\') } | ForEach-Object { $_.Name.Substring($prefix.Length) })
        return , $names
    }
    if (-not (Test-Path -LiteralPath ('Registry::' + $Key))) { return , @() }
    return , @(Get-ChildItem -LiteralPath ('Registry::' + $Key) | ForEach-Object { $_.PSChildName })
}

# Writes a REG_SZ value, creating the key when needed.
function Set-CcfRegistryValue {
    param([string]$Key, [string]$Name, [string]$Value)
    if ($script:CcfFakeRoot) {
        $registry = Read-CcfFakeRegistry
        if ($null -eq $registry.PSObject.Properties[$Key]) { $registry | Add-Member -NotePropertyName $Key -NotePropertyValue (New-Object PSObject) }
        $entry = $registry.PSObject.Properties[$Key].Value
        if ($null -eq $entry.PSObject.Properties[$Name]) { $entry | Add-Member -NotePropertyName $Name -NotePropertyValue $Value }
        else { $entry.PSObject.Properties[$Name].Value = $Value }
        Save-CcfFakeRegistry $registry
        return
    }
    $path = 'Registry::' + $Key
    if (-not (Test-Path -LiteralPath $path)) { [void](New-Item -Path $path -Force) }
    [void](New-ItemProperty -LiteralPath $path -Name $Name -Value $Value -PropertyType String -Force)
}

function Remove-CcfRegistryValue {
    param([string]$Key, [string]$Name)
    if ($script:CcfFakeRoot) {
        $registry = Read-CcfFakeRegistry
        $entry = $registry.PSObject.Properties[$Key]
        if ($null -ne $entry) { $entry.Value.PSObject.Properties.Remove($Name); Save-CcfFakeRegistry $registry }
        return
    }
    Remove-ItemProperty -LiteralPath ('Registry::' + $Key) -Name $Name -ErrorAction SilentlyContinue
}

# Who runs the script: SID, SYSTEM or not, administrator or not.
function Get-CcfIdentity {
    if ($script:CcfFakeRoot) {
        $sid = [Environment]::GetEnvironmentVariable('CCFLEET_FAKE_SID')
        $admin = [Environment]::GetEnvironmentVariable('CCFLEET_FAKE_ADMIN') -eq '1'
        return @{ Sid = $sid; IsSystem = ($sid -eq 'S-1-5-18'); IsAdmin = ($admin -or $sid -eq 'S-1-5-18') }
    }
    $current = [Security.Principal.WindowsIdentity]::GetCurrent()
    $principal = New-Object Security.Principal.WindowsPrincipal -ArgumentList $current
    $isAdmin = $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
    return @{ Sid = $current.User.Value; IsSystem = $current.IsSystem; IsAdmin = $isAdmin }
}

# Gives a file or folder in a user's profile to that user: owner and full control. Needed when
# SYSTEM creates them, because new files would otherwise belong to SYSTEM or Administrators.
function Set-CcfOwner {
    param([string]$Path, [string]$Sid)
    if ($script:CcfFakeRoot) {
        [IO.File]::AppendAllText([IO.Path]::Combine($script:CcfFakeRoot, 'acl.log'), $Path + "`t" + $Sid + "`n", $script:CcfUtf8)
        return
    }
    $output = & icacls.exe $Path /setowner ('*' + $Sid) /Q 2>&1
    if ($LASTEXITCODE -ne 0) { throw ('icacls /setowner failed for ' + $Path + ': ' + ($output -join ' ')) }
    $output = & icacls.exe $Path /grant ('*' + $Sid + ':(F)') /Q 2>&1
    if ($LASTEXITCODE -ne 0) { throw ('icacls /grant failed for ' + $Path + ': ' + ($output -join ' ')) }
}

# Log file under %ProgramData%\ccfleet\logs, kept below about 1 MB by rotating once.
function Initialize-CcfLog {
    param([string]$Name)
    $folder = Join-CcfPath $env:ProgramData 'ccfleet\logs'
    [void](New-CcfFolder $folder)
    $script:CcfLogPath = Join-CcfPath $folder ($Name + '.log')
    $real = Resolve-CcfPath $script:CcfLogPath
    if ([IO.File]::Exists($real) -and (New-Object IO.FileInfo -ArgumentList $real).Length -gt 1MB) {
        $old = $real + '.1'
        if ([IO.File]::Exists($old)) { [IO.File]::Delete($old) }
        [IO.File]::Move($real, $old)
    }
}

function Write-CcfLog {
    param([string]$Level, [string]$Message)
    if (-not $script:CcfLogPath) { return }
    $line = [DateTime]::UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", [Globalization.CultureInfo]::InvariantCulture) + ' ' + $Level + ' [' + $script:CcfAction + '] ' + $Message + "`r`n"
    [IO.File]::AppendAllText((Resolve-CcfPath $script:CcfLogPath), $line, $script:CcfUtf8)
}
