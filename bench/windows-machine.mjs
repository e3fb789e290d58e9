// Prepares a fake Windows machine for bench/windows.sh: <root>/C/Users/user001..N with a typical
// settings.json each, the ProfileList registry file and install.ps1 for user scope (the script's
// CCFLEET_FAKE_ROOT seam maps C:\ and the registry into <root>).
// Usage: node bench/windows-machine.mjs <root> <profiles>
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {renderWindowsScript} from '../dist/artifacts/windows/build.js'
import {parseFleetConfig} from '../dist/config/load.js'

const [root, countText] = process.argv.slice(2)
const count = Number(countText)
const config = parseFleetConfig(JSON.stringify({
  organization: {name: 'Bench Corp', identifier: 'com.bench'},
  oauth: {issuer: 'https://id.bench.example', clientId: 'claude-code'},
  settings: {scope: 'user'},
}), 'bench.fleet.json')

// The real helper when its template exists; otherwise a helper of similar size, because the
// benchmark measures the install script, not the helper.
let helper
try {
  helper = (await import('../dist/helper/render.js')).renderAuthHelper(config, 'windows')
} catch {
  helper = '# stand-in helper\r\n'.repeat(800)
}

const profileList = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList'
const registry = {[`${profileList}\\S-1-5-18`]: {ProfileImagePath: '%systemroot%\\system32\\config\\systemprofile'}}
const settings = '{\n  "model": "sonnet",\n  "permissions": {\n    "allow": ["Bash(npm test)"],\n    "deny": ["Read(./.env)"]\n  }\n}\n'
for (let index = 1; index <= count; index++) {
  const name = `user${String(index).padStart(3, '0')}`
  registry[`${profileList}\\S-1-5-21-1000-2000-3000-${1000 + index}`] = {ProfileImagePath: `C:\\Users\\${name}`}
  mkdirSync(join(root, 'C', 'Users', name, '.claude'), {recursive: true})
  writeFileSync(join(root, 'C', 'Users', name, '.claude', 'settings.json'), settings)
}
mkdirSync(join(root, 'C', 'ProgramData'), {recursive: true})
writeFileSync(join(root, 'registry.json'), JSON.stringify(registry, null, 2))
writeFileSync(join(root, 'install.ps1'), renderWindowsScript(config, 'install', helper))
