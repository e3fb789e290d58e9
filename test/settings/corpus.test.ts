import {describe, expect, it} from 'vitest'

import {conflictJson, mergeSettings} from '../../src/settings/merge.js'
import {loadSettingsCorpus} from '../support/settings-corpus.js'

const corpus = loadSettingsCorpus()

describe('settings merge corpus through the TypeScript engine', () => {
  it('has the cases the spec names', () => {
    const names = corpus.map((c) => c.name)
    for (const prefix of ['N1', 'D1', 'D2', 'D3', 'F1', 'F2', 'F3', 'F4', 'R1', 'R2', 'R3', 'V1', 'V2', 'V3', 'V5', 'V6', 'I1', 'I2', 'I3', 'I4', 'I5', 'E1']) {
      expect(names.some((name) => name.startsWith(prefix + '-')), prefix).toBe(true)
    }

    expect(corpus.find((c) => c.name === 'large-1mb')!.input!.length).toBeGreaterThan(1_000_000)
  })

  for (const c of corpus) {
    it(c.name, () => {
      const result = mergeSettings(c.input, c.desired, {force: c.force, removeOverridingEnv: c.removeOverridingEnv})

      expect(result.status).toBe(c.expect)
      expect(result.repairs).toEqual(c.repairs)
      expect(result.warnings.map((warning) => warning.key)).toEqual(c.warnings)
      expect(result.conflicts.map(conflictJson)).toEqual(c.conflicts)
      if (c.removed) expect(result.removed).toEqual(c.removed)

      if (c.refusal) {
        expect(result.refusal?.kind).toBe('invalid')
        expect({line: result.refusal?.line, column: result.refusal?.column}).toEqual(c.refusal)
      } else if (c.expect === 'refused') {
        expect(result.refusal?.kind).toBe('conflict')
      }

      if (c.expect === 'changed') {
        // Compare as text first for a readable diff, then as bytes.
        expect(result.bytes!.toString('utf8')).toBe(c.expected!.toString('utf8'))
        expect(result.bytes!.equals(c.expected!)).toBe(true)

        // P1: the output merges to itself.
        const again = mergeSettings(result.bytes!, c.desired, {force: c.force, removeOverridingEnv: c.removeOverridingEnv})
        expect(again.status).toBe('unchanged')
        expect(() => JSON.parse(result.bytes!.toString('utf8'))).not.toThrow()
      } else {
        expect(result.bytes).toBeUndefined()
        expect(c.expected).toBeUndefined()
      }
    })
  }
})
