// installPacker against a releases mirror on 127.0.0.1 whose files are signed with a key made
// in this run. Each test gets an empty tool cache and a PATH with no packer on it.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import * as openpgp from 'openpgp'
import {
  packerScript,
  sha256,
  signDetached,
  startReleasesMirror,
  type ReleasesMirror
} from '../test-support/releases-mirror/index.js'
import { writeZip } from '../test-support/releases-mirror/zip.js'
import type { SigningKey } from '../src/inputs/packer.js'
import { parseVersionRequest } from '../src/inputs/packer-version.js'
import { fakeCore, messages } from './fixtures/install/core.js'

const root = mkdtempSync(join(tmpdir(), 'install-test-'))
// No unzip here either: the install must not need one.
const bin = join(root, 'bin')
mkdirSync(bin)
process.env.RUNNER_TEMP = join(root, 'temp')
process.env.RUNNER_TOOL_CACHE = join(root, 'tool-cache')

const core = fakeCore()
jest.unstable_mockModule('@actions/core', () => core)
const { installPacker } = await import('../src/install/index.js')

const VERSIONS = ['1.9.5', '1.10.0', '1.10.3', '1.11.0', '1.11.2', '1.12.0-beta1']
const ZIP = '/packer/1.11.2/packer_1.11.2_linux_amd64.zip'
const SUMS = '/packer/1.11.2/packer_1.11.2_SHA256SUMS'
const SIG = '/packer/1.11.2/packer_1.11.2_SHA256SUMS.sig'
const INDEX = '/packer/index.json'

let signingKey: openpgp.PrivateKey
let trusted: SigningKey
let mirror: ReleasesMirror
let toolCache: string
const sleep = jest.fn(async (_ms: number) => undefined)

beforeAll(async () => {
  const generated = await openpgp.generateKey({
    userIDs: [{ name: 'Mirror Releases', email: 'releases@mirror.test' }],
    format: 'object'
  })
  signingKey = generated.privateKey
  trusted = { key: generated.publicKey, description: 'the key in input packer-signing-key' }
})

beforeEach(async () => {
  await mirror?.close()
  mirror = await startReleasesMirror({ versions: VERSIONS, signingKey })
  toolCache = mkdtempSync(join(root, 'tool-cache-'))
  process.env.RUNNER_TOOL_CACHE = toolCache
  process.env.PATH = bin
  rmSync(join(bin, 'packer'), { force: true })
  sleep.mockClear()
  jest.clearAllMocks()
})

afterAll(async () => {
  await mirror?.close()
  rmSync(root, { recursive: true, force: true })
})

function install(versionSpec: string, extra: Record<string, unknown> = {}) {
  return installPacker({
    version: parseVersionRequest(versionSpec) ?? { kind: 'latest' },
    releasesUrl: mirror.url,
    signingKey: trusted,
    platform: 'linux',
    arch: 'x64',
    retry: { sleep },
    ...extra
  })
}

function reportedVersion(executable: string): string {
  return execFileSync(executable, ['version', '-machine-readable'], { encoding: 'utf8' })
}

function packerOnPath(version: string) {
  writeFileSync(join(bin, 'packer'), packerScript(version))
  chmodSync(join(bin, 'packer'), 0o755)
}

const cachedPacker = (version: string) => join(toolCache, 'packer', version, 'x64', 'packer')

