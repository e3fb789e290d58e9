import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {checkPs51Scripts, formatPs51Findings} from '../../src/checks/ps51.js'
import {parseFleetConfig} from '../../src/config/load.js'
import type {FleetConfig} from '../../src/config/types.js'
import {assertHereStringsIntact, renderAuthHelper} from '../../src/helper/render.js'
import {createSandbox, helperConfig, PWSH, runHelper, writeHelper} from '../support/helper-sandbox.js'

const folder = mkdtempSync(join(tmpdir(), 'ccfleet-render-'))
afterAll(() => rmSync(folder, {recursive: true, force: true}))

/** Values that break naive quoting in sh or PowerShell. */
const HOSTILE = [
  `it's "quoted"`,
  'a $(touch /tmp/ccfleet-pwned) b',
  'back`tick` and `$(id)`',
  "'; exit 7; echo '",
  'line one\nline two',
  'caf\u00e9 \u2019quote\u2019 \u201Cdouble\u201D \u{1F600}',
  '$env:PATH ${HOME} %USERPROFILE% \\ \\\\',
  '@\' here-string \'@ "@ $true',
]

/** A config that passes the schema but carries every hostile character the schema allows. */
function schemaHostileConfig(): FleetConfig {
  return parseFleetConfig(
    JSON.stringify({
      organization: {name: `Org 'x' $(id) \`id\` "; exit 1; \u00e9\u2019`, identifier: 'com.example.test'},
      oauth: {
        issuer: "http://127.0.0.1:9/a'b$(id)",
        clientId: `cli'"$(id)\`;`,
        scope: `openid 'offline_access' $(id) \`x\` ";`,
        audience: `aud'$(id)"\`;`,
        openBrowser: false,
      },
      helper: {tokenCache: {posix: `~/c'ache $(id) \`x\` \u00e9/tokens.json`, windows: `%USERPROFILE%\\c'ache $(id) \u00e9\\tokens.json`}},
    }),
  )
}

/** Every config string replaced by one hostile value, bypassing the schema (which rejects newlines). */
function hostileConfig(value: string): FleetConfig {
  const config = helperConfig({issuer: 'http://127.0.0.1:9', clientId: 'cli'})
  return {
    ...config,
    organization: {...config.organization, name: value},
    oauth: {...config.oauth, issuer: value, deviceAuthorizationEndpoint: value, tokenEndpoint: value, clientId: value, scope: value, audience: value},
    helper: {...config.helper, tokenCache: {posix: `~/${value}/tokens.json`, windows: `%USERPROFILE%\\${value}\\tokens.json`}},
  }
}

function expectedValues(config: FleetConfig, windows: boolean): Record<string, string> {
  return {
    organization_name: config.organization.name,
    issuer: config.oauth.issuer ?? '',
    device_authorization_endpoint: config.oauth.deviceAuthorizationEndpoint ?? '',
    token_endpoint: config.oauth.tokenEndpoint ?? '',
    client_id: config.oauth.clientId,
    scope: config.oauth.scope,
    audience: config.oauth.audience ?? '',
    token_cache: windows ? config.helper.tokenCache.windows : config.helper.tokenCache.posix,
  }
}

