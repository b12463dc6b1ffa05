// One build, one name: whether its AMIs come from the manifest or from Packer's output.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readBuiltAmis } from '../src/artifacts/index.js'

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
