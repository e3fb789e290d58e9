import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {closestName, describeParseFailure, editDistance} from '../../src/cli/usage.js'
import {COMMANDS} from '../../src/commands/index.js'
import {ccfleet as runCli} from './support.js'

let home: string
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'ccfleet-usage-'))
})
afterAll(() => rmSync(home, {recursive: true, force: true}))

const ccfleet = (args: string[]) => runCli(home, args)

interface UsageCase {
  name: string
  args: string[]
  message: RegExp
}

type FlagDefinition = {type: string; required?: boolean; options?: readonly string[]}

/** Flags whose value oclif parses as an integer; their definitions do not say so. */
const INTEGER_FLAGS: Record<string, string> = {doctor: 'timeout', 'router:check': 'timeout', 'router:serve': 'port'}

/**
 * Builds the usage errors a command can have from its flag and argument definitions: an
 * unknown flag, an extra argument, a missing required flag or argument, and invalid flag values.
 * Every case must fail while parsing, before the command does anything.
 */
function usageCases(id: string): UsageCase[] {
  const command = COMMANDS[id as keyof typeof COMMANDS]
  const words = id.split(':')
  const flags = Object.entries((command.flags ?? {}) as Record<string, FlagDefinition>)
  const argNames = Object.keys(command.args ?? {})
  const argValues = argNames.map(() => 'placeholder')
  const cases: UsageCase[] = [{name: 'unknown flag', args: [...words, '--no-such-flag'], message: /^Unknown flags?: --no-such-flag\b/}]

  if (command.strict !== false) cases.push({name: 'extra argument', args: [...words, ...argValues, 'stray-word'], message: /^Unexpected argument: stray-word$/})

  const required = flags.filter(([, flag]) => flag.required).map(([name]) => `--${name}`)
  if (required.length > 0) {
    // oclif lists the missing flags in its own order.
    const anyRequired = `(${required.join('|')})`
    cases.push({name: 'missing flag', args: [...words, ...argValues], message: new RegExp(`^Missing required flags?: ${anyRequired}(, ${anyRequired}){${required.length - 1}}$`)})
  }

  if (Object.values(command.args ?? {}).some((arg) => (arg as {required?: boolean}).required)) {
    cases.push({name: 'missing argument', args: words, message: /^Missing required argument: [A-Z]+$/})
  }

  const withOptions = flags.find(([, flag]) => flag.options && flag.options.length > 0)
  if (withOptions) {
    cases.push({name: 'invalid option', args: [...words, ...argValues, `--${withOptions[0]}`, 'not-an-option'], message: new RegExp(`^Invalid value "not-an-option" for --${withOptions[0]}: expected one of `)})
  }

  if (INTEGER_FLAGS[id]) cases.push({name: 'invalid integer', args: [...words, ...argValues, `--${INTEGER_FLAGS[id]}`, 'soon'], message: new RegExp(`^Invalid value for --${INTEGER_FLAGS[id]}: expected an integer`)})
  // oclif reports a flag without a value through another path; build has a value flag on every path.
  if (id === 'build') cases.push({name: 'flag without value', args: [...words, '--out'], message: /^Flag --out expects a value$/})
  return cases
}

describe.concurrent('usage errors of every command', () => {
  for (const id of Object.keys(COMMANDS)) {
    const commandLine = id.split(':').join(' ')
    for (const usage of usageCases(id)) {
      it(`${commandLine}: ${usage.name}, human`, async () => {
        const result = await ccfleet(usage.args)
        expect(result.status).toBe(2)
        expect(result.stdout).toBe('')
        const [first, second, ...rest] = result.stderr.trimEnd().split('\n')
        expect(first.replace(/^Error: /, '')).toMatch(usage.message)
        expect(first).toMatch(/^Error: /)
        expect(second).toBe(`Try: Run \`ccfleet ${commandLine} --help\` for its flags and arguments.`)
        expect(rest).toEqual([])
      })

      it(`${commandLine}: ${usage.name}, --json`, async () => {
        const result = await ccfleet([...usage.args, '--json'])
        expect(result.status).toBe(2)
        expect(result.stderr).toBe('')
        expect(result.stdout.length).toBeLessThan(1000)
        expect(JSON.parse(result.stdout)).toEqual({
          error: {
            code: 'USAGE',
            message: expect.stringMatching(usage.message),
            hint: `Run \`ccfleet ${commandLine} --help\` for its flags and arguments.`,
          },
        })
      })
    }
  }
})

describe.concurrent('unknown commands', () => {
  it('names a typo with spaces and suggests', async () => {
    const result = await ccfleet(['setings', 'merge', '--config', 'fleet.jsonc'])
    expect(result.status).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe('Error: Unknown command "setings merge". Did you mean "settings merge"?\nTry: Run `ccfleet --help` to list the commands.\n')
  })

  it('prints the JSON error for a typo', async () => {
    const result = await ccfleet(['valdate', 'fleet.jsonc', '--json'])
    expect(result.status).toBe(2)
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual({
      error: {
        code: 'USAGE',
        message: 'Unknown command "valdate". Did you mean "validate"?',
        hint: 'Run `ccfleet --help` to list the commands.',
        details: {command: 'valdate', suggestion: 'validate'},
      },
    })
  })

  it('points an unknown subcommand at its topic', async () => {
    const result = await ccfleet(['router', 'launch'])
    expect(result.status).toBe(2)
    expect(result.stderr).toBe('Error: Unknown command "router launch".\nTry: Run `ccfleet router --help` to list the commands.\n')
  })
})

describe.concurrent('help command', () => {
  it('shows a command', async () => {
    const result = await ccfleet(['help', 'validate'])
    expect(result.status).toBe(0)
    expect(result.stdout).toContain('$ ccfleet validate PATH...')
    expect(result.stdout).toContain('EXIT CODES')
  })

  it('shows a command of a topic', async () => {
    const result = await ccfleet(['help', 'settings', 'merge'])
    expect(result.status).toBe(0)
    expect(result.stdout).toContain('$ ccfleet settings merge')
  })

  it('lists every command without an argument', async () => {
    const result = await ccfleet(['help'])
    expect(result.status).toBe(0)
    for (const id of Object.keys(COMMANDS)) expect(result.stdout).toContain(id.split(':')[0])
  })

  it('suggests for an unknown command', async () => {
    const result = await ccfleet(['help', 'doctr'])
    expect(result.status).toBe(2)
    expect(result.stderr).toBe('Error: Unknown command "doctr". Did you mean "doctor"?\nTry: Run `ccfleet --help` to list the commands.\n')
  })
})

describe('usage error wording', () => {
  it('computes edit distances', () => {
    expect(editDistance('build', 'build')).toBe(0)
    expect(editDistance('biuld', 'build')).toBe(1)
    expect(editDistance('setings', 'settings')).toBe(1)
    expect(editDistance('', 'init')).toBe(4)
  })

  it('picks the closest name', () => {
    const names = ['init', 'build', 'router check', 'router serve', 'router']
    expect(closestName(['router', 'chek'], names)).toBe('router check')
    expect(closestName(['biuld'], names)).toBe('build')
    expect(closestName(['deploy'], names)).toBeUndefined()
    expect(closestName(['router', 'launch'], names)).toBeUndefined()
  })

  it('falls back to the cleaned message', () => {
    expect(describeParseFailure(new Error('Flag --out can only be specified once\nSee more help with --help'))).toBe('Flag --out can only be specified once')
    expect(describeParseFailure(new Error('The following errors occurred:\n  \u001B[2mMissing required flag config\u001B[22m'))).toBe('Missing required flag: --config')
  })
})
