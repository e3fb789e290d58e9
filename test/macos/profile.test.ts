import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import plist from 'plist'
import {afterAll, describe, expect, it} from 'vitest'

import {buildMacosArtifacts, MACOS_ARTIFACT_NAMES} from '../../src/artifacts/macos/build.js'
import {nameBasedUuid} from '../../src/artifacts/macos/profile.js'
import type {Artifact} from '../../src/artifacts/types.js'
import {CcfleetError} from '../../src/errors.js'
import {exampleConfig, HOSTILE, hostileConfig} from './config.js'

const GOLDEN_DIR = join(import.meta.dirname, 'golden')
const work = mkdtempSync(join(tmpdir(), 'ccfleet-macos-profile-'))
afterAll(() => rmSync(work, {recursive: true, force: true}))

function artifact(artifacts: Artifact[], path: string): Buffer {
  const found = artifacts.find((item) => item.path === path)
  if (!found) throw new Error(`no artifact ${path}`)
  return found.bytes
}

/** Parses with libplist (XML to binary through plistutil), then reads the binary with Python's plistlib. */
function parseWithPlistutilAndPython(bytes: Buffer): any {
  const xml = join(work, `in-${Math.random().toString(36).slice(2)}.plist`)
  const binary = `${xml}.bin`
  writeFileSync(xml, bytes)
  const run = spawnSync('plistutil', ['-i', xml, '-f', 'bin', '-o', binary], {encoding: 'utf8'})
  // plistutil exits 0 even when it cannot parse, so its output file and stderr tell.
  expect(run.stderr).toBe('')
  expect(existsSync(binary)).toBe(true)
  return typedPython(binary)
}

/** Loads a plist with plistlib and returns it as JSON with each leaf tagged by its plist type. */
function typedPython(file: string): any {
  const script = `
import json, plistlib, sys
def tag(v):
    if isinstance(v, bool): return {"bool": v}
    if isinstance(v, int): return {"int": v}
    if isinstance(v, float): return {"real": v}
    if isinstance(v, str): return {"str": v}
    if isinstance(v, list): return [tag(x) for x in v]
    if isinstance(v, dict): return {k: tag(x) for k, x in v.items()}
    raise SystemExit("unexpected type %r" % type(v))
with open(sys.argv[1], "rb") as f:
    print(json.dumps(tag(plistlib.load(f))))
`
  return JSON.parse(execFileSync('python3', ['-c', script, file], {encoding: 'utf8'}))
}

/** The same tagging for a plain JSON value, as the profile should carry it. */
function tagged(value: unknown): any {
  if (typeof value === 'boolean') return {bool: value}
  if (typeof value === 'number') return Number.isInteger(value) ? {int: value} : {real: value}
  if (typeof value === 'string') return {str: value}
  if (Array.isArray(value)) return value.map(tagged)
  return Object.fromEntries(Object.entries(value as object).map(([key, item]) => [key, tagged(item)]))
}

