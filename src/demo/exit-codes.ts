/** Exit codes of `ccfleet demo` beyond the common ones (0 success, 1 failure, 2 usage). */
export const DEMO_EXIT = {
  configInvalid: 3,
  buildFailed: 4,
  installFailed: 5,
  signInFailed: 6,
  requestFailed: 7,
  claudeFailed: 8,
} as const

/** The exit-code table rows of `ccfleet demo --help`. */
export const DEMO_EXIT_MEANINGS: Record<number, string> = {
  [DEMO_EXIT.configInvalid]: 'the fleet config is missing or invalid, or policy check rejects its routing policy',
  [DEMO_EXIT.buildFailed]: 'building the artifacts failed',
  [DEMO_EXIT.installFailed]: 'installing into the throwaway home failed',
  [DEMO_EXIT.signInFailed]: "the installed helper's device flow failed",
  [DEMO_EXIT.requestFailed]: 'the Messages request failed or was not routed to a private model',
  [DEMO_EXIT.claudeFailed]: 'with --claude: claude -p failed or is not installed',
}
