#!/usr/bin/env node
// Entry point. oclif loads only the command that runs, because commands are listed explicitly
// (package.json "oclif.commands") and each command imports its service lazily.
// `settings merge` first tries a fast path that skips loading oclif (dist/cli/fast-path.js); it
// returns undefined for help, invalid flags and every other command, which oclif then handles.
const {runFastPath} = await import('../dist/cli/fast-path.js')
const code = await runFastPath(process.argv.slice(2))
if (code === undefined) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
} else {
  process.exitCode = code
}
