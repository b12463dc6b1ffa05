// Plugin preparation driven against a recording `packer` stand-in, with @actions/cache faked.
import { afterAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import type * as Cache from '@actions/cache'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fakeCore, messages } from './fixtures/install/core.js'
import { packerStandIn } from '../test-support/packer-stand-in/index.js'

const core = fakeCore()
const cache = {
  isFeatureAvailable: jest.fn<typeof Cache.isFeatureAvailable>(() => true),
  restoreCache: jest.fn<typeof Cache.restoreCache>(async () => undefined),
  saveCache: jest.fn<typeof Cache.saveCache>(async () => 1)
}
jest.unstable_mockModule('@actions/core', () => core)
jest.unstable_mockModule('@actions/cache', () => cache)
const { inferPluginRequirements, preparePlugins } = await import('../src/plugins/index.js')
const { parsePluginRequirements } = await import('../src/inputs/plugins.js')
const { runPacker } = await import('../src/packer/run.js')
const { packerEnvironment } = await import('../src/packer/commands.js')
const { reportPlugins } = await import('../src/report/index.js')
const { entryFolder, restorePluginCache, savePluginCache, PLUGIN_CACHE_STATE } = await import('../src/plugins/cache.js')
const { readHclTemplate } = await import('../src/inputs/hcl.js')
type PluginOptions = Omit<Parameters<typeof preparePlugins>[0], 'env' | 'run' | 'requiredPlugins'>
type RunPackerCommand = Parameters<typeof preparePlugins>[0]['run']

const root = realpathSync(mkdtempSync(join(tmpdir(), 'plugins-test-')))
let workingDirectory: string
let toolCache: string

const HCL_TEMPLATE = `
packer {
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.2.0" # pinned below 2 in CI
    }
  }
}

source "amazon-ebs" "base" {
  region = "eu-west-1"
}

build {
  sources = ["source.amazon-ebs.base"]
}
`

beforeEach(() => {
  jest.clearAllMocks()
  core.state.clear()
  cache.isFeatureAvailable.mockReturnValue(true)
  cache.restoreCache.mockResolvedValue(undefined)
  cache.saveCache.mockResolvedValue(1)
  workingDirectory = mkdtempSync(join(root, 'work-'))
  toolCache = mkdtempSync(join(root, 'tool-cache-'))
  process.env.RUNNER_TOOL_CACHE = toolCache
  delete process.env.PACKER_PLUGIN_PATH
  delete process.env.PACKER_GITHUB_API_TOKEN
  writeFileSync(join(workingDirectory, 'build.pkr.hcl'), HCL_TEMPLATE)
  writeFileSync(
    join(workingDirectory, 'template.json'),
    '{"builders":[{"type":"amazon-ebs"}],"post-processors":["manifest"]}'
  )
})

afterAll(() => rmSync(root, { recursive: true, force: true }))

function options(version: string, kind: 'json' | 'hcl', extra: Partial<PluginOptions> = {}) {
  const packer = packerStandIn(version)
  const all: PluginOptions = {
    packer: { path: packer.path, version, source: 'download' },
    templateKind: kind,
    template: kind === 'hcl' ? 'build.pkr.hcl' : 'template.json',
    workingDirectory,
    requirements: [],
    builderTypes: kind === 'json' ? ['amazon-ebs'] : [],
    provisionerTypes: kind === 'json' ? ['shell'] : [],
    postProcessorTypes: kind === 'json' ? ['manifest'] : [],
    githubToken: '',
    cache: true,
    ...extra
  }
  return { packer, options: all }
}

/** required_plugins as the job has them: read with the template's other facts, by the HCL parser. */
function requiredPluginsOf({ workingDirectory, template }: PluginOptions): () => Promise<string[]> {
  const request = { workingDirectory, template, varFiles: [], variables: [], manifest: '', manifestGiven: false, sensitiveValues: [] }
  return async () => (await readHclTemplate(request)).requiredPlugins
}

