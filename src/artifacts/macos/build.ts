import type {FleetConfig} from '../../config/types.js'
import type {Artifact} from '../types.js'

/** Builds every macos artifact for a fleet config; paths are relative to the target's output folder. */
export async function buildMacosArtifacts(config: FleetConfig): Promise<Artifact[]> {
  // NOTE: placeholder until the macos builder lands.
  void config
  return []
}
