// Which plugin releases in a plugin folder Packer loads for the plugins a job names. Packer
// installs a plugin's newest release beside the ones already there and removes none, so a
// plugin with no version constraint adds a release to the folder whenever a new one comes out;
// Packer only ever loads one of them. Read from Packer's packer/plugin-getter (1.7 to 1.16).
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import * as semver from 'semver'
import { releasePlatform } from '../install/platform.js'
import type { PluginRequirement } from '../inputs/plugins.js'

/**
 * A release as Packer installs it, in HOST/NAMESPACE/NAME/ of the plugin folder:
 * `packer-plugin-NAME_vX.Y.Z_xP.Q_OS_ARCH` (`.exe` on Windows), beside it the same name with
 * `_SHA256SUM`, without which Packer does not load it. Packer ignores a version that is not
 * canonical (`v1.02.0`), and installs no pre-release from a source: such files are no release.
 */
const RELEASE = /^packer-plugin-([^_]+)_v((?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*))(_x\d+\.\d+_[^_]+_[^_]+)$/
const CHECKSUM = '_SHA256SUM'

interface Release {
  /** Path in the plugin folder, `/` between its parts */
  file: string
  version: string
}

/** One part of a version constraint as Packer reads it (hashicorp/go-version), without pre-releases. */
const SINGLE_CONSTRAINT = /^\s*(=|!=|>=|<=|>|<|~>)?\s*v?(\d+(?:\.\d+){0,2})(?:\+[0-9A-Za-z.~-]+)?\s*$/

/** What each operator asks of semver.compare(version, bound). */
const OPERATORS: Record<string, (order: number) => boolean> = {
  '=': (order) => order === 0,
  '!=': (order) => order !== 0,
  '>': (order) => order > 0,
  '<': (order) => order < 0,
  '>=': (order) => order >= 0,
  '<=': (order) => order <= 0,
  '~>': (order) => order >= 0
}

type Check = (version: string) => boolean

/** `1.3` (or `01.3`) as Packer compares it: 1.3.0. */
function padded(version: string): string {
  return [...version.split('.').map(Number), 0, 0].slice(0, 3).join('.')
}

/**
 * Whether a release's version passes `constraint` (`>= 1.2, < 2`, `~> 1.3`) as Packer checks
 * it; undefined for a constraint Packer would refuse, or one with a pre-release.
 */
export function constraintCheck(constraint: string): Check | undefined {
  const checks: Check[] = []
  for (const single of constraint.split(',')) {
    const match = SINGLE_CONSTRAINT.exec(single)
    if (!match) return undefined
    const [, operator = '=', bound] = match
    const passes = OPERATORS[operator]
    checks.push((version) => passes(semver.compare(version, padded(bound))))
    if (operator === '~>') {
      // `~> 1.3` also keeps the major version, `~> 1.3.0` the major and the minor.
      const kept = bound.split('.').length - 1
      const prefix = (version: string) => version.split('.').slice(0, kept).join('.')
      checks.push((version) => prefix(version) === prefix(padded(bound)))
    }
  }
  return (version) => checks.every((check) => check(version))
}

/**
 * The one version `constraint` lets through as Packer reads it (`1.3.2`, `= 1.3.2`, `v1.3`:
 * 1.3.0), or undefined for a range (`>= 1.3`, `~> 1.3.2`, `1.3.2, < 2`) or a constraint Packer
 * would refuse: the newest release a range takes can change, a pinned one never does.
 */
export function pinnedVersion(constraint: string): string | undefined {
  const match = SINGLE_CONSTRAINT.exec(constraint)
  if (!match || (match[1] ?? '=') !== '=') return undefined
  return padded(match[2])
}

/**
 * The order in which Packer takes the last of a plugin's matching releases as the one it loads:
 * by version since 1.11; 1.10 by file name (a sorted glob: v1.9.0 after v1.10.0), 1.7 to 1.9
 * by the version as text (v1.1.10 after v1.1.1, unlike the file names).
 */
function loadOrder(packerVersion: string): (a: Release, b: Release) => number {
  const packer = semver.coerce(packerVersion)?.version ?? '0.0.0'
  const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
  if (semver.gte(packer, '1.11.0')) return (a, b) => semver.compare(a.version, b.version)
  if (semver.gte(packer, '1.10.0')) return (a, b) => text(a.file, b.file)
  return (a, b) => text(`v${a.version}`, `v${b.version}`)
}

