# Runs the PowerShell settings merge on a batch of cases, for the tests. Usage:
#   pwsh -NoProfile -File merge-driver.ps1 <settings-merge.ps1> <cases.json> <results.json>
# Each case: {input: base64 or null, helper, envNames, envValues, force, operation: merge|remove}.
param([string]$MergeScript, [string]$CasesPath, [string]$ResultsPath)
$ErrorActionPreference = 'Stop'
. $MergeScript

$cases = [IO.File]::ReadAllText($CasesPath) | ConvertFrom-Json
$results = New-Object Collections.Generic.List[object]
foreach ($case in $cases) {
    $bytes = $null
    if ($null -ne $case.input) { $bytes = [Convert]::FromBase64String($case.input) }
    $names = [string[]]@($case.envNames)
    $values = [string[]]@($case.envValues)
    try {
        if ($case.operation -eq 'remove') {
            $result = Remove-CcfSettingsKeys -Bytes $bytes -Helper $case.helper -EnvNames $names -EnvValues $values
        }
        else {
            $result = Invoke-CcfSettingsMerge -Bytes $bytes -Helper $case.helper -EnvNames $names -EnvValues $values -Force:([bool]$case.force) -OneLine:([bool]$case.oneLine)
        }
    }
    catch {
        # An exception is a bug in the merge: report it as its own status so the test names the case.
        $result = @{ Status = 'exception'; Reason = ($_.Exception.Message + ' ' + $_.ScriptStackTrace); Repairs = @(); Warnings = @(); Conflicts = @() }
    }
    $output = $null
    if ($null -ne $result.Text) { $output = [Convert]::ToBase64String((New-Object Text.UTF8Encoding -ArgumentList $false).GetBytes($result.Text)) }
    $results.Add([ordered]@{
        status = $result.Status
        kind = $result.Kind
        reason = $result.Reason
        output = $output
        line = $result.Line
        column = $result.Column
        empty = [bool]$result.Empty
        repairs = @($result.Repairs | ForEach-Object { [ordered]@{ line = $_.Line; kind = $_.Kind } })
        warnings = @($result.Warnings)
        conflicts = @($result.Conflicts | ForEach-Object { [ordered]@{ key = $_.Path; old = $_.Old } })
    })
}
[IO.File]::WriteAllText($ResultsPath, (ConvertTo-Json -InputObject $results.ToArray() -Depth 6 -Compress), (New-Object Text.UTF8Encoding -ArgumentList $false))
