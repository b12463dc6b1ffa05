// Finds the Packer that packer-version asks for on the runner, or installs it from the releases
// site. What only a download needs (the HTTP client, with Node's http, https and tls; the release
// index; the tool cache's writer) is in ./from-releases.ts, which loads only when the runner has
// no such Packer: a job whose Packer is on PATH or in the tool cache reaches Packer without it.
import * as core from '@actions/core'
import { findInToolCache, findPackerOnPath, type LocalPacker } from './local.js'
import { packerOnPath, type PathPacker } from './on-path.js'
import { packerExecutableName } from './platform.js'
import type { MirrorCredentials, SigningKey } from '../inputs/packer.js'
import type { ResolvedVersion } from '../inputs/required-version.js'
import type { VersionRequest } from '../inputs/version-request.js'
import { rememberedLatest } from './remembered-latest.js'
import type { RetryPolicy } from './download.js'
import type { TrustedKey } from './verify.js'

export interface InstallOptions {
  /** Input packer-version, as the inputs read it */
  version: VersionRequest
  /** e.g. https://releases.hashicorp.com, without a trailing slash (as the inputs give it) */
  releasesUrl: string
  /** The user and password in packer-releases-url, sent to its origin only (as the inputs read them) */
  releasesCredentials?: MirrorCredentials
  /** The key trusted instead of the pinned HashiCorp key (input packer-signing-key) */
  signingKey?: SigningKey
  /** Node's name for the runner OS (process.platform); the runner's own unless set */
  platform?: string
  /** Node's name for the runner CPU (process.arch); the runner's own unless set */
  arch?: string
  /** How downloads retry; tests replace the sleep */
  retry?: Partial<RetryPolicy>
  /** The clock, for how long a resolved `latest` is remembered; tests replace it */
  now?: () => number
  /** The packer on PATH, already being asked for its version (packerOnPath()); asked here when not given */
  onPath?: Promise<PathPacker | undefined>
  /**
   * Asked of the release latest or a range resolves to, before it is downloaded or a Packer on
   * the runner is used: throws when the template refuses it (the input checks' rule).
   */
  accepts?: (resolved: ResolvedVersion) => Promise<void>
}

export interface InstalledPacker {
  /** Absolute path of the packer executable to run */
  path: string
  /** e.g. '1.11.2' */
  version: string
  source: 'path' | 'tool-cache' | 'download'
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined
  return () => (made ??= make())
}

export interface Context {
  releasesUrl: string
  platform: string
  arch: string
  executableName: string
  /** The key the checksums' signature must be made with; OpenPGP loads on first use. */
  trusted: () => Promise<TrustedKey>
  /** The packer on PATH and its version, asked once. */
  onPath: () => Promise<PathPacker | undefined>
  /** Throws when the template refuses `version`, which `request` resolved to; `releases`: the index's. */
  accepts: (version: string, request: VersionRequest, releases?: string[]) => Promise<void>
}

function fromToolCache(found: LocalPacker): InstalledPacker {
  core.info(`Using Packer ${found.version} from the tool cache: ${found.path}`)
  return { ...found, source: 'tool-cache' }
}

function fromPath(found: LocalPacker): InstalledPacker {
  core.info(`Using Packer ${found.version} already on PATH: ${found.path}`)
  return { ...found, source: 'path' }
}

/**
 * A Packer on the runner that `request` accepts; with `askedAs` (what packer-version asked for),
 * once the template accepts it too, before it is used.
 */
async function findLocal(request: VersionRequest, context: Context, askedAs?: VersionRequest): Promise<InstalledPacker | undefined> {
  const cached = findInToolCache(request, context.arch, context.executableName)
  if (cached) {
    if (askedAs) await context.accepts(cached.version, askedAs)
    return fromToolCache(cached)
  }
  const onPath = await findPackerOnPath(request, context.onPath())
  if (onPath) {
    if (askedAs) await context.accepts(onPath.version, askedAs)
    return fromPath(onPath)
  }
  return undefined
}

/**
 * Finds or installs the Packer that input `packer-version` asks for: tool cache, then PATH,
 * then a download from the releases site whose SHA-256 and signature are checked before the
 * zip is opened.
 */
export async function installPacker(options: InstallOptions): Promise<InstalledPacker> {
  const request = options.version
  const platform = options.platform ?? process.platform
  const context: Context = {
    releasesUrl: options.releasesUrl,
    platform,
    arch: options.arch ?? process.arch,
    executableName: packerExecutableName(platform),
    // The pinned key (and OpenPGP) load only for a download; a packer-signing-key was read
    // and checked with the inputs.
    trusted: once(async () => (await import('./verify.js')).readTrustedKey(options.signingKey)),
    onPath: once(() => options.onPath ?? packerOnPath()),
    // An exact version was checked with the inputs.
    accepts: async (version, request, releases) => {
      if (request.kind !== 'exact') await options.accepts?.({ version, request, releases })
    }
  }

  const now = options.now ?? Date.now
  // An exact version or a range can be met from what is on the runner without any request,
  // and so can `latest` when it was looked up within the hour.
  if (request.kind !== 'latest') {
    const local = await findLocal(request, context, request)
    if (local) return local
  } else {
    const remembered = rememberedLatest(context.releasesUrl, now())
    const local = remembered && (await findLocal({ kind: 'exact', version: remembered }, context, request))
    if (local) {
      core.info(`packer-version latest: Packer ${remembered}, the latest release when last looked up (within the hour)`)
      return local
    }
  }

  const { installFromReleases } = await import('./from-releases.js')
  return installFromReleases(request, context, {
    retry: options.retry,
    credentials: options.releasesCredentials,
    now,
    findLocal: (version) => findLocal({ kind: 'exact', version }, context)
  })
}
