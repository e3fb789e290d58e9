import type {Hook} from '@oclif/core'

import {writeError} from '../../errors.js'
import {commandNotFoundError} from '../usage.js'

/**
 * oclif's `command_not_found` hook (package.json "oclif.hooks"). oclif would print "command
 * setings:merge not found" with its internal colon separator. This prints a usage error with the
 * words as typed and the closest command, as JSON on stdout under `--json`, and exits 2.
 */
const hook: Hook<'command_not_found'> = async function (options) {
  const {config} = options
  const argv = options.argv ?? []
  const beforeSeparator = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv
  const json = beforeSeparator.includes('--json') || config.scopedEnvVar('CONTENT_TYPE')?.toLowerCase() === 'json'
  const words = options.id.split(':')
  const commands = config.commandIDs.map((id) => id.split(':').join(' '))
  const topics = config.topics.map((topic) => topic.name.split(':').join(' '))
  const error = commandNotFoundError(config.bin, words, commands, topics)
  writeError(error, json)
  this.exit(error.exitCode)
}

export default hook
