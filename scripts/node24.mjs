// Prints the path of a Node 24 binary, the runtime action.yml declares, so the tests can run
// the bundle under it as well as under the machine's Node. Node 24 comes from the npm
// registry's `node` package, kept in .cache/node24; nothing is printed when it cannot be had.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const prefix = join(root, '.cache', 'node24')
const binary = join(prefix, 'node_modules', 'node', 'bin', 'node')

function version(path) {
  try {
    return execFileSync(path, ['--version'], { encoding: 'utf8' }).trim()
  } catch {
    return ''
  }
}

if (process.version.startsWith('v24.')) {
  console.log(process.execPath)
} else {
  if (!version(binary).startsWith('v24.')) {
    try {
      // The node package fetches its binary in an install script, which npm 12 runs only where
      // the installing package.json allows it (allowScripts); npm 11 runs it either way.
      mkdirSync(prefix, { recursive: true })
      writeFileSync(join(prefix, 'package.json'), `${JSON.stringify({ private: true, allowScripts: { node: true } })}\n`)
      execFileSync(
        'npm',
        ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', prefix, 'node@24'],
        { stdio: ['ignore', 'ignore', 'inherit'] }
      )
    } catch {
      process.exit(0)
    }
  }
  if (existsSync(binary) && version(binary).startsWith('v24.')) console.log(binary)
}
