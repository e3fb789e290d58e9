import * as nodeFs from 'node:fs'
import {basename, dirname, isAbsolute, join, resolve} from 'node:path'
import {randomBytes} from 'node:crypto'

/**
 * Writing a settings file safely (spec W1-W5): symlinks written through to their target, the old
 * content kept in a timestamped backup, the new bytes put in place by an atomic rename of a temporary
 * file in the same folder, and the mode (and owner, when running as root) kept.
 */

/** The synchronous file-system calls the writer uses, so tests can pass memfs instead. */
export type WriterFs = Pick<
  typeof nodeFs,
  | 'chmodSync'
  | 'chownSync'
  | 'closeSync'
  | 'fsyncSync'
  | 'lstatSync'
  | 'mkdirSync'
  | 'openSync'
  | 'readFileSync'
  | 'readlinkSync'
  | 'renameSync'
  | 'statSync'
  | 'unlinkSync'
  | 'writeSync'
>

/** Modes of a user settings file and folder ccfleet creates: settings `env` may hold secrets. */
export const USER_FILE_MODE = 0o600
export const USER_FOLDER_MODE = 0o700
/** Modes of managed settings ccfleet creates: every user's Claude Code must be able to read them. */
export const MANAGED_FILE_MODE = 0o644
export const MANAGED_FOLDER_MODE = 0o755
/** Symlink hops followed before giving up, as the kernel's ELOOP limit does. */
const MAX_SYMLINK_HOPS = 40

/**
 * Test-only: milliseconds to pause in the middle of writing the temporary file and again before the
 * rename, so the crash test can kill the process inside the write. Never set it in production.
 */
export const TEST_WRITE_DELAY_ENV = 'CCFLEET_TEST_WRITE_DELAY_MS'

/** Follows symlinks to the file that is really written, even when the last link dangles. */
export function resolveWriteTarget(path: string, fs: WriterFs = nodeFs): string {
  let current = resolve(path)
  for (let hop = 0; hop < MAX_SYMLINK_HOPS; hop++) {
    let stats: nodeFs.Stats
    try {
      stats = fs.lstatSync(current)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return current
      throw error
    }

    if (!stats.isSymbolicLink()) return current
    const link = String(fs.readlinkSync(current))
    current = isAbsolute(link) ? link : resolve(dirname(current), link)
  }

  throw Object.assign(new Error(`too many levels of symbolic links: ${path}`), {code: 'ELOOP'})
}