describe('installPacker from an empty tool cache', () => {
  it('downloads an exact version, checks signature and hash, caches it', async () => {
    const installed = await install('1.11.2')

    expect(installed).toEqual({ path: cachedPacker('1.11.2'), version: '1.11.2', source: 'download' })
    expect(mirror.requests).toEqual([INDEX, SUMS, SIG, ZIP])
    expect(reportedVersion(installed.path)).toContain(',,version,1.11.2')
    expect(messages(core.info)).toContain('packer_1.11.2_SHA256SUMS.sig: good signature')
  })

  it('then makes no request at all for the same exact version', async () => {
    await install('1.11.2')
    const afterFirst = mirror.requests.length

    const again = await install('1.11.2')

    expect(again).toEqual({ path: cachedPacker('1.11.2'), version: '1.11.2', source: 'tool-cache' })
    expect(mirror.requests).toHaveLength(afterFirst)
  })

  it.each([
    ['~1.10', '1.10.3'],
    ['>=1.10 <2', '1.11.2'],
    ['1.9.x', '1.9.5'],
    ['v1.11.0', '1.11.0']
  ])('resolves %s to the highest matching release, %s', async (spec, version) => {
    const installed = await install(spec)

    expect(installed.version).toBe(version)
    expect(installed.source).toBe('download')
    expect(reportedVersion(installed.path)).toContain(`,,version,${version}`)
  })

  it('resolves latest to the highest release that is not a prerelease', async () => {
    const installed = await install('latest')

    expect(installed.version).toBe('1.11.2')
    expect(mirror.requests).toEqual([INDEX, SUMS, SIG, ZIP])
  })

  it('downloads from the releases URL, not the index URLs', async () => {
    // The mirror's index points at releases.hashicorp.com, which this machine cannot reach.
    const installed = await install('1.11.2')

    expect(installed.source).toBe('download')
    expect(mirror.requests).toEqual([INDEX, SUMS, SIG, ZIP])
  })

  it('makes packer executable whatever mode the zip gives it, and caches the rest', async () => {
    const zip = writeZip([
      { name: 'packer', content: packerScript('1.11.2'), mode: 0o644 },
      { name: 'LICENSE.txt', content: 'Stand-in licence\n' }
    ])
    const sums = Buffer.from(`${sha256(zip)}  packer_1.11.2_linux_amd64.zip\n`)
    mirror.files.set(ZIP, zip)
    mirror.files.set(SUMS, sums)
    mirror.files.set(SIG, await signDetached(sums, signingKey))

    const installed = await install('1.11.2')

    expect(statSync(installed.path).mode & 0o777).toBe(0o755)
    expect(reportedVersion(installed.path)).toContain(',,version,1.11.2')
    expect(readFileSync(join(dirname(installed.path), 'LICENSE.txt'), 'utf8')).toBe(
      'Stand-in licence\n'
    )
  })
})

describe('installPacker on Windows on Arm', () => {
  it('installs the x64 build, which Windows runs by emulation: HashiCorp publishes no windows/arm64 Packer', async () => {
    const installed = await install('1.11.2', { platform: 'win32', arch: 'arm64' })

    expect(installed).toEqual({
      path: join(toolCache, 'packer', '1.11.2', 'arm64', 'packer.exe'),
      version: '1.11.2',
      source: 'download'
    })
    expect(mirror.requests).toEqual([INDEX, SUMS, SIG, '/packer/1.11.2/packer_1.11.2_windows_amd64.zip'])
    expect(readFileSync(installed.path, 'utf8')).toContain(',,version,1.11.2')
    expect(messages(core.info)).toContain(
      'Downloading Packer 1.11.2 for windows/amd64 (there is no windows/arm64 build; Windows on Arm runs amd64 programs by emulation)'
    )
  })

  it('takes a windows/arm64 build when the index lists one', async () => {
    await mirror.close()
    mirror = await startReleasesMirror({
      versions: ['1.11.2'],
      signingKey,
      platforms: [
        { os: 'windows', arch: 'amd64' },
        { os: 'windows', arch: 'arm64' }
      ]
    })

    const installed = await install('1.11.2', { platform: 'win32', arch: 'arm64' })

    expect(installed.source).toBe('download')
    expect(mirror.requests).toContain('/packer/1.11.2/packer_1.11.2_windows_arm64.zip')
    expect(mirror.requests).not.toContain('/packer/1.11.2/packer_1.11.2_windows_amd64.zip')
  })
})

