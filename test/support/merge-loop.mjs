// Crash-test driver: merges into one settings file over and over with the engine and the writer that
// `settings merge` uses, switching the router URL between two values (force on), so every write
// changes the content. Prints "ready" before the first write. Needs the build (dist/).
// Usage: node test/support/merge-loop.mjs FILE URL_A URL_B
import {readFileSync} from 'node:fs'

import {mergeSettings} from '../../dist/settings/merge.js'
import {writeSettingsFile} from '../../dist/settings/write.js'

const [file, urlA, urlB] = process.argv.slice(2)
const models = {ANTHROPIC_DEFAULT_OPUS_MODEL: 'claude-opus-4-6', ANTHROPIC_DEFAULT_SONNET_MODEL: 'claude-sonnet-4-6', ANTHROPIC_DEFAULT_HAIKU_MODEL: 'claude-haiku-4-5'}

process.stdout.write('ready\n')
for (let round = 0; ; round++) {
  const desired = {apiKeyHelper: '/opt/ccfleet/auth-helper.sh', env: {ANTHROPIC_BASE_URL: round % 2 === 0 ? urlA : urlB, ...models}}
  const old = readFileSync(file)
  const result = mergeSettings(old, desired, {force: true})
  // A previous, killed driver may have left this round's content already.
  if (result.status === 'unchanged') continue
  writeSettingsFile(file, result.bytes, old, {backup: round % 3 === 0})
}
