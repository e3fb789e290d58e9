# Runs many steps against fake machines in one pwsh process, because pwsh takes seconds to start.
# Usage: pwsh -NoProfile -File run-steps.ps1 <steps.json> <results.json>
# Steps: {kind: 'run', script, env: {NAME: value}, args: ['-Force']} runs a script with & (its exit ends only
# the script); {kind: 'write', path, base64} and {kind: 'delete', path} change a host file between
# runs; {kind: 'stat', path} outputs the file's last write time in ticks and {kind: 'read', path} its
# bytes in base64 (both empty when it is missing).
param([string]$StepsPath, [string]$ResultsPath)
$ErrorActionPreference = 'Stop'

$steps = [IO.File]::ReadAllText($StepsPath) | ConvertFrom-Json
$results = New-Object Collections.Generic.List[object]
foreach ($step in $steps) {
    if ($step.kind -eq 'write') {
        [IO.Directory]::CreateDirectory([IO.Path]::GetDirectoryName($step.path)) | Out-Null
        [IO.File]::WriteAllBytes($step.path, [Convert]::FromBase64String($step.base64))
        $results.Add(@{ exitCode = 0; output = @() })
        continue
    }
    if ($step.kind -eq 'stat') {
        $ticks = ''
        if ([IO.File]::Exists($step.path)) { $ticks = [string][IO.File]::GetLastWriteTimeUtc($step.path).Ticks }
        $results.Add(@{ exitCode = 0; output = @($ticks) })
        continue
    }
    if ($step.kind -eq 'read') {
        $content = ''
        if ([IO.File]::Exists($step.path)) { $content = [Convert]::ToBase64String([IO.File]::ReadAllBytes($step.path)) }
        $results.Add(@{ exitCode = 0; output = @($content) })
        continue
    }
    if ($step.kind -eq 'delete') {
        if ([IO.File]::Exists($step.path)) { [IO.File]::Delete($step.path) }
        $results.Add(@{ exitCode = 0; output = @() })
        continue
    }
    foreach ($entry in $step.env.PSObject.Properties) { [Environment]::SetEnvironmentVariable($entry.Name, [string]$entry.Value) }
    $global:LASTEXITCODE = 0
    # Switches such as -Force are splatted by name: an array would pass them as positional strings.
    $arguments = @{}
    foreach ($name in @($step.args)) { if ($name) { $arguments[$name.TrimStart('-')] = $true } }
    $output = @(& $step.script @arguments *>&1 | ForEach-Object { [string]$_ })
    $results.Add(@{ exitCode = $global:LASTEXITCODE; output = $output })
}
[IO.File]::WriteAllText($ResultsPath, (ConvertTo-Json -InputObject $results.ToArray() -Depth 5), (New-Object Text.UTF8Encoding -ArgumentList $false))