describe('installPacker reusing what the runner has', () => {
  it('for latest asks only for the index when that version is already cached', async () => {
    await install('1.11.2')
    mirror.requests.length = 0

    const installed = await install('latest')

    expect(installed.source).toBe('tool-cache')
    expect(mirror.requests).toEqual([INDEX])
  })

  it('a second latest run in the same tool cache makes no request within the hour', async () => {
    let clock = Date.parse('2026-11-21T10:00:00Z')
    const now = () => clock
    const first = await install('latest', { now })
    expect(first).toMatchObject({ version: '1.11.2', source: 'download' })
    mirror.requests.length = 0

    clock += 59 * 60 * 1000
    expect(await install('latest', { now })).toMatchObject({ version: '1.11.2', source: 'tool-cache' })
    expect(mirror.requests).toEqual([])

    clock += 2 * 60 * 1000
    await install('latest', { now })
    expect(mirror.requests).toEqual([INDEX])
  })

  it('a remembered latest from another releases URL is not used', async () => {
    const now = () => Date.parse('2026-11-21T10:00:00Z')
    await install('latest', { now })
    mirror.requests.length = 0
    writeFileSync(
      join(toolCache, 'packer-latest.json'),
      JSON.stringify({ releasesUrl: 'https://mirror.example', version: '1.11.2', resolvedAt: now() })
    )
    await install('latest', { now })
    expect(mirror.requests).toEqual([INDEX])
  })

  it("remembers latest without the releases URL's password, which the tool cache would keep on the runner", async () => {
    const now = () => Date.parse('2026-11-21T10:00:00Z')
    const withCredentials = mirror.url.replace('://', '://ci:M1rr0rPa55@')
    const credentials = { user: 'ci', password: 'M1rr0rPa55' }
    await install('latest', { now, releasesUrl: withCredentials, releasesCredentials: credentials })
    expect(readFileSync(join(toolCache, 'packer-latest.json'), 'utf8')).not.toContain('M1rr0rPa55')
    mirror.requests.length = 0

    expect(await install('latest', { now, releasesUrl: withCredentials, releasesCredentials: credentials })).toMatchObject({ source: 'tool-cache' })
    expect(mirror.requests).toEqual([])
  })

  it('meets a range from the tool cache with no request', async () => {
    await install('1.10.0')
    mirror.requests.length = 0

    const installed = await install('~1.10')

    expect(installed).toMatchObject({ version: '1.10.0', source: 'tool-cache' })
    expect(mirror.requests).toEqual([])
  })

  it('uses a packer on PATH of the exact version with no request', async () => {
    packerOnPath('1.11.2')

    const installed = await install('1.11.2')

    expect(installed).toEqual({ path: join(bin, 'packer'), version: '1.11.2', source: 'path' })
    expect(mirror.requests).toEqual([])
    expect(core.addPath).not.toHaveBeenCalled()
  })

  it('downloads the release when the packer on PATH is a development build of its version', async () => {
    // Packer prints a build's pre-release apart from its version, in machine-readable mode.
    writeFileSync(join(bin, 'packer'), packerScript('1.11.2').replace('version-prelease,', 'version-prelease,dev'))
    chmodSync(join(bin, 'packer'), 0o755)

    const installed = await install('1.11.2')

    expect(installed).toEqual({ path: cachedPacker('1.11.2'), version: '1.11.2', source: 'download' })
    expect(messages(core.info)).toContain(`Packer 1.11.2-dev on PATH (${join(bin, 'packer')}) does not match packer-version; not used`)
  })

  it('uses a packer on PATH for latest only when it is the latest release', async () => {
    packerOnPath('1.11.2')
    expect((await install('latest')).source).toBe('path')
    expect(mirror.requests).toEqual([INDEX])

    packerOnPath('1.11.0')
    expect((await install('latest')).source).toBe('download')
  })

  it('downloads when the packer on PATH does not satisfy the range', async () => {
    packerOnPath('1.6.6')

    const installed = await install('>=1.10')

    expect(installed).toMatchObject({ version: '1.11.2', source: 'download' })
    expect(messages(core.info)).toContain('Packer 1.6.6 on PATH')
  })

  it('ignores a packer on PATH that is not Packer', async () => {
    writeFileSync(join(bin, 'packer'), '#!/bin/sh\necho "usage: packer dictionary"\nexit 1\n')
    chmodSync(join(bin, 'packer'), 0o755)

    const installed = await install('1.11.2')

    expect(installed.source).toBe('download')
    expect(messages(core.info)).toContain('does not answer "packer version" like Packer')
  })
})