/** The plugin stage as the job runs it: Packer through the job's runner, results reported. */
async function prepare(opts: PluginOptions): Promise<void> {
  const log = {
    begin: () => undefined,
    event: () => undefined,
    raw: (line: string) => core.info(line),
    packerText: () => undefined,
    flush: () => undefined,
    end: () => undefined
  }
  const prepared = await preparePlugins({
    ...opts,
    requiredPlugins: requiredPluginsOf(opts),
    env: process.env,
    run: (args, env, { deadlineMs }) =>
      runPacker(opts.packer.path, args, { cwd: opts.workingDirectory, env: packerEnvironment(undefined, env), log, deadlineMs })
  })
  reportPlugins(prepared)
}

const argsOf = (packer: ReturnType<typeof packerStandIn>) => packer.calls().map((call) => call.args)
const pluginDirectory = () => join(toolCache, 'packer-plugins')
/** The job's own folder that Packer installs into, beside the shared one, whose releases then go there. */
const jobPluginFolder = () => expect.stringMatching(new RegExp(`^${pluginDirectory().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.jobs/[0-9a-f-]{36}/plugins$`))

describe('parsePluginRequirements', () => {
  it('reads SOURCE, SOURCE@CONSTRAINT and SOURCE CONSTRAINT lines, skipping comments', () => {
    expect(
      parsePluginRequirements([
        '# plugins for the JSON template',
        'github.com/hashicorp/amazon@>= 1.3.0',
        '  github.com/hashicorp/docker ~> 1.0  ',
        '',
        'github.com/ansible/ansible >= 1.1.0, < 2.0.0',
        'github.com/hashicorp/googlecompute',
        'github.com/hashicorp/azure@>=1.3'
      ])
    ).toEqual([
      { source: 'github.com/hashicorp/amazon', constraint: '>= 1.3.0' },
      { source: 'github.com/hashicorp/docker', constraint: '~> 1.0' },
      { source: 'github.com/ansible/ansible', constraint: '>= 1.1.0, < 2.0.0' },
      { source: 'github.com/hashicorp/googlecompute' },
      { source: 'github.com/hashicorp/azure', constraint: '>=1.3' }
    ])
  })

  it('accepts exact and v-prefixed versions as constraints', () => {
    expect(parsePluginRequirements(['github.com/hashicorp/amazon v1.3.2'])).toEqual([
      { source: 'github.com/hashicorp/amazon', constraint: 'v1.3.2' }
    ])
  })

  it('names the input and the line for a source that is not HOST/NAMESPACE/NAME', () => {
    expect(() => parsePluginRequirements(['amazon >= 1.0'])).toThrow(
      /^plugins: expected SOURCE or SOURCE@CONSTRAINT per line, .*; found "amazon >= 1\.0"$/
    )
  })

  it('names the input and the line for a constraint Packer would not read', () => {
    expect(() => parsePluginRequirements(['github.com/hashicorp/amazon@latest'])).toThrow(
      'plugins: "latest" in line "github.com/hashicorp/amazon@latest" is not a version constraint'
    )
  })

  it('refuses the same plugin twice', () => {
    expect(() =>
      parsePluginRequirements(['github.com/hashicorp/amazon', 'github.com/HashiCorp/amazon@>= 1'])
    ).toThrow(
      'plugins: github.com/HashiCorp/amazon is listed twice ' +
        '("github.com/hashicorp/amazon" and "github.com/HashiCorp/amazon@>= 1")'
    )
  })
})

describe('inferPluginRequirements', () => {
  it('maps every amazon-* type to the amazon plugin, once', () => {
    expect(inferPluginRequirements(['amazon-ebs', 'amazon-chroot', 'amazon-import'])).toEqual({
      requirements: [{ source: 'github.com/hashicorp/amazon' }],
      unknownTypes: []
    })
  })

  it('knows other official plugins and leaves built-in types out', () => {
    expect(
      inferPluginRequirements([
        'docker',
        'docker-push',
        'googlecompute',
        'azure-arm',
        'manifest',
        'shell-local',
        'null',
        'file',
        'checksum'
      ])
    ).toEqual({
      requirements: [
        { source: 'github.com/hashicorp/docker' },
        { source: 'github.com/hashicorp/googlecompute' },
        { source: 'github.com/hashicorp/azure' }
      ],
      unknownTypes: []
    })
  })

  it("knows the official provisioner plugins, and leaves Packer's own provisioners out", () => {
    expect(
      inferPluginRequirements([
        'shell',
        'ansible',
        'windows-restart',
        'hcp-sbom',
        'ansible-local',
        'chef-solo',
        'chef-client',
        'puppet-masterless',
        'puppet-server',
        'salt-masterless',
        'converge',
        'inspec'
      ])
    ).toEqual({
      requirements: ['ansible', 'chef', 'puppet', 'salt', 'converge', 'inspec'].map((name) => ({ source: `github.com/hashicorp/${name}` })),
      unknownTypes: []
    })
  })

  it('returns types it does not know', () => {
    expect(inferPluginRequirements(['my-cloud', 'amazon-ebs'])).toEqual({
      requirements: [{ source: 'github.com/hashicorp/amazon' }],
      unknownTypes: ['my-cloud']
    })
  })
})

