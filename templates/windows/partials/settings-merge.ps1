# Settings merge for Windows PowerShell 5.1: the PowerShell port of docs/settings-merge-spec.md.
# It edits the text of the file with its own JSON tokenizer instead of ConvertFrom-Json and
# ConvertTo-Json, because 5.1 cuts ConvertTo-Json output at depth 2, has no hashtables in
# ConvertFrom-Json and re-serializing would change every byte the admin or the user wrote.

# One token per match, anchored at the position (\G). Groups: 1 whitespace, 2 line comment,
# 3 block comment, 4 string, 5 number, 6 literal, 7 punctuation.
$script:CcfTokenRegex = New-Object Text.RegularExpressions.Regex -ArgumentList ('\G(?:([ \t\r\n]+)|(//[^\r\n]*)|(/\*[\s\S]*?\*/)|("(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9A-Fa-f]{4})*")|(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)|(true|false|null)|([{}\[\]:,]))')
$script:CcfTokenKinds = @('', 'ws', 'lc', 'bc', 'str', 'num', 'lit', 'pun')
$script:CcfOverridingEnv = @('ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_API_KEY')

function New-CcfSyntaxError {
    param([string]$Message, [int]$Position)
    $exception = New-Object System.FormatException -ArgumentList $Message
    $exception.Data['Position'] = $Position
    return $exception
}

function Get-CcfLineColumn {
    param([string]$Text, [int]$Position)
    $line = 1
    $lineStart = 0
    $index = $Text.IndexOf([char]10)
    while ($index -ge 0 -and $index -lt $Position) {
        $line++
        $lineStart = $index + 1
        $index = $Text.IndexOf([char]10, $index + 1)
    }
    return @($line, ($Position - $lineStart + 1))
}

function Get-CcfLineStart {
    param([string]$Text, [int]$Position)
    if ($Position -le 0) { return 0 }
    return $Text.LastIndexOf([char]10, $Position - 1) + 1
}

# Spaces and tabs at the start of the line that contains the position.
function Get-CcfIndent {
    param([string]$Text, [int]$Position)
    $start = Get-CcfLineStart $Text $Position
    $end = $start
    while ($end -lt $Text.Length -and ($Text[$end] -ceq ' ' -or $Text[$end] -ceq "`t")) { $end++ }
    return $Text.Substring($start, $end - $start)
}

function Test-CcfBlank {
    param([string]$Text, [int]$Start, [int]$End)
    for ($i = $Start; $i -lt $End; $i++) {
        if (-not ($Text[$i] -ceq ' ' -or $Text[$i] -ceq "`t")) { return $false }
    }
    return $true
}

# Position after the line ending that follows the position, skipping spaces and tabs first.
# Returns -1 when something else follows on the line.
function Get-CcfNextLineStart {
    param([string]$Text, [int]$Position)
    $i = $Position
    while ($i -lt $Text.Length -and ($Text[$i] -ceq ' ' -or $Text[$i] -ceq "`t")) { $i++ }
    if ($i -ge $Text.Length) { return $i }
    if ($Text[$i] -ceq "`n") { return $i + 1 }
    if ($Text[$i] -ceq "`r") {
        if ($i + 1 -lt $Text.Length -and $Text[$i + 1] -ceq "`n") { return $i + 2 }
        return $i + 1
    }
    return -1
}

# Start of the spaces and tabs right before the position.
function Get-CcfBlankStart {
    param([string]$Text, [int]$Position)
    $i = $Position
    while ($i -gt 0 -and ($Text[$i - 1] -ceq ' ' -or $Text[$i - 1] -ceq "`t")) { $i-- }
    return $i
}

function Get-CcfTokens {
    param([string]$Text)
    $tokens = New-Object Collections.Generic.List[object]
    $position = 0
    while ($position -lt $Text.Length) {
        $match = $script:CcfTokenRegex.Match($Text, $position)
        if (-not $match.Success) { throw (Get-CcfTokenError $Text $position) }
        $kind = ''
        for ($group = 1; $group -le 7; $group++) {
            if ($match.Groups[$group].Success) { $kind = $script:CcfTokenKinds[$group]; break }
        }
        if ($kind -ceq 'pun') { $kind = $match.Value }
        $tokens.Add(@{ Kind = $kind; Start = $position; End = $position + $match.Length })
        $position += $match.Length
    }
    return , $tokens
}