describe('installPacker refusing what it cannot trust', () => {
  it('stops before extracting a zip whose SHA-256 is not the signed one', async () => {
    const other = writeZip([{ name: 'packer', content: '#!/bin/sh\necho evil\n', mode: 0o755 }])
    mirror.files.set(ZIP, other)

    await expect(install('1.11.2')).rejects.toThrow(
      new RegExp(
        '^packer_1\\.11\\.2_linux_amd64\\.zip does not match packer_1\\.11\\.2_SHA256SUMS: ' +
          'expected SHA-256 [0-9a-f]{64}, found [0-9a-f]{64}'
      )
    )
    expect(existsSync(join(toolCache, 'packer'))).toBe(false)
    expect(core.addPath).not.toHaveBeenCalled()
  })

  it('stops when the sums file does not match its signature, before downloading the zip', async () => {
    const sums = mirror.files.get(SUMS)!.toString()
    mirror.files.set(SUMS, Buffer.from(sums.replace(/^[0-9a-f]{8}/, '00000000')))

    await expect(install('1.11.2')).rejects.toThrow(
      new RegExp(
        '^packer_1\\.11\\.2_SHA256SUMS\\.sig does not match packer_1\\.11\\.2_SHA256SUMS: ' +
          'the signature by the key in input packer-signing-key \\([0-9A-F ]+\\) is invalid'
      )
    )
    expect(mirror.requests).not.toContain(ZIP)
    expect(existsSync(join(toolCache, 'packer'))).toBe(false)
  })

  it('stops when the sums file is signed by another key', async () => {
    const { privateKey: otherKey } = await openpgp.generateKey({
      userIDs: [{ name: 'Someone Else' }],
      format: 'object'
    })
    mirror.files.set(SIG, await signDetached(mirror.files.get(SUMS)!, otherKey))

    await expect(install('1.11.2')).rejects.toThrow(
      `packer_1.11.2_SHA256SUMS.sig is signed by key ${otherKey.getKeyID().toHex().toUpperCase()}, ` +
        'not by the key in input packer-signing-key'
    )
    expect(mirror.requests).not.toContain(ZIP)
  })

  it("trusts only HashiCorp's pinned key when no signing key is given", async () => {
    await expect(install('1.11.2', { signingKey: undefined })).rejects.toThrow(
      "not by HashiCorp's release signing key (C874 011F 0AB4 0511 0D02  1055 3436 5D94 72D7 468F)"
    )
    expect(mirror.requests).not.toContain(ZIP)
  })

  it('stops when the signature file is not a signature', async () => {
    mirror.files.set(SIG, Buffer.from('<html>Not here</html>'))

    await expect(install('1.11.2')).rejects.toThrow(
      /^packer_1\.11\.2_SHA256SUMS\.sig is not an OpenPGP signature/
    )
  })

  it('stops when the signed sums file has no line for the zip', async () => {
    const sums = Buffer.from('0'.repeat(64) + '  packer_1.11.2_plan9_amd64.zip\n')
    mirror.files.set(SUMS, sums)
    mirror.files.set(SIG, await signDetached(sums, signingKey))

    await expect(install('1.11.2')).rejects.toThrow(
      'packer_1.11.2_SHA256SUMS has no SHA-256 line for packer_1.11.2_linux_amd64.zip'
    )
  })
})

