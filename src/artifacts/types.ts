/**
 * An artifact is data before it is a file: builders return these, one writer puts them on disk
 * deterministically and lists them in the manifest, and package formats turn lists of them into bytes.
 */
export interface Artifact {
  /** Path relative to the output folder (or to `/` inside a package), with `/` separators. */
  path: string
  /** File mode, for example 0o644 or 0o755. */
  mode: number
  /** Owner inside packages; files on disk keep the builder's user. */
  owner?: {user: string; group: string; uid: number; gid: number}
  bytes: Buffer
  /** One line for the manifest and README: what this file is for. */
  description?: string
}

export const ROOT_OWNER = {user: 'root', group: 'root', uid: 0, gid: 0} as const
