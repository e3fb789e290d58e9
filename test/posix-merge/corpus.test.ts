import {describe, expect, it} from 'vitest'

import {loadSettingsCorpus} from '../support/settings-corpus.js'
import {AWKS, runAwkMerge} from './awk-merge.js'

// Cases that switch on removeOverridingEnv exercise a TypeScript-only option.
const corpus = loadSettingsCorpus().filter((c) => !c.removeOverridingEnv)

describe.each(AWKS)('settings merge corpus through $name', ({command}) => {
  it.each(corpus.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = runAwkMerge({awk: command, input: c.input, desired: c.desired, force: c.force})

    expect(result.status).toBe(c.expect)
    expect(result.warnings).toEqual(c.warnings)
    expect(result.conflicts).toEqual(c.conflicts.map((conflict) => conflict.key))
    if (!c.refusal) expect(result.repairs).toEqual(c.repairs)

    if (c.refusal) {
      expect(result.refusalKind).toBe('invalid')
      expect(result.refusal).toEqual(c.refusal)
    } else if (c.expect === 'refused') {
      expect(result.refusalKind).toBe('conflict')
    }

    if (c.expect === 'changed') {
      expect(result.bytes.toString('utf8')).toBe(c.expected!.toString('utf8'))
      expect(result.bytes.equals(c.expected!)).toBe(true)

      // P1: the output merges to itself.
      const again = runAwkMerge({awk: command, input: result.bytes, desired: c.desired, force: c.force})
      expect(again.status).toBe('unchanged')
    } else {
      expect(result.bytes.length).toBe(0)
    }
  })
})
