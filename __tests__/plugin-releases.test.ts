// Which installed plugin releases Packer loads (src/plugins/releases.ts), read from Packer's
// packer/plugin-getter: the post step leaves the others out of the plugin cache.
import { describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { constraintCheck, heldRelease, pinnedVersion, releasesLeftOut } from '../src/plugins/releases.js'

const amazon = 'github.com/hashicorp/amazon'
/** A release as Packer installs it: the binary and its checksum file. */
const release = (version: string, tail = 'x5.0_linux_amd64') => [
  `${amazon}/packer-plugin-amazon_v${version}_${tail}`,
  `${amazon}/packer-plugin-amazon_v${version}_${tail}_SHA256SUM`
]
const releases = (...versions: string[]) => versions.flatMap((version) => release(version))
/** The versions left out of amazon's releases among `files`, for the job's `constraints` on it. */
function versionsLeftOut(files: string[], constraints: Array<string | undefined>, packer = '1.11.2'): string[] {
  const plugins = constraints.map((constraint) => (constraint === undefined ? { source: amazon } : { source: amazon, constraint }))
  return releasesLeftOut(files, plugins, packer).map(([binary]) => /_v([^_]+)_/.exec(binary)![1])
}

describe('constraintCheck', () => {
  const passing = (constraint: string, versions: string[]) => versions.filter(constraintCheck(constraint)!)
  const versions = ['0.9.0', '1.0.0', '1.0.1', '1.1.0', '1.3.0', '1.10.0', '2.0.0']

  it('reads the pessimistic operator as Packer does: ~> 1.0.0 keeps the minor, ~> 1.3 the major', () => {
    expect(passing('~> 1.0.0', versions)).toEqual(['1.0.0', '1.0.1'])
    expect(passing('~> 1.3', versions)).toEqual(['1.3.0', '1.10.0'])
    expect(passing('~>1', versions)).toEqual(['1.0.0', '1.0.1', '1.1.0', '1.3.0', '1.10.0', '2.0.0'])
  })

  it('reads comparisons, several joined by commas, and a bare version as =', () => {
    expect(passing('>= 1.1, < 2', versions)).toEqual(['1.1.0', '1.3.0', '1.10.0'])
    expect(passing('v1.0.1', versions)).toEqual(['1.0.1'])
    expect(passing('!= 1.0.0, <= 1.1', versions)).toEqual(['0.9.0', '1.0.1', '1.1.0'])
    expect(passing('> 1.3.0', versions)).toEqual(['1.10.0', '2.0.0'])
  })

  it('knows no constraint Packer would refuse, nor one with a pre-release', () => {
    expect(constraintCheck('latest')).toBeUndefined()
    expect(constraintCheck('>= 1.0.0-beta')).toBeUndefined()
    expect(constraintCheck('')).toBeUndefined()
  })
})

describe('pinnedVersion', () => {
  it('is the one version an exact constraint lets through, padded as Packer compares it', () => {
    expect(pinnedVersion('1.3.2')).toBe('1.3.2')
    expect(pinnedVersion('= 1.3.2')).toBe('1.3.2')
    expect(pinnedVersion('=v1.3.2')).toBe('1.3.2')
    expect(pinnedVersion(' v1.3 ')).toBe('1.3.0')
  })

  it('is none for a range, whose newest release may change, nor for a constraint Packer refuses', () => {
    for (const range of ['>= 1.3.2', '~> 1.3.2', '!= 1.3.2', '< 2', '1.3.2, < 2', '>= 1.3.2, <= 1.3.2', 'latest', '= 1.3.2-beta', '']) {
      expect(pinnedVersion(range)).toBeUndefined()
    }
  })
})

describe('releasesLeftOut', () => {
  it('leaves out the older releases of a plugin with no constraint, with their checksum files', () => {
    expect(releasesLeftOut(releases('1.0.0', '1.1.0', '1.2.0'), [{ source: amazon }], '1.11.2')).toEqual([
      release('1.0.0'),
      release('1.1.0')
    ])
  })

  it('keeps the newest release that passes each constraint, and the newest of all', () => {
    const files = releases('1.0.0', '1.0.1', '1.1.0', '1.2.0')
    expect(versionsLeftOut(files, ['~> 1.0.0'])).toEqual(['1.0.0', '1.1.0'])
    expect(versionsLeftOut(files, ['~> 1.0.0', '>= 1.0, < 1.2'])).toEqual(['1.0.0'])
    expect(versionsLeftOut(files, [undefined])).toEqual(['1.0.0', '1.0.1', '1.1.0'])
  })

  it('keeps every release of a plugin with a constraint Packer would refuse', () => {
    expect(versionsLeftOut(releases('1.0.0', '1.1.0'), ['latest'])).toEqual([])
  })

  it('keeps, beside the newest, the release this Packer loads: by version since 1.11, by file name in 1.10, by text before', () => {
    const tens = releases('1.9.0', '1.10.0')
    const patches = releases('1.1.1', '1.1.10')
    expect(versionsLeftOut(tens, [undefined], '1.11.2')).toEqual(['1.9.0'])
    expect(versionsLeftOut(patches, [undefined], '1.11.2')).toEqual(['1.1.1'])
    // packer-plugin-amazon_v1.9.0_… sorts after …_v1.10.0_…, and …_v1.1.1_… after …_v1.1.10_….
    expect(versionsLeftOut(tens, [undefined], '1.10.3')).toEqual([])
    expect(versionsLeftOut(patches, [undefined], '1.10.3')).toEqual([])
    // "v1.9.0" sorts after "v1.10.0", but "v1.1.10" after "v1.1.1".
    expect(versionsLeftOut(tens, ['>= 1.0'], '1.9.5')).toEqual([])
    expect(versionsLeftOut(patches, ['>= 1.0'], '1.9.5')).toEqual(['1.1.1'])
  })

  it('keeps a release for each protocol, OS and architecture', () => {
    const files = [
      ...release('1.0.0'),
      ...release('1.1.0'),
      ...release('1.0.0', 'x5.1_linux_amd64'),
      ...release('1.0.0', 'x5.0_darwin_arm64'),
      ...release('1.0.0', 'x5.0_windows_amd64.exe'),
      ...release('0.9.0', 'x5.0_windows_amd64.exe')
    ]
    expect(releasesLeftOut(files, [{ source: amazon }], '1.11.2')).toEqual([
      release('1.0.0'),
      release('0.9.0', 'x5.0_windows_amd64.exe')
    ])
  })

  it('leaves every file of a plugin the job does not name, and every file that is not a release Packer could load', () => {
    const files = [
      ...releases('1.0.0', '1.1.0').map((file) => file.replaceAll('amazon', 'docker')),
      // No checksum: Packer does not load it.
      `${amazon}/packer-plugin-amazon_v1.2.0_x5.0_linux_amd64`,
      // A pre-release, and a version Packer reads as no version.
      ...release('1.2.0-dev'),
      ...release('1.02.0'),
      `${amazon}/notes.txt`,
      ...release('1.1.0'),
      ...release('1.0.0')
    ]
    expect(releasesLeftOut(files, [{ source: amazon }], '1.11.2')).toEqual([release('1.0.0')])
    expect(releasesLeftOut(files, [{ source: 'GitHub.com/HashiCorp/Amazon' }], '1.11.2')).toEqual([release('1.0.0')])
  })
})

describe('heldRelease', () => {
  /** A plugin folder holding `files` (paths in it), each binary with the text `plugin <its name>`. */
  function pluginFolder(files: string[], tampered: string[] = []): string {
    const folder = mkdtempSync(join(tmpdir(), 'held-release-'))
    for (const file of files.filter((name) => !name.endsWith('_SHA256SUM'))) {
      mkdirSync(join(folder, file, '..'), { recursive: true })
      writeFileSync(join(folder, file), `plugin ${file}`)
      const sum = createHash('sha256').update(tampered.includes(file) ? 'something else' : `plugin ${file}`).digest('hex')
      if (files.includes(`${file}_SHA256SUM`)) writeFileSync(join(folder, `${file}_SHA256SUM`), `${sum}\n`)
    }
    return folder
  }
  const held = async (files: string[], constraint?: string, platform: NodeJS.Platform = 'linux', arch = 'x64', tampered: string[] = []) => {
    const folder = pluginFolder(files, tampered)
    try {
      return await heldRelease([join(folder, 'none'), folder], constraint === undefined ? { source: amazon } : { source: amazon, constraint }, platform, arch)
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  }

  it("finds the newest release passing the constraint, for the runner's OS and architecture", async () => {
    expect(await held(releases('1.0.0', '1.10.0', '1.2.0'))).toBe('1.10.0')
    expect(await held(releases('1.0.0', '1.10.0', '1.2.0'), '~> 1.0.0')).toBe('1.0.0')
    expect(await held(releases('1.0.0'), '>= 1.1')).toBeUndefined()
    expect(await held([...release('1.0.0', 'x5.0_windows_amd64.exe'), ...release('1.1.0')], undefined, 'win32', 'x64')).toBe('1.0.0')
    expect(await held(release('1.0.0', 'x5.0_darwin_arm64'), undefined, 'darwin', 'arm64')).toBe('1.0.0')
    expect(await held(release('1.0.0', 'x5.0_darwin_arm64'))).toBeUndefined()
  })

  it('takes no release Packer would not load: without its _SHA256SUM, not matching it, of another protocol or name', async () => {
    expect(await held([`${amazon}/packer-plugin-amazon_v1.2.0_x5.0_linux_amd64`])).toBeUndefined()
    expect(await held(releases('1.0.0', '1.2.0'), undefined, 'linux', 'x64', [`${amazon}/packer-plugin-amazon_v1.2.0_x5.0_linux_amd64`])).toBe('1.0.0')
    expect(await held(release('1.2.0', 'x4.0_linux_amd64'))).toBeUndefined()
    expect(await held(releases('1.2.0').map((file) => file.replace('plugin-amazon', 'plugin-docker')))).toBeUndefined()
    expect(await held([...release('1.2.0-dev'), ...release('1.02.0')])).toBeUndefined()
    // A constraint Packer refuses: Packer failed on it, not on its source.
    expect(await held(releases('1.0.0'), '>= banana')).toBeUndefined()
  })
})
