import {randomBytes, randomInt} from 'node:crypto'

/** One device authorization (RFC 8628 section 3.2) and where it stands. */
export interface DeviceGrant {
  deviceCode: string
  userCode: string
  clientId: string
  scope: string
  createdAt: number
  expiresAt: number
  /** Current minimum polling interval in seconds; `slow_down` raises it. */
  interval: number
  lastPollAt?: number
  status: 'pending' | 'approved' | 'denied' | 'redeemed'
  subject?: string
  /** When set, the grant is approved as `autoApproveSubject` from this time on. */
  autoApproveAt?: number
  autoApproveSubject?: string
}

/** Upper bound on live device grants, so a flood of authorization requests cannot exhaust memory. */
const MAX_GRANTS = 10_000

/** User code alphabet of RFC 8628 section 6.1: no vowels, no easily confused characters. */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ'

export class DeviceGrantStore {
  private readonly byDeviceCode = new Map<string, DeviceGrant>()
  private readonly byUserCode = new Map<string, DeviceGrant>()

  constructor(private readonly now: () => number) {}

  create(fields: {clientId: string; scope: string; ttlSeconds: number; interval: number; autoApproveMs: number; autoApproveSubject: string}): DeviceGrant | undefined {
    if (this.byDeviceCode.size >= MAX_GRANTS) this.purge()
    if (this.byDeviceCode.size >= MAX_GRANTS) return undefined

    const now = this.now()
    let userCode: string
    do userCode = newUserCode()
    while (this.byUserCode.has(userCode))

    const grant: DeviceGrant = {
      deviceCode: 'dc_' + randomBytes(24).toString('base64url'),
      userCode,
      clientId: fields.clientId,
      scope: fields.scope,
      createdAt: now,
      expiresAt: now + fields.ttlSeconds * 1000,
      interval: fields.interval,
      status: 'pending',
      ...(fields.autoApproveMs >= 0 ? {autoApproveAt: now + fields.autoApproveMs, autoApproveSubject: fields.autoApproveSubject} : {}),
    }
    this.byDeviceCode.set(grant.deviceCode, grant)
    this.byUserCode.set(grant.userCode, grant)
    return grant
  }

  byDevice(deviceCode: string): DeviceGrant | undefined {
    return this.refresh(this.byDeviceCode.get(deviceCode))
  }

  /** Finds a grant by user code, ignoring case, spaces and dashes as people type them. */
  byUser(userCode: string): DeviceGrant | undefined {
    return this.refresh(this.byUserCode.get(normalizeUserCode(userCode)))
  }

  /** Finds a grant by either code. */
  find(code: {deviceCode?: string; userCode?: string}): DeviceGrant | undefined {
    if (code.deviceCode) return this.byDevice(code.deviceCode)
    if (code.userCode) return this.byUser(code.userCode)
    return undefined
  }

  pending(): DeviceGrant[] {
    return [...this.byDeviceCode.values()].map((grant) => this.refresh(grant)!).filter((grant) => grant.status === 'pending' && grant.expiresAt > this.now())
  }

  purge(): void {
    const now = this.now()
    for (const grant of this.byDeviceCode.values()) {
      // Keep expired grants for a while so a late poll still gets expired_token, not invalid_grant.
      if (grant.expiresAt <= now - 600_000 || (grant.status === 'redeemed' && grant.createdAt <= now - 600_000)) {
        this.byDeviceCode.delete(grant.deviceCode)
        this.byUserCode.delete(grant.userCode)
      }
    }
  }

  /** Applies a due auto-approval. */
  private refresh(grant: DeviceGrant | undefined): DeviceGrant | undefined {
    if (grant && grant.status === 'pending' && grant.autoApproveAt !== undefined && grant.autoApproveAt <= this.now() && grant.expiresAt > this.now()) {
      grant.status = 'approved'
      grant.subject = grant.autoApproveSubject
    }

    return grant
  }
}

function newUserCode(): string {
  let code = ''
  for (let index = 0; index < 8; index++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)]
  return code.slice(0, 4) + '-' + code.slice(4)
}

export function normalizeUserCode(value: string): string {
  const letters = value.toUpperCase().replace(/[^A-Z]/g, '')
  return letters.length === 8 ? letters.slice(0, 4) + '-' + letters.slice(4) : letters
}
