#!/usr/bin/env node
// Entry point. oclif loads only the command that runs, because commands are listed explicitly
// (package.json "oclif.commands") and each command imports its service lazily.
import {execute} from '@oclif/core'

await execute({dir: import.meta.url})
