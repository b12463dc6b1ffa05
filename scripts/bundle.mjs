// Builds one minified ES module per action entry point into dist/.
// The AWS SDK and a few toolkit dependencies are CommonJS that call require() for Node
// built-ins, so each bundle gets a require() of its own.
import { build } from 'esbuild'

const entries = { index: 'src/index.ts', post: 'src/post-index.ts' }

await build({
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Prefer packages' ES module builds: unlike their CommonJS builds they can be tree-shaken,
  // which drops most of the EC2 client's ~700 operations from the bundle.
  mainFields: ['module', 'main'],
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"
  }
})