describe('installPacker choosing the signature made by the key it trusts', () => {
  const HASHICORP_SIG = '/packer/1.11.2/packer_1.11.2_SHA256SUMS.72D7468F.sig'
  let otherKey: openpgp.PrivateKey

  beforeAll(async () => {
    ;({ privateKey: otherKey } = await openpgp.generateKey({
      userIDs: [{ name: 'HashiCorp, after a key rotation' }],
      format: 'object'
    }))
  })

  const shortId = (key: openpgp.PublicKey | openpgp.PrivateKey | openpgp.Subkey) =>
    key.getKeyID().toHex().slice(-8).toUpperCase()

  /** Lists signature files for 1.11.2 as HashiCorp's index does, each signing the sums with its key. */
  async function publishSignatures(...files: Array<[name: string, key: openpgp.PrivateKey]>) {
    for (const [name, key] of files) {
      mirror.files.set(`/packer/1.11.2/${name}`, await signDetached(mirror.files.get(SUMS)!, key))
    }
    mirror.index.versions['1.11.2'].shasums_signatures = files.map(([name]) => name)
  }

  it("takes the file named with the trusted key's ID when the plain .sig is by another key", async () => {
    const named = `packer_1.11.2_SHA256SUMS.${shortId(signingKey)}.sig`
    await publishSignatures([named, signingKey], ['packer_1.11.2_SHA256SUMS.sig', otherKey])

    const installed = await install('1.11.2')

    expect(installed).toEqual({ path: cachedPacker('1.11.2'), version: '1.11.2', source: 'download' })
    expect(mirror.requests).toEqual([INDEX, SUMS, `/packer/1.11.2/${named}`, ZIP])
    expect(messages(core.info)).toContain(`${named}: good signature by the key in input packer-signing-key`)
  })

  it("takes the file named with a signing subkey's ID", async () => {
    const { privateKey, publicKey } = await openpgp.generateKey({
      userIDs: [{ name: 'Mirror Releases' }],
      subkeys: [{ sign: true }],
      format: 'object'
    })
    const named = `packer_1.11.2_SHA256SUMS.${shortId(publicKey.getSubkeys()[0])}.sig`
    await publishSignatures(['packer_1.11.2_SHA256SUMS.sig', otherKey], [named, privateKey])

    await install('1.11.2', { signingKey: { key: publicKey, description: 'the mirror key' } })

    expect(mirror.requests).toEqual([INDEX, SUMS, `/packer/1.11.2/${named}`, ZIP])
  })

  it("asks for HashiCorp's .72D7468F.sig with the pinned key, and names it and the key when it fails", async () => {
    // Only HashiCorp can make a good one; this one is by the mirror's key.
    await publishSignatures(
      ['packer_1.11.2_SHA256SUMS.72D7468F.sig', signingKey],
      ['packer_1.11.2_SHA256SUMS.sig', otherKey]
    )

    await expect(install('1.11.2', { signingKey: undefined })).rejects.toThrow(
      `packer_1.11.2_SHA256SUMS.72D7468F.sig is signed by key ${signingKey.getKeyID().toHex().toUpperCase()}, ` +
        "not by HashiCorp's release signing key (C874 011F 0AB4 0511 0D02  1055 3436 5D94 72D7 468F)"
    )
    expect(mirror.requests).toEqual([INDEX, SUMS, HASHICORP_SIG])
  })

  it('takes the plain .sig when no listed file is named for the key, and says so when it fails', async () => {
    await publishSignatures(
      ['packer_1.11.2_SHA256SUMS.348FFC4C.sig', otherKey],
      ['packer_1.11.2_SHA256SUMS.sig', otherKey]
    )

    const failure = install('1.11.2')

    await expect(failure).rejects.toThrow(
      `packer_1.11.2_SHA256SUMS.sig is signed by key ${otherKey.getKeyID().toHex().toUpperCase()}, ` +
        'not by the key in input packer-signing-key'
    )
    await expect(failure).rejects.toThrow(
      `${mirror.url}/packer/index.json lists no signature named with this key's ID ` +
        `(${shortId(signingKey)}), so packer_1.11.2_SHA256SUMS.sig was checked; it lists ` +
        'packer_1.11.2_SHA256SUMS.348FFC4C.sig, packer_1.11.2_SHA256SUMS.sig'
    )
    expect(mirror.requests).toEqual([INDEX, SUMS, SIG])
  })

  it('takes the plain .sig of an index that lists no signatures, as a mirror may serve it', async () => {
    delete mirror.index.versions['1.11.2'].shasums_signatures

    await install('1.11.2')

    expect(mirror.requests).toEqual([INDEX, SUMS, SIG, ZIP])
    expect(messages(core.info)).toContain('packer_1.11.2_SHA256SUMS.sig: good signature')
  })
})