describe('preparePlugins version gates', () => {
  it.each(['hcl', 'json'] as const)('does nothing on Packer 1.6.6 (%s template)', async (kind) => {
    const { packer, options: opts } = options('1.6.6', kind)

    await prepare(opts)

    expect(packer.calls()).toEqual([])
    expect(cache.restoreCache).not.toHaveBeenCalled()
    expect(core.exportVariable).not.toHaveBeenCalled()
    expect(core.warning).not.toHaveBeenCalled()
  })

  it('warns that input plugins is ignored on Packer 1.6.6', async () => {
    const { packer, options: opts } = options('1.6.6', 'json', {
      requirements: [{ source: 'github.com/hashicorp/amazon' }]
    })

    await prepare(opts)

    expect(packer.calls()).toEqual([])
    expect(messages(core.warning)).toContain(
      'Input plugins is ignored: packer plugins install needs Packer 1.10.0 or later, ' +
        'and Packer 1.6.6 has its plugins built in.'
    )
  })

  it('runs only packer init for HCL2 on Packer 1.9 and says input plugins is ignored', async () => {
    const { packer, options: opts } = options('1.9.5', 'hcl', {
      requirements: [{ source: 'github.com/hashicorp/ansible' }]
    })

    await prepare(opts)

    expect(argsOf(packer)).toEqual([['init', 'build.pkr.hcl']])
    expect(messages(core.warning)).toContain(
      "Packer 1.9.5 installs plugins from the template's required_plugins with packer init."
    )
  })

  it.each(['1.7.0', '1.9.5'])('runs packer init only, for HCL2, on Packer %s', async (version) => {
    const { packer, options: opts } = options(version, 'hcl')

    await prepare(opts)

    expect(packer.calls()).toEqual([
      {
        args: ['init', 'build.pkr.hcl'],
        token: '',
        pluginPath: jobPluginFolder(),
        pluginPresent: false,
        cwd: workingDirectory,
        pid: expect.any(Number)
      }
    ])
  })

  it.each(['1.7.0', '1.9.5'])('installs nothing for JSON on Packer %s (bundled)', async (version) => {
    const { packer, options: opts } = options(version, 'json')

    await prepare(opts)

    expect(packer.calls()).toEqual([])
  })

  it('installs the plugins a JSON template implies on Packer 1.10.0, its provisioners\' too', async () => {
    const { packer, options: opts } = options('1.10.0', 'json', {
      builderTypes: ['amazon-ebs', 'amazon-ebs'],
      provisionerTypes: ['shell', 'file', 'ansible', 'ansible-local', 'windows-restart'],
      postProcessorTypes: ['manifest', 'docker-tag']
    })

    await prepare(opts)

    expect(argsOf(packer)).toEqual([
      ['plugins', 'install', 'github.com/hashicorp/amazon'],
      ['plugins', 'install', 'github.com/hashicorp/ansible'],
      ['plugins', 'install', 'github.com/hashicorp/docker']
    ])
    expect(packer.calls()[0]).toMatchObject({ pluginPath: jobPluginFolder(), cwd: workingDirectory })
  })

  it('installs exactly input plugins, constraint as one argument, instead of inferring', async () => {
    const { packer, options: opts } = options('1.11.2', 'json', {
      requirements: [
        { source: 'github.com/hashicorp/amazon', constraint: '>= 1.3.0, < 2' },
        { source: 'github.com/hashicorp/ansible' }
      ]
    })

    await prepare(opts)

    expect(argsOf(packer)).toEqual([
      ['plugins', 'install', 'github.com/hashicorp/amazon', '>= 1.3.0, < 2'],
      ['plugins', 'install', 'github.com/hashicorp/ansible']
    ])
  })

  it('installs input plugins and then runs packer init for HCL2 on Packer 1.11', async () => {
    const { packer, options: opts } = options('1.11.2', 'hcl', {
      requirements: [{ source: 'github.com/hashicorp/ansible', constraint: '~> 1' }]
    })

    await prepare(opts)

    expect(argsOf(packer)).toEqual([
      ['plugins', 'install', 'github.com/hashicorp/ansible', '~> 1'],
      ['init', 'build.pkr.hcl']
    ])
  })

  it('warns about a JSON component type with no known plugin and installs the rest', async () => {
    const { packer, options: opts } = options('1.11.2', 'json', {
      builderTypes: ['my-cloud', 'amazon-ebs']
    })

    await prepare(opts)

    expect(argsOf(packer)).toEqual([['plugins', 'install', 'github.com/hashicorp/amazon']])
    expect(messages(core.warning)).toContain('No plugin is known for the template\'s "my-cloud" component')
  })

  it('says which command failed, with its exit code, and saves no cache state', async () => {
    const packer = packerStandIn('1.11.2', { failWith: 1 })
    const { options: opts } = options('1.11.2', 'hcl')

    await expect(
      prepare({ ...opts, packer: { ...opts.packer, path: packer.path } })
    ).rejects.toThrow('packer init build.pkr.hcl failed with exit code 1; see the log above')
    expect(core.saveState).not.toHaveBeenCalled()
  })

  it('stops a plugin install whose source never answers at the deadline, and says so', async () => {
    const packer = packerStandIn('1.11.2', { hang: true })
    const { options: opts } = options('1.11.2', 'json')

    await expect(
      prepare({ ...opts, packer: { ...opts.packer, path: packer.path }, deadlineMs: 3_000 })
    ).rejects.toThrow(
      'packer plugins install github.com/hashicorp/amazon did not finish within 3 s and was stopped: the ' +
        "plugin's source (GitHub, or releases.hashicorp.com) did not answer in time. Run the job again, or put " +
        'the plugins in PACKER_PLUGIN_PATH before this step.'
    )
    expect(messages(core.info)).toContain('Installing github.com/hashicorp/amazon...')
    expect(core.saveState).not.toHaveBeenCalled()
  }, 20_000)

  it('goes on with the release the plugin folder holds when the install of it is stopped at the deadline', async () => {
    // packer plugins install asks the source even with the release there: a source that never
    // answers holds it to the deadline, and the release there is the one validate loads.
    const amazon = join(pluginDirectory(), 'github.com', 'hashicorp', 'amazon')
    mkdirSync(amazon, { recursive: true })
    const binary = join(amazon, 'packer-plugin-amazon_v1.3.0_x5.0_linux_amd64')
    writeFileSync(binary, 'plugin\n')
    writeFileSync(`${binary}_SHA256SUM`, createHash('sha256').update('plugin\n').digest('hex'))
    const packer = packerStandIn('1.11.2', { hang: true })
    const { options: opts } = options('1.11.2', 'json', { cache: false })

    await prepare({ ...opts, packer: { ...opts.packer, path: packer.path }, deadlineMs: 3_000 })
    expect(messages(core.notice)).toBe(
      'packer plugins install github.com/hashicorp/amazon did not finish within 3 s and was stopped: the ' +
        "plugin's source (GitHub, or releases.hashicorp.com) did not answer in time, so this job uses release 1.3.0, which the plugin folder holds."
    )
    expect(argsOf(packer)).toEqual([['plugins', 'install', 'github.com/hashicorp/amazon']])
  }, 20_000)

  it('after a cache hit, runs packer init without -upgrade when -upgrade is stopped at the deadline', async () => {
    // The cache gave the job a release that passes the template's constraint: packer init asks no one for it.
    cache.restoreCache.mockImplementation(async (paths) => {
      const amazon = join(paths[0], 'github.com', 'hashicorp', 'amazon')
      mkdirSync(amazon, { recursive: true })
      const binary = join(amazon, 'packer-plugin-amazon_v1.3.0_x5.0_linux_amd64')
      writeFileSync(binary, 'plugin\n')
      writeFileSync(`${binary}_SHA256SUM`, createHash('sha256').update('plugin\n').digest('hex'))
      return 'packer-plugins-key'
    })
    const packer = packerStandIn('1.11.2', { hang: true })
    const { options: opts } = options('1.11.2', 'hcl')

    await prepare({ ...opts, packer: { ...opts.packer, path: packer.path }, deadlineMs: 3_000 })
    expect(argsOf(packer)).toEqual([
      ['init', '-upgrade', 'build.pkr.hcl'],
      ['init', 'build.pkr.hcl']
    ])
    expect(messages(core.notice)).toBe(
      'packer init -upgrade build.pkr.hcl did not finish within 3 s and was stopped: the ' +
        "plugin's source (GitHub, or releases.hashicorp.com) did not answer in time, so this job uses the releases the plugin " +
        "cache gave it, which pass the template's required_plugins."
    )
  }, 20_000)

  it('kills a plugin install that ignores the SIGTERM of its deadline, with its process group', async () => {
    const packer = packerStandIn('1.11.2', { hang: 'ignoring SIGTERM' })
    const { options: opts } = options('1.11.2', 'json')

    await expect(
      prepare({ ...opts, packer: { ...opts.packer, path: packer.path }, deadlineMs: 3_000 })
    ).rejects.toThrow(/^packer plugins install github\.com\/hashicorp\/amazon did not finish within 3 s and was stopped/)
  }, 20_000)

  it('gives plugin commands ten minutes unless told otherwise', async () => {
    const run = jest.fn<RunPackerCommand>(async () => ({ exitCode: 0 }))
    const { options: opts } = options('1.11.2', 'json')

    await preparePlugins({ ...opts, requiredPlugins: requiredPluginsOf(opts), env: process.env, run })

    expect(run).toHaveBeenCalledWith(['plugins', 'install', 'github.com/hashicorp/amazon'], expect.anything(), {
      deadlineMs: 600_000
    })
  })
})

