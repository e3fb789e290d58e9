import {gzipSync} from 'node:zlib'

/**
 * Gzips bytes reproducibly. zlib writes MTIME 0 and no FNAME, like `gzip -n`; the OS byte is the
 * one thing that varies by build host (zlib sets 3 on Unix, 10 on Windows...), so it is pinned to
 * 3 (Unix) here, the value `gzip -n` writes on Linux.
 */
export function gzipDeterministic(bytes: Buffer, level = 9): Buffer {
  const out = gzipSync(bytes, {level})
  out[9] = GZIP_OS_UNIX
  return out
}

export const GZIP_OS_UNIX = 3
