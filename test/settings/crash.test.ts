import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {mergeSettings} from '../../src/settings/merge.js'
import {TEST_WRITE_DELAY_ENV} from '../../src/settings/write.js'

/**
 * Crash test: a process that keeps merging into a real file is killed with SIGKILL at random
 * moments; after each kill the file must hold exactly the old or the new complete content.
 * SETTINGS_CRASH_RUNS sets the number of kills (default 200).
 */
const RUNS = Number(process.env.SETTINGS_CRASH_RUNS ?? 200)
const PARALLEL = 4
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const DRIVER = join(ROOT, 'test', 'support', 'merge-loop.mjs')
const URL_A = 'https://router-a.crash.example'
const URL_B = 'https://router-b.crash.example'
// Large enough that a write takes measurable time; the comment makes the first merge a repair.
const ORIGINAL = '{\n  // kept in the backup\n  "projects": {' + Array.from({length: 200}, (_, i) => `\n    "p${i}": {"allowedTools": ["Read", "Edit"], "note": "ünïcode ${i}"}`).join(',') + '\n  }\n}\n'

let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ccfleet-crash-'))
})

afterAll(() => {
  rmSync(dir, {recursive: true, force: true})
})

/** The three contents a file may legally hold: the original, or a complete merge with either URL. */
function legalContents(): Set<string> {
  const desired = (url: string) => ({
    apiKeyHelper: '/opt/ccfleet/auth-helper.sh',
    env: {ANTHROPIC_BASE_URL: url, ANTHROPIC_DEFAULT_OPUS_MODEL: 'claude-opus-4-6', ANTHROPIC_DEFAULT_SONNET_MODEL: 'claude-sonnet-4-6', ANTHROPIC_DEFAULT_HAIKU_MODEL: 'claude-haiku-4-5'},
  })
  const first = mergeSettings(Buffer.from(ORIGINAL), desired(URL_A)).text!
  const second = mergeSettings(Buffer.from(first), desired(URL_B), {force: true}).text!
  return new Set([ORIGINAL, first, second])
}

function busyWaitMicroseconds(us: number): void {
  const end = process.hrtime.bigint() + BigInt(us) * 1000n
  while (process.hrtime.bigint() < end) {
    // Spin: timers cannot wait for a random number of microseconds.
  }
}

/** Starts the driver, waits for its first write, kills it after a random delay; returns the file's content. */
function killOnce(file: string, delayUs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DRIVER, file, URL_A, URL_B], {
      env: {...process.env, [TEST_WRITE_DELAY_ENV]: '2'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.stdout.once('data', () => {
      busyWaitMicroseconds(delayUs)
      child.kill('SIGKILL')
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`driver ended with ${code}: ${stderr}`))
      else resolve(readFileSync(file, 'utf8'))
    })
  })
}

describe('settings merge crash safety', () => {
  it(`leaves old or new content after ${RUNS} kills`, async () => {
    const legal = legalContents()
    const seen = new Map<string, number>()
    let next = 0

    const worker = async (slot: number) => {
      const file = join(dir, `settings-${slot}.json`)
      writeFileSync(file, ORIGINAL)
      while (next < RUNS) {
        next++
        // Random moments across the first write cycles (each takes several milliseconds, most of it in fsync).
        const content = await killOnce(file, Math.floor(Math.random() * 400_000))
        expect(legal.has(content), `file content after a kill is neither old nor new:\n${content.slice(0, 400)}`).toBe(true)
        seen.set(content, (seen.get(content) ?? 0) + 1)
      }
    }

    await Promise.all(Array.from({length: PARALLEL}, (_, slot) => worker(slot)))

    // Kills must have landed across several writes, not always at the same point. Few runs on a
    // slow machine may all land in the first write, so this needs a real number of runs.
    if (RUNS >= 50) expect(seen.size).toBeGreaterThanOrEqual(2)
  }, 600_000)
})
