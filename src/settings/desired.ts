import type {FleetConfig, TargetOs} from '../config/types.js'
import {apiKeyHelperCommand} from '../platform/facts.js'

/** What ccfleet puts into a Claude Code settings file: `apiKeyHelper` and the `env` entries it owns. */
export interface DesiredSettings {
  apiKeyHelper: string
  env: Record<string, string>
}

/**
 * Builds the keys ccfleet owns for one OS. `helperPath` is the absolute path of the installed helper
 * on that machine; `baseUrl` overrides the config's router URL.
 */
export function desiredSettings(config: FleetConfig, os: TargetOs, helperPath: string, baseUrl = config.router.baseUrl): DesiredSettings {
  const env: Record<string, string> = {ANTHROPIC_BASE_URL: baseUrl}
  env.ANTHROPIC_DEFAULT_OPUS_MODEL = config.settings.modelPins.opus
  env.ANTHROPIC_DEFAULT_SONNET_MODEL = config.settings.modelPins.sonnet
  env.ANTHROPIC_DEFAULT_HAIKU_MODEL = config.settings.modelPins.haiku
  if (config.settings.apiKeyHelperTtlMs !== undefined) env.CLAUDE_CODE_API_KEY_HELPER_TTL_MS = String(config.settings.apiKeyHelperTtlMs)
  for (const [name, value] of Object.entries(config.settings.env)) env[name] = value
  return {apiKeyHelper: apiKeyHelperCommand(os, helperPath), env}
}

/**
 * The complete managed settings document: the organization's additional settings with our keys on
 * top. Claude Code reads one managed source only, so everything managed travels together.
 */
export function managedSettingsDocument(config: FleetConfig, os: TargetOs, helperPath: string): Record<string, unknown> {
  const desired = desiredSettings(config, os, helperPath)
  const additional = config.settings.additional
  const additionalEnv = (additional.env ?? {}) as Record<string, string>
  return {...additional, apiKeyHelper: desired.apiKeyHelper, env: {...additionalEnv, ...desired.env}}
}
