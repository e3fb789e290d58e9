import {spawnSync} from 'node:child_process'

import {findProgram} from '../programs.js'
import {check} from './check.js'
import type {DoctorCheck} from './types.js'

/** Check 017: `claude` on PATH and its version (`claude --version`, with a time limit). */
export function claudeCodeCheck(env: NodeJS.ProcessEnv, timeoutMs: number): DoctorCheck {
  const names = process.platform === 'win32' ? ['claude.cmd', 'claude.exe', 'claude'] : ['claude']
  const program = names.map((name) => findProgram(name, env.PATH ?? '')).find(Boolean)
  if (!program) return check('CCF-DOCTOR-017', 'warn', 'claude is not on PATH')

  const result = spawnSync(program, ['--version'], {encoding: 'utf8', timeout: timeoutMs, env: {...env, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
  const version = /\d+\.\d+\.\d+/.exec(result.stdout ?? '')?.[0]
  if (result.error || !version) return check('CCF-DOCTOR-017', 'warn', `${program} --version did not report a version${result.error ? ` (${(result.error as NodeJS.ErrnoException).code})` : ''}`, {fix: 'Reinstall Claude Code.'})
  return check('CCF-DOCTOR-017', 'pass', `Claude Code ${version} (${program})`)
}
