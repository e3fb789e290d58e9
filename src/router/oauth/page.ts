import {randomBytes, timingSafeEqual} from 'node:crypto'

import type {Exchange} from '../exchange.js'
import {BodyTooLargeError, escapeHtml, parseFields, readBody, sendHtml} from '../http.js'
import {OAUTH_PATHS} from './endpoints.js'

/**
 * The verification page (RFC 8628 section 3.3): a person enters the user code, picks who signs in
 * (one of the config's conformance users) and approves or denies. Every value placed into the
 * HTML goes through `escapeHtml`.
 */
const formToken = randomBytes(18).toString('base64url')

export async function verificationPage(exchange: Exchange): Promise<void> {
  const {request, url} = exchange
  if (request.method === 'GET' || request.method === 'HEAD') {
    sendHtml(exchange.response, 200, page(exchange, {userCode: url.searchParams.get('user_code') ?? ''}))
    return
  }

  let body: Buffer
  try {
    body = await readBody(request, 16 * 1024)
  } catch (error) {
    if (error instanceof BodyTooLargeError) sendHtml(exchange.response, 413, page(exchange, {problem: 'The form was too large.'}))
    else exchange.response.destroy()
    return
  }

  const fields = parseFields(request, body) ?? {}
  const userCode = fields.user_code ?? ''
  if (!sameToken(fields.form_token ?? '')) {
    sendHtml(exchange.response, 400, page(exchange, {userCode, problem: 'The form expired. Reload the page and try again.'}))
    return
  }

  const grant = exchange.state.devices.byUser(userCode)
  if (!grant || grant.status !== 'pending' || grant.expiresAt <= exchange.state.now()) {
    const problem = !grant ? `The code ${userCode} is not known.` : grant.status !== 'pending' ? `The code ${userCode} was already used.` : `The code ${userCode} has expired.`
    sendHtml(exchange.response, 400, page(exchange, {userCode, problem}))
    return
  }

  if (fields.action === 'deny') {
    grant.status = 'denied'
    exchange.log.event = 'device-denied'
    sendHtml(exchange.response, 200, done('Sign-in denied', 'The device will not be signed in. You can close this page.'))
    return
  }

  const subject = (fields.subject ?? '').trim() || exchange.state.config.conformance.defaultSubject
  grant.status = 'approved'
  grant.subject = subject
  exchange.log.event = 'device-approved'
  exchange.log.subject = subject
  sendHtml(exchange.response, 200, done('Device signed in', `The device is signed in as ${subject}. You can close this page.`))
}

function sameToken(given: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(formToken)
  return a.length === b.length && timingSafeEqual(a, b)
}

function page(exchange: Exchange, view: {userCode?: string; problem?: string}): string {
  const {config} = exchange.state
  const subjects = [...new Set([config.conformance.defaultSubject, ...config.conformance.users.map((user) => user.subject)])]
  const options = subjects.map((subject) => `<option value="${escapeHtml(subject)}">${escapeHtml(subject)}</option>`).join('')
  const problem = view.problem ? `<p class="problem" role="alert">${escapeHtml(view.problem)}</p>` : ''
  return layout(
    `Sign in to ${config.organization.name}`,
    `${problem}
<form method="post" action="${escapeHtml(OAUTH_PATHS.verification)}">
<input type="hidden" name="form_token" value="${escapeHtml(formToken)}">
<p><label>Code shown on your device<br><input name="user_code" value="${escapeHtml(view.userCode ?? '')}" autocomplete="off" autofocus required></label></p>
<p><label>Sign in as<br><select name="subject">${options}</select></label></p>
<p><button name="action" value="approve">Approve</button> <button name="action" value="deny">Deny</button></p>
</form>`,
  )
}

function done(title: string, text: string): string {
  return layout(title, `<p>${escapeHtml(text)}</p>`)
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:32em;margin:3em auto}.problem{color:#a00}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`
}
