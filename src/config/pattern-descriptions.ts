/**
 * Plain-language descriptions of the regular expressions in schema/fleet.schema.json, keyed by the
 * pattern text exactly as the schema holds it. Validation errors print these; a pattern missing
 * here falls back to the regex itself, and test/config/load.test.ts checks that none is missing.
 */
export const PATTERN_DESCRIPTIONS: ReadonlyMap<string, string> = new Map([
  [String.raw`^[^\u0000-\u001f\u007f]+$`, 'text without control characters'],
  [String.raw`^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$`, 'a lowercase reverse-DNS identifier such as com.example'],
  [String.raw`^[a-z0-9][a-z0-9+.-]+$`, 'a Debian package name: at least two of a-z, 0-9, +, - and ., starting with a letter or digit'],
  [String.raw`^[0-9][A-Za-z0-9.+~]*$`, 'a version such as 1.0.0: starts with a digit, then letters, digits, ., + or ~'],
  [String.raw`^[^<>\u0000-\u001f]+ <[^<>@\s]+@[^<>@\s]+>$`, 'a name and an email address, such as Example IT <it@example.com>'],
  [String.raw`^[\x21-\x7e]+$`, 'printable ASCII without spaces'],
  [String.raw`^[\x20-\x7e]*$`, 'printable ASCII (spaces allowed)'],
  [String.raw`^~/[^\u0000-\u001f]+$`, 'a path that starts with ~/, without control characters'],
  [String.raw`^%USERPROFILE%\\[^\u0000-\u001f"]+$`, 'a path that starts with %USERPROFILE%\\, without control characters or double quotes'],
  [String.raw`^(~|/)[^\u0000-\u001f]*$`, 'a path that starts with ~ or /, without control characters'],
  [String.raw`^(%USERPROFILE%|[A-Za-z]:)\\[^\u0000-\u001f"]+$`, 'a path that starts with %USERPROFILE%\\ or a drive such as C:\\, without control characters or double quotes'],
  [String.raw`^[A-Za-z_][A-Za-z0-9_]*$`, 'an environment variable name: letters, digits and _, not starting with a digit'],
  [String.raw`^/[^\u0000-\u001f]*[^/]$`, 'an absolute POSIX path without control characters or a trailing /'],
  [String.raw`^[A-Za-z]:\\[^\u0000-\u001f"*?<>|]*[^\\]$`, 'an absolute Windows path such as C:\\Tools\\helper.ps1, without control characters, ", *, ?, <, >, | or a trailing \\'],
  [String.raw`^[A-Za-z0-9][A-Za-z0-9._:@/\[\]-]*$`, 'a model id: letters, digits and . _ : @ / [ ] -, starting with a letter or digit'],
])