function last<T>(items: T[], order: (a: T, b: T) => number): T | undefined {
  return items.reduce<T | undefined>((best, item) => (best === undefined || order(item, best) > 0 ? item : best), undefined)
}

/**
 * The releases of the named plugins among `files` (paths in a plugin folder, `/` between
 * parts) that Packer does not load: for each plugin, and each protocol, OS and architecture,
 * all but the one this Packer loads and the newest, among all of the plugin's releases
 * (Packer loads those of a JSON template by discovery, with no constraint) and among those
 * that pass each of its constraints. Files of plugins the job does not name, and files that
 * are no release, are never among them. Returns each left-out release's files.
 */
export function releasesLeftOut(files: string[], plugins: PluginRequirement[], packerVersion: string): string[][] {
  const present = new Set(files)
  const constraints = new Map<string, Array<Check | undefined>>()
  for (const { source, constraint } of plugins) {
    const checks = constraints.get(source.toLowerCase()) ?? [() => true]
    checks.push(constraint === undefined ? () => true : constraintCheck(constraint))
    constraints.set(source.toLowerCase(), checks)
  }
  const groups = new Map<string, { checks: Array<Check | undefined>; releases: Release[] }>()
  for (const file of files) {
    const slash = file.lastIndexOf('/')
    if (slash < 0) continue
    const directory = file.slice(0, slash)
    const match = RELEASE.exec(file.slice(slash + 1))
    const checks = constraints.get(directory.toLowerCase())
    if (!match || !checks || !present.has(file + CHECKSUM)) continue
    const [, name, version, tail] = match
    if (name !== directory.slice(directory.lastIndexOf('/') + 1)) continue
    const group = directory + tail
    const releases = groups.get(group)?.releases ?? []
    releases.push({ file, version })
    groups.set(group, { checks, releases })
  }
  const order = loadOrder(packerVersion)
  const newest = (a: Release, b: Release) => semver.compare(a.version, b.version)
  const leftOut: string[][] = []
  for (const { checks, releases } of groups.values()) {
    // A constraint Packer would refuse: whatever it takes, it takes from what is there.
    if (checks.includes(undefined)) continue
    const kept = new Set<Release | undefined>()
    for (const check of checks as Check[]) {
      const matching = releases.filter((release) => check(release.version))
      kept.add(last(matching, order)).add(last(matching, newest))
    }
    for (const release of releases) if (!kept.has(release)) leftOut.push([release.file, release.file + CHECKSUM])
  }
  return leftOut
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path), hash)
  return hash.digest('hex')
}

/**
 * The newest release of `requirement`'s plugin in plugin folders `folders` that Packer would
 * load for it, as ListInstallations (packer/plugin-getter/plugins.go, v1.10.0 to v1.16.0) finds
 * one: in HOST/NAMESPACE/NAME/, named for this OS and architecture and protocol 5, its version
 * passing the constraint, beside a _SHA256SUM file that holds the binary's SHA-256. Its version,
 * or undefined when there is none (or the constraint is one Packer refuses).
 */
export async function heldRelease(
  folders: string[],
  requirement: PluginRequirement,
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch
): Promise<string | undefined> {
  const check = requirement.constraint === undefined ? () => true : constraintCheck(requirement.constraint)
  const parts = requirement.source.split('/')
  const name = parts.at(-1)
  // Go's names for the runner's OS and architecture end a release's file name, as they do Packer's.
  const { os, arch: goArch } = releasePlatform(platform, arch)
  const suffix = `_${os}_${goArch}${platform === 'win32' ? '.exe' : ''}`
  if (!check || !name) return undefined
  const candidates: Array<{ path: string; version: string }> = []
  for (const folder of folders) {
    const directory = join(folder, ...parts)
    for (const file of await readdir(directory).catch(() => [] as string[])) {
      const match = RELEASE.exec(file)
      if (!match || match[1] !== name || !match[3].startsWith('_x5.') || !file.endsWith(suffix) || !check(match[2])) continue
      candidates.push({ path: join(directory, file), version: match[2] })
    }
  }
  candidates.sort((a, b) => semver.compare(b.version, a.version))
  for (const { path, version } of candidates) {
    const sum = await readFile(`${path}${CHECKSUM}`, 'utf8').catch(() => undefined)
    if (sum !== undefined && sum.trim().toLowerCase() === (await sha256Of(path))) return version
  }
  return undefined
}
