// One build, one name: whether its AMIs come from the manifest or from Packer's output.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keptApartFromTheLog, readBuiltAmis } from '../src/artifacts/index.js'
import { inTemplateOrder } from '../src/artifacts/manifest.js'

let directory: string
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'artifacts-'))
})
afterEach(() => rmSync(directory, { recursive: true, force: true }))

// An HCL2 manifest names a build by its source only; Packer's output says TYPE.NAME.
function writeManifest(path: string): void {
  writeFileSync(
    path,
    JSON.stringify({
      builds: [
        { name: 'ubuntu-lts', builder_type: 'amazon-ebs', artifact_id: 'us-west-1:ami-00000001', packer_run_uuid: 'run-1', custom_data: { a: '1' } },
        { name: 'gpu', builder_type: 'amazon-ebs', artifact_id: 'us-east-1:ami-00000002', packer_run_uuid: 'run-1' }
      ],
      last_run_uuid: 'run-1'
    })
  )
}

describe('readBuiltAmis', () => {
  it('names a manifest entry as Packer\'s output named the same AMI', () => {
    const path = join(directory, 'packer_manifest.json')
    writeManifest(path)
    const announced = [{ build: 'amazon-ebs.ubuntu-lts', builderId: 'mitchellh.amazonebs', id: 'us-west-1:ami-00000001' }]
    const read = readBuiltAmis(path, undefined, announced, ['amazon-ebs.ubuntu-lts', 'release.amazon-ebs.gpu'])
    expect(read.manifest).toBe(path)
    expect(read.amis.map((ami) => ami.build)).toEqual(['amazon-ebs.ubuntu-lts', 'release.amazon-ebs.gpu'])
    expect(read.outsideManifest).toEqual([])
  })

  it("names the builds the manifest has no entry of, whose AMIs only Packer's output gave, but not those it deregistered", () => {
    const path = join(directory, 'packer-manifest.json')
    writeManifest(path)
    const announced = [
      { build: 'amazon-ebs.ubuntu-lts', builderId: 'mitchellh.amazonebs', id: 'us-west-1:ami-00000001' },
      { build: 'amazon-ebs.worker', builderId: 'mitchellh.amazonebs', id: 'eu-west-1:ami-00000004,us-west-2:ami-00000003' },
      { build: 'amazon-ebs.gone', builderId: 'mitchellh.amazonebs', id: 'us-west-2:ami-00000005' }
    ]
    const names = ['amazon-ebs.ubuntu-lts', 'release.amazon-ebs.gpu', 'amazon-ebs.worker', 'amazon-ebs.gone']
    const read = readBuiltAmis(path, undefined, announced, names, undefined, [], new Set(['ami-00000005']))
    expect(read.manifest).toBe(path)
    expect(read.amis.map((ami) => ami.build)).toEqual(['amazon-ebs.ubuntu-lts', 'release.amazon-ebs.gpu', 'amazon-ebs.worker', 'amazon-ebs.worker'])
    expect(read.outsideManifest).toEqual(['amazon-ebs.worker'])
    // No manifest of this run: every build's AMIs are from the output, which the log says already.
    expect(readBuiltAmis(path, 'run-1', announced, names).outsideManifest).toEqual([])
  })

  it('keys apart, in the order they finished, the entries of builds Packer names alike, each taking its place of that name', () => {
    // Two HCL2 build blocks with no name that build one source: both entries are `demo`.
    const path = join(directory, 'packer-manifest.json')
    const entry = (artifactId: string) => ({ name: 'demo', builder_type: 'amazon-ebs', artifact_id: artifactId, packer_run_uuid: 'run-1' })
    writeFileSync(path, JSON.stringify({ builds: [entry('us-east-1:ami-0b,eu-west-1:ami-1b'), entry('us-east-1:ami-0a,eu-west-1:ami-1a')], last_run_uuid: 'run-1' }))
    const names = ['web.amazon-ebs.base', 'amazon-ebs.demo', 'amazon-ebs.demo']
    const read = readBuiltAmis(path, undefined, [], names)
    expect(read.amis.map(({ build, amiId }) => [build, amiId])).toEqual([
      ['amazon-ebs.demo', 'ami-0b'],
      ['amazon-ebs.demo', 'ami-1b'],
      ['amazon-ebs.demo#2', 'ami-0a'],
      ['amazon-ebs.demo#2', 'ami-1a']
    ])
    const base = { build: 'web.amazon-ebs.base', builderType: 'amazon-ebs', region: 'us-east-1', amiId: 'ami-0c' }
    expect(inTemplateOrder([...read.amis.slice(2), base, ...read.amis.slice(0, 2)], names).map(({ amiId }) => amiId)).toEqual(['ami-0c', 'ami-0b', 'ami-1b', 'ami-0a', 'ami-1a'])
  })

  it("keys apart the AMIs of builds named alike that only Packer's log named, before the one its output lists", () => {
    const ami = (build: string, amiId: string) => ({ build, builderType: 'amazon-ebs', region: 'us-east-1', amiId })
    const amis = keptApartFromTheLog([ami('amazon-ebs.demo', 'ami-0b'), ami('web', 'ami-0w')], [[ami('amazon-ebs.demo', 'ami-0a')], [ami('api', 'ami-0p')]])
    expect(amis.map(({ build, amiId }) => [build, amiId])).toEqual([
      ['amazon-ebs.demo#2', 'ami-0b'],
      ['web', 'ami-0w'],
      ['amazon-ebs.demo', 'ami-0a'],
      ['api', 'ami-0p']
    ])
  })

  it('gives the same names from the output alone', () => {
    const announced = [
      { build: 'amazon-ebs.ubuntu-lts', builderId: 'mitchellh.amazonebs', id: 'us-west-1:ami-00000001' },
      { build: 'release.amazon-ebs.gpu', builderId: 'mitchellh.amazonebs', id: 'us-east-1:ami-00000002' }
    ]
    const read = readBuiltAmis(join(directory, 'none.json'), undefined, announced, [])
    expect(read.manifest).toBeUndefined()
    expect(read.amis.map((ami) => ami.build)).toEqual(['amazon-ebs.ubuntu-lts', 'release.amazon-ebs.gpu'])
  })
})
