import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {FLEET_SCHEMA_PATH} from '../../src/config/load.js'

// The CLI validates configs with the validator `npm run build` precompiles into dist/; these tests
// compare it with ajv compiling the schema at run time, which is what tests under src/ use.
const require = createRequire(import.meta.url)
const REPO = join(import.meta.dirname, '..', '..')

function runtimeValidator(): (data: unknown) => boolean {
  const Ajv = require('ajv').default
  const addFormats = require('ajv-formats').default
  const ajv = new Ajv({allErrors: true, strict: false})
  addFormats(ajv)
  return ajv.compile(JSON.parse(readFileSync(FLEET_SCHEMA_PATH, 'utf8')))
}

const CASES: unknown[] = [
  {organization: {name: 'Org', identifier: 'com.org'}, oauth: {issuer: 'https://id.org.example', clientId: 'cc'}},
  {organization: {name: 'Org'}, oauth: {clientId: 'cc'}},
  {organization: {name: 'Org', identifier: 'Not A Domain'}, oauth: {issuer: 'not a uri', clientId: ''}, extra: 1},
  {organization: {name: 'Org', identifier: 'com.org'}, oauth: {clientId: 'cc'}, package: {maintainer: 'no email'}, settings: {scope: 'global', env: {'1BAD': 'x'}}},
  {organization: {name: 'Org', identifier: 'com.org'}, oauth: {clientId: 'cc'}, helper: {refreshMarginSeconds: 5, installPath: {linux: 'relative/path'}}},
  [],
  'text',
]

describe('precompiled fleet schema validator', () => {
  const precompiled = require(join(REPO, 'dist', 'config', 'fleet-validator.cjs'))

  it('matches the current schema', () => {
    expect(precompiled.schemaSha256).toBe(createHash('sha256').update(readFileSync(FLEET_SCHEMA_PATH)).digest('hex'))
  })

  it('reports the same errors as ajv at run time', () => {
    const runtime = runtimeValidator() as ((data: unknown) => boolean) & {errors?: unknown}
    for (const data of CASES) {
      const expected = runtime(data)
      const expectedErrors = runtime.errors
      expect(precompiled.default(data)).toBe(expected)
      expect(precompiled.default.errors ?? null).toEqual(expectedErrors ?? null)
    }
  })

  it('rejects the invalid cases', () => {
    expect(CASES.filter((data) => !precompiled.default(data))).toHaveLength(CASES.length - 1)
  })
})