describe('preparePlugins environment', () => {
  it('passes github-token as PACKER_GITHUB_API_TOKEN to Packer only', async () => {
    const { packer, options: opts } = options('1.11.2', 'json', { githubToken: 'ghs_secret123' })

    await prepare(opts)

    expect(packer.calls().map((call) => call.token)).toEqual(['ghs_secret123'])
    expect(process.env.PACKER_GITHUB_API_TOKEN).toBeUndefined()
    expect(core.exportVariable).not.toHaveBeenCalledWith('PACKER_GITHUB_API_TOKEN', expect.anything())
  })

  it('exports PACKER_PLUGIN_PATH as a folder in the tool cache for later steps', async () => {
    const { packer, options: opts } = options('1.11.2', 'hcl')

    await prepare(opts)

    expect(core.exportVariable).toHaveBeenCalledWith('PACKER_PLUGIN_PATH', pluginDirectory())
    // Packer installs into a folder of the job's own, and the release goes into the shared one whole.
    expect(packer.calls()[0].pluginPath).toEqual(jobPluginFolder())
    expect(readdirSync(join(pluginDirectory(), 'github.com', 'hashicorp', 'amazon'))).toEqual([
      'packer-plugin-amazon_v1.3.0_x5.0_linux_amd64',
      'packer-plugin-amazon_v1.3.0_x5.0_linux_amd64_SHA256SUM'
    ])
    expect(readdirSync(toolCache).filter((name) => name.startsWith('packer-plugins'))).toEqual(['packer-plugins'])
  })

  it('keeps a PACKER_PLUGIN_PATH the workflow set, and caches that folder', async () => {
    const own = join(root, 'own-plugins')
    process.env.PACKER_PLUGIN_PATH = own
    const { packer, options: opts } = options('1.11.2', 'hcl')

    await prepare(opts)

    expect(core.exportVariable).not.toHaveBeenCalled()
    expect(packer.calls()[0].pluginPath).toBe(own)
    // Its cache entry is unpacked beside it, then moved in.
    expect(cache.restoreCache).toHaveBeenCalledWith([entryFolder(own)], expect.any(String), [expect.any(String)])
  })

  it('caches a relative PACKER_PLUGIN_PATH where Packer takes it: in the working directory it runs in', async () => {
    process.env.PACKER_PLUGIN_PATH = 'own-plugins'
    const { packer, options: opts } = options('1.11.2', 'hcl')

    await prepare(opts)

    expect(packer.calls()[0].pluginPath).toBe(join(workingDirectory, 'own-plugins'))
    expect(cache.restoreCache).toHaveBeenCalledWith([entryFolder(join(workingDirectory, 'own-plugins'))], expect.any(String), [
      expect.any(String)
    ])
  })
})

