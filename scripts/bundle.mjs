// Builds the action into dist/ as minified ES modules. dist/index.js holds what every run
// needs and nothing more: @actions/core and the input checks. The job (dist/main.js) loads
// once the inputs are valid, and each stage that main.ts imports when the job reaches it
// (install, plugins, tagging with the EC2 client) is a module of dist/stages/ that Node loads
// only then; main.js, those stages and dist/post.js share chunks in dist/chunks/. A run that
// stops at its inputs loads no more than @actions/core and the input checks.
// The AWS SDK and a few toolkit dependencies are CommonJS that call require() for Node
// built-ins, so each module gets a require() of its own.
import { build } from 'esbuild'
import { readFile } from 'node:fs/promises'
import { mkdirSync, readFileSync, rmSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants } from 'node:zlib'
import { join, posix, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Loaded on every run: each bundled on its own, so that only the code it runs is in it. The
 * post step runs after every job too, and most jobs leave it nothing to do.
 */
const entries = { index: 'src/index.ts', post: 'src/post-index.ts' }
/**
 * Input checks that only some runs need, bundled on their own like the entry points, which
 * import them dynamically; each with the packages only it may hold. The semver checks of
 * packer-version are half of what dist/index.js would otherwise compile on every run, though a
 * run with latest, the default, never runs them.
 */
const inputStages = {
  'stages/packer-version': { source: 'src/inputs/packer-version.ts', holds: ['semver/'] },
  // What refused inputs name of the template besides (readInputs): one file for a run that stops there.
  'stages/template-refusals': { source: 'src/inputs/template-refusals.ts', holds: [] }
}
/** Loaded when needed: the job, and the stages that it and the post step import dynamically. */
const loadedLater = {
  main: 'src/main.ts',
  'stages/install': 'src/install/index.ts',
  'stages/packer-on-path': 'src/install/on-path.ts',
  'stages/plugins': 'src/plugins/index.ts',
  'stages/tagging': 'src/aws/tagging.ts',
  'stages/provenance': 'src/inputs/provenance.ts',
  'stages/signing-key': 'src/inputs/signing-key.ts',
  'stages/hcl-parser': 'src/inputs/hcl-parser.ts',
  'stages/hcl-template': 'src/inputs/hcl.ts',
  'stages/hcl-build-selection': 'src/inputs/hcl-build-selection.ts',
  'stages/build-variables': 'src/inputs/build-variables.ts',
  'stages/fingerprint': 'src/inputs/fingerprint.ts',
  'stages/reuse': 'src/aws/reuse.ts',
  'stages/untagged-record': 'src/aws/untagged-record.ts',
  'stages/launch-templates': 'src/aws/launch-templates.ts',
  'stages/ssm': 'src/aws/ssm.ts',
  'stages/retention': 'src/aws/retention.ts',
  'stages/survivor': 'src/packer/survivor.ts',
  'stages/cleanup': 'src/aws/cleanup.ts',
  'stages/leftover-iam': 'src/aws/leftover-iam.ts',
  // The template's own credentials, with the SDK's providers: the post step's, of a run whose builds named them.
  'stages/template-credentials': 'src/aws/template-credentials.ts',
  // AWS calls and the download through the runner's proxy: loaded only when one is named.
  'stages/aws-proxy': 'src/common/proxy.ts',
  // A debug line per AWS call: loaded by the first call of a re-run with debug logging only.
  'stages/aws-call-log': 'src/aws/call-log.ts',
  'stages/unreported': 'src/report/unreported.ts',
  'stages/finished-images': 'src/aws/finished-images.ts',
  'stages/plugin-cache': 'src/plugins/cache.ts',
  'stages/json-place': 'src/common/json-place.ts',
  'stages/required-version': 'src/inputs/required-version.ts'
}
const inputStageSources = Object.fromEntries(Object.entries(inputStages).map(([name, { source }]) => [name, source]))
/** Each stage, later or checking an input, by its source file, absolute. */
const stageOfSource = new Map(
  Object.entries({ ...inputStageSources, ...loadedLater })
    .filter(([name]) => name.startsWith('stages/') || name === 'main')
    .map(([name, source]) => [resolve(source), name])
)

/**
 * The entry point imports the job (./main.js) once the inputs are valid, and the job imports
 * its later stages dynamically; in dist/index.js they stay imports of ./main.js and
 * ./stages/<name>.js. (One build with code splitting would put @actions/core in a chunk with
 * everything any stage reaches through it, such as its HTTP client, and load that on every run.)
 * An input stage, in dist/stages/ itself, imports another stage as ./<name>.js: `folder` is
 * where the build's outputs sit in dist/.
 */
function stagesApartIn(folder) {
  return {
    name: 'stages-apart',
    setup(bundler) {
      bundler.onResolve({ filter: /^\./ }, (args) => {
        if (args.kind !== 'dynamic-import') return undefined
        const stage = stageOfSource.get(resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')))
        return stage ? { path: `./${posix.relative(folder, stage)}.js`, external: true } : undefined
      })
    }
  }
}

/**
 * The EC2 client describes every shape of EC2's API in one module, with trait objects written
 * as `{ [_xN]: _aTSc }` where `_xN` is a module constant holding a string. esbuild cannot tell
 * that such a computed key has no side effect, so it keeps every shape of all ~700 operations
 * (550 KB). Writing the constant's value as the key instead is the same object, and lets esbuild
 * keep only the shapes of the operations the action calls. The SSM and IAM clients are written
 * the same way (9 KB less for SSM).
 */
const shapesWithLiteralKeys = {
  name: 'shapes-with-literal-keys',
  setup(bundler) {
    bundler.onLoad({ filter: /[\\/]client-(ec2|ssm|iam)[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8')
      const strings = new Map()
      for (const [, name, value] of source.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm)) strings.set(name, value)
      const contents = source.replace(/\[(_\w+)\]:/g, (key, name) => (strings.has(name) ? `${strings.get(name)}:` : key))
      return { contents, loader: 'js' }
    })
  }
}

/**
 * The HCL parser (tree-sitter's runtime and HCL grammar, both WebAssembly) is read from
 * dist/hcl/ by the bundled src/inputs/hcl-wasm.ts, which is replaced here by a module that
 * reads them from there. It is bundled into its stage (dist/stages/hcl-parser.js, or a chunk
 * beside it: one folder below dist/ either way). Brotli makes the two files 300 → 83 KB, and
 * they unpack in a few milliseconds.
 */
const hclWasmFiles = [
  { package: 'node_modules/web-tree-sitter/web-tree-sitter.wasm', dist: 'hcl/web-tree-sitter.wasm.br' },
  { package: 'node_modules/@tree-sitter-grammars/tree-sitter-hcl/tree-sitter-hcl.wasm', dist: 'hcl/tree-sitter-hcl.wasm.br' }
]
const hclWasmSource = /[\\/]src[\\/]inputs[\\/]hcl-wasm\.ts$/

const hclWasmBesideTheBundle = {
  name: 'hcl-wasm-beside-the-bundle',
  setup(bundler) {
    // __bundleDir is the folder of the module this ends up in (see the banner below).
    bundler.onLoad({ filter: hclWasmSource }, () => {
      if (bundler.initialOptions.splitting !== true) {
        throw new Error('The HCL parser must be loaded as its stage (import ./hcl-parser.js), not bundled into dist/index.js')
      }
      const [runtime, grammar] = hclWasmFiles.map(({ dist }) => JSON.stringify(join('..', dist)))
      return {
        contents: `import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { brotliDecompress } from 'node:zlib'
const unpack = promisify(brotliDecompress)
const read = async (file) => unpack(await readFile(join(__bundleDir, file)))
export async function hclWasm() {
  const [runtime, grammar] = await Promise.all([read(${runtime}), read(${grammar})])
  return { runtime, grammar }
}
`,
        loader: 'js'
      }
    })
  }
}

/** The stage that holds the HCL parser's loader must sit one folder below dist/, as it reads ../hcl/. */
function checkHclWasmPlace(metafile) {
  for (const [output, { inputs }] of Object.entries(metafile.outputs)) {
    if (!Object.keys(inputs).some((input) => hclWasmSource.test(resolve(input)))) continue
    if (!/[\\/](stages|chunks)[\\/][^\\/]+\.js$/.test(output)) {
      throw new Error(`The HCL parser's loader ended up in ${output}, which is not one folder below dist/`)
    }
  }
}

/**
 * Writes the parser's WebAssembly to dist/hcl/ with Brotli. Another Brotli version could write
 * other bytes for the same file, so a file that already holds the same WebAssembly (`kept`,
 * read before dist/ was emptied) is written back as it was.
 */
function copyHclWasm(outdir, kept) {
  mkdirSync(join(outdir, 'hcl'), { recursive: true })
  for (const [index, file] of hclWasmFiles.entries()) {
    const wasm = readFileSync(file.package)
    const params = { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: wasm.length }
    const compressed = kept[index] && holds(kept[index], wasm) ? kept[index] : brotliCompressSync(wasm, { params })
    writeFileSync(join(outdir, file.dist), compressed)
  }
}

function holds(compressed, wasm) {
  try {
    return brotliDecompressSync(compressed).equals(wasm)
  } catch {
    return false
  }
}

function readIfThere(path) {
  try {
    return readFileSync(path)
  } catch {
    return undefined
  }
}

/**
 * A package, or some imports of one, replaced by a stand-in whose exports (functions, so also
 * classes) throw `why` when called: for code the action bundles but never runs, so that it is not bundled, and says so
 * instead of failing obscurely were it ever reached. `from`, when given, limits the stand-in to
 * imports from files whose path matches it.
 */
function leftOut({ name, filter, from, why, exports }) {
  return {
    name,
    setup(bundler) {
      bundler.onResolve({ filter }, (args) => (from && !from.test(args.importer) ? undefined : { path: args.path, namespace: name }))
      bundler.onLoad({ filter: /.*/, namespace: name }, () => ({
        contents:
          `const missing = ${JSON.stringify(`packer-ami-action is bundled without ${why}`)}\n` +
          exports.map((id) => `export function ${id}() { throw new Error(missing) }\n`).join(''),
        loader: 'js'
      }))
    }
  }
}

/**
 * @actions/http-client imports undici (400 KB) for one method, getAgentDispatcher(), which
 * hands a proxy dispatcher to callers of fetch(). Nothing in the action or the toolkit
 * packages it uses calls it (they send requests through http-client's own agents).
 */
const undiciLeftOut = leftOut({
  name: 'undici-left-out',
  filter: /^undici$/,
  why: 'undici: HttpClient.getAgentDispatcher() is not available',
  exports: ['ProxyAgent', 'fetch']
})

/**
 * The AWS SDK's core bundles its browser user agent, which imports bowser (34 KB) to parse
 * navigator.userAgent; in Node the SDK builds its user agent without it. esbuild drops that code
 * but would still write bowser to dist/ as a chunk nothing loads.
 */
const bowserLeftOut = leftOut({
  name: 'bowser-left-out',
  filter: /^bowser$/,
  from: /[\\/]util-user-agent-browser[\\/]/,
  why: "bowser: the SDK's browser user agent is not used in Node",
  exports: ['parse']
})

/**
 * @actions/core's OIDC client (core.getIDToken()) imports @actions/http-client, and with it
 * tunnel and Node's http, https, tls and net (~10 ms to load). The action never asks for an
 * OIDC token (AWS credentials come from the workflow's environment), so core gets a stand-in
 * for those two imports. dist/index.js then loads no TLS stack, and the job loads one only with
 * the stages that download or call AWS.
 */
const oidcLeftOut = leftOut({
  name: 'core-oidc-left-out',
  filter: /^@actions\/http-client(\/lib\/auth)?$/,
  from: /[\\/]@actions[\\/]core[\\/]/,
  why: 'core.getIDToken(): it never asks for an OIDC token',
  exports: ['HttpClient', 'BearerCredentialHandler']
})

/**
 * The action reads only @actions/github's context of the run (who, what, which commit), never
 * getOctokit(). Its module of Octokit set-up (lib/utils.js) calls Octokit.plugin() as it is
 * imported, so esbuild keeps it, and with it Octokit's REST endpoints (~100 KB), unless told
 * that importing it does nothing else: then it goes where nothing calls getOctokit().
 */
const octokitUnlessUsed = {
  name: 'octokit-unless-used',
  setup(bundler) {
    bundler.onResolve({ filter: /^\.\/utils\.js$/ }, async (args) => {
      if (!/[\\/]@actions[\\/]github[\\/]lib[\\/]github\.js$/.test(args.importer) || args.pluginData === octokitUnlessUsed) return undefined
      const resolved = await bundler.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: octokitUnlessUsed })
      return resolved.errors.length > 0 ? undefined : { path: resolved.path, sideEffects: false }
    })
  }
}

