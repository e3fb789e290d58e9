# Install, detect, remediate and uninstall. The rendered script sets the $Ccf* values above this
# part; every script runs the same code with a different action.

# The apiKeyHelper command for a helper path. It must equal apiKeyHelperCommand('windows', path)
# in ccfleet's TypeScript (src/platform/facts.ts); the script checks that at start for the system
# path, whose command was computed at build time, and the test suite checks it for other paths.
function New-CcfHelperCommand {
    param([string]$Path)
    if ($Path.Contains('"')) { throw ('the helper path contains a double quote: ' + $Path) }
    return 'powershell -NoProfile -ExecutionPolicy Bypass -File "' + $Path + '"'
}

function New-CcfRun {
    param([string]$Action, [bool]$Force)
    return @{ Action = $Action; Force = $Force; Changed = 0; Unchanged = 0; Drift = 0; Failed = 0; Targets = 0; Problems = (New-Object Collections.Generic.List[string]) }
}

function Add-CcfProblem {
    param($Run, [string]$Kind, [string]$Message)
    if ($Kind -eq 'failed') { $Run.Failed++ } else { $Run.Drift++ }
    $Run.Problems.Add($Message)
    $level = 'ERROR'
    if ($Kind -ne 'failed') { $level = 'DRIFT' }
    Write-CcfLog $level $Message
}

function Add-CcfOutcome {
    param($Run, [bool]$Changed, [string]$Message)
    if ($Changed) { $Run.Changed++ } else { $Run.Unchanged++ }
    Write-CcfLog 'INFO' $Message
}

