// Loads TypeScript test support for scripts that run outside jest (the demo, the benchmark):
// esbuild bundles it into .cache/scripts/, and the script imports the bundle.
import { build } from 'esbuild'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..')

// The bundles land two folders below the project root, as their sources do, so paths that a
// module works out from its own import.meta.url still hold.
async function load(name, entry) {
  const outfile = join(projectRoot, '.cache', 'scripts', `${name}.mjs`)
  await build({
    entryPoints: [join(projectRoot, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // npm packages are imported from node_modules at run time, not bundled: some (yaml) are
    // CommonJS that require() Node built-ins, which an ES module bundle cannot do.
    packages: 'external',
    logLevel: 'warning'
  })
  return import(pathToFileURL(outfile).href)
}

/** The loopback EC2 endpoint: startEc2Endpoint() and its constants. */
export const loadEc2Endpoint = () => load('ec2-endpoint', 'test-support/ec2-endpoint/index.ts')

/** runAction(): dist/index.js run as the runner runs it. */
export const loadActionProcess = () => load('action-process', '__tests__/support/action-process.ts')

/** How the action asks the packer on PATH for its version: oneProcess, the environment it adds. */
export const loadPackerOnPath = () => load('packer-on-path', 'src/install/on-path.ts')