/**
 * @actions/tool-cache imports @actions/http-client, and with it tunnel and Node's http, https and
 * tls (~25 ms to load), for downloadTool() and getManifestFromRepo(). The action downloads with
 * its own client (src/install/download.ts, loaded with src/install/from-releases.ts only for a
 * download) and asks tool-cache only to find and to cache: so the install stage of a job whose
 * Packer is already on the runner loads no HTTP client before Packer starts.
 */
const toolCacheHttpLeftOut = leftOut({
  name: 'tool-cache-http-left-out',
  filter: /^@actions\/http-client$/,
  from: /[\\/]@actions[\\/]tool-cache[\\/]/,
  why: "tool-cache's downloadTool() and getManifestFromRepo(): the action downloads with its own client",
  exports: ['HttpClient']
})

/**
 * On Node 24, an ES module import of node:http builds an ES module facade of all its exports,
 * which reads its lazy getters (WebSocket, …) and so loads Node's bundled undici: ~30 ms, for
 * every module that imports http, the toolkit's HTTP client among them. require() does not, so
 * http and https are reached through require() (the banner's), as CommonJS.
 */
const requiredBuiltins = /^(node:)?(http|https)$/
const builtinsThroughRequire = {
  name: 'http-through-require',
  setup(bundler) {
    bundler.onResolve({ filter: requiredBuiltins }, (args) =>
      args.namespace === 'required-builtin' ? { path: args.path, external: true } : { path: args.path.replace(/^node:/, ''), namespace: 'required-builtin' }
    )
    bundler.onLoad({ filter: /.*/, namespace: 'required-builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(`node:${args.path}`)})`,
      loader: 'js'
    }))
  }
}

