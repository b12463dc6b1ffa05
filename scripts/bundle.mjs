// Builds one minified ES module per action entry point into dist/.
// The AWS SDK and a few toolkit dependencies are CommonJS that call require() for Node
// built-ins, so each bundle gets a require() of its own.
// HashiCorp's HCL parser (@cdktf/hcl2json) is WebAssembly that its loader reads from beside
// itself: the .wasm.gz file is copied to dist/hcl2json/ and the loader pointed there.
import { build } from 'esbuild'
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'

const hcl2json = {
  name: 'hcl2json-wasm-beside-the-bundle',
  setup(plugin) {
    plugin.onLoad({ filter: /@cdktf[\\/]hcl2json[\\/]lib[\\/]bridge\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8')
      if (!source.includes('__dirname')) throw new Error(`${args.path} no longer reads from __dirname`)
      return { contents: source.replaceAll('__dirname', '(__bundleDir + "hcl2json/lib")'), loader: 'js' }
    })
  }
}
mkdirSync('dist/hcl2json', { recursive: true })
copyFileSync('node_modules/@cdktf/hcl2json/main.wasm.gz', 'dist/hcl2json/main.wasm.gz')

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
  // Only reached on Node versions without a global performance object.
  external: ['performance'],
  plugins: [hcl2json],
  banner: {
    js:
      "import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; " +
      "const require = __createRequire(import.meta.url); const __bundleDir = __fileURLToPath(new URL('.', import.meta.url));"
  }
})