describe('rendered sh helper', () => {
  it('is shellcheck clean', () => {
    const path = join(folder, 'clean.sh')
    writeFileSync(path, renderAuthHelper(schemaHostileConfig(), 'linux'))
    const result = spawnSync('shellcheck', ['-s', 'sh', path], {encoding: 'utf8'})
    expect(result.stdout + result.stderr).toBe('')
    expect(result.status).toBe(0)
  })

  it('is the same for macOS and Linux and deterministic', () => {
    const config = schemaHostileConfig()
    expect(renderAuthHelper(config, 'macos')).toBe(renderAuthHelper(config, 'linux'))
    expect(renderAuthHelper(config, 'linux')).toBe(renderAuthHelper(schemaHostileConfig(), 'linux'))
  })

  it('carries hostile values intact', () => {
    const sandbox = createSandbox()
    try {
      const configs = [schemaHostileConfig(), ...HOSTILE.map(hostileConfig)]
      for (const config of configs) {
        const path = writeHelper(sandbox, config, 'linux')
        for (const shell of ['dash', 'bash', 'busybox']) {
          const args = shell === 'busybox' ? ['sh', '-n', path] : ['-n', path]
          expect(spawnSync(shell, args, {encoding: 'utf8'}).status, `${shell} -n`).toBe(0)
        }

        const printed = JSON.parse(execFileSync('dash', [path, 'config'], {env: sandbox.env, encoding: 'utf8'})) as Record<string, string>
        expect(printed).toMatchObject(expectedValues(config, false))
        expect(printed.token_cache_path).toBe(sandbox.home + config.helper.tokenCache.posix.slice(1))
        expect(existsSync('/tmp/ccfleet-pwned')).toBe(false)
      }
    } finally {
      sandbox.cleanup()
    }
  })

  it('fails cleanly on a hostile issuer', async () => {
    const sandbox = createSandbox()
    try {
      const path = writeHelper(sandbox, hostileConfig('a $(touch pwned) `touch pwned2`'), 'linux')
      const run = await runHelper(sandbox, 'dash', path)
      expect(run.stdout).toBe('')
      expect(run.code).toBe(1)
      expect(run.stderr).toMatch(/refusing/)
    } finally {
      sandbox.cleanup()
    }
  })
})

