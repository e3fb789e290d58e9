import {readFileSync, statSync} from 'node:fs'
import {dirname} from 'node:path'

import {DEFAULT_TOKEN_CACHE} from '../../config/defaults.js'
import {check} from './check.js'
import {decodeJwt} from './helper.js'
import {localPath} from './sources.js'
import type {DoctorCheck, DoctorOptions} from './types.js'

/** Returns the token cache path for this OS and home folder. */
export function tokenCachePath(options: DoctorOptions): string {
  const configured = options.os === 'windows' ? (options.config?.helper.tokenCache.windows ?? DEFAULT_TOKEN_CACHE.windows) : (options.config?.helper.tokenCache.posix ?? DEFAULT_TOKEN_CACHE.posix)
  return localPath(configured.replace(/^~(?=\/|$)/, options.home).replace(/^%USERPROFILE%/i, options.home).replace(/^\$HOME\b/, options.home))
}

/** Check 011: the cache is private (0600 in a 0700 folder), readable JSON, and its tokens current. Tokens are never shown. */
export function tokenCacheCheck(options: DoctorOptions, now = Date.now()): DoctorCheck {
  const path = tokenCachePath(options)
  let stats
  try {
    stats = statSync(path)
  } catch {
    return check('CCF-DOCTOR-011', 'warn', `no token cache at ${path}: the helper will ask you to sign in on its next run`, {file: path, fix: 'Sign in once with the helper\'s login mode in a terminal.'})
  }

  const problems: string[] = []
  const fixes: string[] = []
  if (options.os !== 'windows') {
    const fileMode = stats.mode & 0o777
    const folderMode = statSync(dirname(path)).mode & 0o777
    if (fileMode & 0o077) {
      problems.push(`the file has mode ${fileMode.toString(8).padStart(4, '0')}, so other users can read your tokens`)
      fixes.push(`chmod 600 '${path}'`)
    }

    if (folderMode & 0o077) {
      problems.push(`its folder has mode ${folderMode.toString(8).padStart(4, '0')}`)
      fixes.push(`chmod 700 '${dirname(path)}'`)
    }
  }

  let cache: Record<string, unknown>
  try {
    cache = JSON.parse(readFileSync(path, 'utf8'))
    if (!cache || typeof cache !== 'object' || Array.isArray(cache)) throw new Error('not a JSON object')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    return check('CCF-DOCTOR-011', 'fail', `${path} cannot be read as JSON (${reason}); the helper treats it as absent and asks you to sign in`, {file: path, fix: `Remove ${path} and sign in again.`})
  }

  const facts: string[] = []
  const accessExpiry = epochOf(cache.expires_at) ?? decodeJwt(String(cache.access_token ?? ''))?.expiresAt?.getTime()
  const refreshExpiry = epochOf(cache.refresh_expires_at ?? cache.refresh_token_expires_at)
  const hasRefresh = typeof cache.refresh_token === 'string' && cache.refresh_token !== ''
  let status: 'pass' | 'warn' | 'fail' = problems.length > 0 ? 'fail' : 'pass'

  if (typeof cache.access_token !== 'string' || cache.access_token === '') facts.push('no access token')
  else facts.push(`access token ${accessExpiry ? describeExpiry(accessExpiry, now) : 'with unknown expiry'}`)

  if (!hasRefresh) {
    facts.push('no refresh token (a new sign-in is needed when the access token expires)')
    if (status === 'pass') status = 'warn'
  } else if (refreshExpiry && refreshExpiry <= now) {
    facts.push(`refresh token ${describeExpiry(refreshExpiry, now)}`)
    status = 'fail'
    fixes.push('Sign in again with the helper\'s login mode: the refresh token has expired.')
  } else facts.push(`refresh token ${refreshExpiry ? describeExpiry(refreshExpiry, now) : 'present'}`)

  const message = [`${path}:`, ...(problems.length > 0 ? [problems.join('; ') + ';'] : []), facts.join(', ')].join(' ')
  return check('CCF-DOCTOR-011', status, message, {file: path, ...(fixes.length > 0 ? {fix: fixes.join('; ')} : {})})
}

/** Accepts epoch seconds, epoch milliseconds or an ISO date; 0 means unknown. */
function epochOf(value: unknown): number | undefined {
  if (typeof value === 'number' && value > 0) return value < 1e12 ? value * 1000 : value
  if (typeof value === 'string' && value !== '' && value !== '0') {
    const parsed = /^\d+$/.test(value) ? epochOf(Number(value)) : Date.parse(value)
    return Number.isFinite(parsed) ? parsed : undefined
  }

  return undefined
}

export function describeExpiry(at: number, now: number): string {
  const minutes = Math.round((at - now) / 60_000)
  const when = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z')
  if (minutes <= 0) return `expired ${when} (${formatDuration(-minutes)} ago)`
  return `expires ${when} (in ${formatDuration(minutes)})`
}

function formatDuration(minutes: number): string {
  if (minutes < 120) return `${minutes} min`
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} h`
  return `${Math.round(minutes / 1440)} days`
}
