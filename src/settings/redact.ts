import {parseJsonText, type ValueNode} from './json-text.js'

/**
 * Settings `env` often carries credentials (ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN, a proxy
 * password). A dry-run diff is read on screens and pasted into tickets, so their values never appear
 * in it. An env variable counts as secret when its name contains one of these words, in any case.
 */
const SECRET_NAME = /TOKEN|SECRET|KEY|PASSWORD|PASSWD|CREDENTIAL/i
/** Claude Code settings whose names match but whose values are no secret. */
const NOT_SECRET = new Set(['CLAUDE_CODE_API_KEY_HELPER_TTL_MS'])

export function isSecretEnvName(name: string): boolean {
  return SECRET_NAME.test(name) && !NOT_SECRET.has(name.toUpperCase())
}

/** Builds the placeholder for a secret string value, which keeps only its length. */
export function redactedValue(value: string): string {
  return `<redacted, ${[...value].length} characters>`
}

/**
 * Replaces the values of secret `env` variables in a settings text with a JSON string placeholder,
 * leaving every other byte, so a diff of two redacted texts has the same shape as the real one.
 * In a text that cannot be parsed every string value is hidden, because the secret ones are unknown.
 */
export function redactSettingsText(text: string): string {
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0
  let root: ValueNode | undefined
  try {
    root = parseJsonText(text.slice(bom)).root
  } catch {
    return text.replace(/"((?:[^"\\\n]|\\.)*)"(?![ \t]*:)/g, '"<redacted>"')
  }

  const spans: {start: number; end: number; replacement: string}[] = []
  if (root?.kind === 'object') {
    for (const member of root.members!) {
      if (member.key !== 'env' || member.value.kind !== 'object') continue
      for (const entry of member.value.members!) {
        if (!isSecretEnvName(entry.key)) continue
        const value = entry.value
        const raw = text.slice(bom + value.start, bom + value.end)
        const shown = value.kind === 'string' ? redactedValue(JSON.parse(raw) as string) : '<redacted>'
        spans.push({start: bom + value.start, end: bom + value.end, replacement: JSON.stringify(shown)})
      }
    }
  }

  let out = text
  for (const span of spans.sort((a, b) => b.start - a.start)) out = out.slice(0, span.start) + span.replacement + out.slice(span.end)
  return out
}
