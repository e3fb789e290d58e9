import {copyFileSync, cpSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {FINDING_CODES, type Finding, type FindingCode} from '../../src/checks/findings.js'
import {buildFleet} from '../../src/artifacts/build.js'
import {loadFleetConfig} from '../../src/config/load.js'
import {policyRegFile} from '../../src/artifacts/windows/build.js'
import {renderAuthHelper} from '../../src/helper/render.js'
import {cleanTemp, EXAMPLES, fleetConfig, plistText, profileDocument, put, REPO, rewriteDebData, rewriteTarball, tempFolder, validate} from './support.js'

/**
 * Every finding code with one input that triggers it and one that does not. The coverage test
 * fails when a code in FINDING_CODES or docs/checks.md has no row here.
 */
interface CodeCase {
  trigger: () => Promise<Finding[]>
  clean: () => Promise<Finding[]>
}

let work: string
let dist: string
let deb: string
let tarball: string
let rpm: string

beforeAll(async () => {
  work = tempFolder()
  dist = join(work, 'dist')
  process.env.SOURCE_DATE_EPOCH = '1700000000'
  await buildFleet({configPath: EXAMPLES.surepath, outDir: dist, targets: ['linux']})
  deb = join(dist, 'linux', 'example-claude-code-router_1.0.0_all.deb')
  tarball = join(dist, 'linux', 'example-claude-code-router-1.0.0.tar.gz')
  rpm = join(dist, 'linux', 'example-claude-code-router-1.0.0-1.noarch.rpm')
}, 120_000)

afterAll(cleanTemp)

const GOOD_SETTINGS = {apiKeyHelper: '/usr/libexec/ccfleet/auth-helper.sh', env: {ANTHROPIC_BASE_URL: 'https://model-router.surepath.ai'}}

function settings(text: string | Record<string, unknown> | Buffer, options: {config?: string; os?: 'linux' | 'macos' | 'windows'} = {}): Promise<Finding[]> {
  const file = put(tempFolder(), 'settings.json', typeof text === 'string' || Buffer.isBuffer(text) ? text : JSON.stringify(text, null, 2))
  return validate([file], {configPath: options.config, os: options.os})
}

function withEnv(env: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {...GOOD_SETTINGS, ...extra, env: {...GOOD_SETTINGS.env, ...env}}
}

function profile(change: (document: any) => void = () => {}, config?: string): Promise<Finding[]> {
  const document = profileDocument()
  change(document)
  return validate([put(tempFolder(), 'claude.mobileconfig', plistText(document))], {configPath: config})
}

function config(change: (raw: any) => void): Promise<Finding[]> {
  return validate([fleetConfig(tempFolder(), change)])
}

function script(name: string, text: string, configPath?: string): Promise<Finding[]> {
  return validate([put(tempFolder(), name, text, 0o755)], {configPath})
}

async function changedCopy(source: string, change: (bytes: Buffer) => Buffer, configPath?: string): Promise<Finding[]> {
  const target = join(tempFolder(), source.split('/').at(-1)!)
  writeFileSync(target, change(readFileSync(source)))
  return validate([target], {configPath})
}

async function distCopy(change: (folder: string) => void, configPath?: string): Promise<Finding[]> {
  const target = join(tempFolder(), 'dist')
  cpSync(dist, target, {recursive: true})
  change(target)
  return validate([target], {configPath})
}

const SH_OK = '#!/bin/sh\nset -eu\nprintf "%s\\n" "$HOME"\n'
const PS_OK = "$ErrorActionPreference = 'Stop'\r\nWrite-Output 'ok'\r\n"

const CASES: Record<FindingCode, CodeCase> = {
  'CCF-FILE-001': {trigger: () => validate([join(tempFolder(), 'missing.json')]), clean: () => settings(GOOD_SETTINGS)},
  'CCF-FILE-002': {trigger: () => validate([put(tempFolder(), 'notes.txt', 'hello\n')]), clean: () => settings(GOOD_SETTINGS)},
  'CCF-FILE-003': {
    trigger: () => validate([dirname(put(tempFolder(), 'junk/notes.txt', 'hello\n'))]),
    clean: () => validate([dirname(put(tempFolder(), 'settings/settings.json', JSON.stringify(GOOD_SETTINGS)))]),
  },

  'CCF-CONFIG-001': {trigger: () => validate([put(tempFolder(), 'fleet.jsonc', '{"organization": {"name": "x",}')]), clean: () => validate([EXAMPLES.surepath])},
  'CCF-CONFIG-002': {trigger: () => config((raw) => delete raw.policy.defaultPolicy.routes['claude-opus-4-6']), clean: () => validate([EXAMPLES.surepath])},
  'CCF-CONFIG-003': {
    trigger: () =>
      config((raw) => {
        raw.policy.unknownModels = 'reject'
        raw.settings.modelPins.opus = 'claude-opus-5-5'
      }),
    clean: () => config((raw) => (raw.policy.unknownModels = 'reject')),
  },
  'CCF-CONFIG-004': {trigger: () => config((raw) => (raw.helper.installPath = {linux: '/opt/My Tools/auth-helper.sh'})), clean: () => config((raw) => (raw.helper.installPath = {linux: '/opt/ccfleet/auth-helper.sh'}))},
  'CCF-CONFIG-005': {trigger: () => config((raw) => (raw.router.baseUrl = 'https://router.example.com/v1')), clean: () => config((raw) => (raw.router.baseUrl = 'https://router.example.com/gateway'))},
  'CCF-CONFIG-006': {trigger: () => config((raw) => (raw.helper.installPath = {linux: '/usr/local/libexec/ccfleet/auth-helper.sh'})), clean: () => validate([EXAMPLES.surepath])},
  'CCF-CONFIG-007': {trigger: () => config((raw) => delete raw.package.maintainer), clean: () => validate([EXAMPLES.surepath])},

  'CCF-SETTINGS-001': {trigger: () => settings('{"apiKeyHelper": }'), clean: () => settings(GOOD_SETTINGS)},
  'CCF-SETTINGS-002': {trigger: () => settings('{\n  // router\n  "apiKeyHelper": "/usr/libexec/ccfleet/auth-helper.sh"\n}\n'), clean: () => settings('{\n  "apiKeyHelper": "/usr/libexec/ccfleet/auth-helper.sh // not a comment"\n}\n')},
  'CCF-SETTINGS-003': {trigger: () => settings('{"env": {"A": "1",}}'), clean: () => settings('{"env": {"A": "1,"}}')},
  'CCF-SETTINGS-004': {trigger: () => settings(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(GOOD_SETTINGS))])), clean: () => settings(GOOD_SETTINGS)},
  'CCF-SETTINGS-005': {trigger: () => settings({apiKeyHelper: ['/bin/helper'], env: {ANTHROPIC_BASE_URL: 'https://r.example.com'}}), clean: () => settings(GOOD_SETTINGS)},
  'CCF-SETTINGS-006': {
    trigger: () => settings({...GOOD_SETTINGS, apiKeyHelper: '/Users/Jane Doe/.claude/auth-helper.sh'}),
    clean: () => settings({...GOOD_SETTINGS, apiKeyHelper: "'/Users/Jane Doe/.claude/auth-helper.sh'"}),
  },
  'CCF-SETTINGS-007': {
    trigger: () => settings({...GOOD_SETTINGS, apiKeyHelper: 'C:\\Program Files\\ccfleet\\auth-helper.ps1'}),
    clean: () => settings({...GOOD_SETTINGS, apiKeyHelper: 'powershell -NoProfile -ExecutionPolicy Bypass -File "C:\\Program Files\\ccfleet\\auth-helper.ps1"'}),
  },
  'CCF-SETTINGS-008': {trigger: () => settings(withEnv({ANTHROPIC_BASE_URL: 'http://router.example.com'})), clean: () => settings(withEnv({ANTHROPIC_BASE_URL: 'http://127.0.0.1:8080'}))},
  'CCF-SETTINGS-009': {trigger: () => settings(withEnv({CLAUDE_CODE_API_KEY_HELPER_TTL_MS: 300000})), clean: () => settings(withEnv({CLAUDE_CODE_API_KEY_HELPER_TTL_MS: '300000'}))},
  'CCF-SETTINGS-010': {trigger: () => settings(withEnv({ANTHROPIC_AUTH_TOKEN: 'static'})), clean: () => settings(withEnv({ANTHROPIC_CUSTOM_HEADERS: 'x-team: a'}))},
  'CCF-SETTINGS-011': {trigger: () => settings(withEnv({}, {forceLoginMethod: 'claudeai'})), clean: () => settings(withEnv({}, {model: 'sonnet'}))},
  'CCF-SETTINGS-012': {
    trigger: () => settings(withEnv({ANTHROPIC_MODEL: 'claude-opus-5-5'}), {config: EXAMPLES.groups}),
    clean: () => settings(withEnv({ANTHROPIC_MODEL: 'claude-opus-4-6'}), {config: EXAMPLES.groups}),
  },
  'CCF-SETTINGS-013': {trigger: () => settings(withEnv({ANTHROPIC_SMALL_FAST_MODEL: 'claude-haiku-4-5'})), clean: () => settings(withEnv({ANTHROPIC_DEFAULT_HAIKU_MODEL: 'claude-haiku-4-5'}))},
  'CCF-SETTINGS-014': {trigger: () => settings('{"env": {"A": "1"}, "env": {"B": "2"}}'), clean: () => settings('{"env": {"A": "1"}, "other": {"A": "2"}}')},
  'CCF-SETTINGS-015': {
    trigger: () => settings(withEnv({ANTHROPIC_BASE_URL: 'https://other-router.example.com'}), {config: EXAMPLES.surepath, os: 'linux'}),
    clean: () => settings(GOOD_SETTINGS, {config: EXAMPLES.surepath, os: 'linux'}),
  },
  'CCF-SETTINGS-016': {trigger: () => settings({apiKeyHelper: '/usr/libexec/ccfleet/auth-helper.sh'}), clean: () => settings(GOOD_SETTINGS)},
  'CCF-SETTINGS-017': {trigger: () => settings(withEnv({CLAUDE_CODE_USE_BEDROCK: '1'})), clean: () => settings(withEnv({CLAUDE_CODE_USE_BEDROCK: '0'}))},
  'CCF-SETTINGS-018': {
    trigger: () => settings(`{"deep": ${'['.repeat(5000)}${']'.repeat(5000)}}`),
    clean: () => settings(`{"deep": ${'['.repeat(63)}${']'.repeat(63)}}`),
  },

  'CCF-PLIST-001': {trigger: () => validate([put(tempFolder(), 'claude.plist', '<?xml version="1.0"?><plist><dict><key>a</key>')]), clean: () => profile()},
  'CCF-PLIST-002': {trigger: () => profile((document) => delete document.PayloadIdentifier), clean: () => profile()},
  'CCF-PLIST-003': {trigger: () => profile((document) => delete document.PayloadContent[0].PayloadUUID), clean: () => profile()},
  'CCF-PLIST-004': {trigger: () => profile((document) => (document.PayloadContent[0].PayloadUUID = document.PayloadUUID)), clean: () => profile()},
  'CCF-PLIST-005': {trigger: () => profile((document) => (document.PayloadUUID = 'not-a-uuid')), clean: () => profile()},
  'CCF-PLIST-006': {trigger: () => profile((document) => (document.PayloadContent[0].env = {CLAUDE_CODE_API_KEY_HELPER_TTL_MS: 300000})), clean: () => profile()},
  'CCF-PLIST-007': {trigger: () => profile((document) => (document.PayloadContent[0].PayloadType = 'com.apple.dock')), clean: () => profile()},
  'CCF-PLIST-008': {trigger: () => profile((document) => (document.PayloadScope = 'User')), clean: () => profile()},
  'CCF-PLIST-009': {trigger: () => profile((document) => (document.PayloadIdentifier = 'org.other.claudecode'), EXAMPLES.surepath), clean: () => profile(() => {}, EXAMPLES.surepath)},

  'CCF-SCRIPT-001': {trigger: () => script('fix.ps1', "$value = $env:X ?? 'default'\r\nWrite-Output $value\r\n"), clean: () => script('fix.ps1', PS_OK)},
  'CCF-SCRIPT-002': {trigger: () => script('fix.ps1', "Write-Output 'caf\u00e9'\r\n"), clean: () => script('fix.ps1', PS_OK)},
  'CCF-SCRIPT-003': {trigger: () => script('install.sh', SH_OK.replace(/\n/g, '\r\n')), clean: () => script('install.sh', SH_OK)},
  'CCF-SCRIPT-004': {trigger: () => script('install.sh', '#!/bin/sh\nif [ "$1" == x ]; then echo yes; fi\n'), clean: () => script('install.sh', '#!/bin/sh\nif [ "$1" = x ]; then echo yes; fi\n')},
  'CCF-SCRIPT-005': {
    trigger: () => script('auth-helper.sh', renderAuthHelper(loadFleetConfig(EXAMPLES.surepath), 'linux').replace(/https:\/\/auth\.example\.com/g, 'https://evil.example.net'), EXAMPLES.surepath),
    clean: () => script('auth-helper.sh', renderAuthHelper(loadFleetConfig(EXAMPLES.surepath), 'linux'), EXAMPLES.surepath),
  },

  'CCF-REG-001': {
    trigger: () => validate([put(tempFolder(), 'policy.reg', policyRegFile(loadFleetConfig(EXAMPLES.surepath)).toString('utf16le').replace('Windows Registry Editor Version 5.00', 'REGEDIT4'))]),
    clean: () => validate([put(tempFolder(), 'policy.reg', policyRegFile(loadFleetConfig(EXAMPLES.surepath)))]),
  },
  'CCF-REG-002': {
    trigger: () => validate([put(tempFolder(), 'policy.reg', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(policyRegFile(loadFleetConfig(EXAMPLES.surepath)).subarray(2).toString('utf16le').replace('Policies\\ClaudeCode', 'ClaudeCode'), 'utf16le')]))]),
    clean: () => validate([put(tempFolder(), 'policy.reg', policyRegFile(loadFleetConfig(EXAMPLES.surepath)))]),
  },

  'CCF-PKG-001': {trigger: () => changedCopy(deb, (bytes) => bytes.subarray(0, bytes.length - 100)), clean: () => validate([deb])},
  'CCF-PKG-002': {
    trigger: () => changedCopy(deb, (bytes) => Buffer.from(bytes.toString('latin1').replace('2.0\n', '3.0\n'), 'latin1')),
    clean: () => validate([deb]),
  },
  'CCF-PKG-003': {
    trigger: () => changedCopy(deb, (bytes) => rewriteDebData(bytes, (entries) => entries.map((entry) => (entry.path.endsWith('auth-helper.sh') ? {...entry, bytes: Buffer.concat([entry.bytes, Buffer.from('# changed\n')])} : entry)))),
    clean: () => validate([deb]),
  },
  'CCF-PKG-004': {
    trigger: () => changedCopy(tarball, (bytes) => rewriteTarball(bytes, (entries) => entries.map((entry) => (entry.path.endsWith('install.sh') ? {...entry, mode: 0o777} : entry)))),
    clean: () => validate([tarball]),
  },
  'CCF-PKG-005': {
    trigger: () => changedCopy(tarball, (bytes) => rewriteTarball(bytes, (entries) => [...entries, {...entries.find((entry) => entry.type === 'file')!, path: '../escape.sh'}])),
    clean: () => validate([tarball]),
  },
  'CCF-PKG-006': {
    trigger: () => changedCopy(tarball, (bytes) => rewriteTarball(bytes, (entries) => entries.filter((entry) => !entry.path.endsWith('install.sh')))),
    clean: () => validate([tarball]),
  },
  'CCF-PKG-007': {
    trigger: () => validate([deb], {configPath: fleetConfig(tempFolder(), (raw) => (raw.package.version = '2.0.0'))}),
    clean: () => validate([deb], {configPath: EXAMPLES.surepath}),
  },

  'CCF-DIST-001': {trigger: () => distCopy((folder) => writeFileSync(join(folder, 'manifest.json'), '{"artifacts": "none"}')), clean: () => validate([dist])},
  'CCF-DIST-002': {trigger: () => distCopy((folder) => rmSync(join(folder, 'linux', tarball.split('/').at(-1)!))), clean: () => validate([dist])},
  'CCF-DIST-003': {trigger: () => distCopy((folder) => writeFileSync(join(folder, 'linux', 'extra.txt'), 'x')), clean: () => validate([dist])},
  'CCF-DIST-004': {trigger: () => distCopy((folder) => copyFileSync(deb, join(folder, 'linux', rpm.split('/').at(-1)!))), clean: () => validate([dist])},
  'CCF-DIST-005': {
    trigger: () => distCopy(() => {}, fleetConfig(tempFolder(), (raw) => (raw.organization.name = 'Other Corp'))),
    clean: () => distCopy(() => {}, EXAMPLES.surepath),
  },
  'CCF-DIST-006': {trigger: () => distCopy((folder) => rmSync(join(folder, 'manifest.json'))), clean: () => validate([dist])},
}

