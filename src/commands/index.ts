import Build from './build.js'
import Demo from './demo.js'
import Doctor from './doctor.js'
import Help from './help.js'
import HelperRender from './helper/render.js'
import Init from './init.js'
import PolicyCheck from './policy/check.js'
import RouterCheck from './router/check.js'
import RouterServe from './router/serve.js'
import SettingsMerge from './settings/merge.js'
import Validate from './validate.js'

/**
 * Every ccfleet command, by id. oclif loads this one module instead of scanning folders; each
 * command module imports its service inside run(), so only the command that runs pays for it.
 */
export const COMMANDS = {
  init: Init,
  build: Build,
  demo: Demo,
  doctor: Doctor,
  help: Help,
  'helper:render': HelperRender,
  'policy:check': PolicyCheck,
  'router:check': RouterCheck,
  'router:serve': RouterServe,
  'settings:merge': SettingsMerge,
  validate: Validate,
}
