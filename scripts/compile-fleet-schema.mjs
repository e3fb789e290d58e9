// Compiles schema/fleet.schema.json into a standalone ajv validator, dist/config/fleet-validator.cjs,
// so that commands reading a fleet config skip loading and running ajv's compiler (about 180 ms of CPU).
// `npm run build` runs it after tsc. The module records the schema's SHA-256; load.ts falls back to
// compiling at run time when the schema changed since.
import {createHash} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'

const require = createRequire(import.meta.url)
const Ajv = require('ajv').default
const addFormats = require('ajv-formats').default
const standaloneCode = require('ajv/dist/standalone').default
const {_} = require('ajv')

const schemaText = readFileSync(new URL('../schema/fleet.schema.json', import.meta.url), 'utf8')
const ajv = new Ajv({allErrors: true, strict: false, code: {source: true, formats: _`require("ajv-formats/dist/formats").fullFormats`}})
addFormats(ajv)
const code = standaloneCode(ajv, ajv.compile(JSON.parse(schemaText)))
const sha256 = createHash('sha256').update(schemaText).digest('hex')
writeFileSync(new URL('../dist/config/fleet-validator.cjs', import.meta.url), `${code}\nmodule.exports.schemaSha256 = ${JSON.stringify(sha256)};\n`)
