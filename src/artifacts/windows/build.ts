import type {FleetConfig} from '../../config/types.js'
import type {Artifact} from '../types.js'

/** Builds every windows artifact for a fleet config; paths are relative to the target's output folder. */
export async function buildWindowsArtifacts(config: FleetConfig): Promise<Artifact[]> {
  // NOTE: placeholder until the windows builder lands.
  void config
  return []
}
