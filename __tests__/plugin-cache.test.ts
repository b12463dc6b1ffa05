// The plugin cache as a runner uses it: the bundled action and its post step, against the
// Actions cache service on 127.0.0.1 (its Twirp API and blob uploads and downloads over real
// HTTP, the archive made and unpacked by tar). Packer 1.11, installed from a releases mirror,
// is the stand-in, so each job has a plugin to install.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as openpgp from 'openpgp'
import { startActionsCacheService, type ActionsCacheService } from '../test-support/actions-cache/index.js'
import { readCalls, standInExecutable } from '../test-support/packer-stand-in/index.js'
import { startReleasesMirror, type ReleasesMirror } from '../test-support/releases-mirror/index.js'
import { parseCommands, pushToMain, runAction, runPostStep, type ActionRun, type RunActionOptions } from './support/action-process.js'
import { until } from './support/runtimes.js'

const root = mkdtempSync(join(tmpdir(), 'plugin-cache-'))
const argsLog = join(root, 'packer-calls.log')
/** The same paths on every "runner", as on GitHub's: the cache's entries are made for them. */
const workspace = join(root, 'workspace')
const toolCache = join(root, 'tool-cache')
// The runner's temporary folder: the same path in every job on a runner, emptied as each begins.
const runnerTemp = join(root, 'runner-temp')
const pluginFolder = join(toolCache, 'packer-plugins')
const amazon = join(pluginFolder, 'github.com', 'hashicorp', 'amazon')
const plugin = join(amazon, 'packer-plugin-amazon_v1.3.0_x5.0_linux_amd64')

let mirror: ReleasesMirror
let signingKey: string
let service: ActionsCacheService

beforeAll(async () => {
  const key = await openpgp.generateKey({ userIDs: [{ name: 'Mirror', email: 'releases@mirror.test' }], format: 'object' })
  signingKey = key.publicKey.armor()
  mirror = await startReleasesMirror({
    versions: ['1.11.2'],
    signingKey: key.privateKey,
    packerScript: (version) => standInExecutable(version, { STANDIN_ARGS_LOG: argsLog })
  })
})
afterAll(async () => {
  await mirror.close()
  rmSync(root, { recursive: true, force: true })
})
beforeEach(async () => {
  service = await startActionsCacheService()
  freshRunner()
})
afterEach(() => service.close())

/** A new runner: nothing in its workspace or tool cache but the checkout. */
function freshRunner(): void {
  for (const path of [workspace, toolCache, argsLog, runnerTemp]) rmSync(path, { recursive: true, force: true })
  mkdirSync(workspace)
  mkdirSync(toolCache)
  mkdirSync(runnerTemp)
  writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify({ builders: [{ type: 'amazon-ebs' }] }))
}

/** A step of a job on the runner, with the cache service's environment (and `env`). */
function step(inputs: Record<string, string> = {}, env: Record<string, string> = {}): RunActionOptions {
  return {
    workspace,
    inputs: {
      'packer-version': '1.11.2',
      'packer-releases-url': mirror.url,
      'packer-signing-key': signingKey,
      command: 'validate',
      ...inputs
    },
    env: { ...pushToMain, ...service.env, PATH: `/nonexistent:${process.env.PATH ?? ''}`, RUNNER_TOOL_CACHE: toolCache, RUNNER_TEMP: runnerTemp, ...env }
  }
}

/** An HCL2 template of one build whose required_plugins ask for the amazon plugin at `version`. */
function requiringAmazon(version: string): string {
  return [
    'packer {',
    '  required_plugins {',
    '    amazon = {',
    '      source  = "github.com/hashicorp/amazon"',
    `      version = "${version}"`,
    '    }',
    '  }',
    '}',
    'source "amazon-ebs" "base" {',
    '  region = "eu-west-1"',
    '}',
    'build {',
    '  sources = ["source.amazon-ebs.base"]',
    '}',
    ''
  ].join('\n')
}

