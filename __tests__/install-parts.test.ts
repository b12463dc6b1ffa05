// The installer's pure parts: version requests, release index resolution, `packer version`
// output, platform names, SHA256SUMS lines and detached signatures.
import { describe, expect, it } from '@jest/globals'
import * as openpgp from 'openpgp'
import { parseVersionRequest } from '../src/inputs/packer-version.js'
import { parsePackerVersion } from '../src/install/version-answer.js'
import { packerExecutableName, releasePlatform } from '../src/install/platform.js'
import {
  findBuild,
  findSignature,
  resolveVersion,
  type ReleaseIndex
} from '../src/install/releases.js'
import {
  expectedSha256,
  formatFingerprint,
  keyIdsOf,
  readTrustedKey,
  verifyDetachedSignature
} from '../src/install/verify.js'
import { signDetached } from '../test-support/releases-mirror/index.js'

function index(versions: string[]): ReleaseIndex {
  return {
    url: 'https://mirror.test/packer/index.json',
    versions: Object.fromEntries(
      versions.map((version) => [
        version,
        {
          version,
          builds: [{ os: 'linux', arch: 'amd64', filename: `packer_${version}_linux_amd64.zip` }]
        }
      ])
    )
  }
}

describe('parseVersionRequest', () => {
  it.each([
    ['latest', { kind: 'latest' }],
    ['', { kind: 'latest' }],
    ['1.11.2', { kind: 'exact', version: '1.11.2' }],
    ['v1.11.2', { kind: 'exact', version: '1.11.2' }],
    ['1.12.0-beta1', { kind: 'exact', version: '1.12.0-beta1' }],
    ['~1.11', { kind: 'range', range: '~1.11' }],
    ['>=1.10 <2', { kind: 'range', range: '>=1.10 <2' }],
    ['1.11', { kind: 'range', range: '1.11' }]
  ])('reads %p', (spec, request) => {
    expect(parseVersionRequest(spec)).toEqual(request)
  })

  it('is undefined for anything else, which the inputs report', () => {
    expect(parseVersionRequest('newest')).toBeUndefined()
  })
})

describe('resolveVersion', () => {
  const releases = index(['1.9.5', '1.10.3', '1.11.2', '1.12.0-beta1', '1.12.0+ent', 'nightly'])

  it('takes the highest stable release for latest', () => {
    expect(resolveVersion(releases, { kind: 'latest' })).toBe('1.11.2')
  })

  it('takes an exact prerelease only when asked for it', () => {
    expect(resolveVersion(releases, { kind: 'exact', version: '1.12.0-beta1' })).toBe('1.12.0-beta1')
    expect(resolveVersion(releases, { kind: 'range', range: '>=1.11' })).toBe('1.11.2')
  })

  it('ignores names that are not plain semantic versions', () => {
    expect(() => resolveVersion(releases, { kind: 'exact', version: '1.12.0' })).toThrow(
      'Packer 1.12.0 is not in https://mirror.test/packer/index.json'
    )
  })

  it('says when an index has no stable release', () => {
    expect(() => resolveVersion(index(['2.0.0-alpha1']), { kind: 'latest' })).toThrow(
      'https://mirror.test/packer/index.json lists no stable Packer release'
    )
  })
})

describe('findBuild', () => {
  it('defaults the sums file names to the HashiCorp layout', () => {
    expect(findBuild(index(['1.11.2']), '1.11.2', { os: 'linux', arch: 'amd64' })).toEqual({
      build: { os: 'linux', arch: 'amd64', filename: 'packer_1.11.2_linux_amd64.zip' },
      sumsName: 'packer_1.11.2_SHA256SUMS'
    })
    expect(findSignature(index(['1.11.2']), '1.11.2', [])).toEqual({
      name: 'packer_1.11.2_SHA256SUMS.sig',
      listed: []
    })
  })

  it('refuses file names that would leave the version folder', () => {
    const releases = index(['1.11.2'])
    releases.versions['1.11.2'].builds[0].filename = '../../evil.zip'

    expect(() => findBuild(releases, '1.11.2', { os: 'linux', arch: 'amd64' })).toThrow(
      'lists an unexpected file name for Packer 1.11.2: "../../evil.zip"'
    )
  })
})

describe('findSignature', () => {
  // As HashiCorp's index lists them: one file per signing key, then the plain one.
  function signed(...names: unknown[]) {
    const releases = index(['1.9.4'])
    Object.assign(releases.versions['1.9.4'], {
      shasums_signature: 'packer_1.9.4_SHA256SUMS.sig',
      shasums_signatures: names
    })
    return releases
  }
  const hashicorpIndex = signed('packer_1.9.4_SHA256SUMS.72D7468F.sig', 'packer_1.9.4_SHA256SUMS.sig')

  it("takes the file named with the pinned HashiCorp key's ID", async () => {
    const ids = keyIdsOf(await readTrustedKey(undefined))

    expect(findSignature(hashicorpIndex, '1.9.4', ids)).toMatchObject({
      name: 'packer_1.9.4_SHA256SUMS.72D7468F.sig',
      keyId: '72D7468F'
    })
  })

  it("matches a subkey's ID, short or long, in any case", () => {
    const ids = ['34365D9472D7468F', 'C820C6D5CD27AB87']

    expect(findSignature(signed('packer_1.9.4_SHA256SUMS.cd27ab87.sig'), '1.9.4', ids).name).toBe(
      'packer_1.9.4_SHA256SUMS.cd27ab87.sig'
    )
    expect(findSignature(signed('packer_1.9.4_SHA256SUMS.C820C6D5CD27AB87.sig'), '1.9.4', ids).name).toBe(
      'packer_1.9.4_SHA256SUMS.C820C6D5CD27AB87.sig'
    )
  })

  it('falls back to shasums_signature when no listed file is named with the key', () => {
    expect(findSignature(hashicorpIndex, '1.9.4', ['0123456789ABCDEF'])).toEqual({
      name: 'packer_1.9.4_SHA256SUMS.sig',
      listed: ['packer_1.9.4_SHA256SUMS.72D7468F.sig', 'packer_1.9.4_SHA256SUMS.sig']
    })
    expect(findSignature(signed(42, null), '1.9.4', ['34365D9472D7468F']).name).toBe(
      'packer_1.9.4_SHA256SUMS.sig'
    )
  })

  it('refuses a chosen name that would leave the version folder', () => {
    expect(() => findSignature(signed('../x.72D7468F.sig'), '1.9.4', ['34365D9472D7468F'])).toThrow(
      'lists an unexpected file name for Packer 1.9.4: "../x.72D7468F.sig"'
    )
  })
})

