// Build names and their order from `packer inspect`, with the real Packer.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildsFromInspect, InspectFailed, inspectBuilds } from '../src/packer/inspect.js'
import { packerStandIn } from '../test-support/packer-stand-in/index.js'
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

describe('packer inspect that never ends (a data source whose service does not answer)', () => {
  it('is stopped at its deadline, with an error that says so', async () => {
    const standIn = packerStandIn('1.11.2', { inspectHangs: true })
    const inspecting = inspectBuilds(standIn.path, '.', {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH, CHECKPOINT_DISABLE: '1' },
      deadlineMs: 300
    })
    const failure = await inspecting.then(
      () => undefined,
      (error: unknown) => error
    )
    expect(failure).toBeInstanceOf(InspectFailed)
    expect((failure as InspectFailed).timedOut).toBe(true)
    expect((failure as InspectFailed).message).toBe(
      'packer inspect . did not finish within 0.3 s and was stopped. ' +
        "For inspect, Packer runs the template's data sources: one of them may be waiting for a service that does not answer"
    )
    expect(standIn.calls().map((call) => call.args)).toEqual([['inspect', '-machine-readable', '.']])
  })

  it('fails, saying what Packer said, when Packer cannot inspect', async () => {
    const standIn = packerStandIn('1.11.2')
    await expect(
      inspectBuilds(standIn.path, 'ami.pkr.hcl', { cwd: tmpdir(), env: { PATH: process.env.PATH }, deadlineMs: 5_000 })
    ).rejects.toThrow(new InspectFailed('packer inspect ami.pkr.hcl failed: unknown command inspect'))
  })
})