describe('macOS configuration profile', () => {
  it('parses with plistutil and plistlib and has the required keys', async () => {
    const config = exampleConfig()
    const profile = parseWithPlistutilAndPython(artifact(await buildMacosArtifacts(config), MACOS_ARTIFACT_NAMES.profile))

    expect(profile.PayloadType).toEqual({str: 'Configuration'})
    expect(profile.PayloadScope).toEqual({str: 'System'})
    expect(profile.PayloadVersion).toEqual({int: 1})
    expect(profile.PayloadIdentifier).toEqual({str: 'com.example.claude-code'})
    expect(profile.PayloadOrganization).toEqual({str: 'Example Corp'})
    expect(profile.PayloadContent).toHaveLength(1)

    const payload = profile.PayloadContent[0]
    expect(payload.PayloadType).toEqual({str: 'com.apple.ManagedClient.preferences'})
    expect(payload.PayloadVersion).toEqual({int: 1})
    expect(payload.PayloadIdentifier.str.startsWith('com.example.claude-code.')).toBe(true)
    expect(Object.keys(payload.PayloadContent)).toEqual(['com.anthropic.claudecode'])

    const settings = payload.PayloadContent['com.anthropic.claudecode'].Forced[0].mcx_preference_settings
    expect(settings.apiKeyHelper).toEqual({str: '/usr/local/libexec/ccfleet/auth-helper.sh'})
    expect(settings.env.ANTHROPIC_BASE_URL).toEqual({str: 'https://model-router.surepath.ai'})
    expect(settings.env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC).toEqual({str: '1'})
    expect(Object.keys(settings).some((key) => key.startsWith('Payload'))).toBe(false)
  })

  it('keeps value types of additional settings', async () => {
    const config = exampleConfig((json) => {
      json.settings.additional = {cleanupPeriodDays: 30, includeCoAuthoredBy: false, ratio: 0.5, permissions: {allow: ['Bash(ls:*)', 'Read'], defaultMode: 'plan'}, env: {EXTRA: '7'}}
    })
    const artifacts = await buildMacosArtifacts(config)
    const settings = parseWithPlistutilAndPython(artifact(artifacts, MACOS_ARTIFACT_NAMES.profile)).PayloadContent[0].PayloadContent['com.anthropic.claudecode'].Forced[0].mcx_preference_settings

    expect(settings.cleanupPeriodDays).toEqual({int: 30})
    expect(settings.includeCoAuthoredBy).toEqual({bool: false})
    expect(settings.ratio).toEqual({real: 0.5})
    expect(settings.permissions).toEqual(tagged({allow: ['Bash(ls:*)', 'Read'], defaultMode: 'plan'}))
    expect(settings.env.EXTRA).toEqual({str: '7'})
    expect(settings.env.ANTHROPIC_BASE_URL).toEqual({str: 'https://model-router.surepath.ai'})

    // The bare plist holds the same settings dictionary.
    const bare = parseWithPlistutilAndPython(artifact(artifacts, MACOS_ARTIFACT_NAMES.preferences))
    expect(bare).toEqual(settings)
  })

  it('derives stable UUIDs that differ between payloads', async () => {
    const first = plist.parse(artifact(await buildMacosArtifacts(exampleConfig()), MACOS_ARTIFACT_NAMES.profile).toString('utf8')) as any
    const second = plist.parse(artifact(await buildMacosArtifacts(exampleConfig()), MACOS_ARTIFACT_NAMES.profile).toString('utf8')) as any
    const other = plist.parse(
      artifact(
        await buildMacosArtifacts(
          exampleConfig((json) => {
            json.organization.identifier = 'org.other'
          }),
        ),
        MACOS_ARTIFACT_NAMES.profile,
      ).toString('utf8'),
    ) as any

    const version5 = /^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/
    expect(first.PayloadUUID).toMatch(version5)
    expect(first.PayloadContent[0].PayloadUUID).toMatch(version5)
    expect(second.PayloadUUID).toBe(first.PayloadUUID)
    expect(second.PayloadContent[0].PayloadUUID).toBe(first.PayloadContent[0].PayloadUUID)
    expect(first.PayloadContent[0].PayloadUUID).not.toBe(first.PayloadUUID)
    expect(other.PayloadUUID).not.toBe(first.PayloadUUID)
    expect(other.PayloadIdentifier).toBe('org.other.claude-code')
  })

  it('computes RFC 4122 version 5 UUIDs', () => {
    // The RFC 4122 errata example: "www.example.com" in the DNS name space.
    expect(nameBasedUuid('www.example.com')).toBe('2ED6657D-E927-568B-95E1-2665A8AEA6A2')
  })

  it('carries hostile values exactly', async () => {
    const config = hostileConfig('managed')
    const artifacts = await buildMacosArtifacts(config)
    const bytes = artifact(artifacts, MACOS_ARTIFACT_NAMES.profile)
    expect(bytes.toString('utf8')).not.toContain(']]>')

    const profile = parseWithPlistutilAndPython(bytes)
    expect(profile.PayloadOrganization).toEqual({str: HOSTILE})
    const settings = profile.PayloadContent[0].PayloadContent['com.anthropic.claudecode'].Forced[0].mcx_preference_settings
    expect(settings.env.CCFLEET_HOSTILE).toEqual({str: `${HOSTILE}\nsecond line\tand a tab`})
    expect(settings.env.EMPTY_VALUE).toEqual({str: ''})
    expect(settings.permissions.deny).toEqual([{str: HOSTILE}])
  })

  it('rejects values a plist cannot hold', async () => {
    const withNull = exampleConfig((json) => {
      json.settings.additional = {statusLine: null}
    })
    await expect(buildMacosArtifacts(withNull)).rejects.toThrow(CcfleetError)
    await expect(buildMacosArtifacts(withNull)).rejects.toThrow(/settings\.statusLine is null/)

    const withControl = exampleConfig((json) => {
      json.settings.env = {BELL: 'ring\u0007'}
    })
    await expect(buildMacosArtifacts(withControl)).rejects.toThrow(/settings\.env\.BELL contains the control character U\+0007/)
  })

  it('matches the golden files', async () => {
    const artifacts = await buildMacosArtifacts(exampleConfig())
    for (const name of [MACOS_ARTIFACT_NAMES.profile, MACOS_ARTIFACT_NAMES.preferences]) {
      const golden = join(GOLDEN_DIR, name)
      // UPDATE_GOLDEN=1 rewrites the golden files after a deliberate change; review the diff.
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(GOLDEN_DIR, {recursive: true})
        writeFileSync(golden, artifact(artifacts, name))
      }

      expect(artifact(artifacts, name).toString('utf8')).toBe(readFileSync(golden, 'utf8'))
    }
  })

  it('builds byte-identical artifacts twice', async () => {
    const first = await buildMacosArtifacts(hostileConfig('user'))
    const second = await buildMacosArtifacts(hostileConfig('user'))
    expect(second.map((item) => item.path)).toEqual(first.map((item) => item.path))
    for (const [index, item] of first.entries()) expect(second[index].bytes.equals(item.bytes)).toBe(true)
    expect(first.map((item) => [item.path, item.mode])).toEqual([
      [MACOS_ARTIFACT_NAMES.profile, 0o644],
      [MACOS_ARTIFACT_NAMES.preferences, 0o644],
      [MACOS_ARTIFACT_NAMES.install, 0o755],
      [MACOS_ARTIFACT_NAMES.uninstall, 0o755],
    ])
  })
})
