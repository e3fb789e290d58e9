import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import Handlebars from 'handlebars'

import {debControlValue, jsonString, psAsciiString, psString, shString, xmlText} from './escape.js'

/** Folder of the script templates (`templates/` at the package root). */
export const TEMPLATES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates')

/**
 * A Handlebars environment whose default `{{value}}` refuses to run: every value must go through
 * the helper for its language (`{{sh x}}`, `{{ps x}}`, `{{json x}}`, `{{xml x}}`, `{{deb x}}`), or
 * `{{raw x}}` for text ccfleet itself produced (another rendered template, a fixed constant).
 */
function createEnvironment(): typeof Handlebars {
  const env = Handlebars.create()
  const asString = (value: unknown): string => {
    if (typeof value === 'string') return value
    if (typeof value === 'number' || typeof value === 'boolean') return String(value)
    throw new Error(`template value must be a string, number or boolean, got ${value === undefined ? 'undefined' : typeof value}`)
  }

  env.registerHelper('sh', (value: unknown) => new env.SafeString(shString(asString(value))))
  env.registerHelper('ps', (value: unknown) => new env.SafeString(psAsciiString(asString(value))))
  env.registerHelper('psUnicode', (value: unknown) => new env.SafeString(psString(asString(value))))
  env.registerHelper('json', (value: unknown) => new env.SafeString(typeof value === 'string' ? jsonString(value) : JSON.stringify(value)))
  env.registerHelper('xml', (value: unknown) => new env.SafeString(xmlText(asString(value))))
  env.registerHelper('deb', (value: unknown) => new env.SafeString(debControlValue(asString(value))))
  env.registerHelper('raw', (value: unknown) => new env.SafeString(asString(value)))
  env.registerHelper('eq', (left: unknown, right: unknown) => left === right)
  // A bare {{value}} would HTML-escape, which is wrong for every language we emit: fail loudly instead.
  env.registerHelper('helperMissing', function (this: unknown, ...args: unknown[]) {
    const options = args.at(-1) as {name: string}
    throw new Error(`unknown template helper or unescaped value "${options.name}"`)
  })
  return env
}

const environment = createEnvironment()
const cache = new Map<string, HandlebarsTemplateDelegate>()

/**
 * Renders `templates/<name>` with the given context. Plain `{{x}}` on a context value is rejected
 * at render time (`strict` mode plus an escaping check), so a template cannot leak a raw value.
 */
export function renderTemplate(name: string, context: Record<string, unknown>): string {
  let template = cache.get(name)
  if (!template) {
    const source = readFileSync(join(TEMPLATES_DIR, name), 'utf8')
    assertNoBareValues(name, source)
    template = environment.compile(source, {strict: true, noEscape: true})
    cache.set(name, template)
  }

  return template(context)
}

/** Rejects `{{name}}` without a helper, so every value is escaped for its language. */
function assertNoBareValues(name: string, source: string): void {
  const bare = /\{\{\{?\s*(?![#/>!^]|else\b|sh\b|ps\b|psUnicode\b|json\b|xml\b|deb\b|raw\b)([A-Za-z_][\w.]*)\s*\}?\}\}/.exec(source)
  if (bare) throw new Error(`template ${name}: "${bare[0]}" places a value without escaping; use {{sh x}}, {{ps x}}, {{json x}}, {{xml x}}, {{deb x}} or {{raw x}}`)
}
