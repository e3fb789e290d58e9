// Writes docs/checks.md and docs/troubleshooting.md from the code tables; run after `npm run build`.
import {writeFileSync} from 'node:fs'

const {renderChecksDoc, renderTroubleshootingDoc} = await import('../dist/checks/docs.js')
writeFileSync(new URL('../docs/checks.md', import.meta.url), renderChecksDoc())
writeFileSync(new URL('../docs/troubleshooting.md', import.meta.url), renderTroubleshootingDoc())