describe('entryFolder', () => {
  it("is in the runner's temporary folder, one for each plugin folder; beside it where there is none", () => {
    const saved = process.env.RUNNER_TEMP
    try {
      process.env.RUNNER_TEMP = join(root, 'runner-temp')
      expect(entryFolder('/home/runner/.config/packer/plugins').startsWith(join(root, 'runner-temp', 'packer-plugin-cache'))).toBe(true)
      expect(entryFolder('/a/plugins')).not.toBe(entryFolder('/b/plugins'))
      expect(entryFolder('/a/plugins')).toBe(entryFolder('/a/plugins'))
      delete process.env.RUNNER_TEMP
      expect(entryFolder('/a/plugins')).toBe('/a/plugins.cache-entry')
    } finally {
      if (saved === undefined) delete process.env.RUNNER_TEMP
      else process.env.RUNNER_TEMP = saved
    }
  })
})

describe('preparePlugins cache', () => {
  async function keyFor(version: string, kind: 'json' | 'hcl', extra: Partial<PluginOptions> = {}) {
    cache.restoreCache.mockClear()
    await prepare(options(version, kind, extra).options)
    return cache.restoreCache.mock.calls[0][1]
  }

  it('restores before installing, keyed by OS, architecture, Packer version and requirements', async () => {
    const { packer, options: opts } = options('1.11.2', 'hcl')
    let callsBeforeRestore: unknown[] | undefined
    cache.restoreCache.mockImplementation(async () => {
      callsBeforeRestore = packer.calls()
      return undefined
    })

    await prepare(opts)

    expect(callsBeforeRestore).toEqual([])
    expect(argsOf(packer)).toEqual([['init', 'build.pkr.hcl']])

    const [paths, key] = cache.restoreCache.mock.calls[0]
    expect(paths).toEqual([entryFolder(pluginDirectory())])
    expect(key).toMatch(
      new RegExp(`^packer-plugins-${process.platform}-${process.arch}-packer1\\.11\\.2-[0-9a-f]{32}$`)
    )
    // What the post step saves by: the folder, and which releases Packer loads of the plugins.
    expect(JSON.parse(core.state.get(PLUGIN_CACHE_STATE)!)).toEqual({
      paths: [pluginDirectory()],
      key,
      contentHash: '',
      plugins: [{ source: 'github.com/hashicorp/amazon', constraint: '>= 1.2.0' }],
      packerVersion: '1.11.2'
    })
  })

  it('keys HCL2 templates by their required_plugins only', async () => {
    const original = await keyFor('1.11.2', 'hcl')
    writeFileSync(
      join(workingDirectory, 'build.pkr.hcl'),
      HCL_TEMPLATE.replace('eu-west-1', 'us-east-1').replace('# pinned below 2 in CI', '')
        .replace(/\n\s+version/, '\n   version')
    )
    const otherContent = await keyFor('1.11.2', 'hcl')
    writeFileSync(join(workingDirectory, 'build.pkr.hcl'), HCL_TEMPLATE.replace('>= 1.2.0', '>= 1.3.0'))
    const otherConstraint = await keyFor('1.11.2', 'hcl')
    const otherPacker = await keyFor('1.11.0', 'hcl')

    expect(otherContent).toBe(original)
    expect(otherConstraint).not.toBe(original)
    expect(otherPacker).not.toBe(original)
  })

  it('reads required_plugins from every .pkr.hcl file of a template directory', async () => {
    const directory = join(workingDirectory, 'image')
    mkdirSync(directory)
    writeFileSync(join(directory, 'plugins.pkr.hcl'), HCL_TEMPLATE)
    writeFileSync(join(directory, 'notes.txt'), 'not read')
    const original = await keyFor('1.11.2', 'hcl', { template: 'image' })
    writeFileSync(join(directory, 'notes.txt'), 'still not read')
    const sameFiles = await keyFor('1.11.2', 'hcl', { template: 'image' })
    writeFileSync(
      join(directory, 'more.pkr.hcl'),
      [
        'packer {',
        '  required_plugins {',
        '    ansible = { source = "github.com/hashicorp/ansible", version = "~> 1" }',
        '  }',
        '}'
      ].join('\n')
    )
    const morePlugins = await keyFor('1.11.2', 'hcl', { template: 'image' })

    expect(sameFiles).toBe(original)
    expect(morePlugins).not.toBe(original)
  })

  it('keys JSON templates by the plugins installed', async () => {
    const inferred = await keyFor('1.11.2', 'json')
    const listed = await keyFor('1.11.2', 'json', {
      requirements: [{ source: 'github.com/hashicorp/amazon', constraint: '>= 1.3.0' }]
    })

    expect(listed).not.toBe(inferred)
  })

  it('skips the cache when an HCL2 template requires no plugins, but still runs init', async () => {
    writeFileSync(join(workingDirectory, 'build.pkr.hcl'), 'source "null" "x" {}\n')
    const { packer, options: opts } = options('1.11.2', 'hcl')

    await prepare(opts)

    expect(argsOf(packer)).toEqual([['init', 'build.pkr.hcl']])
    expect(cache.restoreCache).not.toHaveBeenCalled()
    expect(core.saveState).not.toHaveBeenCalled()
  })

  it('does not touch the cache with input cache false', async () => {
    const { packer, options: opts } = options('1.11.2', 'hcl', { cache: false })

    await prepare(opts)

    expect(argsOf(packer)).toEqual([['init', 'build.pkr.hcl']])
    expect(cache.isFeatureAvailable).not.toHaveBeenCalled()
    expect(cache.restoreCache).not.toHaveBeenCalled()
    expect(core.warning).not.toHaveBeenCalled()
  })

  it('warns and carries on when restoring fails', async () => {
    cache.restoreCache.mockRejectedValue(new Error('cache service returned 500'))
    const { packer, options: opts } = options('1.11.2', 'hcl')

    await prepare(opts)

    expect(argsOf(packer)).toEqual([['init', 'build.pkr.hcl']])
    expect(messages(core.warning)).toMatch(
      /Could not restore the plugin cache \(packer-plugins-.*\): cache service returned 500\. Continuing\./
    )
    expect(core.state.get(PLUGIN_CACHE_STATE)).toBeDefined()
  })

  it('says so once, in a notice, and carries on, when the cache service is unavailable', async () => {
    cache.isFeatureAvailable.mockReturnValue(false)
    const first = options('1.11.2', 'hcl')
    const second = options('1.11.2', 'json')

    await prepare(first.options)
    await prepare(second.options)

    expect(core.warning).not.toHaveBeenCalled()
    expect(core.notice).toHaveBeenCalledTimes(1)
    expect(messages(core.notice)).toContain(
      'Plugin cache is off: the Actions cache service is not available'
    )
    expect(argsOf(first.packer)).toEqual([['init', 'build.pkr.hcl']])
    expect(argsOf(second.packer)).toEqual([['plugins', 'install', 'github.com/hashicorp/amazon']])
    expect(cache.restoreCache).not.toHaveBeenCalled()
    expect(core.saveState).not.toHaveBeenCalled()
  })
})

