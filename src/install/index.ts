import * as core from '@actions/core'
import * as io from '@actions/io'
import * as tc from '@actions/tool-cache'
import { randomUUID } from 'node:crypto'
import { chmod, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { errorMessage } from '../common/errors.js'
import { withBackoff } from '../common/retry.js'
import { defaultRetryPolicy, downloadFile, fetchBytes, type RetryPolicy, type TransferOptions } from './download.js'
import { findInToolCache, findPackerOnPath, toolCacheAvailable, type LocalPacker } from './local.js'
import { packerOnPath, type PathPacker } from './on-path.js'
import { packerExecutableName, releasePlatform } from './platform.js'
import type { MirrorCredentials, SigningKey } from '../inputs/packer.js'
import type { ResolvedVersion } from '../inputs/required-version.js'
import { describeRequest, type VersionRequest } from '../inputs/version-request.js'
import { fetchReleaseIndex, findBuild, findSignature, resolveVersion, stableReleases, type ReleaseIndex } from './releases.js'
import { rememberedLatest, rememberLatest } from './remembered-latest.js'
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

interface Context {
  releasesUrl: string
  platform: string
  arch: string
  executableName: string
  /** How every request to the releases site retries, and the credentials it carries */
  transfer: TransferOptions
  /** The key the checksums' signature must be made with; OpenPGP loads on first use. */
  trusted: () => Promise<TrustedKey>
  /** The packer on PATH and its version, asked once. */
  onPath: () => Promise<PathPacker | undefined>
  /** Throws when the template refuses `version`, which `request` resolved to; `releases`: the index's. */
  accepts: (version: string, request: VersionRequest, releases?: string[]) => Promise<void>
}

function fromToolCache(found: LocalPacker): InstalledPacker {
  core.info(`Using Packer ${found.version} from the tool cache: ${found.path}`)
  core.addPath(dirname(found.path))
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
async function findLocal(request: VersionRequest, context: Context, askedAs?: VersionRequest) {
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

async function temporaryDirectory(): Promise<string> {
  const directory = join(process.env['RUNNER_TEMP'] || tmpdir(), `packer-${randomUUID()}`)
  await io.mkdirP(directory)
  return directory
}

/** Checks the sums file's signature by the trusted key, in the file made with that key. */
async function checkSignature(
  release: { index: ReleaseIndex; version: string; base: string; sums: Buffer; sumsName: string },
  context: Context
) {
  const { index, version, base, sums, sumsName } = release
  const { formatFingerprint, keyIdsOf, verifyDetachedSignature } = await import('./verify.js')
  const trusted = await context.trusted()
  const keyIds = keyIdsOf(trusted)
  const signature = findSignature(index, version, keyIds)
  const signatureBytes = await fetchBytes(`${base}/${signature.name}`, signature.name, context.transfer)
  try {
    await verifyDetachedSignature({
      data: sums,
      dataName: sumsName,
      signature: signatureBytes,
      signatureName: signature.name,
      trusted
    })
  } catch (error) {
    if (signature.keyId || signature.listed.length === 0) throw error
    // After HashiCorp rotates its key the plain .sig is by the new one: say why it was checked.
    throw new Error(
      `${errorMessage(error)} ${index.url} lists no signature named with this key's ID ` +
        `(${keyIds[0].slice(-8)}), so ${signature.name} was checked; it lists ` +
        `${signature.listed.join(', ')}.`,
      { cause: error }
    )
  }
  const fingerprint = formatFingerprint(trusted.key.getFingerprint())
  core.info(`${signature.name}: good signature by ${trusted.description} (${fingerprint})`)
}

async function download(index: ReleaseIndex, version: string, context: Context) {
  const platform = releasePlatform(context.platform, context.arch)
  const { build, sumsName } = findBuild(index, version, platform)
  const base = `${context.releasesUrl}/packer/${version}`
  const emulated =
    build.arch === platform.arch ? '' : ` (there is no ${platform.os}/${platform.arch} build; ${platform.emulated?.reason})`
  core.info(`Downloading Packer ${version} for ${build.os}/${build.arch}${emulated} from ${base}`)

  const sums = await fetchBytes(`${base}/${sumsName}`, sumsName, context.transfer)
  await checkSignature({ index, version, base, sums, sumsName }, context)
  const { expectedSha256 } = await import('./verify.js')
  const expected = expectedSha256(sums.toString('utf8'), sumsName, build.filename)

  const workDirectory = await temporaryDirectory()
  try {
    const zipPath = join(workDirectory, build.filename)
    const actual = await downloadFile(
      `${base}/${build.filename}`,
      zipPath,
      build.filename,
      context.transfer
    )
    if (actual !== expected) {
      throw new Error(
        `${build.filename} does not match ${sumsName}: expected SHA-256 ${expected}, ` +
          `found ${actual}. The download is corrupt or was tampered with; nothing was installed.`
      )
    }
    core.info(`${build.filename}: SHA-256 matches ${sumsName}`)

    const extractTo = join(workDirectory, 'packer')
    // The unzipper (fflate) builds its tables as it loads: only a download needs it.
    const { extractReleaseZip } = await import('./unzip.js')
    const extracted = await extractReleaseZip(zipPath, extractTo, build.filename)
    const extractedExecutable = join(extracted, context.executableName)
    if (!existsSync(extractedExecutable)) {
      throw new Error(`${build.filename} holds no ${context.executableName}`)
    }
    // The extractor does not carry zip permissions over, so packer is made executable here.
    if (context.platform !== 'win32') await chmod(extractedExecutable, 0o755)

    let directory = extracted
    if (toolCacheAvailable()) {
      directory = await tc.cacheDir(extracted, 'packer', version, context.arch)
    } else {
      core.info('RUNNER_TOOL_CACHE is not set; Packer stays in a temporary folder for this run')
    }
    core.addPath(directory)
    const path = join(directory, context.executableName)
    core.info(`Installed Packer ${version}: ${path}`)
    return { path, version, source: 'download' } satisfies InstalledPacker
  } finally {
    // Without a tool cache the extracted Packer is run from here, so only the zip goes.
    if (toolCacheAvailable()) await io.rmRF(workDirectory)
    else await rm(join(workDirectory, build.filename), { force: true })
  }
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
    transfer: {
      ...withBackoff(options.retry, defaultRetryPolicy),
      stallMs: options.retry?.stallMs ?? defaultRetryPolicy.stallMs,
      credentials: options.releasesCredentials
    },
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

  const index = await fetchReleaseIndex(context.releasesUrl, context.transfer)
  const version = resolveVersion(index, request)
  core.info(`packer-version ${describeRequest(request)} resolves to Packer ${version}`)
  if (request.kind === 'latest') rememberLatest(context.releasesUrl, version, now())
  // Before the download, and before a Packer on the runner is looked for: the template may refuse it.
  await context.accepts(version, request, stableReleases(index))
  if (request.kind === 'latest') {
    const local = await findLocal({ kind: 'exact', version }, context)
    if (local) return local
  }
  return download(index, version, context)
}
