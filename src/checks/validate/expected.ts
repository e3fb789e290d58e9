import {basename} from 'node:path'

import type {FleetConfig} from '../../config/types.js'

/**
 * Renders what ccfleet would produce for a fleet config, by file name, so validate can compare a
 * deployed script with it. Builders are deterministic, so any difference is a change or another config.
 */
export async function expectedFilesByName(config: FleetConfig): Promise<Map<string, Buffer[]>> {
  const cached = cache.get(config)
  if (cached) return cached

  const files = new Map<string, Buffer[]>()
  const add = (name: string, bytes: Buffer) => {
    const list = files.get(name) ?? []
    if (!list.some((known) => known.equals(bytes))) list.push(bytes)
    files.set(name, list)
  }

  const {renderAuthHelper} = await import('../../helper/render.js')
  for (const os of ['macos', 'linux', 'windows'] as const) {
    try {
      add(os === 'windows' ? 'auth-helper.ps1' : 'auth-helper.sh', Buffer.from(renderAuthHelper(config, os), 'utf8'))
    } catch {
      // A renderer that cannot handle this config leaves nothing to compare with.
    }
  }

  // The tarball and packages carry install.sh and uninstall.sh inside, so render them directly too.
  const {posixInstallScripts} = await import('../../artifacts/posix/scripts.js')
  for (const os of ['macos', 'linux'] as const) {
    try {
      const scripts = posixInstallScripts(config, os)
      add('install.sh', Buffer.from(scripts.install, 'utf8'))
      add('uninstall.sh', Buffer.from(scripts.uninstall, 'utf8'))
    } catch {
      // Nothing to compare with for this OS.
    }
  }

  const builders = [
    async () => (await import('../../artifacts/macos/build.js')).buildMacosArtifacts(config),
    async () => (await import('../../artifacts/linux/build.js')).buildLinuxArtifacts(config),
    async () => (await import('../../artifacts/windows/build.js')).buildWindowsArtifacts(config),
  ]
  for (const build of builders) {
    try {
      for (const artifact of await build()) add(basename(artifact.path), artifact.bytes)
    } catch {
      // Same as above: a builder that fails here is reported by `ccfleet build`, not by validate.
    }
  }

  cache.set(config, files)
  return files
}

const cache = new WeakMap<FleetConfig, Map<string, Buffer[]>>()
