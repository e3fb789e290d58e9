import {spawnSync} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'

import {renderAuthHelper} from '../../src/helper/render.js'
import {createSandbox, helperConfig, runHelper, writeHelper} from '../support/helper-sandbox.js'

/**
 * The sh helper's JSON and form parsing (its AWK_LIBRARY) under every awk a target machine may
 * have: mawk (Debian, Ubuntu), gawk, the original BWK awk (macOS) and busybox awk (Alpine).
 */

const RUNS = Number(process.env.CCFLEET_PROPERTY_RUNS ?? 1000)
const AWKS: Record<string, string[]> = {
  mawk: ['mawk'],
  gawk: ['gawk'],
  'original-awk': ['original-awk'],
  busybox: ['busybox', 'awk'],
}

const folder = mkdtempSync(join(tmpdir(), 'ccfleet-awk-'))
afterAll(() => rmSync(folder, {recursive: true, force: true}))

/** The awk library exactly as the rendered helper ships it. */
function awkLibrary(): string {
  const script = renderAuthHelper(helperConfig({issuer: 'https://id.example', clientId: 'cli'}), 'linux')
  const match = /\nAWK_LIBRARY='([^']*)'\n/.exec(script)
  if (!match) throw new Error('AWK_LIBRARY not found in the rendered helper')
  return match[1]
}

/**
 * Parses many bodies in one awk run: bodies are separated by a line `--CASE--`; for each, the
 * program prints the format and the requested keys' values as JSON strings.
 */
const DRIVER = `
BEGIN { lib_init(); count = split(ENVIRON["KEYS"], keys, " ") }
$0 == "--CASE--" { emit(); next }
{ body = body (started ? "\\n" : "") $0; started = 1 }
END { emit() }
function emit(    i, format, out) {
  if (!started && body == "") return
  T = body; split("", J)
  format = parse_body()
  out = "{" json_quote("format") ":" json_quote(format)
  for (i = 1; i <= count; i++) if (keys[i] in J) out = out "," json_quote(keys[i]) ":" json_quote(J[keys[i]])
  print out "}"
  body = ""; started = 0
}`

function parseAll(awk: string[], bodies: string[], keys: string[]): Record<string, string>[] {
  const program = join(folder, 'driver.awk')
  writeFileSync(program, awkLibrary() + DRIVER)
  const result = spawnSync(awk[0], [...awk.slice(1), '-f', program], {input: bodies.join('\n--CASE--\n') + '\n', encoding: 'utf8', env: {...process.env, LC_ALL: 'C', KEYS: keys.join(' ')}})
  if (result.status !== 0) throw new Error(`${awk.join(' ')} failed: ${result.stderr}`)
  return result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, string>)
}

const KEYS = ['access_token', 'refresh_token', 'expires_in', 'error', 'message', 'k0', 'k1', 'k2']

/** Strings made of ASCII, escapes that JSON.stringify produces, and non-ASCII characters. */
const valueArbitrary = fc.string({unit: fc.oneof(fc.constantFrom('"', '\\', '/', '\n', '\t', '\u0001', '\u00e9', '\u2019', '\u{1F600}', ' ', '&', '=', '+', '%'), fc.string({minLength: 1, maxLength: 1, unit: 'binary'})), maxLength: 30})

describe.each(Object.keys(AWKS))('%s', (name) => {
  const awk = AWKS[name]

  it('parses the documented shapes', () => {
    const bodies = [
      '{"access_token":"abc","expires_in":3600}',
      '{\n  "expires_in" : "3600" ,\n  "access_token" : "a\\/b\\"c\\\\d\\u0041",\n  "nested": {"access_token": "inner", "list": [1, {"x": "}"}]},\n  "message": "caf\\u00e9 \\ud83d\\ude00"\n}',
      '\r\n {"error":"authorization_pending","error_description":null}\r\n',
      'access_token=x%2By+z&expires_in=60&error=',
      '<html>502 Bad Gateway</html>',
      '{"access_token": "abc", "expires_in": ',
    ]
    const parsed = parseAll(awk, bodies, KEYS)
    expect(parsed[0]).toEqual({format: 'json', access_token: 'abc', expires_in: '3600'})
    expect(parsed[1]).toEqual({format: 'json', expires_in: '3600', access_token: 'a/b"c\\dA', message: 'caf\u00e9 \u{1F600}'})
    expect(parsed[2]).toEqual({format: 'json', error: 'authorization_pending'})
    expect(parsed[3]).toEqual({format: 'form', access_token: 'x+y z', expires_in: '60', error: ''})
    expect(parsed[4].format).toBe('invalid')
    expect(parsed[5].format).toBe('invalid')
  })

  it('round-trips generated objects', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.dictionary(fc.constantFrom('k0', 'k1', 'k2', 'message'), valueArbitrary, {minKeys: 1}), fc.constantFrom(0, 2, '\t'), fc.boolean()), {minLength: 50, maxLength: 50}),
        (cases) => {
          const bodies = cases.map(([object, indent, ascii]) => {
            const text = JSON.stringify(object, null, indent)
            // Half the cases escape every non-ASCII character as \\uXXXX, as many servers do.
            return ascii ? text.replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`) : text
          })
          const parsed = parseAll(awk, bodies, KEYS)
          cases.forEach(([object], index) => {
            // A NUL cannot live in an awk string, and JSON \\u0000 is dropped: compare without it.
            const expected = Object.fromEntries(Object.entries(object).map(([key, value]) => [key, value.replace(/\0/g, '')]))
            expect(parsed[index]).toEqual({format: 'json', ...expected})
          })
        },
      ),
      {numRuns: Math.max(1, Math.round(RUNS / 50))},
    )
  })

  it('runs the helper cached path', async () => {
    const sandbox = createSandbox()
    try {
      const bin = join(sandbox.root, 'bin')
      rmSync(join(bin, 'awk'), {force: true})
      if (name === 'busybox') {
        writeFileSync(join(bin, 'awk'), '#!/bin/sh\nexec busybox awk "$@"\n')
        chmodSync(join(bin, 'awk'), 0o755)
      } else {
        symlinkSync(spawnSync('sh', ['-c', `command -v ${awk[0]}`], {encoding: 'utf8'}).stdout.trim(), join(bin, 'awk'))
      }

      const script = writeHelper(sandbox, helperConfig({issuer: 'https://id.example', clientId: 'cli'}), 'linux')
      mkdirSync(join(sandbox.home, '.config', 'claude-code'), {recursive: true})
      const soon = Math.floor(Date.now() / 1000) + 3600
      writeFileSync(
        sandbox.cacheFile,
        `{\r\n "refresh_at" : "${soon}", "client_id":"cli",\n\t"access_token": "tok\\/en\\u002d1",\n "issuer": "https:\\/\\/id.example", "other": {"refresh_at": 1}}`,
      )
      const run = await runHelper(sandbox, 'dash', script)
      expect(run.stderr).toBe('')
      expect(run.stdout).toBe('tok/en-1\n')
    } finally {
      sandbox.cleanup()
    }
  })
})