describe('finding fixes', () => {
  it('checks a bash script as bash', async () => {
    const bash = await script('setup.sh', '#!/bin/bash\nif [[ "$1" == x ]]; then echo yes; fi\n')
    expect(bash.filter((item) => item.code.startsWith('CCF-SCRIPT-')), JSON.stringify(bash, null, 2)).toEqual([])
    // The same lines under #!/bin/sh are not POSIX.
    const sh = await script('setup.sh', '#!/bin/sh\nif [[ "$1" == x ]]; then echo yes; fi\n')
    expect(sh.map((item) => item.code)).toContain('CCF-SCRIPT-004')
  })

  it('names the key and value to quote', async () => {
    const findings = await settings(withEnv({MY_TIMEOUT: 300000, MY_FLAG: true, MY_LIST: [1]}))
    const fixes = Object.fromEntries(findings.filter((item) => item.code === 'CCF-SETTINGS-009').map((item) => [item.location, item.fix]))
    expect(fixes['env.MY_TIMEOUT']).toBe('Quote the value: "MY_TIMEOUT": "300000".')
    expect(fixes['env.MY_FLAG']).toBe('Quote the value: "MY_FLAG": "true".')
    expect(fixes['env.MY_LIST']).toBe(FINDING_CODES['CCF-SETTINGS-009'].fix)
  })
})

describe('finding codes', () => {
  it('every documented code has a case', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(FINDING_CODES).sort())
    const documented = [...readFileSync(join(REPO, 'docs', 'checks.md'), 'utf8').matchAll(/^\| `(CCF-[A-Z]+-\d{3})`/gm)].map((match) => match[1])
    const validateCodes = documented.filter((code) => !code.startsWith('CCF-DOCTOR-'))
    expect(validateCodes.sort()).toEqual(Object.keys(FINDING_CODES).sort())
  })

  for (const [code, testCase] of Object.entries(CASES)) {
    it(`${code} triggers`, async () => {
      const findings = await testCase.trigger()
      const matching = findings.filter((item) => item.code === code)
      expect(matching.length, JSON.stringify(findings, null, 2)).toBeGreaterThan(0)
      for (const item of matching) {
        expect(item.message.length).toBeGreaterThan(0)
        expect(item.fix.length).toBeGreaterThan(0)
        expect(item.file.length).toBeGreaterThan(0)
      }
    })

    it(`${code} stays quiet on clean input`, async () => {
      const findings = await testCase.clean()
      expect(findings.filter((item) => item.code === code), JSON.stringify(findings, null, 2)).toEqual([])
    })
  }
})
