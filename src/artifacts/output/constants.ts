/** Exit codes of `ccfleet build` beyond the common ones. */
export const BUILD_EXIT = {configInvalid: 3, outputRefused: 4, builderFailed: 5, writeFailed: 6} as const

/** The file in --out that lists every file the build wrote; it marks the folder as ccfleet's. */
export const MANIFEST_FILE = 'manifest.json'