describe('installPacker reporting what it cannot find', () => {
  it('names the version and the newest release for an unknown version', async () => {
    await expect(install('9.9.9')).rejects.toThrow(
      `packer-version: Packer 9.9.9 is not in ${mirror.url}/packer/index.json; ` +
        'the newest release there is 1.11.2'
    )
  })

  it('names the range when no release matches it', async () => {
    await expect(install('>=3 <4')).rejects.toThrow(
      `packer-version: no Packer release in ${mirror.url}/packer/index.json matches ">=3 <4"`
    )
  })

  it('names the platform when the version has no build for it', async () => {
    await expect(install('1.11.2', { arch: 's390x' })).rejects.toThrow(
      'Packer 1.11.2 has no build for this runner (linux/s390x) in ' +
        `${mirror.url}/packer/index.json; builds available: linux/amd64, linux/arm64`
    )
    expect(mirror.requests).toEqual([INDEX])
  })

  it('says there is no release index at a URL that has none', async () => {
    await expect(install('1.11.2', { releasesUrl: `${mirror.url}/elsewhere` })).rejects.toThrow(
      `There is no Packer release index at ${mirror.url}/elsewhere/packer/index.json (HTTP 404)`
    )
    expect(sleep).not.toHaveBeenCalled()
  })

  it('reports a missing zip as a 404 without retrying', async () => {
    mirror.files.delete(ZIP)

    await expect(install('1.11.2')).rejects.toThrow(
      `Could not download packer_1.11.2_linux_amd64.zip from ${mirror.url}${ZIP}: HTTP 404 Not Found`
    )
    expect(sleep).not.toHaveBeenCalled()
    expect(existsSync(join(toolCache, 'packer'))).toBe(false)
  })

  it('reports a 403 to a URL without credentials as a download failure, not a request for them', async () => {
    // S3 and CloudFront answer a missing file 403 when the bucket may not be listed.
    mirror.failNext(ZIP, { status: 403 })

    await expect(install('1.11.2')).rejects.toThrow(
      `Could not download packer_1.11.2_linux_amd64.zip from ${mirror.url}${ZIP}: HTTP 403 Forbidden`
    )
  })
})

