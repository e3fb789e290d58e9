// Prints a deterministic 100 KB user settings file (permissions and per-project entries) for the
// settings merge benchmarks.
const lines = ['{', '  "model": "opus",', '  "permissions": {', '    "allow": [']
const allow = []
for (let i = 0; i < 1350; i++) allow.push(`      "Bash(npm run task-${i}:*)"`)
lines.push(allow.join(',\n'), '    ],', '    "deny": ["Read(./.env)"]', '  },', '  "projects": {')

const projects = []
for (let i = 0; i < 470; i++) projects.push(`    "/home/dev/src/project-${i}": {"allowedTools": ["Read", "Edit"], "history": [{"display": "fix the build ${i}"}]}`)
lines.push(projects.join(',\n'), '  }', '}', '')
process.stdout.write(lines.join('\n'))
