// Reuse of an HCL2 build whose source AMI a data source picks (`source_ami =
// data.amazon-ami.base.id`, or an `amazon-parameterstore` block's value, as most current templates
// pick the newest base AMI): through the bundled action, with a Packer stand-in (Packer 1.6.6, the
// one here, has no data sources) and the loopback EC2 and SSM endpoint. Before the look-up for a
// set to reuse, the action runs the data source's call as Packer does (DescribeImages, or
// GetParameter), in the data source's region, and fingerprints the AMI it picks: a newer base AMI
// builds; where the data source names credentials of its own, or its parameter holds no AMI ID,
// the run that reuses says so on source_ami.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EC2Client, RegisterImageCommand } from '@aws-sdk/client-ec2'
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm'
import { readCalls, standInOnPath } from '../test-support/packer-stand-in/index.js'
import { SELF_ACCOUNT_ID, startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { loopbackClientConfig } from './support/endpoint-per-test.js'
import { parseCommands, runAction, type ActionRun } from './support/action-process.js'

const template = (dataSourceSettings = ''): string => `data "amazon-ami" "base" {
  filters = {
    name = "golden-base-*"
  }
  owners      = ["self"]
  most_recent = true
  region      = "eu-west-1"${dataSourceSettings}
}

source "amazon-ebs" "web" {
  ami_name      = "web"
  instance_type = "t3.micro"
  ssh_username  = "ec2-user"
  source_ami    = data.amazon-ami.base.id
}

build {
  sources = ["source.amazon-ebs.web"]

  post-processor "manifest" {}
}
`
const oldBase = 'ami-0ba5e00000000aaaa'
/** Base AMIs in the workflow's region that an SSM parameter names, one after the other. */
const publishedBases = ['ami-0ba5e00000000bbbb', 'ami-0ba5e00000000cccc']
/** What the stand-in "builds" in each run: a set of its own each time. */
const builtSets = ['ami-0d5a0000000000001', 'ami-0d5a0000000000002', 'ami-0d5a0000000000003']

describe('reuse of a build whose source_ami a data source gives, through the bundled action', () => {
  let workspace: string
  /** Where the stand-in records its calls: outside the workspace, which the fingerprint covers. */
  let records: string
  let endpoint: Ec2Endpoint
  beforeEach(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'workspace-'))
    records = mkdtempSync(join(tmpdir(), 'stand-in-calls-'))
    endpoint = await startEc2Endpoint({
      regions: ['us-east-1', 'eu-west-1'],
      seedImages: [
        { imageId: oldBase, name: 'golden-base-1', ownerId: SELF_ACCOUNT_ID, regions: ['eu-west-1'], snapshotId: 'snap-0ba5e00000000aaaa', creationDate: '2026-01-05T10:00:00.000Z' },
        ...publishedBases.map((imageId, index) => ({ imageId, name: `golden-base-us-${index + 1}`, ownerId: SELF_ACCOUNT_ID, regions: ['us-east-1'] })),
        ...builtSets.map((imageId, index) => ({ imageId, name: `web-${index + 1}`, ownerId: SELF_ACCOUNT_ID, regions: ['us-east-1'] }))
      ]
    })
  })
  afterEach(async () => {
    await endpoint.close()
    rmSync(workspace, { recursive: true, force: true })
    rmSync(records, { recursive: true, force: true })
  })

  const argsLog = (): string => join(records, 'calls.log')
  const builds = (): number => readCalls(argsLog()).filter((call) => call.args[0] === 'build').length
  const notices = (result: ActionRun) => parseCommands(result.stdout, 'notice').filter(({ properties }) => properties.title === 'Reuse')
  const run = (set: string, inputs: Record<string, string> = {}): Promise<ActionRun> =>
    runAction({
      workspace,
      inputs: { 'packer-version': '1.6.6', template: 'ami.pkr.hcl', reuse: 'true', 'aws-region': 'us-east-1', ...inputs },
      env: {
        ...standInOnPath(argsLog()),
        STANDIN_AMIS: JSON.stringify([{ build: 'web', regions: { 'us-east-1': set } }]),
        AWS_ENDPOINT_URL_EC2: endpoint.url,
        AWS_ENDPOINT_URL_SSM: endpoint.url,
        AWS_ACCESS_KEY_ID: 'AKIDLOOPBACK',
        AWS_SECRET_ACCESS_KEY: 'loopback-secret'
      }
    })
  /** A base AMI newer than any the data source matches, as a team publishes a patched one. */
  const registerNewerBase = async (): Promise<string> => {
    const ec2 = new EC2Client(loopbackClientConfig(endpoint, 'eu-west-1'))
    const { ImageId } = await ec2.send(
      new RegisterImageCommand({
        Name: 'golden-base-2',
        RootDeviceName: '/dev/xvda',
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-0ba5e00000000aaaa' } }]
      })
    )
    return ImageId as string
  }

  it("the same base reuses the set; a newer one the data source picks in its own region builds, and the run after reuses that", async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), template())
    const first = await run(builtSets[0])
    expect(first.errors).toEqual([])
    expect(first.exitCode).toBe(0)
    expect(first.stdout).toContain(`The data source data.amazon-ami.base of build amazon-ebs.web picks ${oldBase} in eu-west-1 now: the fingerprint covers it.`)
    // Asked as Packer's data source asks: in its region, with its filters and owners, deprecated AMIs left out.
    expect(endpoint.calls.find((call) => call.action === 'DescribeImages' && call.params['Filter.1.Name'] === 'name')).toMatchObject({
      region: 'eu-west-1',
      params: { 'Filter.1.Value.1': 'golden-base-*', 'Owner.1': 'self', IncludeDeprecated: 'false' }
    })
    expect(notices(first)).toEqual([])
    expect(builds()).toBe(1)

    const same = await run(builtSets[1])
    expect(same.errors).toEqual([])
    expect(same.exitCode).toBe(0)
    expect(builds()).toBe(1)
    expect(same.outputs['ami-id']).toBe(builtSets[0])
    expect(notices(same)).toEqual([])

    const patched = await registerNewerBase()
    const rebuilt = await run(builtSets[1])
    expect(rebuilt.errors).toEqual([])
    expect(rebuilt.exitCode).toBe(0)
    expect(builds()).toBe(2)
    expect(rebuilt.outputs['ami-id']).toBe(builtSets[1])
    expect(rebuilt.stdout).toContain(`picks ${patched} in eu-west-1 now`)

    const after = await run(builtSets[2])
    expect(after.exitCode).toBe(0)
    expect(builds()).toBe(2)
    expect(after.outputs['ami-id']).toBe(builtSets[1])
  }, 300_000)

  it('a set built by a run without reuse is found by the first run with it, the base unchanged', async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), template())
    const first = await run(builtSets[0], { reuse: 'false' })
    expect(first.errors).toEqual([])
    expect(first.exitCode).toBe(0)
    // Looked up beside the build, and logged with the fingerprint the AMIs are tagged with.
    expect(first.stdout).toContain(`The data source data.amazon-ami.base of build amazon-ebs.web picks ${oldBase} in eu-west-1 now: the fingerprint covers it.`)
    const tagged = endpoint.calls.find((call) => call.action === 'CreateTags' && Object.values(call.params).includes('BuildFingerprint'))
    expect(tagged).toBeDefined()
    const reused = await run(builtSets[1])
    expect(reused.errors).toEqual([])
    expect(reused.exitCode).toBe(0)
    expect(builds()).toBe(1)
    expect(reused.outputs['ami-id']).toBe(builtSets[0])
  }, 300_000)

  it('a data source with credentials of its own: the set is reused, and a notice on source_ami says why', async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), template('\n  profile     = "images"'))
    const first = await run(builtSets[0])
    expect(first.errors).toEqual([])
    expect(first.exitCode).toBe(0)
    await registerNewerBase()
    const second = await run(builtSets[1])
    expect(second.exitCode).toBe(0)
    expect(builds()).toBe(1)
    expect(second.outputs['ami-id']).toBe(builtSets[0])
    const [notice, ...others] = notices(second)
    expect(others).toEqual([])
    expect(notice.properties).toMatchObject({ file: 'ami.pkr.hcl', line: '15' })
    expect(notice.message).toContain('or from a data source the action does not look up: one other than amazon-ami and amazon-parameterstore, or with credentials of its own')
  }, 300_000)

  it('a data "amazon-parameterstore" block, as AWS publishes the newest base: a new value of the parameter builds from it', async () => {
    const name = '/golden/base/latest'
    const publish = async (value: string): Promise<void> => {
      const ssm = new SSMClient(loopbackClientConfig(endpoint, 'us-east-1'))
      await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', DataType: 'aws:ec2:image', Overwrite: true }))
    }
    const [base, patched] = publishedBases
    await publish(base)
    writeFileSync(
      join(workspace, 'ami.pkr.hcl'),
      template()
        .replace('source_ami    = data.amazon-ami.base.id', 'source_ami    = data.amazon-parameterstore.base.value')
        .replace(/^data "amazon-ami"[^]*?\n}\n/, `data "amazon-parameterstore" "base" {\n  name = "${name}"\n}\n`)
    )
    const first = await run(builtSets[0])
    expect(first.errors).toEqual([])
    expect(first.exitCode).toBe(0)
    expect(first.stdout).toContain(`The data source data.amazon-parameterstore.base of build amazon-ebs.web picks ${base} in us-east-1 now: the fingerprint covers it.`)
    expect(notices(first)).toEqual([])

    const same = await run(builtSets[1])
    expect(same.exitCode).toBe(0)
    expect(builds()).toBe(1)
    expect(same.outputs['ami-id']).toBe(builtSets[0])

    await publish(patched)
    const rebuilt = await run(builtSets[1])
    expect(rebuilt.errors).toEqual([])
    expect(rebuilt.exitCode).toBe(0)
    expect(builds()).toBe(2)
    expect(rebuilt.outputs['ami-id']).toBe(builtSets[1])
    expect(rebuilt.stdout).toContain(`picks ${patched} in us-east-1 now`)
    expect(notices(rebuilt)).toEqual([])
  }, 300_000)

  it('a parameter that holds no AMI ID (a SecureString): its value is never shown, and the run that reuses says why it cannot tell the base', async () => {
    const ssm = new SSMClient(loopbackClientConfig(endpoint, 'us-east-1'))
    await ssm.send(new PutParameterCommand({ Name: '/golden/secret', Value: 'not-an-ami-hunter2', Type: 'SecureString' }))
    writeFileSync(
      join(workspace, 'ami.pkr.hcl'),
      template()
        .replace('source_ami    = data.amazon-ami.base.id', 'source_ami    = data.amazon-parameterstore.base.value')
        .replace(/^data "amazon-ami"[^]*?\n}\n/, 'data "amazon-parameterstore" "base" {\n  name = "/golden/secret"\n}\n')
    )
    const first = await run(builtSets[0])
    expect(first.exitCode).toBe(0)
    const second = await run(builtSets[1])
    expect(second.exitCode).toBe(0)
    expect(builds()).toBe(1)
    for (const result of [first, second]) expect(result.stdout + result.summary).not.toContain('hunter2')
    const [notice] = notices(second)
    expect(notice.properties).toMatchObject({ file: 'ami.pkr.hcl', line: '9' })
    expect(notice.message).toContain('(its data source data.amazon-parameterstore.base was read, and parameter /golden/secret in us-east-1 holds no AMI ID)')
  }, 300_000)
})
