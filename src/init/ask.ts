import {stdin, stderr} from 'node:process'
import {createInterface} from 'node:readline/promises'

import type {StarterAnswers} from './starter.js'

/** Asks on the terminal for each missing answer; prompts go to stderr so stdout stays clean. */
export async function askMissing(answers: Partial<StarterAnswers>, input: NodeJS.ReadableStream = stdin, output: NodeJS.WritableStream = stderr): Promise<void> {
  const terminal = createInterface({input, output})
  const ask = async (question: string, fallback?: string) => {
    const reply = (await terminal.question(fallback ? `${question} [${fallback}]: ` : `${question}: `)).trim()
    return reply === '' ? fallback : reply
  }

  try {
    answers.orgName ??= await ask('Organization name')
    answers.identifier ??= await ask('Reverse-DNS identifier (for example com.example)')
    answers.routerUrl ??= await ask('Router base URL', 'https://model-router.surepath.ai')
    if (!answers.issuer && !(answers.deviceEndpoint && answers.tokenEndpoint)) {
      answers.issuer = await ask('OAuth issuer URL (leave empty to enter the endpoints)')
      if (!answers.issuer) {
        answers.deviceEndpoint ??= await ask('Device authorization endpoint')
        answers.tokenEndpoint ??= await ask('Token endpoint')
      }
    }

    answers.clientId ??= await ask('OAuth client id')
    answers.scope ??= (await ask('Settings scope, user or managed', 'user')) as StarterAnswers['scope']
  } finally {
    terminal.close()
  }
}
