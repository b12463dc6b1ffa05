// Builds the action's entry points into dist/ as minified ES modules, split into chunks: an
// entry point holds what every run needs, and each stage that main.ts imports when the job
// reaches it (install, plugins, tagging with the EC2 client) is a chunk of its own that Node
// loads only then. A run that stops at its inputs loads little more than @actions/core.
// The AWS SDK and a few toolkit dependencies are CommonJS that call require() for Node
// built-ins, so each module gets a require() of its own.
import { build } from 'esbuild'
import { readFile } from 'node:fs/promises'
import { rmSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const entries = { index: 'src/index.ts', post: 'src/post.ts' }

/**
 * The EC2 client describes every shape of EC2's API in one module, with trait objects written
 * as `{ [_xN]: _aTSc }` where `_xN` is a module constant holding a string. esbuild cannot tell
 * that such a computed key has no side effect, so it keeps every shape of all ~700 operations
 * (550 KB). Writing the constant's value as the key instead is the same object, and lets esbuild
 * keep only the shapes of the operations the action calls.
 */
const ec2ShapesWithLiteralKeys = {
  name: 'ec2-shapes-with-literal-keys',
  setup(bundler) {
    bundler.onLoad({ filter: /[\\/]client-ec2[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8')
      const strings = new Map()
      for (const [, name, value] of source.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm)) strings.set(name, value)
      const contents = source.replace(/\[(_\w+)\]:/g, (key, name) => (strings.has(name) ? `${strings.get(name)}:` : key))
      return { contents, loader: 'js' }
    })
  }
}

/**
 * @actions/http-client imports undici (400 KB) for one method, getAgentDispatcher(), which
 * hands a proxy dispatcher to callers of fetch(). Nothing in the action or the toolkit
 * packages it uses calls it (they send requests through http-client's own agents), so undici
 * is left out; were that method ever reached, it would say so instead of failing obscurely.
 */
const undiciLeftOut = {
  name: 'undici-left-out',
  setup(bundler) {
    bundler.onResolve({ filter: /^undici$/ }, () => ({ path: 'undici', namespace: 'undici-left-out' }))
    bundler.onLoad({ filter: /.*/, namespace: 'undici-left-out' }, () => ({
      contents:
        'export class ProxyAgent { constructor() { throw new Error("packer-ami-action is bundled without undici: HttpClient.getAgentDispatcher() is not available") } }',
      loader: 'js'
    }))
  }
}

/** Bundles `entryPoints` into `outdir` the way dist/ is made (the bench bundles a yardstick so). */
export async function bundle(entryPoints, outdir) {
  // Chunk names carry a hash: chunks of an older build must not linger beside the new ones.
  rmSync(outdir, { recursive: true, force: true })
  await build({
    entryPoints,
    outdir,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // Prefer packages' ES module builds: unlike their CommonJS builds they can be tree-shaken,
    // which drops most of the EC2 client's ~700 operations from the bundle.
    mainFields: ['module', 'main'],
    minify: true,
    legalComments: 'linked',
    logLevel: 'warning',
    plugins: [ec2ShapesWithLiteralKeys, undiciLeftOut],
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"
    }
  })
}

export function sizeOf(dir) {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    total += entry.isDirectory() ? sizeOf(path) : statSync(path).size
  }
  return total
}
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundle(entries, 'dist')
  if (process.argv.includes('--size')) console.log(`dist/: ${(sizeOf('dist') / 1024).toFixed(0)} KiB`)
}
