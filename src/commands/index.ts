import Doctor from './doctor.js'
import Validate from './validate.js'

/**
 * Every ccfleet command, by id. oclif loads this one module instead of scanning folders; each
 * command module imports its service inside run(), so only the command that runs pays for it.
 */
export const COMMANDS = {
  doctor: Doctor,
  validate: Validate,
}