# Real user profiles from the ProfileList key: local and domain accounts (S-1-5-21-...) and
# Microsoft Entra ID accounts (S-1-12-1-...). SYSTEM, LOCAL SERVICE and NETWORK SERVICE
# (S-1-5-18, -19, -20), Default, Public, temporary (.bak) profiles and profiles whose folder is
# gone are skipped.
function Get-CcfProfiles {
    $listKey = 'HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList'
    $profiles = @()
    foreach ($sid in (Get-CcfRegistrySubKeyNames $listKey)) {
        if ($sid -notmatch '^S-1-(5-21|12-1)-[0-9-]+$') { continue }
        $imagePath = Get-CcfRegistryValue ($listKey + '\' + $sid) 'ProfileImagePath'
        if (-not $imagePath) { continue }
        $folder = [Environment]::ExpandEnvironmentVariables($imagePath).TrimEnd('\')
        $leaf = $folder.Substring($folder.LastIndexOf('\') + 1)
        if (@('Default', 'Default User', 'Public', 'All Users') -contains $leaf) { continue }
        if (-not (Test-CcfFolder $folder)) {
            Write-CcfLog 'INFO' ('skipped profile ' + $sid + ': folder ' + $folder + ' does not exist')
            continue
        }
        $profiles += , @{ Sid = $sid; Folder = $folder; Name = $leaf }
    }
    return , $profiles
}

function Get-CcfUserTargets {
    param($Identity)
    $profiles = @()
    if ($Identity.IsSystem) { $profiles = Get-CcfProfiles }
    else {
        $folder = $env:USERPROFILE.TrimEnd('\')
        $profiles = @(@{ Sid = $Identity.Sid; Folder = $folder; Name = $folder.Substring($folder.LastIndexOf('\') + 1) })
    }
    $targets = @()
    foreach ($userProfile in $profiles) {
        $helperPath = $userProfile.Folder + $CcfUserHelperPath.Substring('%USERPROFILE%'.Length)
        $targets += , @{
            Name = $userProfile.Name
            Sid = $userProfile.Sid
            HelperPath = $helperPath
            SettingsPath = (Join-CcfPath $userProfile.Folder '.claude\settings.json')
            SetOwner = [bool]$Identity.IsSystem
        }
    }
    return , $targets
}

function Get-CcfHelperBytes {
    return , [Convert]::FromBase64String($CcfHelperBase64)
}

# Installs the helper unless the same bytes are there; returns $true when it wrote the file.
function Install-CcfHelper {
    param([string]$Path, [string]$OwnerSid)
    $expected = Get-CcfHelperBytes
    $current = Read-CcfBytes $Path
    if ($null -ne $current -and (Get-CcfSha256 $current) -eq $CcfHelperSha256) { return $false }
    $created = New-CcfFolder (Split-CcfParent $Path)
    Write-CcfFileAtomic $Path $expected
    if ($OwnerSid) {
        foreach ($folder in $created) { Set-CcfOwner $folder $OwnerSid }
        Set-CcfOwner $Path $OwnerSid
    }
    return $true
}

function Test-CcfHelper {
    param([string]$Path)
    $current = Read-CcfBytes $Path
    if ($null -eq $current) { return 'missing' }
    if ((Get-CcfSha256 $current) -ne $CcfHelperSha256) { return 'changed' }
    return ''
}

function Format-CcfRefusal {
    param([string]$Path, $Result)
    $where = $Path
    if ($Result.Line -gt 0) { $where = $Path + ':' + $Result.Line + ':' + $Result.Column }
    return $where + ': ' + $Result.Reason + '; left unchanged'
}

# Merges our keys into a settings file and writes it with a backup when it changes.
function Install-CcfSettingsFile {
    param($Run, [string]$Path, [string]$Helper, [string]$OwnerSid)
    $bytes = Read-CcfBytes $Path
    $result = Invoke-CcfSettingsMerge -Bytes $bytes -Helper $Helper -EnvNames $CcfEnvNames -EnvValues $CcfEnvValues -Force:$Run.Force
    foreach ($warning in $result.Warnings) { Write-CcfLog 'WARN' ($Path + ': ' + $warning + ' is set and makes Claude Code ignore apiKeyHelper; remove it') }
    if ($result.Status -eq 'refused') { Add-CcfProblem $Run 'failed' (Format-CcfRefusal $Path $result); return }
    if ($result.Status -eq 'unchanged') { Add-CcfOutcome $Run $false ($Path + ': unchanged'); return }

    $created = New-CcfFolder (Split-CcfParent $Path)
    $note = ''
    if ($null -ne $bytes) {
        $backup = Backup-CcfFile $Path
        if ($OwnerSid) { Set-CcfOwner $backup $OwnerSid }
        $note = ', backup ' + $backup
    }
    Write-CcfFileAtomic $Path $script:CcfUtf8.GetBytes($result.Text)
    if ($OwnerSid) {
        foreach ($folder in $created) { Set-CcfOwner $folder $OwnerSid }
        Set-CcfOwner $Path $OwnerSid
    }
    $repairs = @($result.Repairs | ForEach-Object { $_.Kind + ' at line ' + $_.Line }) -join ', '
    if ($repairs) { $note += ', repaired ' + $repairs }
    if ($result.Conflicts.Count -gt 0) { $note += ', replaced ' + (@($result.Conflicts | ForEach-Object { $_.Path }) -join ', ') }
    Add-CcfOutcome $Run $true ($Path + ': updated' + $note)
}

function Test-CcfSettingsFile {
    param($Run, [string]$Path, [string]$Helper)
    $result = Invoke-CcfSettingsMerge -Bytes (Read-CcfBytes $Path) -Helper $Helper -EnvNames $CcfEnvNames -EnvValues $CcfEnvValues
    if ($result.Status -eq 'unchanged') { Add-CcfOutcome $Run $false ($Path + ': compliant'); return }
    if ($result.Status -eq 'refused' -and $result.Kind -eq 'conflict') {
        Add-CcfProblem $Run 'drift' ($Path + ': different values for ' + (@($result.Conflicts | ForEach-Object { $_.Path }) -join ', '))
        return
    }
    if ($result.Status -eq 'refused') { Add-CcfProblem $Run 'drift' ($Path + ':' + $result.Line + ':' + $result.Column + ': ' + $result.Reason); return }
    if (-not (Test-CcfFile $Path)) { Add-CcfProblem $Run 'drift' ($Path + ': settings file missing'); return }
    Add-CcfProblem $Run 'drift' ($Path + ': apiKeyHelper or env missing or different')
}

function Uninstall-CcfSettingsFile {
    param($Run, [string]$Path, [string]$Helper, [string]$OwnerSid)
    $bytes = Read-CcfBytes $Path
    $result = Remove-CcfSettingsKeys -Bytes $bytes -Helper $Helper -EnvNames $CcfEnvNames -EnvValues $CcfEnvValues
    if ($result.Status -eq 'refused') { Add-CcfProblem $Run 'failed' ($Path + ': ' + $result.Reason + '; left unchanged'); return }
    if ($result.Status -eq 'unchanged') { Add-CcfOutcome $Run $false ($Path + ': no ccfleet keys'); return }
    $backup = Backup-CcfFile $Path
    if ($OwnerSid) { Set-CcfOwner $backup $OwnerSid }
    if ($result.Empty) {
        [void](Remove-CcfFile $Path)
        Add-CcfOutcome $Run $true ($Path + ': removed (only ccfleet keys were left), backup ' + $backup)
        return
    }
    Write-CcfFileAtomic $Path $script:CcfUtf8.GetBytes($result.Text)
    Add-CcfOutcome $Run $true ($Path + ': ccfleet keys removed, backup ' + $backup)
}

function Invoke-CcfUserTarget {
    param($Run, $Target)
    $Run.Targets++
    $owner = ''
    if ($Target.SetOwner) { $owner = $Target.Sid }
    $helper = New-CcfHelperCommand $Target.HelperPath
    Write-CcfLog 'INFO' ('user ' + $Target.Name + ' (' + $Target.Sid + ')')
    switch ($Run.Action) {
        'detect' {
            $state = Test-CcfHelper $Target.HelperPath
            if ($state) { Add-CcfProblem $Run 'drift' ($Target.HelperPath + ': helper ' + $state) }
            Test-CcfSettingsFile $Run $Target.SettingsPath $helper
        }
        'uninstall' {
            Uninstall-CcfSettingsFile $Run $Target.SettingsPath $helper $owner
            if (Remove-CcfFile $Target.HelperPath) { Write-CcfLog 'INFO' ($Target.HelperPath + ': removed') }
        }
        default {
            if (Install-CcfHelper $Target.HelperPath $owner) { Write-CcfLog 'INFO' ($Target.HelperPath + ': helper installed') }
            Install-CcfSettingsFile $Run $Target.SettingsPath $helper $owner
        }
    }
}

# The managed source Claude Code uses on this machine. It reads only one: the HKLM policy value,
# then managed-settings.json with its managed-settings.d drop-ins, then the HKCU policy value.
# Adding a second source would silently switch off the admin's existing one.
function Get-CcfManagedSource {
    param($Identity)
    # $env:ProgramW6432 is the 64-bit Program Files folder even in a 32-bit host.
    $programFiles = $env:ProgramW6432
    if (-not $programFiles) { $programFiles = $env:ProgramFiles }
    $managedFile = Join-CcfPath $programFiles $CcfManagedFile
    $dropInFolder = Join-CcfPath $programFiles $CcfManagedDropInFolder
    $dropIn = Join-CcfPath $dropInFolder ($CcfPackageName + '.json')
    $others = @((Get-CcfJsonFileNames $dropInFolder) | Where-Object { $_ -ne ($CcfPackageName + '.json') })
    $source = @{ Kind = 'none'; Keys = @(); DropIn = $dropIn; ManagedFile = $managedFile; DropInFolder = $dropInFolder; Others = $others }

    $hklmKey = 'HKEY_LOCAL_MACHINE\' + $CcfPolicyKey
    if ($null -ne (Get-CcfRegistryValue $hklmKey $CcfPolicyValueName)) { $source.Kind = 'hklm'; $source.Keys = @($hklmKey); return $source }
    if ((Test-CcfFile $managedFile) -or $others.Count -gt 0 -or (Test-CcfFile $dropIn)) { $source.Kind = 'file'; return $source }

    $hkcuKeys = @()
    if ($Identity.IsSystem) {
        foreach ($userProfile in (Get-CcfProfiles)) {
            $key = 'HKEY_USERS\' + $userProfile.Sid + '\' + $CcfPolicyKey
            if ($null -ne (Get-CcfRegistryValue $key $CcfPolicyValueName)) { $hkcuKeys += $key }
        }
    }
    else {
        $key = 'HKEY_CURRENT_USER\' + $CcfPolicyKey
        if ($null -ne (Get-CcfRegistryValue $key $CcfPolicyValueName)) { $hkcuKeys += $key }
    }
    if ($hkcuKeys.Count -gt 0) { $source.Kind = 'hkcu'; $source.Keys = $hkcuKeys }
    return $source
}

# Merges our keys into the JSON of a policy value, on one line, after saving the old value.
function Install-CcfPolicyValue {
    param($Run, [string]$Key)
    $label = $Key + '\' + $CcfPolicyValueName
    $old = Get-CcfRegistryValue $Key $CcfPolicyValueName
    $result = Invoke-CcfSettingsMerge -Bytes $script:CcfUtf8.GetBytes($old) -Helper $CcfSystemHelperCommand -EnvNames $CcfEnvNames -EnvValues $CcfEnvValues -Force:$Run.Force -OneLine
    foreach ($warning in $result.Warnings) { Write-CcfLog 'WARN' ($label + ': ' + $warning + ' is set and makes Claude Code ignore apiKeyHelper; remove it') }
    if ($result.Status -eq 'refused') { Add-CcfProblem $Run 'failed' (Format-CcfRefusal $label $result); return }
    if ($result.Status -eq 'unchanged') { Add-CcfOutcome $Run $false ($label + ': unchanged'); return }
    $backup = Save-CcfPolicyBackup $Key $old
    Set-CcfRegistryValue $Key $CcfPolicyValueName $result.Text
    Add-CcfOutcome $Run $true ($label + ': updated, old value saved in ' + $backup)
}

function Save-CcfPolicyBackup {
    param([string]$Key, [string]$Value)
    $folder = Join-CcfPath $env:ProgramData 'ccfleet\backup'
    [void](New-CcfFolder $folder)
    $stem = ($Key -replace '[\\:]', '_') + '.' + $CcfPolicyValueName + '.ccfleet-backup-' + (Get-CcfTimestamp)
    # A second backup within the same second gets a suffix instead of replacing the first one.
    $path = Join-CcfPath $folder ($stem + '.json')
    $suffix = 1
    while (Test-CcfFile $path) { $suffix++; $path = Join-CcfPath $folder ($stem + '-' + $suffix + '.json') }
    Write-CcfFileAtomic $path $script:CcfUtf8.GetBytes($Value)
    return $path
}

function Invoke-CcfManaged {
    param($Run, $Identity)
    $Run.Targets++
    $source = Get-CcfManagedSource $Identity
    Write-CcfLog 'INFO' ('managed source: ' + $source.Kind)

    if ($Run.Action -eq 'uninstall') {
        if (Remove-CcfFile $source.DropIn) { Add-CcfOutcome $Run $true ($source.DropIn + ': removed') }
        $keys = @('HKEY_LOCAL_MACHINE\' + $CcfPolicyKey)
        if ($source.Kind -eq 'hkcu') { $keys += $source.Keys }
        foreach ($key in $keys) {
            $old = Get-CcfRegistryValue $key $CcfPolicyValueName
            if ($null -eq $old) { continue }
            $result = Remove-CcfSettingsKeys -Bytes $script:CcfUtf8.GetBytes($old) -Helper $CcfSystemHelperCommand -EnvNames $CcfEnvNames -EnvValues $CcfEnvValues
            if ($result.Status -ne 'changed') { continue }
            $backup = Save-CcfPolicyBackup $key $old
            Set-CcfRegistryValue $key $CcfPolicyValueName $result.Text
            Add-CcfOutcome $Run $true ($key + '\' + $CcfPolicyValueName + ': ccfleet keys removed, old value saved in ' + $backup)
        }
        if (Remove-CcfFile $CcfSystemHelperPath) { Write-CcfLog 'INFO' ($CcfSystemHelperPath + ': removed') }
        return
    }

    if ($Run.Action -eq 'detect') {
        $state = Test-CcfHelper $CcfSystemHelperPath
        if ($state) { Add-CcfProblem $Run 'drift' ($CcfSystemHelperPath + ': helper ' + $state) }
        if ($source.Kind -eq 'hklm' -or $source.Kind -eq 'hkcu') {
            foreach ($key in $source.Keys) {
                $value = Get-CcfRegistryValue $key $CcfPolicyValueName
                $result = Invoke-CcfSettingsMerge -Bytes $script:CcfUtf8.GetBytes($value) -Helper $CcfSystemHelperCommand -EnvNames $CcfEnvNames -EnvValues $CcfEnvValues -OneLine
                if ($result.Status -eq 'unchanged') { Add-CcfOutcome $Run $false ($key + ': compliant') }
                else { Add-CcfProblem $Run 'drift' ($key + '\' + $CcfPolicyValueName + ': apiKeyHelper or env missing or different') }
            }
            return
        }
        $current = Read-CcfBytes $source.DropIn
        if ($null -eq $current) { Add-CcfProblem $Run 'drift' ($source.DropIn + ': drop-in file missing') }
        elseif ((Get-CcfSha256 $current) -ne (Get-CcfSha256 $script:CcfUtf8.GetBytes($CcfDropInJson))) { Add-CcfProblem $Run 'drift' ($source.DropIn + ': drop-in file changed') }
        else { Add-CcfOutcome $Run $false ($source.DropIn + ': compliant') }
        return
    }

    if (Install-CcfHelper $CcfSystemHelperPath '') { Write-CcfLog 'INFO' ($CcfSystemHelperPath + ': helper installed') }
    if ($source.Kind -eq 'hklm' -or $source.Kind -eq 'hkcu') {
        Write-CcfLog 'INFO' 'keys other than apiKeyHelper and env (settings.additional) are not merged into a policy value; deliver them through that policy'
        foreach ($key in $source.Keys) { Install-CcfPolicyValue $Run $key }
        return
    }
    if ($source.Others.Count -gt 0 -or (Test-CcfFile $source.ManagedFile)) {
        Write-CcfLog 'INFO' ('managed-settings.json or other drop-ins are present; drop-ins sorting after ' + $CcfPackageName + '.json override it: ' + ($source.Others -join ', '))
    }
    $expected = $script:CcfUtf8.GetBytes($CcfDropInJson)
    $current = Read-CcfBytes $source.DropIn
    if ($null -ne $current -and (Get-CcfSha256 $current) -eq (Get-CcfSha256 $expected)) { Add-CcfOutcome $Run $false ($source.DropIn + ': unchanged'); return }
    [void](New-CcfFolder $source.DropInFolder)
    Write-CcfFileAtomic $source.DropIn $expected
    Add-CcfOutcome $Run $true ($source.DropIn + ': written')
}

# The last line of output, which Intune shows: at most 2,047 characters.
function Format-CcfSummary {
    param($Run, [int]$ExitCode)
    $status = 'OK'
    if ($Run.Action -eq 'detect') { $status = 'COMPLIANT'; if ($ExitCode -ne 0) { $status = 'DRIFT' } }
    elseif ($ExitCode -ne 0) { $status = 'FAILED' }
    $line = 'ccfleet ' + $CcfPackageName + ' ' + $CcfPackageVersion + ' ' + $Run.Action + ' ' + $status + ': scope=' + $CcfScope + ' targets=' + $Run.Targets + ' changed=' + $Run.Changed + ' unchanged=' + $Run.Unchanged + ' drift=' + $Run.Drift + ' failed=' + $Run.Failed
    if ($Run.Problems.Count -gt 0) { $line += '; ' + ($Run.Problems -join '; ') }
    $line += '; log ' + $script:CcfLogPath
    $line = $line -replace '[\r\n]+', ' '
    if ($line.Length -gt 2047) { $line = $line.Substring(0, 2044) + '...' }
    return $line
}

function Invoke-CcfMain {
    param([string]$Action, [bool]$Force)
    $script:CcfAction = $Action
    $run = New-CcfRun $Action $Force
    $exitCode = 0
    try {
        Initialize-CcfLog $CcfPackageName
        Write-CcfLog 'INFO' ('start ' + $CcfPackageName + ' ' + $CcfPackageVersion + ', scope ' + $CcfScope + ', force ' + $Force)
        if ((New-CcfHelperCommand $CcfSystemHelperPath) -cne $CcfSystemHelperCommand) { throw 'the apiKeyHelper command built at run time differs from the one built by ccfleet; rebuild the scripts' }
        $identity = Get-CcfIdentity
        Write-CcfLog 'INFO' ('running as ' + $identity.Sid)
        if ($CcfScope -eq 'managed') {
            if (-not $identity.IsAdmin) { throw 'managed settings need administrator rights: run as SYSTEM (Intune default) or from an elevated PowerShell' }
            Invoke-CcfManaged $run $identity
        }
        else {
            $targets = Get-CcfUserTargets $identity
            if ($targets.Count -eq 0) { Write-CcfLog 'INFO' 'no user profiles found' }
            foreach ($target in $targets) {
                try { Invoke-CcfUserTarget $run $target }
                catch { Add-CcfProblem $run 'failed' ('user ' + $target.Name + ': ' + $_.Exception.Message) }
            }
        }
    }
    catch { Add-CcfProblem $run 'failed' $_.Exception.Message }
    if ($run.Failed -gt 0 -or $run.Drift -gt 0) { $exitCode = 1 }
    $summary = Format-CcfSummary $run $exitCode
    Write-CcfLog 'INFO' $summary
    Write-Output $summary
    $script:CcfExitCode = $exitCode
}
