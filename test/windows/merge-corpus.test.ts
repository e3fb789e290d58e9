import {describe, expect, it} from 'vitest'

import {loadSettingsCorpus} from '../support/settings-corpus.js'
import {runPsMerge} from './support/pwsh.js'

// The PowerShell port runs the shared corpus; cases that switch on removeOverridingEnv are
// TypeScript-only.
const corpus = loadSettingsCorpus().filter((item) => !item.removeOverridingEnv)

describe('PowerShell settings merge on the shared corpus', () => {
  const results = runPsMerge(corpus.map((item) => ({input: item.input, helper: item.desired.apiKeyHelper, env: item.desired.env, force: item.force})))

  it.each(corpus.map((item, index) => [item.name, index] as const))('%s', (_name, index) => {
    const item = corpus[index]
    const result = results[index]
    expect(result.status, result.reason).toBe(item.expect)
    if (item.expect === 'changed') expect(result.output?.toString('utf8')).toBe(item.expected!.toString('utf8'))
    if (item.expect === 'changed') expect(result.output!.equals(item.expected!)).toBe(true)
    expect(result.repairs).toEqual(item.repairs)
    expect(result.warnings).toEqual(item.warnings)
    expect(result.conflicts).toEqual(item.conflicts.map((conflict) => ({key: conflict.key, old: conflict.old})))
    if (item.refusal) {
      expect(result.kind).toBe('invalid')
      expect({line: result.line, column: result.column}).toEqual(item.refusal)
    } else if (item.expect === 'refused') {
      expect(result.kind).toBe('conflict')
    }
  })
})