describe('savePluginCache (post step)', () => {
  /** What the main step saved for the post step, as the runner hands it over. */
  const savedState = (): string => core.state.get(PLUGIN_CACHE_STATE) ?? ''

  it('saves the plugin folder under the key and what it holds after a miss in which Packer installed plugins', async () => {
    await prepare(options('1.11.2', 'hcl').options)
    const [, key, restoreKeys] = cache.restoreCache.mock.calls[0]
    expect(restoreKeys).toEqual([`${key}-`])

    await savePluginCache(savedState())

    expect(cache.saveCache).toHaveBeenCalledWith([entryFolder(pluginDirectory())], expect.stringMatching(new RegExp(`^${key}-[0-9a-f]{16}$`)))
  })

  it('saves a plugin Packer installed after a hit (a newer release of one with no constraint) as a new entry', async () => {
    let restored = ''
    cache.restoreCache.mockImplementation(async (paths, key) => {
      // An older release of the plugin, as a job saved it before the newer one came out.
      const plugin = join(paths[0], 'github.com', 'hashicorp', 'amazon')
      mkdirSync(plugin, { recursive: true })
      writeFileSync(join(plugin, 'packer-plugin-amazon_v1.2.9_x5.0_linux_amd64'), 'older plugin\n')
      restored = `${key}-0123456789abcdef`
      return restored
    })
    await prepare(options('1.11.2', 'hcl').options)

    await savePluginCache(savedState())

    const [[, saved]] = cache.saveCache.mock.calls
    expect(saved).toMatch(/-[0-9a-f]{16}$/)
    expect(saved).not.toBe(restored)
    expect(messages(core.info)).toContain(`Saved Packer plugins to the cache (${saved}), changed since ${restored}`)
  })

  it('does not save after an exact hit that changed nothing', async () => {
    cache.restoreCache.mockImplementation(async (paths, key) => {
      // What a restore leaves behind: the plugin the stand-in would install.
      const plugin = join(paths[0], 'github.com', 'hashicorp', 'amazon')
      mkdirSync(plugin, { recursive: true })
      writeFileSync(join(plugin, 'packer-plugin-amazon_v1.3.0_x5.0_linux_amd64'), 'plugin\n')
      return key
    })
    const { options: opts } = options('1.11.2', 'hcl')
    await prepare({ ...opts, packer: { ...opts.packer, path: readOnlyPacker() } })

    await savePluginCache(savedState())

    expect(cache.saveCache).not.toHaveBeenCalled()
    expect(messages(core.info)).toContain('is up to date; nothing to save')
  })

  it('does not save when nothing was installed', async () => {
    const { options: opts } = options('1.11.2', 'hcl')
    await prepare({ ...opts, packer: { ...opts.packer, path: readOnlyPacker() } })

    await savePluginCache(savedState())

    expect(cache.saveCache).not.toHaveBeenCalled()
    expect(messages(core.info)).toContain('No Packer plugins were installed; nothing to cache')
  })

  it('gives up on a save the cache never answers, and hands back the warning', async () => {
    await prepare(options('1.11.2', 'hcl').options)
    cache.saveCache.mockReturnValue(new Promise<number>(() => undefined))

    const warning = await savePluginCache(savedState(), 50)

    expect(warning).toMatch(/The Actions cache did not answer within 0\.05 s; the plugin cache \(packer-plugins-.*\) is not saved\./)
  })

  it('turns a failed save into a warning, handed back', async () => {
    await prepare(options('1.11.2', 'hcl').options)
    cache.saveCache.mockRejectedValue(new Error('Path Validation Error: no files'))

    const warning = await savePluginCache(savedState())

    expect(warning).toMatch(/Could not save the plugin cache \(packer-plugins-.*\): Path Validation Error: no files/)
  })
})

/** A packer whose init succeeds without installing anything, as when plugins are present. */
function readOnlyPacker(): string {
  const path = join(mkdtempSync(join(root, 'noop-')), 'packer')
  writeFileSync(path, '#!/bin/sh\nexit 0\n', { mode: 0o755 })
  return path
}

describe('restorePluginCache', () => {
  it('gives up on a restore the cache never answers, and keeps no state to save', async () => {
    cache.restoreCache.mockReturnValue(new Promise<string | undefined>(() => undefined))

    const restored = await restorePluginCache([join(toolCache, 'packer-plugins')], 'packer-plugins-key', 50)

    expect(restored).toEqual({
      gaveUp: true,
      warning:
        'The Actions cache did not answer within 0.05 s while restoring the plugin cache (packer-plugins-key). ' +
        'Packer installs the plugins instead, and this job saves no plugin cache.'
    })
  })
})
