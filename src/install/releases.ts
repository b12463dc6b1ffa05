import * as semver from 'semver'
import { DownloadError, fetchBytes, type TransferOptions } from './download.js'
import type { ReleasePlatform } from './platform.js'
import type { VersionRequest } from '../inputs/version-request.js'
import { errorMessage } from '../common/errors.js'

export interface ReleaseBuild {
  os: string
  arch: string
  filename: string
  url?: string
}

export interface Release {
  version: string
  shasums?: string
  shasums_signature?: string
  /**
   * One signature per HashiCorp signing key, each named with the key's short ID, e.g.
   * `["packer_1.9.4_SHA256SUMS.72D7468F.sig", "packer_1.9.4_SHA256SUMS.sig"]`
   */
  shasums_signatures?: unknown
  builds: ReleaseBuild[]
}

export interface ReleaseIndex {
  /** Where the index was read from, for messages */
  url: string
  versions: Record<string, Release>
}

export async function fetchReleaseIndex(
  releasesUrl: string,
  transfer: TransferOptions
): Promise<ReleaseIndex> {
  const url = `${releasesUrl}/packer/index.json`
  let body: Buffer
  try {
    body = await fetchBytes(url, 'the Packer release index', transfer)
  } catch (error) {
    if (error instanceof DownloadError && error.status === 404) {
      throw new Error(
        `There is no Packer release index at ${url} (HTTP 404); expected the layout of ` +
          'https://releases.hashicorp.com (packer/index.json)',
        { cause: error }
      )
    }
    throw error
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch (error) {
    throw new Error(
      `${url} is not JSON (${errorMessage(error)}); ` +
        'expected a HashiCorp release index',
      { cause: error }
    )
  }
  const versions = (parsed as { versions?: unknown } | null)?.versions
  if (typeof versions !== 'object' || versions === null || Array.isArray(versions)) {
    throw new Error(`${url} is not a HashiCorp release index: expected {"versions": {…}}`)
  }
  return { url, versions: versions as Record<string, Release> }
}

/** Released versions in the index, leaving out names that are not semantic versions. */
function indexedVersions(index: ReleaseIndex): string[] {
  return Object.keys(index.versions).filter((name) => {
    const parsed = semver.parse(name)
    return parsed !== null && parsed.build.length === 0 && parsed.version === name
  })
}

function newestStable(versions: string[]): string | undefined {
  return semver.rsort(versions.filter((version) => semver.prerelease(version) === null))[0]
}

/** The stable releases in the index, newest first. */
export function stableReleases(index: ReleaseIndex): string[] {
  return semver.rsort(indexedVersions(index).filter((version) => semver.prerelease(version) === null))
}

export function resolveVersion(index: ReleaseIndex, request: VersionRequest): string {
  const versions = indexedVersions(index)
  const newest = newestStable(versions)
  const newestNote = newest ? `; the newest release there is ${newest}` : ''
  switch (request.kind) {
    case 'latest':
      if (!newest) throw new Error(`${index.url} lists no stable Packer release`)
      return newest
    case 'exact':
      if (!versions.includes(request.version)) {
        throw new Error(
          `packer-version: Packer ${request.version} is not in ${index.url}${newestNote}`
        )
      }
      return request.version
    case 'range': {
      const match = semver.maxSatisfying(versions, request.range)
      if (!match) {
        throw new Error(
          `packer-version: no Packer release in ${index.url} matches "${request.range}"` +
            newestNote
        )
      }
      return match
    }
  }
}

function checkFileName(index: ReleaseIndex, version: string, name: unknown): string {
  // These names become URL path segments and local file names.
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(name)) {
    throw new Error(`${index.url} lists an unexpected file name for Packer ${version}: "${name}"`)
  }
  return name
}

function sumsFileName(index: ReleaseIndex, version: string): string {
  return checkFileName(index, version, index.versions[version]?.shasums || `packer_${version}_SHA256SUMS`)
}

export function findBuild(index: ReleaseIndex, version: string, platform: ReleasePlatform) {
  const release = index.versions[version]
  const builds = Array.isArray(release?.builds) ? release.builds : []
  const { emulated } = platform
  const build =
    builds.find((b) => b.os === platform.os && b.arch === platform.arch) ??
    (emulated && builds.find((b) => b.os === emulated.os && b.arch === emulated.arch))
  if (!build) {
    const available = builds.map((b) => `${b.os}/${b.arch}`).join(', ') || 'none'
    throw new Error(
      `Packer ${version} has no build for this runner (${platform.os}/${platform.arch}) in ` +
        `${index.url}; builds available: ${available}`
    )
  }
  checkFileName(index, version, build.filename)
  return { build, sumsName: sumsFileName(index, version) }
}

export interface SignatureFile {
  name: string
  /** The key ID the file is named with; none for the plain `.sig` */
  keyId?: string
  /** The index's `shasums_signatures`, for messages */
  listed: string[]
}

/**
 * The signature of the sums file to check with the trusted key, whose key IDs (16 hex digits,
 * primary first) are given. HashiCorp publishes one signature file per signing key, named with
 * the key's short ID, and lists them in `shasums_signatures`; the plain `.sig` is by whichever
 * key it signs with now. Once HashiCorp rotates its key, only the file
 * named with the pinned key's ID (72D7468F) still verifies against it. So, as hashicorp/hc-install
 * does, the file named with one of the key's IDs is taken, and the plain `.sig` when none is.
 */
export function findSignature(index: ReleaseIndex, version: string, keyIds: string[]): SignatureFile {
  const release = index.versions[version]
  const listed = Array.isArray(release?.shasums_signatures)
    ? release.shasums_signatures.filter((name): name is string => typeof name === 'string')
    : []
  const namedWith = (name: string) =>
    /\.([0-9A-Fa-f]{8}|[0-9A-Fa-f]{16})\.sig$/.exec(name)?.[1].toUpperCase()
  for (const keyId of keyIds.map((id) => id.toUpperCase())) {
    const name = listed.find((candidate) => {
      const named = namedWith(candidate)
      // A short ID is the last 8 hex digits of the key's 16.
      return named !== undefined && keyId.endsWith(named)
    })
    if (name) return { name: checkFileName(index, version, name), keyId: namedWith(name), listed }
  }
  const plain = release?.shasums_signature || `${sumsFileName(index, version)}.sig`
  return { name: checkFileName(index, version, plain), listed }
}
