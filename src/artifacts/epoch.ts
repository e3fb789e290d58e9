import {CcfleetError} from '../errors.js'

/**
 * Timestamp used when SOURCE_DATE_EPOCH is not set: 2026-01-01T00:00:00Z. A fixed constant, never
 * the clock, so that two builds of one config are byte-identical. It is not 0 because lintian flags
 * files dated before 1975 (`package-contains-ancient-file`).
 */
export const DEFAULT_SOURCE_DATE_EPOCH = 1_767_225_600

/**
 * The timestamp every artifact carries: SOURCE_DATE_EPOCH when set (reproducible-builds.org
 * convention: decimal seconds since the epoch), otherwise DEFAULT_SOURCE_DATE_EPOCH.
 */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SOURCE_DATE_EPOCH
  if (raw === undefined || raw === '') return DEFAULT_SOURCE_DATE_EPOCH
  // tar's 12-byte octal field and rpm's 32-bit fields both hold times up to 2^32 - 1.
  if (!/^\d{1,10}$/.test(raw) || Number(raw) > 0xffffffff) {
    throw new CcfleetError(`SOURCE_DATE_EPOCH="${raw}" is invalid: it must be whole seconds since 1970-01-01 UTC, from 0 to 4294967295`, {
      code: 'SOURCE_DATE_EPOCH_INVALID',
      hint: 'Unset it or set it to a number such as $(git log -1 --format=%ct).',
      exitCode: 2,
    })
  }

  return Number(raw)
}
