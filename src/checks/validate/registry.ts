import {WINDOWS_POLICY_KEY, WINDOWS_POLICY_VALUE} from '../../platform/facts.js'
import {finding, type Finding} from '../findings.js'
import type {CheckContext} from './index.js'
import {checkSettingsFile} from './settings.js'

const HEADER = 'Windows Registry Editor Version 5.00'
const POLICY_KEYS = [`HKEY_LOCAL_MACHINE\\${WINDOWS_POLICY_KEY}`, `HKEY_CURRENT_USER\\${WINDOWS_POLICY_KEY}`].map((key) => key.toLowerCase())

/**
 * Checks a .reg file that delivers Claude Code's Windows policy: the regedit header, the policy key,
 * a REG_SZ Settings value, and the settings JSON inside it with the settings checks (as Windows).
 */
export function checkRegFile(file: string, bytes: Buffer, context: CheckContext): Finding[] {
  const text = decode(bytes)
  const lines = text.split(/\r?\n/)
  if (lines[0]?.trim() !== HEADER) {
    return [finding('CCF-REG-001', file, '1:1', `the first line is ${JSON.stringify((lines[0] ?? '').slice(0, 60))}, not "${HEADER}"`)]
  }

  const findings: Finding[] = []
  let key: string | undefined
  let found = false
  for (const [index, line] of lines.entries()) {
    // The s flag: a line may hold U+2028 or U+2029, which `.` would not match without it.
    const section = /^\[(-?)(.+)\]\s*$/s.exec(line)
    if (section) {
      key = section[2]
      continue
    }

    const value = /^"((?:[^"\\]|\\.)*)"=(.*)$/s.exec(line)
    if (!value || value[1] !== WINDOWS_POLICY_VALUE) continue
    found = true
    const location = `${index + 1}:1`
    if (!key || !POLICY_KEYS.includes(key.toLowerCase())) {
      findings.push(finding('CCF-REG-002', file, location, `"${WINDOWS_POLICY_VALUE}" is set under [${key ?? 'no key'}], which Claude Code does not read`))
    }

    const data = /^"((?:[^"\\]|\\.)*)"\s*$/s.exec(value[2])
    if (!data) {
      findings.push(finding('CCF-REG-001', file, location, `"${WINDOWS_POLICY_VALUE}" is not a REG_SZ string ("..."): ${value[2].slice(0, 40)}`))
      continue
    }

    const json = data[1].replace(/\\(.)/gs, '$1')
    const settingsName = `${file}!${key ?? ''}\\${WINDOWS_POLICY_VALUE}`
    findings.push(...checkSettingsFile(settingsName, Buffer.from(json, 'utf8'), {os: 'windows', config: context.config}))
  }

  if (!found) findings.push(finding('CCF-REG-001', file, '', `no "${WINDOWS_POLICY_VALUE}" value is set`))
  return findings
}

/** regedit writes UTF-16LE with a BOM; a UTF-8 file (with or without BOM) is accepted too. */
function decode(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le')
  const text = bytes.toString('utf8')
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}