/**
 * That a job on a runner that cannot reach the plugins' source went on with what the cache
 * (`key`) gave it, saying so in `notice` alone, validated the template, and saved nothing.
 */
function wentOnWithTheCache({ main, post }: { main: ActionRun; post: ActionRun }, key: string, notice: string): void {
  expect(main.warnings).toEqual([])
  expect(main.stdout).toContain(`Restored Packer plugins from the cache (${key})`)
  expect(parseCommands(main.stdout, 'notice').map(({ message }) => message)).toEqual([notice])
  expect(readCalls(argsLog).map((call) => call.args[0])).toContain('validate')
  expect(post.stdout).toContain(`Plugin cache ${key} is up to date; nothing to save`)
}

/** Puts release `version` of the amazon plugin in plugin folder `folder`, as a runner image or an earlier step would; its binary's path. */
function provisioned(folder: string, version = '1.3.0'): string {
  const amazonIn = join(folder, 'github.com', 'hashicorp', 'amazon')
  mkdirSync(amazonIn, { recursive: true })
  const binary = join(amazonIn, `packer-plugin-amazon_v${version}_x5.0_linux_amd64`)
  writeFileSync(binary, 'plugin\n', { mode: 0o755 })
  writeFileSync(`${binary}_SHA256SUM`, createHash('sha256').update('plugin\n').digest('hex'))
  return binary
}

/** The log line of a job that uses the release `version` the plugin folder holds, as input plugins pins it with `constraint`. */
const usesPinned = (version: string, constraint: string) =>
  `Using release ${version} of github.com/hashicorp/amazon, which the plugin folder holds and input plugins pins (${constraint}); ` +
  "packer plugins install is not run, as it would only ask the plugin's source for its releases and keep this one."

/** One job: the main step, then the post step. */
async function job(inputs: Record<string, string> = {}, env: Record<string, string> = {}): Promise<{ main: ActionRun; post: ActionRun }> {
  rmSync(runnerTemp, { recursive: true, force: true })
  mkdirSync(runnerTemp)
  const main = await runAction(step(inputs, env))
  expect(main.errors).toEqual([])
  expect(main.exitCode).toBe(0)
  const post = await runPostStep(main, step(inputs, env))
  expect(post.exitCode).toBe(0)
  return { main, post }
}

