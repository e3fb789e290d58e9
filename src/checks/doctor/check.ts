import {DOCTOR_CODES, type DoctorCode} from './codes.js'
import type {CheckStatus, DoctorCheck} from './types.js'

/** Builds a checklist entry; the fix defaults to the code's documented fix for warn and fail. */
export function check(code: DoctorCode, status: CheckStatus, message: string, extra: {fix?: string; file?: string; title?: string} = {}): DoctorCheck {
  const info = DOCTOR_CODES[code]
  const entry: DoctorCheck = {code, status, title: extra.title ?? info.title, message}
  if (status === 'warn' || status === 'fail') entry.fix = extra.fix ?? info.fix
  if (extra.file) entry.file = extra.file
  return entry
}
