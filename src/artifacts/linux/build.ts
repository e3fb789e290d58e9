import type {FleetConfig} from '../../config/types.js'
import type {Artifact} from '../types.js'

/** Builds every Linux artifact (.deb, .rpm, .tar.gz) for a fleet config. */
export async function buildLinuxArtifacts(config: FleetConfig): Promise<Artifact[]> {
  // NOTE: placeholder until the Linux builder lands.
  void config
  return []
}
