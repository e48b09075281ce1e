// npm run gen:api — regenerate src/api/schema.d.ts from the service's OpenAPI document.
// Default: the document as the code at hand defines it (`flask --app app openapi write`, no server
// needed, from the repository's .venv or PYTHON). OPENAPI_URL=http://host/api/openapi.json: a running one.
// tests/test_frontend_contract.py fails when the committed file differs from a fresh generation.
import { execFileSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const frontend = resolve(here, '..')
const repo = resolve(frontend, '..')
const documentPath = join(frontend, '.openapi.json')
const target = join(frontend, 'src', 'api', 'schema.d.ts')

if (process.env.OPENAPI_URL) {
  const response = await fetch(process.env.OPENAPI_URL)
  if (!response.ok) throw new Error(`${process.env.OPENAPI_URL}: HTTP ${response.status}`)
  writeFileSync(documentPath, JSON.stringify(await response.json(), null, 2) + '\n')
} else {
  const venvPython = join(repo, '.venv', 'bin', 'python')
  const python = process.env.PYTHON || (existsSync(venvPython) ? venvPython : 'python3')
  execFileSync(python, ['-m', 'flask', '--app', 'app', 'openapi', 'write', documentPath], {
    cwd: repo,
    stdio: ['ignore', 'inherit', 'ignore'],
  })
}
execFileSync(process.execPath, [join(frontend, 'node_modules', 'openapi-typescript', 'bin', 'cli.js'), documentPath, '-o', target], {
  cwd: frontend,
  stdio: 'inherit',
})
