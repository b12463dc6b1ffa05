// Build names and their order from `packer inspect`, with the real Packer.
import { afterAll, beforeAll, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildsFromInspect, inspectBuilds } from '../src/packer/inspect.js'
import { describeWithPacker, packer } from './support/runtimes.js'

const source = (name: string) => `source "amazon-ebs" "${name}" {\n  region = "us-east-1"\n  source_ami = "ami-1"\n  instance_type = "t3.micro"\n  ami_name = "${name}"\n  communicator = "none"\n}\n`

describeWithPacker('packer inspect', () => {
  let directory: string
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'inspect-'))
    // Files in name order, blocks in file order: b-sources.pkr.hcl is read after a-builds.pkr.hcl.
    writeFileSync(
      join(directory, 'a-builds.pkr.hcl'),
      'build {\n  sources = ["source.amazon-ebs.zeta", "source.amazon-ebs.alpha"]\n}\n' +
        'build {\n  name = "release"\n  sources = ["source.amazon-ebs.alpha"]\n}\n'
    )
    writeFileSync(join(directory, 'b-sources.pkr.hcl'), source('alpha') + source('zeta'))
  })
  afterAll(() => rmSync(directory, { recursive: true, force: true }))

  it('lists the builds in the order Packer reads them, named as -only names them', async () => {
    const env = { PATH: process.env.PATH, CHECKPOINT_DISABLE: '1' }
    expect(await inspectBuilds(packer as string, '.', { cwd: directory, env })).toEqual([
      'amazon-ebs.zeta',
      'amazon-ebs.alpha',
      'release.amazon-ebs.alpha'
    ])
  })

  it('reads the same from the output as printed', () => {
    const output = execFileSync(packer as string, ['inspect', '-machine-readable', '.'], {
      cwd: directory,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, CHECKPOINT_DISABLE: '1' }
    })
    expect(buildsFromInspect(output)).toHaveLength(3)
    expect(buildsFromInspect('')).toEqual([])
  })

  it('says what Packer said when it cannot read the template', async () => {
    writeFileSync(join(directory, 'c-broken.pkr.hcl'), 'build {\n  sources = [\n}\n')
    try {
      await expect(
        inspectBuilds(packer as string, '.', { cwd: directory, env: { PATH: process.env.PATH, CHECKPOINT_DISABLE: '1' } })
      ).rejects.toThrow(/^packer inspect \. failed: /)
    } finally {
      rmSync(join(directory, 'c-broken.pkr.hcl'))
    }
  })
})
