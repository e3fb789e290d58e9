# Settings merge for Windows PowerShell 5.1: the PowerShell port of docs/settings-merge-spec.md.
# It edits the text of the file with its own JSON tokenizer instead of ConvertFrom-Json and
# ConvertTo-Json, because 5.1 cuts ConvertTo-Json output at depth 2, has no hashtables in
# ConvertFrom-Json and re-serializing would change every byte the admin or the user wrote.

# One token per match, anchored at the position (\G). Groups: 1 whitespace, 2 line comment,
# 3 block comment, 4 string, 5 number, 6 literal, 7 punctuation.
$script:CcfTokenRegex = New-Object Text.RegularExpressions.Regex -ArgumentList ('\G(?:([ \t\r\n]+)|(//[^\r\n]*)|(/\*[\s\S]*?\*/)|("(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9A-Fa-f]{4})*")|((?>-?(?>0|[1-9][0-9]*)(?>\.[0-9]+|(?!\.))(?>[eE][+-]?[0-9]+|(?![eE]))))|((?:true|false|null)(?![^ \t\r\n{}\[\]":,/]))|([{}\[\]:,]))')
$script:CcfTokenKinds = @('', 'ws', 'lc', 'bc', 'str', 'num', 'lit', 'pun')
$script:CcfOverridingEnv = @('ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_API_KEY')
# Spec F4: objects and arrays nest at most 64 levels, the top-level object included, as in the
# TypeScript merge and the sh/awk port. The parser recurses once per level.
$script:CcfMaxNestingDepth = 64
$script:CcfLowSurrogateRegex = New-Object Text.RegularExpressions.Regex -ArgumentList '[\uDC00-\uDFFF]'
$script:CcfStrictUtf8 = New-Object Text.UTF8Encoding -ArgumentList $false, $true
$script:CcfJsonEscapeRegex = New-Object Text.RegularExpressions.Regex -ArgumentList '[\x00-\x1f"\\]'
$script:CcfJsonEscapeEvaluator = [Text.RegularExpressions.MatchEvaluator] {
    param($Match)
    $code = [int]$Match.Value[0]
    switch ($code) {
        8 { return '\b' }
        9 { return '\t' }
        10 { return '\n' }
        12 { return '\f' }
        13 { return '\r' }
        34 { return '\"' }
        92 { return '\\' }
    }
    return ('\u{0:x4}' -f $code)
}

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
    # Columns count code points: the low half of a surrogate pair adds nothing.
    $segment = $Text.Substring($lineStart, $Position - $lineStart)
    $column = $segment.Length + 1 - $script:CcfLowSurrogateRegex.Matches($segment).Count
    return @($line, $column)
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

