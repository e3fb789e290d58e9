import type {ModelFamily, RoutedClaudeModel} from '../config/types.js'

/** The three Claude models a policy routes, with the family and version each stands for. */
export const ROUTED_MODELS: readonly {id: RoutedClaudeModel; family: ModelFamily; version: string; displayName: string; createdAt: string}[] = [
  {id: 'claude-haiku-4-5', family: 'haiku', version: '4.5', displayName: 'Claude Haiku 4.5', createdAt: '2025-10-01T00:00:00Z'},
  {id: 'claude-sonnet-4-6', family: 'sonnet', version: '4.6', displayName: 'Claude Sonnet 4.6', createdAt: '2026-02-17T00:00:00Z'},
  {id: 'claude-opus-4-6', family: 'opus', version: '4.6', displayName: 'Claude Opus 4.6', createdAt: '2026-02-05T00:00:00Z'},
]

export const ROUTED_MODEL_IDS = ROUTED_MODELS.map((model) => model.id)

/** Private-model families each Claude model may route to. */
export const COMPATIBLE_FAMILIES: Record<RoutedClaudeModel, readonly ModelFamily[]> = {
  'claude-haiku-4-5': ['haiku'],
  'claude-sonnet-4-6': ['sonnet', 'opus'],
  'claude-opus-4-6': ['sonnet', 'opus'],
}

/** The route that serves each family when `unknownModels` is `route-by-family`. */
export const FAMILY_ROUTE: Record<ModelFamily, RoutedClaudeModel> = {
  haiku: 'claude-haiku-4-5',
  sonnet: 'claude-sonnet-4-6',
  opus: 'claude-opus-4-6',
}

export function familyOf(model: RoutedClaudeModel): ModelFamily {
  return ROUTED_MODELS.find((entry) => entry.id === model)!.family
}

export type RouteFit = 'recommended' | 'compatible' | 'incompatible'

/** Rates a route: the same family is Recommended, another allowed family is compatible. */
export function routeFit(model: RoutedClaudeModel, privateFamily: ModelFamily): RouteFit {
  if (!COMPATIBLE_FAMILIES[model].includes(privateFamily)) return 'incompatible'
  return familyOf(model) === privateFamily ? 'recommended' : 'compatible'
}

export interface ParsedModelId {
  /** The id as requested. */
  requested: string
  family: ModelFamily
  /** `major.minor` or `major`, for example `4.5`. */
  version: string
  /** Set when the id names one of the three routed models. */
  routed?: RoutedClaudeModel
}

const REGION_PREFIX = /^(?:us|eu|apac|jp|au|ca|global|us-gov)\./
const ALIAS = /^(haiku|sonnet|opus)$/
const CURRENT_ID = /^claude-(haiku|sonnet|opus)-(\d+)(?:-(\d))?$/
const OLDER_ID = /^claude-(\d+)(?:-(\d))?-(haiku|sonnet|opus)$/

/**
 * Resolves a model id to a Claude family and version. Accepts API ids with or without a date
 * (`claude-haiku-4-5-20251001`), `-latest`, context suffixes such as `[1m]`, Bedrock ids with an
 * optional inference-profile region (`us.anthropic.claude-opus-4-6-v1`, `...-v1:0`), Vertex ids
 * (`claude-haiku-4-5@20251001`), the older `claude-3-5-sonnet` order, and the bare aliases
 * `haiku`, `sonnet` and `opus`. Returns undefined for anything that is not a Claude model.
 */
export function parseModelId(requested: string): ParsedModelId | undefined {
  let id = requested.trim().toLowerCase()
  id = id.replace(/\[[^\]]*\]$/, '')
  id = id.replace(REGION_PREFIX, '').replace(/^anthropic\./, '')
  id = id.replace(/-v\d+(?::\d+)?$/, '').replace(/@\d{8}$/, '').replace(/-latest$/, '').replace(/-\d{8}$/, '')

  const alias = ALIAS.exec(id)
  if (alias) {
    const routed = FAMILY_ROUTE[alias[1] as ModelFamily]
    return {requested, family: alias[1] as ModelFamily, version: ROUTED_MODELS.find((model) => model.id === routed)!.version, routed}
  }

  const current = CURRENT_ID.exec(id)
  const older = OLDER_ID.exec(id)
  let family: ModelFamily
  let version: string
  if (current) {
    family = current[1] as ModelFamily
    version = current[3] === undefined ? current[2] : `${current[2]}.${current[3]}`
  } else if (older) {
    family = older[3] as ModelFamily
    version = older[2] === undefined ? older[1] : `${older[1]}.${older[2]}`
  } else {
    return undefined
  }

  const routed = ROUTED_MODELS.find((model) => model.family === family && model.version === version)?.id
  return {requested, family, version, ...(routed ? {routed} : {})}
}