/** Reads a file's bytes, or null when it does not exist. */
export function readIfExists(path: string, fs: WriterFs = nodeFs): Buffer | null {
  try {
    return fs.readFileSync(path) as Buffer
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

/** `YYYYMMDDTHHMMSSZ` in UTC. */
export function backupStamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')
}

export interface WriteOptions {
  /** Keep the old content as `<target>.ccfleet-backup-<stamp>` (W4). */
  backup: boolean
  /** Mode of a new file; default `USER_FILE_MODE`. */
  newFileMode?: number
  /** Mode of new folders; default `USER_FOLDER_MODE`. */
  newFolderMode?: number
  /** Owner and group of new folders and a new file when running as root; default: root's. */
  newOwner?: Owner
  now?: Date
  fs?: WriterFs
}

export interface Owner {
  uid: number
  gid: number
}

/** The step of a write that failed, set as `step` on the file-system error the writer throws. */
export type WriteStep = 'create folder' | 'read mode' | 'backup' | 'temporary file' | 'set mode' | 'rename'

/** A file-system error with the writer's step and the path it was working on. */
export type WriteStepError = NodeJS.ErrnoException & {step: WriteStep; stepPath: string}

/** Runs one step, tagging its error with the step unless an inner step already did. */
function step<T>(name: WriteStep, path: string, action: () => T): T {
  try {
    return action()
  } catch (error) {
    if (error instanceof Error && !('step' in error)) Object.assign(error, {step: name, stepPath: path})
    throw error
  }
}

export interface WriteOutcome {
  /** The path written: the symlink's target when `path` is a link. */
  target: string
  /** Path of the backup, when one was written. */
  backup?: string
  created: boolean
}

/** Replaces `path`'s content with `bytes` atomically; `old` is the current content (null: no file). */
export function writeSettingsFile(path: string, bytes: Buffer, old: Buffer | null, options: WriteOptions): WriteOutcome {
  const fs = options.fs ?? nodeFs
  const target = resolveWriteTarget(path, fs)
  const folder = dirname(target)

  // W1: new folders get the scope's mode (the umask may narrow it) and the new owner; existing ones
  // keep theirs. mkdirSync returns the first folder it created, or undefined when all existed.
  step('create folder', folder, () => {
    const first = fs.mkdirSync(folder, {recursive: true, mode: options.newFolderMode ?? USER_FOLDER_MODE})
    if (first !== undefined && options.newOwner && runsAsRoot()) {
      for (const created of foldersFrom(first, folder)) fs.chownSync(created, options.newOwner.uid, options.newOwner.gid)
    }
  })

  // W2: an existing file keeps its mode and owner, and its backup gets both; a new file gets the new owner.
  let mode = options.newFileMode ?? USER_FILE_MODE
  let owner = options.newOwner
  if (old !== null) {
    const stats = step('read mode', target, () => fs.statSync(target))
    mode = stats.mode & 0o7777
    owner = {uid: stats.uid, gid: stats.gid}
  }

  // W4: the old bytes first, so a crash after this point still leaves them somewhere.
  let backup: string | undefined
  if (old !== null && options.backup) backup = step('backup', `${target}.ccfleet-backup-*`, () => writeBackup(fs, target, old, mode, owner, options.now ?? new Date()))

  // W3: temporary file in the same folder, then one rename.
  const temporary = join(folder, `.${basename(target)}.ccfleet-${process.pid}-${randomBytes(4).toString('hex')}.tmp`)
  try {
    step('temporary file', temporary, () => writeDurably(fs, temporary, bytes, mode, owner))
    testPause()
    step('rename', target, () => fs.renameSync(temporary, target))
  } catch (error) {
    try {
      fs.unlinkSync(temporary)
    } catch {
      // The temporary file may not exist yet; the original error is the one to report.
    }

    throw error
  }

  syncFolder(fs, folder)
  return {target, backup, created: old === null}
}

/** `first` and the folders below it down to `last`, which `mkdirSync` just created. */
function foldersFrom(first: string, last: string): string[] {
  const folders = [last]
  for (let current = last; current !== first && dirname(current) !== current; ) {
    current = dirname(current)
    folders.push(current)
  }

  return folders.reverse()
}

function runsAsRoot(): boolean {
  return process.getuid?.() === 0
}

function writeBackup(fs: WriterFs, target: string, old: Buffer, mode: number, owner: Owner | undefined, now: Date): string {
  const base = `${target}.ccfleet-backup-${backupStamp(now)}`
  for (let attempt = 0; ; attempt++) {
    const candidate = attempt === 0 ? base : `${base}-${attempt}`
    try {
      writeDurably(fs, candidate, old, mode, owner, 'wx')
      return candidate
    } catch (error) {
      // Two merges within one second: the second backup gets a counter.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
}

function writeDurably(fs: WriterFs, path: string, bytes: Buffer, mode: number, owner?: Owner, flags = 'wx'): void {
  const fd = fs.openSync(path, flags, mode)
  try {
    // openSync's mode is filtered by the umask; the file must end with exactly the old mode.
    step('set mode', path, () => {
      fs.chmodSync(path, mode)
      if (owner && runsAsRoot()) fs.chownSync(path, owner.uid, owner.gid)
    })

    const delay = testDelayMs()
    if (delay > 0) {
      // Half the bytes, a pause, then the rest: a kill in between leaves a partial temporary file.
      const half = Math.floor(bytes.length / 2)
      writeAll(fs, fd, bytes.subarray(0, half))
      sleepSync(delay)
      writeAll(fs, fd, bytes.subarray(half))
    } else {
      writeAll(fs, fd, bytes)
    }

    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

function writeAll(fs: WriterFs, fd: number, bytes: Buffer): void {
  let offset = 0
  while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset)
}

/** Flushes the folder entry of the rename; some file systems cannot open a folder, which is fine. */
function syncFolder(fs: WriterFs, folder: string): void {
  try {
    const fd = fs.openSync(folder, 'r')
    try {
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    // Best effort: the rename itself is already atomic.
  }
}

function testDelayMs(): number {
  const value = Number(process.env[TEST_WRITE_DELAY_ENV] ?? 0)
  return Number.isFinite(value) && value > 0 ? value : 0
}

function testPause(): void {
  const delay = testDelayMs()
  if (delay > 0) sleepSync(delay)
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}
