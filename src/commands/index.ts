import Build from './build.js'
import RouterServe from './router/serve.js'

/**
 * Every ccfleet command, by id. oclif loads this one module instead of scanning folders; each
 * command module imports its service inside run(), so only the command that runs pays for it.
 */
export const COMMANDS = {
  build: Build,
  'router:serve': RouterServe,
}