describe('installPacker on a flaky connection', () => {
  it('retries a download cut short and installs from the complete one', async () => {
    mirror.failNext(ZIP, { truncateAt: 100 })

    const installed = await install('1.11.2')

    expect(installed.source).toBe('download')
    expect(mirror.requests.filter((path) => path === ZIP)).toHaveLength(2)
    expect(sleep).toHaveBeenCalledTimes(1)
  })

  it('gives up a download that stops sending on a connection left open, and tries again', async () => {
    mirror.failNext(ZIP, { stallAt: 100 })

    const installed = await install('1.11.2', { retry: { sleep, stallMs: 300 } })

    expect(installed.source).toBe('download')
    expect(mirror.requests.filter((path) => path === ZIP)).toHaveLength(2)
    expect(sleep).toHaveBeenCalledTimes(1)
  })

  it('gives up on a download that is always cut short, saying how much arrived', async () => {
    const size = mirror.files.get(ZIP)!.length
    mirror.failNext(ZIP, ...Array.from({ length: 4 }, () => ({ truncateAt: 100 })))

    await expect(install('1.11.2')).rejects.toThrow(
      new RegExp(
        `^Could not download packer_1\\.11\\.2_linux_amd64\\.zip from .*: ` +
          `(the download stopped|the connection broke) after \\d+ of ${size} bytes.*\\(tried 4 times\\)$`
      )
    )
    expect(sleep).toHaveBeenCalledTimes(3)
    expect(existsSync(join(toolCache, 'packer'))).toBe(false)
  })

  it('retries server errors with capped, jittered backoff', async () => {
    mirror.failNext(INDEX, { status: 503 }, { status: 502 }, { status: 500 })

    const installed = await install('1.11.2', {
      retry: { sleep, random: () => 0.5, baseDelayMs: 1000, maxDelayMs: 3000 }
    })

    expect(installed.source).toBe('download')
    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([500, 1000, 1500])
  })

  it('gives up after the last try on a server that keeps failing', async () => {
    mirror.failNext(SUMS, ...Array.from({ length: 4 }, () => ({ status: 503 })))

    await expect(install('1.11.2')).rejects.toThrow(
      new RegExp(
        '^Could not download packer_1\\.11\\.2_SHA256SUMS from .*: ' +
          'HTTP 503 Service Unavailable \\(tried 4 times\\)$'
      )
    )
  })
})

describe('installPacker from a mirror behind basic auth', () => {
  const credentials = { user: 'ci', password: 'M1rr0rPa55' }
  let locked: ReleasesMirror

  beforeEach(async () => {
    locked = await startReleasesMirror({
      versions: ['1.11.2'],
      signingKey,
      basicAuth: credentials,
      redirects: { [ZIP]: 'elsewhere' }
    })
  })
  afterEach(() => locked.close())

  const lockedInstall = () => install('1.11.2', { releasesUrl: locked.url, releasesCredentials: credentials })

  it('follows a redirect given as a path on the mirror, with the credentials', async () => {
    const moved = await startReleasesMirror({ versions: ['1.11.2'], signingKey, basicAuth: credentials, redirects: { [SUMS]: 'here' } })
    try {
      const installed = await install('1.11.2', { releasesUrl: moved.url, releasesCredentials: credentials })
      expect(installed.source).toBe('download')
      expect(moved.requests).toEqual([INDEX, SUMS, `/moved${SUMS}`, SIG, ZIP])
      expect(new Set(moved.received.map((request) => request.authorization))).toEqual(
        new Set([`Basic ${Buffer.from('ci:M1rr0rPa55').toString('base64')}`])
      )
    } finally {
      await moved.close()
    }
  })

  it('says the mirror refused the credentials when it answers 403, without retrying', async () => {
    locked.failNext(INDEX, { status: 403 })

    await expect(lockedInstall()).rejects.toThrow(
      `packer-releases-url: the mirror refused the user and password in the URL: ${locked.url}${INDEX} answered HTTP 403 Forbidden`
    )
    expect(sleep).not.toHaveBeenCalled()
  })

  it('names the origin a redirect led to when that server refuses the download, and not the credentials', async () => {
    // A presigned URL that has expired
    locked.failNext(ZIP, { status: 403 })

    await expect(lockedInstall()).rejects.toThrow(
      `Could not download packer_1.11.2_linux_amd64.zip from ${locked.url}${ZIP}: ` +
        `HTTP 403 Forbidden from ${locked.elsewhereUrl}, where a redirect led`
    )
    expect(locked.received.at(-1)).toEqual({ server: 'elsewhere', path: ZIP, authorization: undefined })
  })
})