# Names what is wrong where no token matches.
function Get-CcfTokenError {
    param([string]$Text, [int]$Position)
    $char = $Text[$Position]
    if ($char -ceq '"') {
        $i = $Position + 1
        while ($i -lt $Text.Length) {
            $c = $Text[$i]
            if ($c -ceq '"') { break }
            if ([int]$c -lt 0x20) { return (New-CcfSyntaxError 'control character inside a string (escape it as \n, \t or \u00XX)' $i) }
            if ($c -ceq '\') {
                $rest = $Text.Substring($i)
                if ($rest -cmatch '^\\(["\\/bfnrt]|u[0-9A-Fa-f]{4})') { $i += $Matches[0].Length; continue }
                return (New-CcfSyntaxError 'invalid escape sequence in a string' $i)
            }
            $i++
        }
        return (New-CcfSyntaxError 'unterminated string' $Position)
    }
    if ($Text.Substring($Position).StartsWith('/*')) { return (New-CcfSyntaxError 'unterminated block comment' $Position) }
    if ($char -ceq '-' -or ($char -ge '0' -and $char -le '9')) { return (New-CcfSyntaxError 'invalid number' $Position) }
    return (New-CcfSyntaxError ("unexpected character '" + $char + "'") $Position)
}

function ConvertFrom-CcfJsonString {
    param([string]$Literal)
    $inner = $Literal.Substring(1, $Literal.Length - 2)
    if ($inner.IndexOf('\') -lt 0) { return $inner }
    $builder = New-Object Text.StringBuilder
    $i = 0
    while ($i -lt $inner.Length) {
        $c = $inner[$i]
        if (-not ($c -ceq '\')) { [void]$builder.Append($c); $i++; continue }
        $escape = [string]$inner[$i + 1]
        switch -CaseSensitive ($escape) {
            'b' { [void]$builder.Append([char]8) }
            'f' { [void]$builder.Append([char]12) }
            'n' { [void]$builder.Append([char]10) }
            'r' { [void]$builder.Append([char]13) }
            't' { [void]$builder.Append([char]9) }
            'u' { [void]$builder.Append([char][Convert]::ToInt32($inner.Substring($i + 2, 4), 16)); $i += 4 }
            default { [void]$builder.Append($escape) }
        }
        $i += 2
    }
    return $builder.ToString()
}

# JSON string literal: quote and backslash escaped, control characters as short escapes or
# \u00XX with lowercase hex, everything else (slash and non-ASCII included) literal.
function ConvertTo-CcfJsonString {
    param([string]$Value)
    $builder = New-Object Text.StringBuilder
    [void]$builder.Append('"')
    foreach ($c in $Value.ToCharArray()) {
        $code = [int]$c
        if ($c -ceq '"') { [void]$builder.Append('\"') }
        elseif ($c -ceq '\') { [void]$builder.Append('\\') }
        elseif ($code -lt 0x20) {
            switch ($code) {
                8 { [void]$builder.Append('\b') }
                9 { [void]$builder.Append('\t') }
                10 { [void]$builder.Append('\n') }
                12 { [void]$builder.Append('\f') }
                13 { [void]$builder.Append('\r') }
                default { [void]$builder.Append(('\u{0:x4}' -f $code)) }
            }
        }
        else { [void]$builder.Append($c) }
    }
    [void]$builder.Append('"')
    return $builder.ToString()
}

# Recursive descent over the significant tokens. Objects keep their members with positions;
# trailing commas are collected for the repair instead of failing.
function Read-CcfValue {
    param($State)
    $tokens = $State.Tokens
    if ($State.Index -ge $tokens.Count) { throw (New-CcfSyntaxError 'unexpected end of file, a value was expected' $State.Text.Length) }
    $token = $tokens[$State.Index]
    $State.Index++
    switch -CaseSensitive ($token.Kind) {
        '{' { return (Read-CcfObject $State $token) }
        '[' { return (Read-CcfArray $State $token) }
        'str' { return @{ Kind = 'string'; Start = $token.Start; End = $token.End } }
        'num' { return @{ Kind = 'number'; Start = $token.Start; End = $token.End } }
        'lit' { return @{ Kind = $State.Text.Substring($token.Start, $token.End - $token.Start); Start = $token.Start; End = $token.End } }
    }
    throw (New-CcfSyntaxError ("unexpected '" + $token.Kind + "', a value was expected") $token.Start)
}

function Read-CcfObject {
    param($State, $Open)
    $tokens = $State.Tokens
    $members = New-Object Collections.Generic.List[object]
    $node = @{ Kind = 'object'; Start = $Open.Start; Open = $Open.Start; Members = $members }
    $afterComma = $false
    while ($true) {
        if ($State.Index -ge $tokens.Count) { throw (New-CcfSyntaxError "unexpected end of file, '}' was expected" $State.Text.Length) }
        $token = $tokens[$State.Index]
        if ($token.Kind -ceq '}') {
            if ($afterComma) { $State.TrailingCommas.Add($tokens[$State.Index - 1].Start) }
            $State.Index++
            $node.Close = $token.Start
            $node.End = $token.End
            return $node
        }
        if ($members.Count -gt 0 -and -not $afterComma) { throw (New-CcfSyntaxError "',' or '}' was expected" $token.Start) }
        if ($token.Kind -cne 'str') { throw (New-CcfSyntaxError 'a property name in double quotes was expected' $token.Start) }
        $State.Index++
        $key = ConvertFrom-CcfJsonString $State.Text.Substring($token.Start, $token.End - $token.Start)
        if ($State.Index -ge $tokens.Count -or $tokens[$State.Index].Kind -cne ':') {
            $at = $State.Text.Length
            if ($State.Index -lt $tokens.Count) { $at = $tokens[$State.Index].Start }
            throw (New-CcfSyntaxError "':' was expected after the property name" $at)
        }
        $State.Index++
        $value = Read-CcfValue $State
        $members.Add(@{ Key = $key; KeyStart = $token.Start; Value = $value })
        $afterComma = $false
        if ($State.Index -lt $tokens.Count -and $tokens[$State.Index].Kind -ceq ',') {
            $afterComma = $true
            $State.Index++
        }
    }
}

function Read-CcfArray {
    param($State, $Open)
    $tokens = $State.Tokens
    $count = 0
    $afterComma = $false
    while ($true) {
        if ($State.Index -ge $tokens.Count) { throw (New-CcfSyntaxError "unexpected end of file, ']' was expected" $State.Text.Length) }
        $token = $tokens[$State.Index]
        if ($token.Kind -ceq ']') {
            if ($afterComma) { $State.TrailingCommas.Add($tokens[$State.Index - 1].Start) }
            $State.Index++
            return @{ Kind = 'array'; Start = $Open.Start; End = $token.End }
        }
        if ($count -gt 0 -and -not $afterComma) { throw (New-CcfSyntaxError "',' or ']' was expected" $token.Start) }
        [void](Read-CcfValue $State)
        $count++
        $afterComma = $false
        if ($State.Index -lt $tokens.Count -and $tokens[$State.Index].Kind -ceq ',') {
            $afterComma = $true
            $State.Index++
        }
    }
}

# Parses a JSON text with comments and trailing commas. Returns the root node (or $null for a
# document without a value), the comment tokens and the trailing comma positions.
function Read-CcfDocument {
    param([string]$Text)
    $all = Get-CcfTokens $Text
    $significant = New-Object Collections.Generic.List[object]
    $comments = New-Object Collections.Generic.List[object]
    foreach ($token in $all) {
        if ($token.Kind -ceq 'ws') { continue }
        if ($token.Kind -ceq 'lc' -or $token.Kind -ceq 'bc') { $comments.Add($token); continue }
        $significant.Add($token)
    }
    $state = @{ Text = $Text; Tokens = $significant; Index = 0; TrailingCommas = (New-Object Collections.Generic.List[int]) }
    $root = $null
    if ($significant.Count -gt 0) {
        $root = Read-CcfValue $state
        if ($state.Index -lt $significant.Count) { throw (New-CcfSyntaxError 'unexpected text after the top-level value' $significant[$state.Index].Start) }
    }
    return @{ Root = $root; Comments = $comments; TrailingCommas = $state.TrailingCommas }
}

# Ranges to delete for the comment and trailing comma repairs (spec R1-R3), with one repair
# record per item naming its line in the original text.
function Get-CcfRepairs {
    param([string]$Text, $Document)
    $ranges = New-Object Collections.Generic.List[object]
    $repairs = New-Object Collections.Generic.List[object]
    foreach ($comment in $Document.Comments) {
        $lineStart = Get-CcfLineStart $Text $comment.Start
        $next = Get-CcfNextLineStart $Text $comment.End
        if ((Test-CcfBlank $Text $lineStart $comment.Start) -and $next -ge 0) {
            $ranges.Add(@($lineStart, $next))
        }
        else {
            $ranges.Add(@((Get-CcfBlankStart $Text $comment.Start), $comment.End))
        }
        $kind = 'block-comment'
        if ($comment.Kind -ceq 'lc') { $kind = 'line-comment' }
        $repairs.Add(@{ Position = $comment.Start; Kind = $kind })
    }
    foreach ($comma in $Document.TrailingCommas) {
        $ranges.Add(@($comma, ($comma + 1)))
        $repairs.Add(@{ Position = $comma; Kind = 'trailing-comma' })
    }
    return @{ Ranges = $ranges; Repairs = $repairs }
}

function Remove-CcfRanges {
    param([string]$Text, $Ranges)
    $sorted = @($Ranges | Sort-Object { $_[0] }, { $_[1] })
    $builder = New-Object Text.StringBuilder
    $cursor = 0
    foreach ($range in $sorted) {
        if ($range[0] -gt $cursor) { [void]$builder.Append($Text, $cursor, $range[0] - $cursor) }
        if ($range[1] -gt $cursor) { $cursor = $range[1] }
    }
    if ($cursor -lt $Text.Length) { [void]$builder.Append($Text, $cursor, $Text.Length - $cursor) }
    return $builder.ToString()
}

function Get-CcfLayout {
    param([string]$Text, $Node)
    if ($Node.Members.Count -eq 0) { return 'empty' }
    if ($Text.IndexOf([char]10, $Node.Open, $Node.Members[0].KeyStart - $Node.Open) -ge 0) { return 'multi' }
    return 'single'
}

# Indentation unit (spec I2): the top-level object's first member indentation minus that of
# the line with '{', or two spaces.
function Get-CcfIndentUnit {
    param([string]$Text, $Root)
    if ((Get-CcfLayout $Text $Root) -cne 'multi') { return '  ' }
    $memberIndent = Get-CcfIndent $Text $Root.Members[0].KeyStart
    $braceIndent = Get-CcfIndent $Text $Root.Open
    if ($memberIndent.Length -gt $braceIndent.Length -and $memberIndent.StartsWith($braceIndent)) { return $memberIndent.Substring($braceIndent.Length) }
    return '  '
}

function Format-CcfMember {
    param([string]$Name, [string]$ValueText)
    return (ConvertTo-CcfJsonString $Name) + ': ' + $ValueText
}

# The env object in the layout of the object it goes into (spec I6).
function Format-CcfEnvObject {
    param($Names, $Values, [bool]$OneLine, [string]$KeyIndent, [string]$Unit, [string]$Eol)
    $entries = @()
    for ($i = 0; $i -lt $Names.Count; $i++) { $entries += (Format-CcfMember $Names[$i] (ConvertTo-CcfJsonString $Values[$i])) }
    if ($OneLine) { return '{' + ($entries -join ', ') + '}' }
    $inner = $KeyIndent + $Unit
    return '{' + $Eol + $inner + ($entries -join (',' + $Eol + $inner)) + $Eol + $KeyIndent + '}'
}

# Edit that appends members to an object (spec I3-I5). $Members holds pairs of name and either
# a value text or the marker 'env' for a new env object built in the object's layout.
function New-CcfAppendEdit {
    param([string]$Text, $Node, $Members, $Settings)
    $layout = Get-CcfLayout $Text $Node
    if ($Settings.OneLine -and $layout -ceq 'empty') { $layout = 'single-empty' }
    $keyIndent = ''
    if ($layout -ceq 'multi') { $keyIndent = Get-CcfIndent $Text $Node.Members[0].KeyStart }
    if ($layout -ceq 'empty') { $keyIndent = (Get-CcfIndent $Text $Node.Open) + $Settings.Unit }
    $oneLine = ($layout -ceq 'single' -or $layout -ceq 'single-empty')
    $parts = @()
    foreach ($member in $Members) {
        $valueText = $member[1]
        if ($null -eq $valueText) { $valueText = Format-CcfEnvObject $Settings.EnvNames $Settings.EnvValues $oneLine $keyIndent $Settings.Unit $Settings.Eol }
        $parts += (Format-CcfMember $member[0] $valueText)
    }
    if ($layout -ceq 'multi') {
        $at = $Node.Members[$Node.Members.Count - 1].Value.End
        return @{ Start = $at; End = $at; Text = (',' + $Settings.Eol + $keyIndent + ($parts -join (',' + $Settings.Eol + $keyIndent))) }
    }
    if ($layout -ceq 'single') {
        $at = $Node.Members[$Node.Members.Count - 1].Value.End
        return @{ Start = $at; End = $at; Text = (', ' + ($parts -join ', ')) }
    }
    if ($layout -ceq 'single-empty') {
        return @{ Start = ($Node.Open + 1); End = $Node.Close; Text = ($parts -join ', ') }
    }
    $braceIndent = Get-CcfIndent $Text $Node.Open
    $body = $Settings.Eol + $keyIndent + ($parts -join (',' + $Settings.Eol + $keyIndent)) + $Settings.Eol + $braceIndent
    return @{ Start = ($Node.Open + 1); End = $Node.Close; Text = $body }
}

function Find-CcfMembers {
    param($Node, [string]$Name)
    $found = @()
    foreach ($member in $Node.Members) { if ($member.Key -ceq $Name) { $found += , $member } }
    return , $found
}

# Compares the document with the desired keys (spec V1-V5) and returns conflicts, warnings and
# the edits that bring it to the desired state.
function Compare-CcfSettings {
    param([string]$Text, $Root, $Settings)
    $result = @{ Conflicts = @(); Warnings = @(); Edits = @(); Duplicate = $null }
    $topAppend = @()

    foreach ($name in @('apiKeyHelper', 'env')) {
        $found = Find-CcfMembers $Root $name
        if ($found.Count -gt 1) { $result.Duplicate = @{ Path = $name; Position = $found[1].KeyStart }; return $result }
    }

    $helperMembers = Find-CcfMembers $Root 'apiKeyHelper'
    if ($helperMembers.Count -eq 0) { $topAppend += , @('apiKeyHelper', (ConvertTo-CcfJsonString $Settings.Helper)) }
    else {
        $value = $helperMembers[0].Value
        $same = $value.Kind -ceq 'string' -and (ConvertFrom-CcfJsonString $Text.Substring($value.Start, $value.End - $value.Start)) -ceq $Settings.Helper
        if (-not $same) {
            $result.Conflicts += , @{ Path = 'apiKeyHelper'; Position = $value.Start; Old = $Text.Substring($value.Start, $value.End - $value.Start) }
            $result.Edits += , @{ Start = $value.Start; End = $value.End; Text = (ConvertTo-CcfJsonString $Settings.Helper) }
        }
    }

    $envMembers = Find-CcfMembers $Root 'env'
    if ($envMembers.Count -eq 0) { $topAppend += , @('env', $null) }
    elseif ($envMembers[0].Value.Kind -cne 'object') {
        $value = $envMembers[0].Value
        $result.Conflicts += , @{ Path = 'env'; Position = $value.Start; Old = $Text.Substring($value.Start, $value.End - $value.Start) }
        $oneLine = (Get-CcfLayout $Text $Root) -ceq 'single'
        $keyIndent = Get-CcfIndent $Text $envMembers[0].KeyStart
        $result.Edits += , @{ Start = $value.Start; End = $value.End; Text = (Format-CcfEnvObject $Settings.EnvNames $Settings.EnvValues $oneLine $keyIndent $Settings.Unit $Settings.Eol) }
    }
    else {
        $envNode = $envMembers[0].Value
        $envAppend = @()
        for ($i = 0; $i -lt $Settings.EnvNames.Count; $i++) {
            $name = $Settings.EnvNames[$i]
            $found = Find-CcfMembers $envNode $name
            if ($found.Count -gt 1) { $result.Duplicate = @{ Path = ('env.' + $name); Position = $found[1].KeyStart }; return $result }
            if ($found.Count -eq 0) { $envAppend += , @($name, (ConvertTo-CcfJsonString $Settings.EnvValues[$i])); continue }
            $value = $found[0].Value
            $same = $value.Kind -ceq 'string' -and (ConvertFrom-CcfJsonString $Text.Substring($value.Start, $value.End - $value.Start)) -ceq $Settings.EnvValues[$i]
            if (-not $same) {
                $result.Conflicts += , @{ Path = ('env.' + $name); Position = $value.Start; Old = $Text.Substring($value.Start, $value.End - $value.Start) }
                $result.Edits += , @{ Start = $value.Start; End = $value.End; Text = (ConvertTo-CcfJsonString $Settings.EnvValues[$i]) }
            }
        }
        foreach ($name in $script:CcfOverridingEnv) {
            if ((Find-CcfMembers $envNode $name).Count -gt 0) { $result.Warnings += ('env.' + $name + ' is set in this file and makes Claude Code ignore apiKeyHelper; remove it') }
        }
        if ($envAppend.Count -gt 0) { $result.Edits += , (New-CcfAppendEdit $Text $envNode $envAppend $Settings) }
    }

    if ($topAppend.Count -gt 0) { $result.Edits += , (New-CcfAppendEdit $Text $Root $topAppend $Settings) }
    return $result
}

function Invoke-CcfEdits {
    param([string]$Text, $Edits)
    $sorted = @($Edits | Sort-Object { $_.Start } -Descending)
    foreach ($edit in $sorted) { $Text = $Text.Substring(0, $edit.Start) + $edit.Text + $Text.Substring($edit.End) }
    return $Text
}

function Get-CcfEol {
    param([string]$Text)
    $index = $Text.IndexOf([char]10)
    if ($index -gt 0 -and $Text[$index - 1] -ceq "`r") { return "`r`n" }
    return "`n"
}

function New-CcfMergeResult {
    param([string]$Status)
    return @{ Status = $Status; Text = $null; Repairs = @(); Warnings = @(); Conflicts = @(); Reason = ''; Line = 0; Column = 0 }
}

function Set-CcfRefusal {
    param($Result, [string]$Text, [int]$Position, [string]$Reason)
    $lineColumn = Get-CcfLineColumn $Text $Position
    $Result.Status = 'refused'
    $Result.Reason = $Reason
    $Result.Line = $lineColumn[0]
    $Result.Column = $lineColumn[1]
    return $Result
}

# Merges apiKeyHelper and env into settings bytes ($null: no file). Returns a hashtable with
# Status 'unchanged', 'changed' (Text holds the new content) or 'refused' (Reason, Line, Column).
# -OneLine keeps a one-line document on one line, for the registry policy value.
function Invoke-CcfSettingsMerge {
    param([byte[]]$Bytes, [string]$Helper, [string[]]$EnvNames, [string[]]$EnvValues, [switch]$Force, [switch]$OneLine)
    $result = New-CcfMergeResult 'unchanged'
    $settings = @{ Helper = $Helper; EnvNames = $EnvNames; EnvValues = $EnvValues; Unit = '  '; Eol = "`n"; OneLine = [bool]$OneLine }

    $text = ''
    $hadBom = $false
    if ($null -ne $Bytes) {
        $offset = 0
        if ($Bytes.Length -ge 3 -and $Bytes[0] -eq 0xEF -and $Bytes[1] -eq 0xBB -and $Bytes[2] -eq 0xBF) { $offset = 3; $hadBom = $true }
        $strict = New-Object Text.UTF8Encoding -ArgumentList $false, $true
        try { $text = $strict.GetString($Bytes, $offset, $Bytes.Length - $offset) }
        catch {
            $bad = 0
            $inner = $_.Exception
            while ($null -ne $inner -and -not ($inner -is [Text.DecoderFallbackException])) { $inner = $inner.InnerException }
            if ($null -ne $inner) { $bad = $inner.Index }
            $line = 1
            for ($i = $offset; $i -lt [Math]::Min($Bytes.Length, $offset + $bad); $i++) { if ($Bytes[$i] -eq 10) { $line++ } }
            $result.Status = 'refused'
            $result.Reason = 'the file is not valid UTF-8'
            $result.Line = $line
            $result.Column = 1
            return $result
        }
    }
    if ($hadBom) { $result.Repairs += , @{ Line = 1; Kind = 'bom' } }

    try { $document = Read-CcfDocument $text }
    catch [System.FormatException] { return (Set-CcfRefusal $result $text ([int]$_.Exception.Data['Position']) $_.Exception.Message) }

    $repair = Get-CcfRepairs $text $document
    foreach ($item in $repair.Repairs) { $result.Repairs += , @{ Line = (Get-CcfLineColumn $text $item.Position)[0]; Kind = $item.Kind } }
    $result.Repairs = @($result.Repairs | Sort-Object { $_.Line })

    if ($null -eq $document.Root) {
        $names = $EnvNames
        $entries = @()
        for ($i = 0; $i -lt $names.Count; $i++) { $entries += (Format-CcfMember $names[$i] (ConvertTo-CcfJsonString $EnvValues[$i])) }
        if ($OneLine) {
            $result.Text = '{' + (Format-CcfMember 'apiKeyHelper' (ConvertTo-CcfJsonString $Helper)) + ', "env": {' + ($entries -join ', ') + '}}'
        }
        else {
            $result.Text = "{`n  " + (Format-CcfMember 'apiKeyHelper' (ConvertTo-CcfJsonString $Helper)) + ",`n  `"env`": {`n    " + ($entries -join ",`n    ") + "`n  }`n}`n"
        }
        $result.Status = 'changed'
        return $result
    }
    if ($document.Root.Kind -cne 'object') { return (Set-CcfRefusal $result $text $document.Root.Start 'the top-level value is not a JSON object') }

    # Duplicates and conflicts are reported at their place in the original text.
    $settings.Unit = Get-CcfIndentUnit $text $document.Root
    $settings.Eol = Get-CcfEol $text
    $comparison = Compare-CcfSettings $text $document.Root $settings
    if ($null -ne $comparison.Duplicate) { return (Set-CcfRefusal $result $text $comparison.Duplicate.Position ('duplicate key ' + $comparison.Duplicate.Path)) }
    $result.Warnings = $comparison.Warnings
    foreach ($conflict in $comparison.Conflicts) {
        $lineColumn = Get-CcfLineColumn $text $conflict.Position
        $result.Conflicts += , @{ Path = $conflict.Path; Line = $lineColumn[0]; Column = $lineColumn[1] }
    }
    if ($comparison.Conflicts.Count -gt 0 -and -not $Force) {
        $paths = @($comparison.Conflicts | ForEach-Object { $_.Path }) -join ', '
        return (Set-CcfRefusal $result $text $comparison.Conflicts[0].Position ('conflicting values for ' + $paths + ' (run with -Force to replace them)'))
    }

    # Repairs apply first; the edits are then computed again on the repaired text (spec R4).
    $working = $text
    if ($repair.Ranges.Count -gt 0) {
        $working = Remove-CcfRanges $text $repair.Ranges
        $document = Read-CcfDocument $working
        $settings.Unit = Get-CcfIndentUnit $working $document.Root
        $settings.Eol = Get-CcfEol $working
        $comparison = Compare-CcfSettings $working $document.Root $settings
    }
    if ($comparison.Edits.Count -eq 0 -and $result.Repairs.Count -eq 0) { return $result }

    $result.Text = Invoke-CcfEdits $working $comparison.Edits
    $result.Status = 'changed'
    return $result
}

# Edit that removes one member of an object (spec E1).
function New-CcfRemoveEdit {
    param($Node, [int]$Index)
    $members = $Node.Members
    if ($members.Count -eq 1) { return @{ Start = ($Node.Open + 1); End = $Node.Close; Text = '' } }
    if ($Index -lt $members.Count - 1) { return @{ Start = $members[$Index].KeyStart; End = $members[$Index + 1].KeyStart; Text = '' } }
    return @{ Start = $members[$Index - 1].Value.End; End = $members[$Index].Value.End; Text = '' }
}

# Applies a removal and drops the line it leaves blank, with its line ending.
function Invoke-CcfRemoveEdit {
    param([string]$Text, $Edit)
    $Text = $Text.Substring(0, $Edit.Start) + $Text.Substring($Edit.End)
    $lineStart = Get-CcfLineStart $Text $Edit.Start
    $next = Get-CcfNextLineStart $Text $lineStart
    if ($next -gt $lineStart -and $next -le $Text.Length -and $lineStart -gt 0) { $Text = $Text.Substring(0, $lineStart) + $Text.Substring($next) }
    return $Text
}

function Find-CcfMemberIndex {
    param($Node, [string]$Name, [string]$Text, [string]$Value)
    for ($i = 0; $i -lt $Node.Members.Count; $i++) {
        $member = $Node.Members[$i]
        if ($member.Key -cne $Name -or $member.Value.Kind -cne 'string') { continue }
        if ((ConvertFrom-CcfJsonString $Text.Substring($member.Value.Start, $member.Value.End - $member.Value.Start)) -ceq $Value) { return $i }
    }
    return -1
}

# Removes apiKeyHelper and the env entries whose values are still ours, and env itself when
# nothing else is left in it. Values that someone changed are kept. Returns Status 'unchanged',
# 'changed' (Text, Empty when no member is left) or 'refused' (a file that does not parse).
function Remove-CcfSettingsKeys {
    param([byte[]]$Bytes, [string]$Helper, [string[]]$EnvNames, [string[]]$EnvValues)
    $result = New-CcfMergeResult 'unchanged'
    if ($null -eq $Bytes) { return $result }
    $offset = 0
    if ($Bytes.Length -ge 3 -and $Bytes[0] -eq 0xEF -and $Bytes[1] -eq 0xBB -and $Bytes[2] -eq 0xBF) { $offset = 3 }
    try {
        $text = (New-Object Text.UTF8Encoding -ArgumentList $false, $true).GetString($Bytes, $offset, $Bytes.Length - $offset)
        $document = Read-CcfDocument $text
    }
    catch {
        $result.Status = 'refused'
        $result.Reason = $_.Exception.Message
        return $result
    }
    if ($null -eq $document.Root -or $document.Root.Kind -cne 'object') { return $result }

    $original = $text
    $index = Find-CcfMemberIndex $document.Root 'apiKeyHelper' $text $Helper
    if ($index -ge 0) {
        $text = Invoke-CcfRemoveEdit $text (New-CcfRemoveEdit $document.Root $index)
        $document = Read-CcfDocument $text
    }
    $removedEnv = $false
    for ($i = 0; $i -lt $EnvNames.Count; $i++) {
        $envIndex = -1
        for ($j = 0; $j -lt $document.Root.Members.Count; $j++) { if ($document.Root.Members[$j].Key -ceq 'env') { $envIndex = $j } }
        if ($envIndex -lt 0 -or $document.Root.Members[$envIndex].Value.Kind -cne 'object') { break }
        $envNode = $document.Root.Members[$envIndex].Value
        $index = Find-CcfMemberIndex $envNode $EnvNames[$i] $text $EnvValues[$i]
        if ($index -lt 0) { continue }
        $text = Invoke-CcfRemoveEdit $text (New-CcfRemoveEdit $envNode $index)
        $document = Read-CcfDocument $text
        $removedEnv = $true
        if ($envNode.Members.Count -eq 1) {
            $text = Invoke-CcfRemoveEdit $text (New-CcfRemoveEdit $document.Root $envIndex)
            $document = Read-CcfDocument $text
            break
        }
    }
    if ($text -ceq $original) { return $result }
    $result.Status = 'changed'
    $result.Text = $text
    $result.Empty = ($document.Root.Members.Count -eq 0)
    return $result
}
