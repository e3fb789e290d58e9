import {it, expect} from 'vitest'
import {startOidcServer, OIDC_CLIENT_ID} from '../support/oidc-provider.js'
import {createSandbox, helperConfig, writeHelper, runHelper, readArgvLog, readCache} from '../support/helper-sandbox.js'
it('probe', async () => {
  const s = await startOidcServer()
  const box = createSandbox()
  const script = writeHelper(box, helperConfig({issuer: s.issuer, clientId: OIDC_CLIENT_ID}), 'linux')
  const run = await runHelper(box, 'dash', script, [], {onUserCode: (code) => s.approve(code)})
  console.log(run, readCache(box), readArgvLog(box))
  const run2 = await runHelper(box, 'dash', script, ['status'])
  console.log(run2)
  await s.close()
}, 60000)