describe('the plugin cache, through the Actions cache service', () => {
  it('a job saves the plugins it installed; the next job, on a fresh runner, restores them and saves nothing', async () => {
    const first = await job()
    expect(service.entries).toHaveLength(1)
    const [entry] = service.entries
    // The job's key, then what the plugin folder holds.
    expect(entry.key).toMatch(/^packer-plugins-linux-x64-packer1\.11\.2-[0-9a-f]{32}-[0-9a-f]{16}$/)
    const jobKey = entry.key.slice(0, -17)
    expect(entry.finalized).toBe(true)
    expect(entry.archive.length).toBeGreaterThan(0)
    expect(first.main.stdout).toContain(`No cached Packer plugins for ${jobKey}; they will be saved at the end of the job`)
    expect(first.post.stdout).toContain(`Saved Packer plugins to the cache (${entry.key})`)
    expect(first.post.warnings).toEqual([])
    expect(readCalls(argsLog).filter((call) => call.args[0] === 'plugins')).toMatchObject([{ pluginPresent: false }])

    freshRunner()
    expect(existsSync(plugin)).toBe(false)
    const second = await job()
    expect(second.main.stdout).toContain(`Restored Packer plugins from the cache (${entry.key})`)
    // The plugin was there, from the cache, before Packer was asked to install it.
    expect(readCalls(argsLog).filter((call) => call.args[0] === 'plugins')).toMatchObject([
      { args: ['plugins', 'install', 'github.com/hashicorp/amazon'], pluginPresent: true }
    ])
    expect(readFileSync(plugin, 'utf8')).toBe('plugin\n')
    expect(second.post.stdout).toContain(`Plugin cache ${entry.key} is up to date; nothing to save`)
    expect(second.post.warnings).toEqual([])
    expect(service.entries).toHaveLength(1)
    expect(service.calls).toEqual([
      `GetCacheEntryDownloadURL ${jobKey}`,
      `CreateCacheEntry ${entry.key}`,
      'PUT blob',
      `FinalizeCacheEntryUpload ${entry.key}`,
      `GetCacheEntryDownloadURL ${jobKey}`,
      'GET blob'
    ])
  })

  it('an HCL2 template: the key holds its required_plugins, and packer init finds them restored', async () => {
    const hcl = requiringAmazon('~> 1.3')
    const template = { template: 'build.pkr.hcl' }
    const hclJob = () => {
      writeFileSync(join(workspace, 'build.pkr.hcl'), hcl)
      return job(template)
    }
    const first = await hclJob()
    const [entry] = service.entries
    expect(first.post.stdout).toContain(`Saved Packer plugins to the cache (${entry.key})`)
    freshRunner()
    const second = await hclJob()
    expect(second.main.stdout).toContain(`Restored Packer plugins from the cache (${entry.key})`)
    expect(readCalls(argsLog).filter((call) => call.args[0] === 'init')).toMatchObject([
      { args: ['init', '-upgrade', 'build.pkr.hcl'], pluginPresent: true }
    ])
    expect(second.post.stdout).toContain(`Plugin cache ${entry.key} is up to date; nothing to save`)
    // Another requirement is another key.
    freshRunner()
    writeFileSync(join(workspace, 'build.pkr.hcl'), hcl.replace('~> 1.3', '>= 1.4'))
    const third = await runAction(step(template))
    expect(third.stdout).toContain('No cached Packer plugins for packer-plugins-linux-x64-packer1.11.2-')
    expect(third.stdout).not.toContain(entry.key)
  })

  /** The releases of the amazon plugin in the runner's plugin folder, with their checksum files. */
  const amazonFiles = () => readdirSync(amazon).sort()
  const release = (version: string) => {
    const binary = `packer-plugin-amazon_v${version}_x5.0_linux_amd64`
    return [binary, `${binary}_SHA256SUM`]
  }
  /** The plugin's source, as a job meets it: `version` is the newest release it has. */
  const upstream = (version: string) => ({ STANDIN_PLUGIN_RELEASE: version })

  it('saves only the newest release of a plugin with no constraint, not the older one the cache gave the job', async () => {
    const first = await job({}, upstream('1.0.0'))
    const [oldEntry] = service.entries
    expect(first.post.stdout).toContain(`Saved Packer plugins to the cache (${oldEntry.key})`)

    // A new release came out: Packer installs it beside the one restored.
    freshRunner()
    const second = await job({}, upstream('1.1.0'))
    expect(second.main.stdout).toContain(`Restored Packer plugins from the cache (${oldEntry.key})`)
    // The runner's folder is left as it was, and nothing beside it.
    expect(amazonFiles()).toEqual([...release('1.0.0'), ...release('1.1.0')])
    expect(readdirSync(toolCache).filter((name) => name.startsWith('packer-plugins'))).toEqual(['packer-plugins'])

    // A later job restores that job's entry into a fresh folder: the new release alone.
    freshRunner()
    const third = await job({}, upstream('1.1.0'))
    const newEntry = service.entries[1]
    expect(third.main.stdout).toContain(`Restored Packer plugins from the cache (${newEntry.key})`)
    expect(amazonFiles()).toEqual(release('1.1.0'))
    expect(readCalls(argsLog).filter((call) => call.args[0] === 'plugins')).toMatchObject([{ pluginPresent: true }])
    expect(third.post.stdout).toContain(`Plugin cache ${newEntry.key} is up to date; nothing to save`)
    expect(service.entries).toHaveLength(2)
    expect(second.post.stdout).toContain(
      `Saved Packer plugins to the cache (${newEntry.key}), changed since ${oldEntry.key}; ` +
        'left out 1 older plugin release that Packer does not load for this job'
    )
    expect(second.post.warnings).toEqual([])
  })

  it("keeps the older release that a constraint of the template's still takes, beside the newest", async () => {
    // The template requires amazon ~> 1.0.0; input plugins installs its newest release too.
    writeFileSync(
      join(workspace, 'build.pkr.hcl'),
      requiringAmazon('~> 1.0.0')
    )
    const inputs = { template: 'build.pkr.hcl', plugins: 'github.com/hashicorp/amazon' }
    const hclJob = (version: string) => {
      const template = readFileSync(join(workspace, 'build.pkr.hcl'))
      freshRunner()
      writeFileSync(join(workspace, 'build.pkr.hcl'), template)
      return job(inputs, upstream(version))
    }
    await hclJob('1.0.0')
    const second = await hclJob('1.1.0')
    const third = await hclJob('1.2.0')
    expect(amazonFiles()).toEqual([...release('1.0.0'), ...release('1.1.0'), ...release('1.2.0')])
    // v1.0.0 is what Packer loads for ~> 1.0.0; v1.2.0 what it loads for the rest, and what
    // packer plugins install looks for. v1.1.0 is neither.
    await hclJob('1.2.0')
    expect(amazonFiles()).toEqual([...release('1.0.0'), ...release('1.2.0')])
    expect(second.post.stdout).toMatch(/Saved Packer plugins to the cache \(\S+\), changed since \S+\n/)
    expect(third.post.stdout).toContain('; left out 1 older plugin release that Packer does not load for this job')
  })

  it("an HCL2 template gets the newest release its constraint allows, as without the cache, and that is saved", async () => {
    const hclJob = (version: string) => {
      freshRunner()
      writeFileSync(join(workspace, 'build.pkr.hcl'), requiringAmazon('>= 1.0'))
      return job({ template: 'build.pkr.hcl' }, upstream(version))
    }
    await hclJob('1.0.0')
    const [oldEntry] = service.entries
    // A new release came out that the template's constraint allows: a fresh runner without the
    // cache installs it, so this job must too, not keep the cached one.
    const second = await hclJob('1.1.0')
    expect(second.main.stdout).toContain(`Restored Packer plugins from the cache (${oldEntry.key})`)
    expect(amazonFiles()).toEqual([...release('1.0.0'), ...release('1.1.0')])
    expect(readCalls(argsLog).filter((call) => call.args[0] === 'init')).toMatchObject([{ args: ['init', '-upgrade', 'build.pkr.hcl'] }])
    expect(second.post.stdout).toContain(`, changed since ${oldEntry.key}; left out 1 older plugin release`)
    // The next job restores the new release alone, and has nothing to install or save.
    const third = await hclJob('1.1.0')
    expect(amazonFiles()).toEqual(release('1.1.0'))
    expect(third.post.stdout).toContain(`Plugin cache ${service.entries[1].key} is up to date; nothing to save`)
  })

  // A runner whose RUNNER_TEMP, where the entry is unpacked, is on another file system than the
  // tool cache (a tmpfs): a file cannot be moved from one to the other, only copied.
  const otherFileSystem = existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(tmpdir()).dev
  ;(otherFileSystem ? it : it.skip)(
    'a restore from a RUNNER_TEMP on another file system leaves a release that another job runs Packer from as it is, never written in place',
    async () => {
      // The same path in every job, as the runner's own: the cache's entries are made for it.
      const temp = mkdtempSync(join('/dev/shm', 'runner-temp-'))
      let before
      try {
        const first = await job({}, { RUNNER_TEMP: temp })
        const [entry] = service.entries
        expect(first.post.stdout).toContain(`Saved Packer plugins to the cache (${entry.key})`)
        // The release another job on the machine put there, and runs Packer from.
        const long = new Date('2020-01-01T00:00:00Z')
        utimesSync(plugin, long, long)
        before = statSync(plugin)
        const second = await job({}, { RUNNER_TEMP: temp })
        expect(second.main.stdout).toContain(`Restored Packer plugins from the cache (${entry.key})`)
        expect(second.main.warnings).toEqual([])
      } finally {
        rmSync(temp, { recursive: true, force: true })
      }
      const after = statSync(plugin)
      expect({ ino: after.ino, mtimeMs: after.mtimeMs }).toEqual({ ino: before.ino, mtimeMs: before.mtimeMs })
      expect(readFileSync(plugin, 'utf8')).toBe('plugin\n')
      expect(readdirSync(join(pluginFolder, 'github.com', 'hashicorp', 'amazon')).filter((name) => name.startsWith('.'))).toEqual([])
    }
  )

  it('a key that another job saved while this one ran is not saved again, and is no warning', async () => {
    await job()
    const [entry] = service.entries
    service.entries.length = 0
    freshRunner()
    const main = await runAction(step())
    expect(main.stdout).toContain(`No cached Packer plugins for ${entry.key.slice(0, -17)}`)
    service.entries.push(entry)
    const post = await runPostStep(main, step())
    expect(post.exitCode).toBe(0)
    expect(post.stdout).toContain(`Unable to reserve cache with key ${entry.key}, another job may be creating this cache.`)
    expect(post.stdout).toContain(`Plugin cache ${entry.key} not saved (see above)`)
    expect(post.warnings).toEqual([])
    expect(service.entries).toEqual([entry])
  })

  it('GitHub Enterprise Server without the Actions cache: one notice, no warning, and the job saves nothing', async () => {
    // Its runner sets no cache variable: neither ACTIONS_CACHE_URL nor ACTIONS_RESULTS_URL.
    const ghes = {
      GITHUB_SERVER_URL: 'https://ghe.example.com',
      GITHUB_API_URL: 'https://ghe.example.com/api/v3',
      ACTIONS_RESULTS_URL: '',
      ACTIONS_RUNTIME_TOKEN: '',
      ACTIONS_CACHE_SERVICE_V2: ''
    }
    const { main, post } = await job({}, ghes)
    expect(main.warnings).toEqual([])
    expect(parseCommands(main.stdout, 'notice').map(({ message }) => message)).toEqual([
      'Plugin cache is off: the Actions cache service is not available here (neither ACTIONS_CACHE_URL nor ACTIONS_RESULTS_URL is set). ' +
        'Plugins are downloaded fresh; set input cache to false to silence this.'
    ])
    expect(post.warnings).toEqual([])
    expect(parseCommands(post.stdout, 'notice')).toEqual([])
    expect(readCalls(argsLog).filter((call) => call.args[0] === 'plugins')).toMatchObject([{ args: ['plugins', 'install', 'github.com/hashicorp/amazon'] }])
    expect(service.calls).toEqual([])
  })

  it("a runner that cannot reach the plugins' source: after a cache hit, the template's plugins are the cached ones, with a notice", async () => {
    // As on GitHub Enterprise Server behind a firewall, or past github.com's unauthenticated limit:
    // packer init finds the cached release and asks no one, where -upgrade would ask the source.
    const template = { template: 'build.pkr.hcl' }
    const hclJob = (env: Record<string, string> = {}) => {
      writeFileSync(join(workspace, 'build.pkr.hcl'), requiringAmazon('~> 1.3'))
      return job(template, env)
    }
    await hclJob()
    const [entry] = service.entries
    freshRunner()
    wentOnWithTheCache(
      await hclJob({ STANDIN_PLUGIN_SOURCE_DOWN: '1' }),
      entry.key,
      'packer init -upgrade build.pkr.hcl failed with exit code 1 (see the log above): Packer could not look for a newer release of ' +
        "the template's plugins, so this job uses the releases the plugin cache gave it, which pass the template's required_plugins."
    )
    expect(readCalls(argsLog).filter((call) => call.args[0] === 'init')).toMatchObject([
      { args: ['init', '-upgrade', 'build.pkr.hcl'], pluginPresent: true },
      { args: ['init', 'build.pkr.hcl'], pluginPresent: true }
    ])
    // Without the cache's releases, the job fails as before: there is nothing to fall back on.
    freshRunner()
    service.entries.length = 0
    writeFileSync(join(workspace, 'build.pkr.hcl'), requiringAmazon('~> 1.3'))
    const uncached = await runAction(step(template, { STANDIN_PLUGIN_SOURCE_DOWN: '1' }))
    expect(uncached.exitCode).toBe(1)
    expect(uncached.errors.map(({ message }) => message)).toEqual([expect.stringContaining('packer init build.pkr.hcl failed with exit code 1')])
  })

  it("a JSON template on a runner that cannot reach the plugins' source: after a cache hit, the cached release, with a notice", async () => {
    // packer plugins install asks the source for its releases even when one it would take is
    // installed already; it fails offline, but the plugin folder holds what validate and build load.
    await job()
    const [entry] = service.entries
    freshRunner()
    wentOnWithTheCache(
      await job({}, { STANDIN_PLUGIN_SOURCE_DOWN: '1', STANDIN_NEEDS_PLUGIN: '1' }),
      entry.key,
      'packer plugins install github.com/hashicorp/amazon failed with exit code 1 (see the log above): Packer could not look for a newer ' +
        'release of the plugin, so this job uses release 1.3.0, which the plugin folder holds.'
    )
    expect(readCalls(argsLog).filter((call) => call.args[0] === 'plugins')).toMatchObject([
      { args: ['plugins', 'install', 'github.com/hashicorp/amazon'], pluginPresent: true }
    ])
  })

  it('a JSON template on a runner that cannot reach the source, whose plugin folder the workflow filled: its release, with a notice', async () => {
    // No Actions cache (GitHub Enterprise Server with it off): the plugins were put in
    // PACKER_PLUGIN_PATH before the step, by an image or an earlier step.
    const folder = join(root, 'provisioned-plugins')
    const binary = provisioned(folder)
    try {
      const { main } = await job(
        { cache: 'false', plugins: 'github.com/hashicorp/amazon@~> 1.3' },
        { PACKER_PLUGIN_PATH: folder, STANDIN_PLUGIN_SOURCE_DOWN: '1', STANDIN_NEEDS_PLUGIN: '1' }
      )
      expect(parseCommands(main.stdout, 'notice').map(({ message }) => message)).toEqual([
        'packer plugins install github.com/hashicorp/amazon "~> 1.3" failed with exit code 1 (see the log above): Packer could not look ' +
          'for a newer release of the plugin, so this job uses release 1.3.0, which the plugin folder holds and which passes ~> 1.3.'
      ])
      // A release the constraint does not take, or whose _SHA256SUM does not match it, is none
      // Packer loads: the install's failure stands, and nothing is validated.
      const failsOn = async (inputs: Record<string, string>, command: string) => {
        rmSync(argsLog, { force: true })
        const failed = await runAction(step({ cache: 'false', ...inputs }, { PACKER_PLUGIN_PATH: folder, STANDIN_PLUGIN_SOURCE_DOWN: '1' }))
        expect(failed.exitCode).toBe(1)
        expect(failed.errors.map(({ message }) => message)).toEqual([`${command} failed with exit code 1; see the log above`])
        expect(readCalls(argsLog).map((call) => call.args[0])).not.toContain('validate')
      }
      await failsOn({ plugins: 'github.com/hashicorp/amazon@>= 1.4' }, 'packer plugins install github.com/hashicorp/amazon ">= 1.4"')
      writeFileSync(binary, 'tampered\n')
      await failsOn({}, 'packer plugins install github.com/hashicorp/amazon')
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  })

  it('an exact version in input plugins whose release the plugin folder holds: no packer plugins install, and a line says so', async () => {
    // packer plugins install would ask the source for the releases only to keep the one there:
    // offline it fails (Packer's connect timeout for each source behind a dropping firewall),
    // online it is a round trip each job.
    const folder = join(root, 'provisioned-plugins')
    const binary = provisioned(folder)
    const pluginCalls = () => readCalls(argsLog).filter((call) => call.args[0] === 'plugins')
    try {
      for (const [constraint, env] of [
        ['1.3.0', { STANDIN_PLUGIN_SOURCE_DOWN: '1' }],
        ['= 1.3.0', {}]
      ] as const) {
        rmSync(argsLog, { force: true })
        const { main } = await job(
          { cache: 'false', plugins: `github.com/hashicorp/amazon@${constraint}` },
          { PACKER_PLUGIN_PATH: folder, STANDIN_NEEDS_PLUGIN: '1', ...env }
        )
        expect(pluginCalls()).toEqual([])
        expect(main.stdout).toContain(usesPinned('1.3.0', constraint))
        expect(parseCommands(main.stdout, 'notice')).toEqual([])
        expect(main.warnings).toEqual([])
        expect(readCalls(argsLog).map((call) => call.args[0])).toEqual(['validate'])
      }
      // A range asks the source, for a newer release in it may have come out; so does a pin
      // whose release the folder does not hold, or holds as Packer would not load it.
      const asks = async (constraint: string) => {
        rmSync(argsLog, { force: true })
        const run = await runAction(step({ cache: 'false', plugins: `github.com/hashicorp/amazon@${constraint}` }, { PACKER_PLUGIN_PATH: folder }))
        expect(run.exitCode).toBe(0)
        expect(pluginCalls().map((call) => call.args)).toEqual([['plugins', 'install', 'github.com/hashicorp/amazon', constraint]])
        expect(run.stdout).not.toContain('packer plugins install is not run')
      }
      await asks('>= 1.3.0')
      await asks('1.4.0')
      writeFileSync(binary, 'tampered\n')
      await asks('1.3.0')
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  })

  it('an exact version in input plugins: a job after a cache hit uses the cached release, asks no source, and saves nothing', async () => {
    // The cache is restored before plugins are installed, so its release is the one the folder holds.
    const pinned = { plugins: 'github.com/hashicorp/amazon@1.3.0' }
    await job(pinned)
    const [entry] = service.entries
    expect(readCalls(argsLog).filter((call) => call.args[0] === 'plugins')).toMatchObject([
      { args: ['plugins', 'install', 'github.com/hashicorp/amazon', '1.3.0'], pluginPresent: false }
    ])
    freshRunner()
    const { main, post } = await job(pinned, { STANDIN_PLUGIN_SOURCE_DOWN: '1', STANDIN_NEEDS_PLUGIN: '1' })
    expect(main.stdout).toContain(`Restored Packer plugins from the cache (${entry.key})`)
    expect(main.stdout).toContain(usesPinned('1.3.0', '1.3.0'))
    expect(parseCommands(main.stdout, 'notice')).toEqual([])
    expect(readCalls(argsLog).map((call) => call.args[0])).toEqual(['validate'])
    expect(post.stdout).toContain(`Plugin cache ${entry.key} is up to date; nothing to save`)
  })

  describe('the cache service v1, under ACTIONS_CACHE_URL', () => {
    const noV2 = { ACTIONS_RESULTS_URL: '', ACTIONS_CACHE_SERVICE_V2: '' }
    const cases: Array<[where: string, env: Record<string, string>, runtimeToken: string | undefined]> = [
      ['GitHub Enterprise Server', { GITHUB_SERVER_URL: 'https://ghe.example.com', GITHUB_API_URL: 'https://ghe.example.com/api/v3' }, 'ghes-runtime-token'],
      // act starts a cache server of its own and sets ACTIONS_CACHE_URL, but no ACTIONS_RUNTIME_TOKEN.
      ['nektos/act', { ACT: 'true', GITHUB_RUN_ID: '1', GITHUB_ACTOR: 'nektos/act', ACTIONS_RUNTIME_TOKEN: '' }, undefined]
    ]
    for (const [where, runner, runtimeToken] of cases) {
      it(`${where}: a job saves the plugins, the next restores them, and neither warns`, async () => {
        const v1 = await startActionsCacheService({ protocol: 'v1', runtimeToken })
        try {
          const env = { ...noV2, ...runner, ...v1.env }
          const first = await job({}, env)
          expect([...first.main.warnings, ...first.post.warnings]).toEqual([])
          expect(v1.entries).toHaveLength(1)
          const [entry] = v1.entries
          expect(first.post.stdout).toContain(`Saved Packer plugins to the cache (${entry.key})`)
          freshRunner()
          const second = await job({}, env)
          expect([...second.main.warnings, ...second.post.warnings]).toEqual([])
          expect(second.main.stdout).toContain(`Restored Packer plugins from the cache (${entry.key})`)
          expect(readFileSync(plugin, 'utf8')).toBe('plugin\n')
          expect(second.post.stdout).toContain(`Plugin cache ${entry.key} is up to date; nothing to save`)
          const jobKey = entry.key.slice(0, -17)
          expect(v1.calls).toEqual([`GET cache ${jobKey},${jobKey}-`, `POST caches ${entry.key}`, 'PATCH caches/1', 'POST caches/1', `GET cache ${jobKey},${jobKey}-`, 'GET blob'])
          expect(service.calls).toEqual([])
        } finally {
          await v1.close()
        }
      })
    }
  })

  describe('a cache service that accepts requests and never answers', () => {
    it('costs the main step a minute: Packer installs the plugins, and the step ends', async () => {
      service.hang()
      const { main, post } = await job()
      expect(main.warnings).toContainEqual(
        expect.stringMatching(
          /^The Actions cache did not answer within 60 s while restoring the plugin cache \(packer-plugins-linux-x64-packer1\.11\.2-[0-9a-f]{32}\)\. Packer installs the plugins instead, and this job saves no plugin cache\.$/
        )
      )
      const [install] = readCalls(argsLog).filter((call) => call.args[0] === 'plugins')
      // Into the job's own folder, then into the plugin folder, which validate reads: a late unpack
      // of the entry lands in the runner's temporary folder.
      expect(install.pluginPath.startsWith(`${pluginFolder}.jobs/`)).toBe(true)
      expect(readCalls(argsLog).find((call) => call.args[0] === 'validate')?.pluginPath).toBe(pluginFolder)
      expect(existsSync(plugin)).toBe(true)
      // Nothing to save, so nothing more asked of the service.
      expect(post.warnings).toEqual([])
      expect(service.calls).toEqual(['no answer: POST /twirp/github.actions.results.api.v1.CacheService/GetCacheEntryDownloadURL'])
    }, 120_000)

    it('a cancel while the restore waits on it ends the step at once: cancelled, and nothing validated or built', async () => {
      service.hang()
      const restoring = 'no answer: POST /twirp/github.actions.results.api.v1.CacheService/GetCacheEntryDownloadURL'
      const main = await runAction({
        ...step(),
        onStart: (child) => {
          void until(() => service.calls.includes(restoring), 'the restore to wait on the cache').then(() => child.kill('SIGINT'))
        }
      })
      expect(main.exitCode).toBe(1)
      expect(main.errors.at(-1)?.message).toBe('The run was cancelled (SIGINT); no Packer build was running.')
      expect(readCalls(argsLog).map((call) => call.args[0])).not.toContain('validate')
      expect(readCalls(argsLog).map((call) => call.args[0])).not.toContain('build')
    }, 120_000)

    it('costs the post step a minute, with a warning, and the job still passes', async () => {
      const main = await runAction(step())
      expect(main.exitCode).toBe(0)
      service.hang()
      const post = await runPostStep(main, step())
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toEqual([
        expect.stringMatching(/^The Actions cache did not answer within 60 s; the plugin cache \(packer-plugins-\S+\) is not saved\.$/)
      ])
      expect(service.entries).toEqual([])
      expect(service.calls.at(-1)).toBe('no answer: POST /twirp/github.actions.results.api.v1.CacheService/CreateCacheEntry')
    }, 120_000)
  })
})
