export {default} from './validate.js'