# Splits the text into tokens. Where no token matches, one 'err' token ends the list: the parser
# raises its error only when it reaches it, so an earlier syntax error is reported first, as the
# TypeScript parser does.
function Get-CcfTokens {
    param([string]$Text)
    $tokens = [Collections.Generic.List[object]]::new()
    $position = 0
    while ($position -lt $Text.Length) {
        $match = $script:CcfTokenRegex.Match($Text, $position)
        if (-not $match.Success) {
            $tokens.Add(@{ Kind = 'err'; Start = $position; End = $Text.Length; Error = (Get-CcfTokenError $Text $position) })
            break
        }
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

# Names what is wrong where no token matches. For a bad string the error points at the bad
# character; the parser uses it where it reads a key or value and the string's start elsewhere.
function Get-CcfTokenError {
    param([string]$Text, [int]$Position)
    $char = $Text[$Position]
    if ($char -ceq '"') {
        $i = $Position + 1
        while ($i -lt $Text.Length) {
            $c = $Text[$i]
            if ($c -ceq '"') { break }
            if ($c -ceq "`n" -or $c -ceq "`r") { break }
            if ([int]$c -lt 0x20) { return (New-CcfSyntaxError ('control character U+{0:X4} inside a string; write it as an escape' -f [int]$c) $i) }
            if ($c -ceq '\') {
                if ($i + 1 -ge $Text.Length) { break }
                $escape = $Text[$i + 1]
                if ($escape -ceq 'u') {
                    if ($Text.Length -lt $i + 6 -or $Text.Substring($i + 2, 4) -cnotmatch '^[0-9a-fA-F]{4}$') { return (New-CcfSyntaxError 'invalid \u escape; it needs four hex digits' $i) }
                    $i += 6
                    continue
                }
                if ('"\/bfnrt'.IndexOf($escape) -lt 0) { return (New-CcfSyntaxError ('invalid escape \' + $escape) $i) }
                $i += 2
                continue
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
    $builder = [Text.StringBuilder]::new()
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
    if (-not $script:CcfJsonEscapeRegex.IsMatch($Value)) { return '"' + $Value + '"' }
    return '"' + $script:CcfJsonEscapeRegex.Replace($Value, $script:CcfJsonEscapeEvaluator) + '"'
}

# Recursive descent over the significant tokens. Objects keep their members with positions;
# trailing commas are collected for the repair instead of failing.
function Get-CcfUnexpected {
    param($State, $Token, [string]$Expected)
    if ($null -eq $Token) { return (New-CcfSyntaxError ('unexpected end of file, ' + $Expected + ' was expected') $State.Text.Length) }
    $found = $State.Text.Substring($Token.Start, [Math]::Min(20, $Token.End - $Token.Start))
    return (New-CcfSyntaxError ($Expected + ' was expected, found ' + $found) $Token.Start)
}

# The token at the parser's position, or $null at the end. A token error surfaces as soon as it
# is reached, except a bad string, which fails with its own error only where a string is read.
function Get-CcfToken {
    param($State)
    if ($State.Index -ge $State.Tokens.Count) { return $null }
    $token = $State.Tokens[$State.Index]
    if ($token.Kind -ceq 'err' -and $State.Text[$token.Start] -cne '"') { throw $token.Error }
    return $token
}

function Read-CcfValue {
    param($State)
    $token = Get-CcfToken $State
    if ($null -eq $token) { throw (Get-CcfUnexpected $State $null 'a value') }
    if ($token.Kind -ceq 'err') { throw $token.Error }
    $container = $token.Kind -ceq '{' -or $token.Kind -ceq '['
    if ($container -and $State.Depth -ge $script:CcfMaxNestingDepth) { throw (New-CcfSyntaxError "nesting deeper than $($script:CcfMaxNestingDepth) levels" $token.Start) }
    $State.Index++
    if ($container) {
        $State.Depth += 1
        if ($token.Kind -ceq '{') { $node = Read-CcfObject $State $token } else { $node = Read-CcfArray $State $token }
        $State.Depth -= 1
        return $node
    }
    switch -CaseSensitive ($token.Kind) {
        'str' { return @{ Kind = 'string'; Start = $token.Start; End = $token.End } }
        'num' { return @{ Kind = 'number'; Start = $token.Start; End = $token.End } }
        'lit' { return @{ Kind = 'literal'; Start = $token.Start; End = $token.End } }
    }
    throw (Get-CcfUnexpected $State $token 'a value')
}

function Read-CcfObject {
    param($State, $Open)
    $members = [Collections.Generic.List[object]]::new()
    $node = @{ Kind = 'object'; Start = $Open.Start; Open = $Open.Start; Members = $members }
    $token = Get-CcfToken $State
    if ($null -ne $token -and $token.Kind -ceq '}') {
        $State.Index++
        $node.Close = $token.Start
        $node.End = $token.End
        return $node
    }
    while ($true) {
        if ($null -eq $token -or ($token.Kind -cne 'str' -and $token.Kind -cne 'err')) { throw (Get-CcfUnexpected $State $token 'a property name in double quotes') }
        if ($token.Kind -ceq 'err') { throw $token.Error }
        $State.Index++
        $key = ConvertFrom-CcfJsonString $State.Text.Substring($token.Start, $token.End - $token.Start)
        $colon = Get-CcfToken $State
        if ($null -eq $colon -or $colon.Kind -cne ':') { throw (Get-CcfUnexpected $State $colon "':'") }
        $State.Index++
        $value = Read-CcfValue $State
        $members.Add(@{ Key = $key; KeyStart = $token.Start; Value = $value })
        $next = Get-CcfToken $State
        if ($null -ne $next -and $next.Kind -ceq '}') {
            $State.Index++
            $node.Close = $next.Start
            $node.End = $next.End
            return $node
        }
        if ($null -eq $next -or $next.Kind -cne ',') { throw (Get-CcfUnexpected $State $next "',' or '}'") }
        $State.Index++
        $token = Get-CcfToken $State
        if ($null -ne $token -and $token.Kind -ceq '}') {
            $State.TrailingCommas.Add($next.Start)
            $State.Index++
            $node.Close = $token.Start
            $node.End = $token.End
            return $node
        }
    }
}

function Read-CcfArray {
    param($State, $Open)
    $token = Get-CcfToken $State
    if ($null -ne $token -and $token.Kind -ceq ']') {
        $State.Index++
        return @{ Kind = 'array'; Start = $Open.Start; End = $token.End }
    }
    while ($true) {
        [void](Read-CcfValue $State)
        $next = Get-CcfToken $State
        if ($null -ne $next -and $next.Kind -ceq ']') {
            $State.Index++
            return @{ Kind = 'array'; Start = $Open.Start; End = $next.End }
        }
        if ($null -eq $next -or $next.Kind -cne ',') { throw (Get-CcfUnexpected $State $next "',' or ']'") }
        $State.Index++
        $after = Get-CcfToken $State
        if ($null -ne $after -and $after.Kind -ceq ']') {
            $State.TrailingCommas.Add($next.Start)
            $State.Index++
            return @{ Kind = 'array'; Start = $Open.Start; End = $after.End }
        }
    }
}

# Parses a JSON text with comments and trailing commas. Returns the root node (or $null for a
# document without a value), the comment tokens and the trailing comma positions.
function Read-CcfDocument {
    param([string]$Text)
    $all = Get-CcfTokens $Text
    $significant = [Collections.Generic.List[object]]::new()
    $comments = [Collections.Generic.List[object]]::new()
    foreach ($token in $all) {
        if ($token.Kind -ceq 'ws') { continue }
        if ($token.Kind -ceq 'lc' -or $token.Kind -ceq 'bc') { $comments.Add($token); continue }
        $significant.Add($token)
    }
    $state = @{ Text = $Text; Tokens = $significant; Index = 0; Depth = 0; TrailingCommas = [Collections.Generic.List[int]]::new() }
    $root = $null
    if ($significant.Count -gt 0) {
        $root = Read-CcfValue $state
        if ($state.Index -lt $significant.Count) { throw (New-CcfSyntaxError 'unexpected text after the top-level value' $significant[$state.Index].Start) }
    }
    return @{ Root = $root; Comments = $comments; TrailingCommas = $state.TrailingCommas }
}

# Ranges to delete for the comment and trailing comma repairs (spec R1-R3), with one repair
# record per item naming its line in the original text. Each comment goes with the spaces and
# tabs right before it, each trailing comma alone; then every line that held a comment and is
# left blank goes too, with its line ending (lines joined by a block comment count as one).
function Get-CcfRepairs {
    param([string]$Text, $Document)
    if ($Document.Comments.Count -eq 0 -and $Document.TrailingCommas.Count -eq 0) { return @{ Ranges = @(); Repairs = @() } }
    $repairs = [Collections.Generic.List[object]]::new()
    $removed = [Collections.Generic.List[object]]::new()
    foreach ($comma in $Document.TrailingCommas) {
        $removed.Add(@($comma, ($comma + 1)))
        $repairs.Add(@{ Position = $comma; Kind = 'trailing-comma' })
    }
    foreach ($comment in $Document.Comments) {
        $removed.Add(@((Get-CcfBlankStart $Text $comment.Start), $comment.End))
        $kind = 'block-comment'
        if ($comment.Kind -ceq 'lc') { $kind = 'line-comment' }
        $repairs.Add(@{ Position = $comment.Start; Kind = $kind })
    }

    $spans = [Collections.Generic.List[object]]::new()
    # Comments and trailing commas are both recorded in file order.
    foreach ($comment in $Document.Comments) {
        $start = Get-CcfLineStart $Text $comment.Start
        $newline = $Text.IndexOf([char]10, $comment.End)
        $end = $Text.Length
        if ($newline -ge 0) { $end = $newline + 1 }
        if ($spans.Count -gt 0 -and $start -lt $spans[$spans.Count - 1][1]) {
            $last = $spans[$spans.Count - 1]
            $last[1] = [Math]::Max($last[1], $end)
        }
        else { $spans.Add(@($start, $end)) }
    }

    $merged = Merge-CcfRanges $removed
    foreach ($span in $spans) {
        if (Test-CcfBlankAfterRemoval $Text $span $merged) { $removed.Add($span) }
    }
    $ordered = Sort-CcfItems $repairs.ToArray() ([int[]]@($repairs | ForEach-Object { $_.Position }))
    return @{ Ranges = (Merge-CcfRanges $removed); Repairs = $ordered }
}

# Stable insertion sort by integer keys; the lists are short, and Sort-Object costs more per call.
function Sort-CcfItems {
    param([object[]]$Items, [int[]]$Keys)
    $items = [object[]]$Items.Clone()
    $keys = [int[]]$Keys.Clone()
    for ($i = 1; $i -lt $items.Length; $i++) {
        $item = $items[$i]
        $key = $keys[$i]
        $j = $i - 1
        while ($j -ge 0 -and $keys[$j] -gt $key) {
            $items[$j + 1] = $items[$j]
            $keys[$j + 1] = $keys[$j]
            $j--
        }
        $items[$j + 1] = $item
        $keys[$j + 1] = $key
    }
    return , $items
}

function Merge-CcfRanges {
    param($Ranges)
    $merged = [Collections.Generic.List[object]]::new()
    $sorted = Sort-CcfItems $Ranges.ToArray() ([int[]]@($Ranges | ForEach-Object { $_[0] }))
    foreach ($range in $sorted) {
        if ($merged.Count -gt 0 -and $range[0] -le $merged[$merged.Count - 1][1]) {
            $last = $merged[$merged.Count - 1]
            $last[1] = [Math]::Max($last[1], $range[1])
        }
        else { $merged.Add(@($range[0], $range[1])) }
    }
    return , $merged
}

# True when the span keeps nothing but spaces, tabs and its final line ending once the removed
# ranges (sorted, merged) are gone.
function Test-CcfBlankAfterRemoval {
    param([string]$Text, $Span, $Removed)
    $contentEnd = $Span[1]
    if ($contentEnd -gt $Span[0] -and $Text[$contentEnd - 1] -ceq "`n") { $contentEnd-- }
    if ($contentEnd -gt $Span[0] -and $Text[$contentEnd - 1] -ceq "`r") { $contentEnd-- }
    $position = $Span[0]
    foreach ($range in $Removed) {
        if ($range[1] -le $position) { continue }
        if ($range[0] -ge $contentEnd) { break }
        if (-not (Test-CcfBlank $Text $position ([Math]::Max($position, $range[0])))) { return $false }
        $position = [Math]::Max($position, $range[1])
    }
    if ($position -ge $contentEnd) { return $true }
    return (Test-CcfBlank $Text $position $contentEnd)
}

function Remove-CcfRanges {
    param([string]$Text, $Ranges)
    $builder = [Text.StringBuilder]::new()
    $cursor = 0
    foreach ($range in $Ranges) {
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

# An existing value for a conflict report: decoded when it is a string, else its JSON text.
function Get-CcfOldValue {
    param([string]$Text, $Value)
    $raw = $Text.Substring($Value.Start, $Value.End - $Value.Start)
    if ($Value.Kind -ceq 'string') { return (ConvertFrom-CcfJsonString $raw) }
    return $raw
}

function Find-CcfMembers {
    param($Node, [string]$Name)
    $found = @()
    foreach ($member in $Node.Members) { if ($member.Key -ceq $Name) { $found += , $member } }
    return , $found
}

# Compares the document with the desired keys (spec V1-V5, F3) and returns the first duplicate,
# conflicts, warnings, the replacements for the conflicts and the insertions of absent keys.
function Compare-CcfSettings {
    param([string]$Text, $Root, $Settings)
    $result = @{ Conflicts = @(); Warnings = @(); Replacements = @(); Insertions = @(); Duplicate = $null }

    # F3: a second apiKeyHelper or env, or a second desired variable in env, in file order.
    $seen = @{}
    foreach ($member in $Root.Members) {
        if ($member.Key -cne 'apiKeyHelper' -and $member.Key -cne 'env') { continue }
        if ($seen.ContainsKey($member.Key)) { $result.Duplicate = @{ Path = $member.Key; Position = $member.KeyStart }; return $result }
        $seen[$member.Key] = $true
    }
    $envMembers = Find-CcfMembers $Root 'env'
    if ($envMembers.Count -gt 0 -and $envMembers[0].Value.Kind -ceq 'object') {
        $seenNames = [Collections.Generic.HashSet[string]]::new([StringComparer]::Ordinal)
        foreach ($member in $envMembers[0].Value.Members) {
            if ($Settings.EnvNames -cnotcontains $member.Key) { continue }
            if (-not $seenNames.Add($member.Key)) { $result.Duplicate = @{ Path = ('env.' + $member.Key); Position = $member.KeyStart }; return $result }
        }
        foreach ($member in $envMembers[0].Value.Members) {
            $path = 'env.' + $member.Key
            if ($script:CcfOverridingEnv -ccontains $member.Key -and $result.Warnings -cnotcontains $path) { $result.Warnings += $path }
        }
    }

    $topAppend = @()
    $helperMembers = Find-CcfMembers $Root 'apiKeyHelper'
    if ($helperMembers.Count -eq 0) { $topAppend += , @('apiKeyHelper', (ConvertTo-CcfJsonString $Settings.Helper)) }
    else {
        $value = $helperMembers[0].Value
        $same = $value.Kind -ceq 'string' -and (ConvertFrom-CcfJsonString $Text.Substring($value.Start, $value.End - $value.Start)) -ceq $Settings.Helper
        if (-not $same) {
            $result.Conflicts += , @{ Path = 'apiKeyHelper'; Position = $value.Start; Old = (Get-CcfOldValue $Text $value) }
            $result.Replacements += , @{ Start = $value.Start; End = $value.End; Text = (ConvertTo-CcfJsonString $Settings.Helper) }
        }
    }

    if ($envMembers.Count -eq 0) { $topAppend += , @('env', $null) }
    elseif ($envMembers[0].Value.Kind -cne 'object') {
        $value = $envMembers[0].Value
        $result.Conflicts += , @{ Path = 'env'; Position = $value.Start; Old = (Get-CcfOldValue $Text $value) }
        $layout = Get-CcfLayout $Text $Root
        $keyIndent = ''
        if ($layout -ceq 'multi') { $keyIndent = Get-CcfIndent $Text $Root.Members[0].KeyStart }
        $result.Replacements += , @{ Start = $value.Start; End = $value.End; Text = (Format-CcfEnvObject $Settings.EnvNames $Settings.EnvValues ($layout -ceq 'single') $keyIndent $Settings.Unit $Settings.Eol) }
    }
    else {
        $envNode = $envMembers[0].Value
        $envAppend = @()
        for ($i = 0; $i -lt $Settings.EnvNames.Count; $i++) {
            $name = $Settings.EnvNames[$i]
            $found = Find-CcfMembers $envNode $name
            if ($found.Count -eq 0) { $envAppend += , @($name, (ConvertTo-CcfJsonString $Settings.EnvValues[$i])); continue }
            $value = $found[0].Value
            $same = $value.Kind -ceq 'string' -and (ConvertFrom-CcfJsonString $Text.Substring($value.Start, $value.End - $value.Start)) -ceq $Settings.EnvValues[$i]
            if (-not $same) {
                $result.Conflicts += , @{ Path = ('env.' + $name); Position = $value.Start; Old = (Get-CcfOldValue $Text $value) }
                $result.Replacements += , @{ Start = $value.Start; End = $value.End; Text = (ConvertTo-CcfJsonString $Settings.EnvValues[$i]) }
            }
        }
        if ($envAppend.Count -gt 0) {
            if ($envNode.Members.Count -eq 0 -and (Get-CcfLayout $Text $Root) -ceq 'single') {
                # I5: an empty env in a single-line parent stays on one line.
                $parts = @($envAppend | ForEach-Object { Format-CcfMember $_[0] $_[1] })
                $result.Insertions += , @{ Start = ($envNode.Open + 1); End = $envNode.Close; Text = ($parts -join ', ') }
            }
            else { $result.Insertions += , (New-CcfAppendEdit $Text $envNode $envAppend $Settings) }
        }
    }

    if ($topAppend.Count -gt 0) { $result.Insertions += , (New-CcfAppendEdit $Text $Root $topAppend $Settings) }
    return $result
}

function Invoke-CcfEdits {
    param([string]$Text, $Edits)
    $sorted = Sort-CcfItems @($Edits) ([int[]]@($Edits | ForEach-Object { - $_.Start }))
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
    return @{ Status = $Status; Text = $null; Repairs = @(); Warnings = @(); Conflicts = @(); Reason = ''; Kind = ''; Line = 0; Column = 0 }
}

function Set-CcfRefusal {
    param($Result, [string]$Text, [int]$Position, [string]$Reason)
    $lineColumn = Get-CcfLineColumn $Text $Position
    $Result.Status = 'refused'
    $Result.Kind = 'invalid'
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
        try { $text = $script:CcfStrictUtf8.GetString($Bytes, $offset, $Bytes.Length - $offset) }
        catch {
            $bad = 0
            $inner = $_.Exception
            while ($null -ne $inner -and -not ($inner -is [Text.DecoderFallbackException])) { $inner = $inner.InnerException }
            if ($null -ne $inner) { $bad = $inner.Index }
            $badAt = [Math]::Min($Bytes.Length, $offset + $bad)
            $line = 1
            $lineStart = $offset
            for ($i = $offset; $i -lt $badAt; $i++) { if ($Bytes[$i] -eq 10) { $line++; $lineStart = $i + 1 } }
            $prefix = (New-Object Text.UTF8Encoding -ArgumentList $false).GetString($Bytes, $lineStart, $badAt - $lineStart)
            $result.Status = 'refused'
            $result.Kind = 'invalid'
            $result.Reason = 'the file is not valid UTF-8'
            $result.Line = $line
            $result.Column = (Get-CcfLineColumn $prefix $prefix.Length)[1]
            return $result
        }
    }
    if ($hadBom) { $result.Repairs += , @{ Line = 1; Kind = 'bom' } }

    try { $document = Read-CcfDocument $text }
    catch [System.FormatException] { return (Set-CcfRefusal $result $text ([int]$_.Exception.Data['Position']) $_.Exception.Message) }

    # I1: the line ending comes from the input before repairs.
    $settings.Eol = Get-CcfEol $text
    $repair = Get-CcfRepairs $text $document
    foreach ($item in $repair.Repairs) { $result.Repairs += , @{ Line = (Get-CcfLineColumn $text $item.Position)[0]; Kind = $item.Kind } }

    # Repairs apply first; everything after works on the repaired text (spec R4), and positions in
    # later messages are positions in it, as in the TypeScript merge.
    if ($repair.Ranges.Count -gt 0) {
        $text = Remove-CcfRanges $text $repair.Ranges
        $document = Read-CcfDocument $text
    }

    if ($null -eq $document.Root) {
        $entries = @()
        for ($i = 0; $i -lt $EnvNames.Count; $i++) { $entries += (Format-CcfMember $EnvNames[$i] (ConvertTo-CcfJsonString $EnvValues[$i])) }
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

    $settings.Unit = Get-CcfIndentUnit $text $document.Root
    $comparison = Compare-CcfSettings $text $document.Root $settings
    if ($null -ne $comparison.Duplicate) { return (Set-CcfRefusal $result $text $comparison.Duplicate.Position ('duplicate key ' + $comparison.Duplicate.Path + '; Claude Code uses the last one, so fix the file by hand')) }
    $result.Warnings = $comparison.Warnings
    foreach ($conflict in $comparison.Conflicts) {
        $lineColumn = Get-CcfLineColumn $text $conflict.Position
        $result.Conflicts += , @{ Path = $conflict.Path; Old = $conflict.Old; Line = $lineColumn[0]; Column = $lineColumn[1] }
    }
    if ($comparison.Conflicts.Count -gt 0 -and -not $Force) {
        $paths = @($comparison.Conflicts | ForEach-Object { $_.Path }) -join ', '
        $result = Set-CcfRefusal $result $text $comparison.Conflicts[0].Position ('different existing values for ' + $paths + ' (run with -Force to replace them)')
        $result.Kind = 'conflict'
        return $result
    }

    # V4 with force: replacements keep the structure, so they apply together; insertions are then
    # computed on the result.
    $edited = $false
    if ($comparison.Replacements.Count -gt 0) {
        $text = Invoke-CcfEdits $text $comparison.Replacements
        $document = Read-CcfDocument $text
        $settings.Unit = Get-CcfIndentUnit $text $document.Root
        $comparison = Compare-CcfSettings $text $document.Root $settings
        $edited = $true
    }
    if ($comparison.Insertions.Count -gt 0) {
        $text = Invoke-CcfEdits $text $comparison.Insertions
        $edited = $true
    }
    if (-not $edited -and $result.Repairs.Count -eq 0) { return $result }

    $result.Text = $text
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

# Applies a removal and, unless the object became empty, drops the line it leaves blank.
function Invoke-CcfRemoveEdit {
    param([string]$Text, $Edit, [bool]$OnlyMember)
    $Text = $Text.Substring(0, $Edit.Start) + $Text.Substring($Edit.End)
    if ($OnlyMember) { return $Text }
    $lineStart = Get-CcfLineStart $Text $Edit.Start
    $newline = $Text.IndexOf([char]10, $Edit.Start)
    $lineEnd = $Text.Length
    if ($newline -ge 0) { $lineEnd = $newline + 1 }
    if ($Text.Substring($lineStart, $lineEnd - $lineStart) -cmatch '^[ \t]*\r?\n?$') { $Text = $Text.Substring(0, $lineStart) + $Text.Substring($lineEnd) }
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
        $text = $script:CcfStrictUtf8.GetString($Bytes, $offset, $Bytes.Length - $offset)
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
        $text = Invoke-CcfRemoveEdit $text (New-CcfRemoveEdit $document.Root $index) ($document.Root.Members.Count -eq 1)
        $document = Read-CcfDocument $text
    }
    for ($i = 0; $i -lt $EnvNames.Count; $i++) {
        $envIndex = -1
        for ($j = 0; $j -lt $document.Root.Members.Count; $j++) { if ($document.Root.Members[$j].Key -ceq 'env') { $envIndex = $j } }
        if ($envIndex -lt 0 -or $document.Root.Members[$envIndex].Value.Kind -cne 'object') { break }
        $envNode = $document.Root.Members[$envIndex].Value
        $index = Find-CcfMemberIndex $envNode $EnvNames[$i] $text $EnvValues[$i]
        if ($index -lt 0) { continue }
        $text = Invoke-CcfRemoveEdit $text (New-CcfRemoveEdit $envNode $index) ($envNode.Members.Count -eq 1)
        $document = Read-CcfDocument $text
        if ($envNode.Members.Count -eq 1) {
            $text = Invoke-CcfRemoveEdit $text (New-CcfRemoveEdit $document.Root $envIndex) ($document.Root.Members.Count -eq 1)
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