/** What both builds do to the packages they bundle. */
const plugins = [oidcLeftOut, toolCacheHttpLeftOut, octokitUnlessUsed, builtinsThroughRequire, shapesWithLiteralKeys, undiciLeftOut, bowserLeftOut, hclWasmBesideTheBundle]

const common = {
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
  banner: {
    js:
      "import { createRequire as __createRequire } from 'node:module'; import { fileURLToPath as __fileURLToPath } from 'node:url'; " +
      "const require = __createRequire(import.meta.url); const __bundleDir = __fileURLToPath(new URL('.', import.meta.url));"
  }
}

/** Packages that only a later stage needs: a static import that pulls one in fails the build. */
const laterPackages = ['minimatch', '@aws-sdk/', '@smithy/', 'openpgp', '@actions/cache', '@actions/github', '@octokit/', '@cdktf/', '@actions/glob']

/**
 * Node built-ins that take milliseconds to load (crypto alone ~7 ms) and that only the job
 * needs: dist/index.js, which every run loads before its inputs are checked, must not import them.
 */
const laterBuiltins = ['crypto', 'child_process', 'net', 'http', 'https', 'tls', 'zlib', 'stream', 'events', 'string_decoder', 'timers']

/** The package a bundled file comes from (`@smithy/core`, `semver`), or undefined for the project's own. */
function packageOf(input) {
  return /node_modules\/((@[^/]+\/)?[^/]+)/.exec(input)?.[1]
}

