/** Operating systems ccfleet builds for. */
export type TargetOs = 'macos' | 'linux' | 'windows'
export const TARGET_OSES: readonly TargetOs[] = ['macos', 'linux', 'windows']

export type SettingsScope = 'user' | 'managed'
export type ModelFamily = 'haiku' | 'sonnet' | 'opus'
export type PrivateModelProvider = 'aws-bedrock' | 'google-vertex' | 'azure-foundry'

/** The three Claude model ids the router needs a route for. */
export type RoutedClaudeModel = 'claude-haiku-4-5' | 'claude-sonnet-4-6' | 'claude-opus-4-6'
export type Routes = Partial<Record<RoutedClaudeModel, string>>

export interface PrivateModel {
  family: ModelFamily
  provider: PrivateModelProvider
  deployment?: string
  displayName?: string
}

export interface RoutingPolicy {
  routerEnabled: boolean
  routes: Routes
}

export interface GroupPolicy extends RoutingPolicy {
  groups: string[]
}

/** The fleet config with every default filled in. Services read only this shape. */
export interface FleetConfig {
  /** Absolute path of the file it was loaded from, or `<inline>`. */
  source: string
  /** sha256 of the file's bytes, for manifests. */
  sha256: string

  organization: {name: string; identifier: string}
  /** `maintainerGuessed` is true when `package.maintainer` was not set and `maintainer` is the default. */
  package: {name: string; version: string; maintainer: string; maintainerGuessed: boolean; homepage?: string}
  router: {baseUrl: string}
  oauth: {
    issuer?: string
    deviceAuthorizationEndpoint?: string
    tokenEndpoint?: string
    clientId: string
    scope: string
    audience?: string
    openBrowser: boolean
  }
  helper: {
    installPath: Record<TargetOs, string>
    userInstallPath: {posix: string; windows: string}
    tokenCache: {posix: string; windows: string}
    refreshMarginSeconds: number
    connectTimeoutSeconds: number
    requestTimeoutSeconds: number
  }
  settings: {
    scope: SettingsScope
    modelPins: Record<ModelFamily, string>
    apiKeyHelperTtlMs?: number
    env: Record<string, string>
    additional: Record<string, unknown>
  }
  policy: {
    privateModels: Record<string, PrivateModel>
    defaultPolicy: RoutingPolicy
    groupPolicies: Record<string, GroupPolicy>
    unknownModels: 'reject' | 'route-by-family'
  }
  conformance: {
    users: {subject: string; groups: string[]}[]
    defaultSubject: string
  }
}