describe('rendered ps1 helper', () => {
  it('passes the 5.1 check and is ASCII with CRLF line ends', () => {
    const texts = [schemaHostileConfig(), ...HOSTILE.map(hostileConfig)].map((config, index) => ({name: `helper${index}.ps1`, text: renderAuthHelper(config, 'windows')}))
    for (const {text} of texts) {
      expect(/^[\x00-\x7f]*$/.test(text)).toBe(true)
      expect(text.replace(/\r\n/g, '')).not.toContain('\n')
    }

    const results = checkPs51Scripts(texts)
    for (const [name, findings] of results) expect(formatPs51Findings(name, findings)).toBe('')
  }, 180_000)

  it('keeps the slow-path here-string closed once', () => {
    for (const config of [schemaHostileConfig(), ...HOSTILE.map(hostileConfig)]) {
      const closing = renderAuthHelper(config, 'windows')
        .split('\r\n')
        .filter((line) => /^\s*'@/.test(line))
      expect(closing).toEqual(["'@))"])
    }
  })

  it('rejects a value that closes a here-string', () => {
    const source = "$a = [ScriptBlock]::Create(@'\n{{ps value}}\n'@)\n"
    const rendered = "$a = [ScriptBlock]::Create(@'\n'@ + (Remove-Item x)'\n'@)\n"
    expect(() => assertHereStringsIntact('test.ps1.hbs', source, rendered)).toThrow(/closes a here-string/)
    expect(() => assertHereStringsIntact('test.ps1.hbs', source, "$a = [ScriptBlock]::Create(@'\n'x'\n'@)\n")).not.toThrow()
  })

  it('carries hostile values intact', () => {
    const sandbox = createSandbox()
    try {
      // One pwsh process runs every rendered script (pwsh takes seconds to start on a busy machine).
      const configs = [schemaHostileConfig(), ...HOSTILE.map(hostileConfig)]
      const paths = configs.map((config, index) => {
        const path = join(sandbox.root, `helper${index}.ps1`)
        writeFileSync(path, renderAuthHelper(config, 'windows'))
        return path
      })
      const command = paths.map((path) => `& '${path}' config; [Console]::Out.Write('--NEXT--')`).join('; ')
      const outputs = execFileSync(PWSH, ['-NoProfile', '-NonInteractive', '-Command', command], {env: sandbox.env, encoding: 'utf8'}).split('--NEXT--')
      configs.forEach((config, index) => {
        const printed = JSON.parse(outputs[index]) as Record<string, string>
        expect(printed).toMatchObject(expectedValues(config, true))
        expect(printed.token_cache_path).toBe(sandbox.home + config.helper.tokenCache.windows.slice('%USERPROFILE%'.length).replace(/\\/g, '/'))
      })
    } finally {
      sandbox.cleanup()
    }
  }, 180_000)
})

describe('helper render command', () => {
  beforeAll(() => {
    writeFileSync(join(folder, 'fleet.jsonc'), JSON.stringify({organization: {name: 'Org', identifier: 'com.org'}, oauth: {issuer: 'https://id.org.example', clientId: 'cli'}}))
  })

  it('writes the file atomically with mode 0755', () => {
    const configPath = join(folder, 'fleet.jsonc')
    const out = join(folder, 'auth-helper.sh')
    execFileSync('node', ['bin/run.js', 'helper', 'render', '--os', 'linux', '--config', configPath, '-o', out], {encoding: 'utf8'})
    expect(statSync(out).mode & 0o777).toBe(0o755)
    const printed = execFileSync('node', ['bin/run.js', 'helper', 'render', '--os', 'linux', '--config', configPath], {encoding: 'utf8'})
    expect(readFileSync(out, 'utf8')).toBe(printed)
    expect(printed.startsWith('#!/bin/sh\n')).toBe(true)

    const windows = execFileSync('node', ['bin/run.js', 'helper', 'render', '--os', 'windows', '--config', configPath], {encoding: 'utf8'})
    expect(windows).toContain("$ClientId = 'cli'\r\n")
  })

  it('creates folders and writes through links', () => {
    const configPath = join(folder, 'fleet.jsonc')
    const nested = join(folder, 'home', '.claude', 'auth-helper.sh')
    execFileSync('node', ['bin/run.js', 'helper', 'render', '--os', 'linux', '--config', configPath, '-o', nested], {encoding: 'utf8'})
    expect(statSync(join(folder, 'home', '.claude')).mode & 0o777).toBe(0o755)
    expect(readFileSync(nested, 'utf8').startsWith('#!/bin/sh\n')).toBe(true)

    const real = join(folder, 'real-helper.sh')
    writeFileSync(real, 'old\n', {mode: 0o755})
    const link = join(folder, 'link-helper.sh')
    symlinkSync(real, link)
    execFileSync('node', ['bin/run.js', 'helper', 'render', '--os', 'linux', '--config', configPath, '-o', link], {encoding: 'utf8'})
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(readFileSync(real, 'utf8').startsWith('#!/bin/sh\n')).toBe(true)
  })

  it('leaves read-only files and folders alone', () => {
    const configPath = join(folder, 'fleet.jsonc')
    const locked = join(folder, 'locked-helper.sh')
    writeFileSync(locked, 'keep\n', {mode: 0o444})
    const result = spawnSync('node', ['bin/run.js', 'helper', 'render', '--os', 'linux', '--config', configPath, '-o', locked], {encoding: 'utf8'})
    expect(result.status).toBe(4)
    expect(result.stderr).toContain('is read-only')
    expect(readFileSync(locked, 'utf8')).toBe('keep\n')
    expect(statSync(locked).mode & 0o777).toBe(0o444)

    const dir = spawnSync('node', ['bin/run.js', 'helper', 'render', '--os', 'linux', '--config', configPath, '-o', folder], {encoding: 'utf8'})
    expect(dir.status).toBe(4)
    expect(dir.stderr).toContain('is not a regular file')
  })

  it('puts the script in --json without -o', () => {
    const configPath = join(folder, 'fleet.jsonc')
    const printed = execFileSync('node', ['bin/run.js', 'helper', 'render', '--os', 'linux', '--config', configPath], {encoding: 'utf8'})
    const json = JSON.parse(execFileSync('node', ['bin/run.js', 'helper', 'render', '--os', 'linux', '--config', configPath, '--json'], {encoding: 'utf8'}))
    expect(json.script).toBe(printed)
    expect(json.fileName).toBe('auth-helper.sh')
  })

  it('exits 3 on an invalid config', () => {
    const configPath = join(folder, 'bad.jsonc')
    writeFileSync(configPath, JSON.stringify({organization: {name: 'Org', identifier: 'com.org'}, oauth: {issuer: 'http://id.org.example', clientId: 'cli'}}))
    const result = spawnSync('node', ['bin/run.js', 'helper', 'render', '--os', 'linux', '--config', configPath], {encoding: 'utf8'})
    expect(result.status).toBe(3)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/oauth\.issuer.*https/)
  })
})
