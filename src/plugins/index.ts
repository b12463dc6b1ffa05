// Plugins before validate: `packer init` for HCL2 templates (Packer 1.7+), `packer plugins
// install` for JSON templates (Packer 1.10+, which bundles no plugins), with the plugin
// directory cached between runs.
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import { homedir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import * as semver from 'semver'
import type { InstalledPacker } from '../install/index.js'
import type { PluginCacheState } from './cache-state.js'
import type { PluginRequirement } from '../inputs/plugins.js'
import { stoppedAtDeadline } from '../common/waiting.js'
import { heldRelease, pinnedVersion } from './releases.js'
import { jobPluginFolder, publishInstalled, removeJobFolder } from './shared-folder.js'

// Builder, provisioner and post-processor types that ship inside Packer itself.
const BUILT_IN_TYPES = new Set([
  'null',
  'file',
  'manifest',
  'shell-local',
  'checksum',
  'compress',
  'artifice',
  'provenance',
  'shell',
  'powershell',
  'windows-shell',
  'windows-restart',
  'breakpoint',
  'sleep',
  'hcp-sbom'
])

// Official plugins by the component types they provide (JSON templates name only the type).
const PLUGIN_FOR_TYPE: Array<[RegExp, string]> = [
  [/^amazon-/, 'github.com/hashicorp/amazon'],
  [/^azure-/, 'github.com/hashicorp/azure'],
  [/^docker(-.+)?$/, 'github.com/hashicorp/docker'],
  [/^googlecompute(-.+)?$/, 'github.com/hashicorp/googlecompute'],
  [/^vsphere(-.+)?$/, 'github.com/hashicorp/vsphere'],
  [/^virtualbox-/, 'github.com/hashicorp/virtualbox'],
  [/^vmware-/, 'github.com/hashicorp/vmware'],
  [/^hyperv-/, 'github.com/hashicorp/hyperv'],
  [/^qemu$/, 'github.com/hashicorp/qemu'],
  [/^(vagrant|vagrant-cloud|vagrant-registry)$/, 'github.com/hashicorp/vagrant'],
  // Provisioners: ansible and ansible-local, chef-solo and chef-client, and so on.
  [/^ansible(-local)?$/, 'github.com/hashicorp/ansible'],
  [/^chef-(solo|client)$/, 'github.com/hashicorp/chef'],
  [/^puppet-(masterless|server)$/, 'github.com/hashicorp/puppet'],
  [/^salt-masterless$/, 'github.com/hashicorp/salt'],
  [/^converge$/, 'github.com/hashicorp/converge'],
  [/^inspec$/, 'github.com/hashicorp/inspec']
]

/**
 * The plugins a JSON template needs, from its builder and post-processor types; types with no
 * known plugin come back in `unknownTypes`.
 */
export function inferPluginRequirements(types: string[]): {
  requirements: PluginRequirement[]
  unknownTypes: string[]
} {
  const sources: string[] = []
  const unknownTypes: string[] = []
  for (const type of types) {
    if (BUILT_IN_TYPES.has(type)) continue
    const source = PLUGIN_FOR_TYPE.find(([pattern]) => pattern.test(type))?.[1]
    if (!source) {
      if (!unknownTypes.includes(type)) unknownTypes.push(type)
    } else if (!sources.includes(source)) {
      sources.push(source)
    }
  }
  return { requirements: sources.map((source) => ({ source })), unknownTypes }
}

/**
 * Runs a Packer command the way validate and build run, with `env` added to Packer's own, and
 * stops it at `deadlineMs`.
 */
export type RunPackerCommand = (
  args: string[],
  env: Record<string, string>,
  options: { deadlineMs: number }
) => Promise<{ exitCode: number; timedOut?: true; crashed?: string; cancelled?: boolean }>

/**
 * The longest one plugin command (packer init, packer plugins install) may take. It downloads
 * from GitHub or releases.hashicorp.com, and Packer waits for a server that accepts the
 * connection and never answers for as long as the job lasts. A healthy install takes seconds.
 */
export const pluginCommandDeadlineMs = 10 * 60_000

export interface PluginOptions {
  packer: InstalledPacker
  templateKind: 'json' | 'hcl'
  /** Template path as passed to packer, relative to workingDirectory */
  template: string
  /** HCL2 templates: their required_plugins declarations, read with the HCL parser */
  requiredPlugins: () => Promise<string[]>
  workingDirectory: string
  /** From input `plugins` (may be empty) */
  requirements: PluginRequirement[]
  /** JSON templates: the builders' `type`s (e.g. ['amazon-ebs']) */
  builderTypes: string[]
  /** JSON templates: provisioner types (e.g. ['shell', 'ansible']) */
  provisionerTypes: string[]
  /** JSON templates: post-processor types (e.g. ['manifest']) */
  postProcessorTypes: string[]
  /** Input cache */
  cache: boolean
  /** Input github-token (may be ''), for Packer's calls to GitHub's API */
  githubToken: string
  /** The runner's environment, for PACKER_PLUGIN_PATH and the tool cache */
  env: NodeJS.ProcessEnv
  run: RunPackerCommand
  /** The longest one plugin command may take; pluginCommandDeadlineMs unless given. */
  deadlineMs?: number
}

export interface PreparedPlugins {
  /** Inputs this Packer cannot honour, and components with no known plugin */
  warnings: string[]
  /** That the plugin cache is off on this runner */
  notices?: string[]
  /** A plugin folder of the action's choosing, for later steps to find the same plugins */
  newPluginPath?: string
  /** What the post step needs to save the cache */
  cacheState?: PluginCacheState
}

interface PluginPlan {
  install: PluginRequirement[]
  init: boolean
  warnings: string[]
}

const INIT_SINCE = '1.7.0'
const PLUGINS_INSTALL_SINCE = '1.10.0'

/** What this Packer needs done for this template, and the inputs it cannot honour. */
export function planPlugins(options: PluginOptions): PluginPlan {
  const version = semver.coerce(options.packer.version)?.version ?? '0.0.0'
  const canInit = semver.gte(version, INIT_SINCE)
  const canInstall = semver.gte(version, PLUGINS_INSTALL_SINCE)
  const listed = options.requirements
  const warnings: string[] = []
  if (listed.length > 0 && !canInstall) {
    warnings.push(
      `Input plugins is ignored: packer plugins install needs Packer ${PLUGINS_INSTALL_SINCE} or ` +
        `later, and Packer ${options.packer.version} ` +
        (canInit && options.templateKind === 'hcl'
          ? "installs plugins from the template's required_plugins with packer init."
          : 'has its plugins built in.')
    )
  }
  if (options.templateKind === 'hcl') return { init: canInit, install: canInstall ? listed : [], warnings }
  if (!canInstall) return { init: false, install: [], warnings }
  if (listed.length > 0) return { init: false, install: listed, warnings }
  const inferred = inferPluginRequirements([...options.builderTypes, ...options.provisionerTypes, ...options.postProcessorTypes])
  for (const type of inferred.unknownTypes) {
    warnings.push(
      `No plugin is known for the template's "${type}" component; if it comes from a plugin, ` +
        'list the plugin in input plugins (e.g. github.com/OWNER/NAME)'
    )
  }
  return { init: false, install: inferred.requirements, warnings }
}

function commandLine(args: string[]): string {
  return ['packer', ...args].map((arg) => (/\s/.test(arg) ? `"${arg}"` : arg)).join(' ')
}

/**
 * Where plugins go: PACKER_PLUGIN_PATH when the workflow set it (a relative one is where Packer
 * takes it, from the working directory it runs in), else a fixed folder in the tool cache,
 * which `newPluginPath` hands to validate, build and later steps.
 */
function pluginDirectories(env: NodeJS.ProcessEnv, workingDirectory: string): { paths: string[]; newPluginPath?: string } {
  const configured = env['PACKER_PLUGIN_PATH']
  if (configured) return { paths: configured.split(delimiter).filter((path) => path !== '').map((path) => resolve(workingDirectory, path)) }
  const directory = join(env['RUNNER_TOOL_CACHE'] || homedir(), 'packer-plugins')
  return { paths: [directory], newPluginPath: directory }
}

/**
 * An HCL2 template's required_plugins (see hclRequiredPlugins: one declaration each, as JSON)
 * as the requirements packer init installs and Packer loads plugins by.
 */
function declaredRequirements(declarations: string[]): PluginRequirement[] {
  return declarations.flatMap((declaration) =>
    Object.values(JSON.parse(declaration) as Record<string, unknown>).flatMap((definition) => {
      const { source, version } = (definition ?? {}) as { source?: unknown; version?: unknown }
      if (typeof source !== 'string') return []
      return [version === undefined ? { source } : { source, constraint: String(version) }]
    })
  )
}

/**
 * The cache's key, and the plugins the job names with their constraints (those it installs, and
 * the template's required_plugins), for the post step to save what Packer loads of them.
 */
async function cacheKey(
  options: PluginOptions,
  plan: PluginPlan
): Promise<{ key: string; plugins: PluginRequirement[] } | undefined> {
  let requiredPlugins: string[] = []
  if (plan.init) {
    try {
      requiredPlugins = await options.requiredPlugins()
    } catch (error) {
      // packer init reports an unreadable template better than a cache key could.
      core.debug(`Reading required_plugins of ${options.template}: ${String(error)}`)
    }
  }
  if (requiredPlugins.length === 0 && plan.install.length === 0) return undefined
  const hash = createHash('sha256')
    .update(JSON.stringify({ install: plan.install, requiredPlugins }))
    .digest('hex')
    .slice(0, 32)
  const version = semver.clean(options.packer.version) ?? options.packer.version
  return {
    key: `packer-plugins-${process.platform}-${process.arch}-packer${version}-${hash}`,
    plugins: [...plan.install, ...declaredRequirements(requiredPlugins)]
  }
}

/**
 * packer init installs nothing for a plugin that has a release in the folder passing the
 * template's constraint (command/init.go, 1.7 to 1.16). After a cache hit that release is the
 * cached one, so a constraint such as `>= 1.2` would stay on it while a runner without the cache
 * gets the newest release it allows; `-upgrade` makes Packer look for that release, as
 * `packer plugins install` always does. A folder the cache did not fill is left as Packer would.
 */
function initUpgrade(cacheState: PluginCacheState | undefined): string[] {
  return cacheState?.restoredKey === undefined ? [] : ['-upgrade']
}

/** Installs the plugins the template needs before it is validated. */
export async function preparePlugins(options: PluginOptions): Promise<PreparedPlugins> {
  const plan = planPlugins(options)
  if (!plan.init && plan.install.length === 0) {
    core.info(`Packer ${options.packer.version}: no plugins to install for this template`)
    return { warnings: plan.warnings }
  }
  const directories = pluginDirectories(options.env, options.workingDirectory)
  const prepared: PreparedPlugins = { warnings: plan.warnings }
  if (options.cache) {
    const cache = await cacheKey(options, plan)
    if (cache) {
      // The cache client (with Azure's storage client) loads only for a template that has plugins.
      const restored = await (await import('./cache.js')).restorePluginCache(directories.paths, cache.key)
      if (restored.state) {
        prepared.cacheState = { ...restored.state, plugins: cache.plugins, packerVersion: options.packer.version }
      }
      // A restore given up on may still unpack later, but into its entry folder (entryFolder),
      // never into the plugin folder Packer installs into.
      if (restored.warning) prepared.warnings.push(restored.warning)
      if (restored.notice) prepared.notices = [restored.notice]
    } else {
      core.info('The template requires no plugins; nothing to cache')
    }
  }

  prepared.newPluginPath = directories.newPluginPath
  // The action's folder is shared with the other jobs on the machine: Packer installs into one
  // of the job's own, whose releases then go there whole (see shared-folder.ts).
  const shared = directories.newPluginPath
  const jobFolder = shared === undefined ? undefined : await jobPluginFolder(shared)
  try {
    await installPlugins(options, plan, prepared, jobFolder ? { PACKER_PLUGIN_PATH: jobFolder.plugins, TMPDIR: jobFolder.tmp } : { PACKER_PLUGIN_PATH: directories.paths.join(delimiter) })
    if (jobFolder && shared !== undefined) await publishInstalled(jobFolder, shared)
  } finally {
    if (jobFolder) await removeJobFolder(jobFolder)
  }
  return prepared
}

interface PluginCommand {
  args: string[]
  /** What a `packer plugins install` installs */
  requirement?: PluginRequirement
}

/** Runs packer plugins install and packer init as `plan` says, with `env` added to Packer's. */
async function installPlugins(options: PluginOptions, plan: PluginPlan, prepared: PreparedPlugins, env: Record<string, string>): Promise<void> {
  if (options.githubToken) env['PACKER_GITHUB_API_TOKEN'] = options.githubToken
  const folders = env['PACKER_PLUGIN_PATH'].split(delimiter)
  const commands: PluginCommand[] = []
  for (const requirement of plan.install) {
    const held = await heldPin(folders, requirement)
    if (held !== undefined) {
      core.info(
        `Using release ${held} of ${requirement.source}, which the plugin folder holds and input plugins pins (${requirement.constraint}); ` +
          "packer plugins install is not run, as it would only ask the plugin's source for its releases and keep this one."
      )
      continue
    }
    commands.push({ args: ['plugins', 'install', requirement.source, ...(requirement.constraint ? [requirement.constraint] : [])], requirement })
  }
  if (plan.init) commands.push({ args: ['init', ...initUpgrade(prepared.cacheState), options.template] })
  const deadlineMs = options.deadlineMs ?? pluginCommandDeadlineMs
  const notice = (message: string) => (prepared.notices = [...(prepared.notices ?? []), message])
  for (const { args, requirement } of commands) {
    const { exitCode, timedOut, crashed, cancelled } = await options.run(args, env, { deadlineMs })
    // Packer itself crashed (a panic): what it says is why, and where Packer's report of it is.
    if (crashed && !timedOut) throw new Error(`${crashed} Nothing was built.`)
    if (exitCode === 0 && !timedOut) continue
    const line = commandLine(args)
    // A cancel stops the job here; the caller says so.
    if (cancelled) throw new Error(`${line} was stopped by the cancel`)
    const plugins = requirement ? 'the plugin' : "the template's plugins"
    const why = timedOut
      ? `${stoppedAtDeadline(line, deadlineMs)}: the plugin's source (GitHub, or releases.hashicorp.com) did not answer in time`
      : `${line} failed with exit code ${exitCode} (see the log above): Packer could not look for a newer release of ${plugins}`
    if (args.includes('-upgrade') && (await initWithoutUpgrade(options, args, env, deadlineMs))) {
      notice(`${why}, so this job uses the releases the plugin cache gave it, which pass the template's required_plugins.`)
      continue
    }
    // packer plugins install asks the plugin's source for its releases first, even when one it
    // would take is installed (InstallLatest, packer/plugin-getter/plugins.go, v1.10.0 to
    // v1.16.0): a runner that cannot reach the source fails it with the release right there.
    const held = requirement && (await heldRelease(folders, requirement))
    if (requirement && held !== undefined) {
      const passes = requirement.constraint ? ` and which passes ${requirement.constraint}` : ''
      notice(`${why}, so this job uses release ${held}, which the plugin folder holds${passes}.`)
      continue
    }
    if (timedOut) throw new Error(`${why}. Run the job again, or put the plugins in PACKER_PLUGIN_PATH before this step.`)
    throw new Error(`${line} failed with exit code ${exitCode}; see the log above`)
  }
}

/**
 * The release of `requirement` in plugin folders `folders` when the requirement pins one version
 * (`1.3.2`, `= 1.3.2`) and the folders hold that release as Packer loads it (heldRelease).
 * packer plugins install would still ask the plugin's source for its releases, only to keep that
 * one ("already correctly installed", InstallLatest in packer/plugin-getter/plugins.go, v1.10.0
 * to v1.16.0): a round trip each job, and Packer's connect timeout for each source a firewall
 * drops. packer init likewise asks no one for a requirement whose release is there
 * (command/init.go). The release may be the plugin cache's, restored before this runs. A range
 * still asks: a newer release in it may have come out.
 */
async function heldPin(folders: string[], requirement: PluginRequirement): Promise<string | undefined> {
  if (requirement.constraint === undefined || pinnedVersion(requirement.constraint) === undefined) return undefined
  return heldRelease(folders, requirement)
}

/**
 * After a cache hit, `packer init -upgrade` asks the plugins' source for a newer release, which a
 * runner may not reach (GitHub Enterprise Server behind a firewall, or past github.com's
 * unauthenticated limit, its workflow token being no token there). `packer init` without it asks
 * no one for a plugin whose cached release passes the template's constraint, as on the runner
 * that saved the cache: whether it succeeds. A failure of its own is left to the `-upgrade` one's error.
 */
async function initWithoutUpgrade(options: PluginOptions, args: string[], env: Record<string, string>, deadlineMs: number): Promise<boolean> {
  const { exitCode, timedOut, crashed } = await options.run(
    args.filter((arg) => arg !== '-upgrade'),
    env,
    { deadlineMs }
  )
  return exitCode === 0 && !timedOut && !crashed
}