function checkLoadedOnEveryRun(metafile) {
  const builtins = Object.values(metafile.outputs)
    .flatMap((output) => output.imports)
    .filter((imported) => imported.external && imported.kind === 'import-statement')
    .map((imported) => imported.path.replace(/^node:/, ''))
    .filter((name) => laterBuiltins.includes(name))
  if (builtins.length > 0) {
    throw new Error(
      `dist/index.js, dist/post.js or an input stage, loaded before the job, would import Node's ${[...new Set(builtins)].join(', ')}: ` +
        'only the job (src/main.ts and what it imports) may, once the inputs are checked'
    )
  }
  const inputStagePackages = Object.values(inputStages).flatMap(({ holds }) => holds)
  for (const [output, { inputs }] of Object.entries(metafile.outputs)) {
    const allowed = Object.entries(inputStages).find(([name]) => output.endsWith(`${name}.js`))?.[1].holds ?? []
    const forbidden = [...laterPackages, ...inputStagePackages].filter((name) => !allowed.includes(name))
    const held = Object.keys(inputs).filter((input) => forbidden.some((name) => input.includes(`node_modules/${name}`)))
    if (held.length > 0) {
      throw new Error(
        `${output}, loaded before the job, would hold ${[...new Set(held.map(packageOf))].join(', ')}: import the stage that ` +
          'needs it dynamically, and list that stage in loadedLater (or in inputStages, for an input check)'
      )
    }
  }
}

