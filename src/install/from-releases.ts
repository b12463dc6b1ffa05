// Installs Packer from the releases site: the index, the checked download, the tool cache. Loaded
// by ./index.ts only when the runner has no Packer that packer-version accepts.
import * as core from '@actions/core'
import * as io from '@actions/io'
import { randomUUID } from 'node:crypto'
import { chmod, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { errorMessage } from '../common/errors.js'
import { withBackoff } from '../common/retry.js'
import type { MirrorCredentials } from '../inputs/packer.js'
import { describeRequest, type VersionRequest } from '../inputs/version-request.js'
import { defaultRetryPolicy, downloadFile, fetchBytes, type RetryPolicy, type TransferOptions } from './download.js'
import type { Context, InstalledPacker } from './index.js'
import { toolCacheAvailable } from './local.js'
import { releasePlatform } from './platform.js'
import { fetchReleaseIndex, findBuild, findSignature, resolveVersion, stableReleases, type ReleaseIndex } from './releases.js'
import { rememberLatest } from './remembered-latest.js'
import { cachePacker } from './tool-cache.js'

async function temporaryDirectory(): Promise<string> {
  const directory = join(process.env['RUNNER_TEMP'] || tmpdir(), `packer-${randomUUID()}`)
  await io.mkdirP(directory)
  return directory
}

/** Checks the sums file's signature by the trusted key, in the file made with that key. */
async function checkSignature(
  release: { index: ReleaseIndex; version: string; base: string; sums: Buffer; sumsName: string },
  context: Context & { transfer: TransferOptions }
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

async function download(index: ReleaseIndex, version: string, context: Context & { transfer: TransferOptions }) {
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
      const cached = await cachePacker(extracted, version, context.arch, process.env['RUNNER_TOOL_CACHE'] as string)
      directory = cached.directory
      if (cached.byAnotherJob) core.info(`Another job put Packer ${version} in the tool cache meanwhile: using its copy`)
    } else {
      core.info('RUNNER_TOOL_CACHE is not set; Packer stays in a temporary folder for this run')
    }
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
 * The Packer that `request` resolves to in the releases site's index: one on the runner when
 * `latest` resolves to it, else downloaded, checked and put in the tool cache.
 */
export async function installFromReleases(
  request: VersionRequest,
  on: Context,
  options: {
    retry?: Partial<RetryPolicy>
    credentials?: MirrorCredentials
    now: () => number
    /** The Packer on the runner of `version`, if there is one (./index.ts's findLocal). */
    findLocal: (version: string) => Promise<InstalledPacker | undefined>
  }
): Promise<InstalledPacker> {
  const context = {
    ...on,
    // How every request to the releases site retries, and the credentials it carries
    transfer: {
      ...withBackoff(options.retry, defaultRetryPolicy),
      stallMs: options.retry?.stallMs ?? defaultRetryPolicy.stallMs,
      credentials: options.credentials
    }
  }
  const index = await fetchReleaseIndex(context.releasesUrl, context.transfer)
  const version = resolveVersion(index, request)
  core.info(`packer-version ${describeRequest(request)} resolves to Packer ${version}`)
  if (request.kind === 'latest') rememberLatest(context.releasesUrl, version, options.now())
  // Before the download, and before a Packer on the runner is looked for: the template may refuse it.
  await context.accepts(version, request, stableReleases(index))
  if (request.kind === 'latest') {
    const local = await options.findLocal(version)
    if (local) return local
  }
  return download(index, version, context)
}
