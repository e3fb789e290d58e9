import {FINDING_CODES} from './codes.js'
import {DOCTOR_CODES} from './doctor/codes.js'

/**
 * Renders docs/checks.md and docs/troubleshooting.md from the code tables, so the docs list exactly
 * the codes the program emits. `node scripts/checks-doc.mjs` writes them after `npm run build`;
 * a test fails when the files are stale.
 */

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}

export function renderChecksDoc(): string {
  const lines = [
    '# Checks: validate findings and doctor checks',
    '',
    '<!-- Generated from src/checks/codes.ts and src/checks/doctor/codes.ts by `npm run build && node scripts/checks-doc.mjs`. Edit those files, not this one. -->',
    '',
    'Every finding of `ccfleet validate` and every line of `ccfleet doctor` carries a stable code. Codes are never',
    'renumbered; a retired code is not reused.',
    '',
    '## ccfleet validate',
    '',
    'A finding is `{code, severity, file, location, message, fix}`. `location` is a key path (`env.ANTHROPIC_BASE_URL`,',
    '`PayloadContent[0].PayloadUUID`) or `line:column`; it is empty when the finding is about the whole file. Files inside',
    'a package are named `package.deb!/path/inside`.',
    '',
    'Exit codes: 0 clean (info findings do not count), 1 at least one error (with `--strict`, also warnings),',
    '2 usage error, 3 warnings only.',
    '',
    'Output: a readable report on stdout; `--json` prints the report described by `schema/validate-report.schema.json`;',
    '`--junit FILE` writes JUnit XML with one `<testsuite>` per file and one `<testcase>` per code checked on it. Errors',
    'fail a test case; warnings fail it only with `--strict`, otherwise they go to `<system-out>` with info findings.',
    '',
    'The severity below is the default; a finding may be raised or lowered where the message says why (for example a',
    'shellcheck error, or a provider switch in a file that also configures the router).',
    '',
    '| Code | Severity | Triggered by | Why it matters | Fix |',
    '|---|---|---|---|---|',
  ]
  for (const [code, info] of Object.entries(FINDING_CODES)) {
    lines.push(`| \`${code}\` | ${info.severity} | ${cell(info.title)} | ${cell(info.why)} | ${cell(info.fix)} |`)
  }

  lines.push(
    '',
    '## ccfleet doctor',
    '',
    'Each check ends as pass (✓), warn (⚠), fail (✗), info (i) or skip (-). doctor exits 1 when any check fails.',
    '`--json` prints the report described by `schema/doctor-report.schema.json`. As in the validate report, its `exitCode`',
    'field is the exit code of the run. docs/troubleshooting.md lists the same checks by symptom.',
    '',
    '| Code | Check | Why it matters | Fix |',
    '|---|---|---|---|',
  )
  for (const [code, info] of Object.entries(DOCTOR_CODES)) lines.push(`| \`${code}\` | ${cell(info.title)} | ${cell(info.why)} | ${cell(info.fix)} |`)
  return lines.join('\n') + '\n'
}

export function renderTroubleshootingDoc(): string {
  const lines = [
    '# Troubleshooting Claude Code behind the router',
    '',
    '<!-- Generated from src/checks/doctor/codes.ts by `npm run build && node scripts/checks-doc.mjs`. Edit that file, not this one. -->',
    '',
    'Start with `ccfleet doctor` on the machine that has the problem (add `--config fleet.jsonc` when you have the',
    "fleet config, so doctor knows the expected router and model pins). It prints one line per check below, with the",
    'file each value comes from and what to do. Fix the first ✗ line first: later checks often fail because of it.',
    '',
    'To look at a machine you cannot sit at, collect its files and run doctor on the copy:',
    '',
    '```sh',
    'ccfleet doctor --home ./copy/home/jane --project ./copy/project --managed-root ./copy/root --os macos --no-run-helper',
    '```',
    '',
    'doctor never prints a token: for the helper output it shows the length and, for a JWT, the subject and expiry.',
    'Every network step and the helper run stop after `--timeout` seconds (default 5).',
    '',
  ]
  for (const [code, info] of Object.entries(DOCTOR_CODES)) {
    lines.push(`## ${info.symptom}`, '', `Check: ${info.title} (\`${code}\`).`, '', info.why, '', `Fix: ${info.fix}`, '')
  }

  return lines.join('\n')
}