describe('parsePackerVersion', () => {
  it('reads machine-readable output', () => {
    const output = [
      '1700000000,,version,1.6.6',
      '1700000000,,version-prelease,',
      '1700000000,,version-commit,abc'
    ].join('\n')
    expect(parsePackerVersion(output)).toBe('1.6.6')
  })

  it('reads plain output, as older and newer Packers print it', () => {
    expect(parsePackerVersion('Packer v1.11.2\n\nYour version of Packer is out of date!')).toBe(
      '1.11.2'
    )
    expect(parsePackerVersion('Packer v1.12.0-dev (abcdef)\r\n')).toBe('1.12.0-dev')
  })

  it('finds nothing in the output of something else called packer', () => {
    expect(parsePackerVersion('Usage: packer [dictionary]\n')).toBeUndefined()
  })
})

describe('releasePlatform', () => {
  it.each([
    ['linux', 'x64', 'linux', 'amd64'],
    ['linux', 'arm64', 'linux', 'arm64'],
    ['darwin', 'arm64', 'darwin', 'arm64'],
    ['darwin', 'x64', 'darwin', 'amd64'],
    ['win32', 'x64', 'windows', 'amd64'],
    ['linux', 'ia32', 'linux', '386']
  ])('maps Node %s/%s to HashiCorp %s/%s', (platform, arch, os, goArch) => {
    expect(releasePlatform(platform, arch)).toEqual({ os, arch: goArch })
  })

  it('maps Node win32/arm64 to windows/arm64, and to the windows/amd64 build Windows on Arm emulates', () => {
    expect(releasePlatform('win32', 'arm64')).toEqual({
      os: 'windows',
      arch: 'arm64',
      emulated: { os: 'windows', arch: 'amd64', reason: 'Windows on Arm runs amd64 programs by emulation' }
    })
  })

  it('names the executable packer.exe on Windows only', () => {
    expect(packerExecutableName('win32')).toBe('packer.exe')
    expect(packerExecutableName('linux')).toBe('packer')
  })
})

describe('expectedSha256', () => {
  const sums = [
    `${'a'.repeat(64)}  packer_1.11.2_darwin_arm64.zip`,
    `${'B'.repeat(64)} *packer_1.11.2_linux_amd64.zip`,
    ''
  ].join('\r\n')

  it('finds the line for the file, in text or binary mode, lower-cased', () => {
    expect(expectedSha256(sums, 'SUMS', 'packer_1.11.2_linux_amd64.zip')).toBe('b'.repeat(64))
  })

  it('says which file has no line', () => {
    expect(() => expectedSha256(sums, 'SUMS', 'packer_1.11.2_linux_arm64.zip')).toThrow(
      'SUMS has no SHA-256 line for packer_1.11.2_linux_arm64.zip'
    )
  })
})

describe('verifyDetachedSignature', () => {
  it('accepts an armored signature and one made by a subkey of the trusted key', async () => {
    const { privateKey, publicKey } = await openpgp.generateKey({
      userIDs: [{ name: 'Mirror' }],
      subkeys: [{ sign: true }],
      format: 'object'
    })
    const data = Buffer.from('abc  packer.zip\n')
    const armored = await openpgp.sign({
      message: await openpgp.createMessage({ binary: data }),
      signingKeys: privateKey,
      detached: true
    })
    const trusted = { key: publicKey, description: 'the test key' }

    await expect(
      verifyDetachedSignature({
        data,
        dataName: 'SUMS',
        signature: Buffer.from(armored),
        signatureName: 'SUMS.asc',
        trusted
      })
    ).resolves.toBeUndefined()
    await expect(
      verifyDetachedSignature({
        data,
        dataName: 'SUMS',
        signature: await signDetached(data, privateKey),
        signatureName: 'SUMS.sig',
        trusted
      })
    ).resolves.toBeUndefined()
  })

  it('rejects a signature of other data, even though verify() itself resolves', async () => {
    const { privateKey, publicKey } = await openpgp.generateKey({
      userIDs: [{ name: 'Mirror' }],
      format: 'object'
    })
    const signature = await signDetached(Buffer.from('abc  packer.zip\n'), privateKey)

    await expect(
      verifyDetachedSignature({
        data: Buffer.from('abd  packer.zip\n'),
        dataName: 'SUMS',
        signature,
        signatureName: 'SUMS.sig',
        trusted: { key: publicKey, description: 'the test key' }
      })
    ).rejects.toThrow(/^SUMS\.sig does not match SUMS: the signature by the test key .* is invalid/)
  })
})

describe('formatFingerprint', () => {
  it('groups by four with a wider gap in the middle', () => {
    expect(formatFingerprint('c874011f0ab405110d02105534365d9472d7468f')).toBe(
      'C874 011F 0AB4 0511 0D02  1055 3436 5D94 72D7 468F'
    )
  })
})