/**
 * The stage that starts `packer version` (src/install/on-path.ts) loads, as soon as the inputs
 * are valid, no more than starting Packer takes: whatever else it statically imports delays
 * Packer's start, while it could load as Packer answers.
 */
const startsPacker = { stage: 'stages/packer-on-path', builtins: ['child_process', 'fs', 'path', 'assert', 'module', 'url'], packages: ['@actions/io'] }

function checkStartsPackerFirst(metafile) {
  const outputs = Object.entries(metafile.outputs)
  const entry = outputs.find(([path]) => path.endsWith(`${startsPacker.stage}.js`))
  if (!entry) throw new Error(`${startsPacker.stage}.js is missing from the build`)
  const loaded = new Set()
  const externals = new Set()
  const visit = (path) => {
    if (loaded.has(path)) return
    loaded.add(path)
    for (const imported of metafile.outputs[path]?.imports ?? []) {
      if (imported.kind !== 'import-statement') continue
      if (imported.external) externals.add(imported.path.replace(/^node:/, ''))
      else visit(imported.path)
    }
  }
  visit(entry[0])
  const builtins = [...externals].filter((name) => !startsPacker.builtins.includes(name))
  const packages = [...loaded]
    .flatMap((path) => Object.keys(metafile.outputs[path].inputs))
    .map(packageOf)
    .filter((name) => name !== undefined && !startsPacker.packages.includes(name))
  if (builtins.length > 0 || packages.length > 0) {
    throw new Error(
      `${startsPacker.stage}.js would load ${[...new Set([...builtins, ...packages])].join(', ')} before it starts Packer: ` +
        'import what reads the answer dynamically, once Packer has started'
    )
  }
}

/**
 * Bundles `entryPoints` (each on its own) and `later` (split into shared chunks) into `outdir`
 * the way dist/ is made; the bench bundles its yardstick action with it.
 */
export async function bundle(entryPoints, outdir, later = {}) {
  const keptHclWasm = hclWasmFiles.map(({ dist }) => readIfThere(join(outdir, dist)))
  // Chunk names carry a hash: chunks of an older build must not linger beside the new ones.
  rmSync(outdir, { recursive: true, force: true })
  // Bundled apart by the folder each sits in, whose imports of the stages differ (stagesApartIn).
  const byFolder = {}
  for (const [name, source] of Object.entries(entryPoints)) (byFolder[posix.dirname(name)] ??= []).push([name, source])
  await Promise.all([
    ...Object.entries(byFolder).map(([folder, named]) =>
      build({
        ...common,
        entryPoints: Object.fromEntries(named),
        outdir,
        metafile: true,
        plugins: [stagesApartIn(folder), ...plugins]
      }).then(({ metafile }) => checkLoadedOnEveryRun(metafile))
    ),
    Object.keys(later).length === 0
      ? undefined
      : build({
          ...common,
          entryPoints: later,
          outdir,
          splitting: true,
          // Libraries of the job compare an error's name with its class's (@actions/cache:
          // `error.name === ReserveCacheError.name`): minifying must leave class names as they are.
          keepNames: true,
          chunkNames: 'chunks/[name]-[hash]',
          metafile: true,
          plugins
        }).then(({ metafile }) => {
          if (later[startsPacker.stage]) checkStartsPackerFirst(metafile)
          checkHclWasmPlace(metafile)
          // What each file of dist/ is made of, for `npx esbuild --analyze`-style questions.
          if (process.env.BUNDLE_METAFILE) writeFileSync(process.env.BUNDLE_METAFILE, JSON.stringify(metafile))
        })
  ])
  if (later['stages/hcl-parser']) copyHclWasm(outdir, keptHclWasm)
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
  await bundle({ ...entries, ...inputStageSources }, 'dist', loadedLater)
  if (process.argv.includes('--size')) console.log(`dist/: ${(sizeOf('dist') / 1024).toFixed(0)} KiB`)
}
