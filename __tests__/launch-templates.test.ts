// The launch template stage against the loopback EC2 endpoint, and what its report says of a
// region whose template already launches the AMI when a cancel cuts the stage short.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
  RegisterImageCommand,
  type DescribeLaunchTemplateVersionsCommandOutput
} from '@aws-sdk/client-ec2'
import { SELF_ACCOUNT_ID, SOURCE_AMI_ID, SOURCE_SNAPSHOT_ID, startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { loopbackClientConfig } from './support/endpoint-per-test.js'
import { rollLaunchTemplates } from '../src/aws/launch-templates.js'
import { reportLaunchTemplatesCutShort } from '../src/report/launch-templates.js'
import type { SummaryModel } from '../src/report/index.js'

let endpoint: Ec2Endpoint
let ec2: EC2Client

beforeEach(async () => {
  endpoint = await startEc2Endpoint()
  ec2 = new EC2Client(loopbackClientConfig(endpoint, 'us-east-1'))
})
afterEach(async () => {
  ec2.destroy()
  await endpoint.close()
})

it('a cancel after a region whose default already launches its AMI: the failure says so, and no version was made there', async () => {
  await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web', LaunchTemplateData: { ImageId: SOURCE_AMI_ID } }))
  const template = { name: 'web' }
  const finished = await rollLaunchTemplates({ template, amiIdsByRegion: { 'us-east-1': SOURCE_AMI_ID }, makeDefault: true, ec2For: () => ec2 })
  expect(endpoint.calls.map((call) => call.action)).toEqual(['CreateLaunchTemplate', 'DescribeLaunchTemplateVersions'])

  const summary: SummaryModel = { outcome: 'cancelled', template: 't.json', amis: [], problems: [], annotations: [], provenance: {} as SummaryModel['provenance'] }
  const byRegion = { 'us-east-1': SOURCE_AMI_ID, 'us-west-2': 'ami-0000000000000c002' }
  const said = reportLaunchTemplatesCutShort(template, byRegion, finished, 'cancelled', summary)
  expect(said).toBe('already launching its AMI in us-east-1; no answer yet in us-west-2')
  expect(summary.sections?.[0]).toContain(`| us-east-1 | \`${SOURCE_AMI_ID}\` | none: version 1, the default, already launches \`${SOURCE_AMI_ID}\` | yes |`)
  expect(summary.problems).toEqual([])
})

/** The calls that change a template, as "Action version" (the version made the default, for ModifyLaunchTemplate). */
const templateChanges = () =>
  endpoint.calls
    .filter((call) => ['CreateLaunchTemplateVersion', 'ModifyLaunchTemplate'].includes(call.action))
    .map((call) => (call.action === 'ModifyLaunchTemplate' ? `ModifyLaunchTemplate ${call.params.SetDefaultVersion}` : call.action))

describe.each(['once', 'twice'])('$Default and $Latest one version, which EC2 names %s', (named) => {
  beforeEach(() => {
    // The API reference does not say whether a version that is both is in the answer once or
    // twice; the loopback endpoint names it once, as it names every version asked for.
    if (named === 'twice') {
      ec2.middlewareStack.add(
        (next) => async (args) => {
          const answer = await next(args)
          const output = answer.output as Partial<DescribeLaunchTemplateVersionsCommandOutput>
          const [only, ...others] = output.LaunchTemplateVersions ?? []
          if (only !== undefined && others.length === 0) output.LaunchTemplateVersions = [only, { ...only }]
          return answer
        },
        { step: 'initialize', name: 'nameTheVersionTwice' }
      )
    }
  })

  it('a version is made and made the default, and a second roll for the AMI makes none', async () => {
    await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web', LaunchTemplateData: { ImageId: SOURCE_AMI_ID } }))
    const roll = () => rollLaunchTemplates({ template: { name: 'web' }, amiIdsByRegion: { 'us-east-1': 'ami-0000000000000c001' }, makeDefault: true, ec2For: () => ec2 })
    expect(await roll()).toEqual([expect.objectContaining({ outcome: 'updated', version: 2, madeDefault: true, madeEarlier: false })])
    expect(await roll()).toEqual([expect.objectContaining({ outcome: 'current', version: 2, isDefault: true })])
    expect(templateChanges()).toEqual(['CreateLaunchTemplateVersion', 'ModifyLaunchTemplate 2'])
    const answer = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'web', Versions: ['$Default', '$Latest'] }))
    expect(answer.LaunchTemplateVersions?.map((version) => version.VersionNumber)).toEqual(named === 'once' ? [2] : [2, 2])
  })

  it('with launch-template-default false, a version is added beside the default, and a second roll makes none', async () => {
    await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web', LaunchTemplateData: { ImageId: SOURCE_AMI_ID } }))
    const roll = () => rollLaunchTemplates({ template: { name: 'web' }, amiIdsByRegion: { 'us-east-1': 'ami-0000000000000c001' }, makeDefault: false, ec2For: () => ec2 })
    expect(await roll()).toEqual([expect.objectContaining({ outcome: 'updated', version: 2, madeDefault: false })])
    expect(await roll()).toEqual([expect.objectContaining({ outcome: 'current', version: 2, isDefault: false })])
    expect(templateChanges()).toEqual(['CreateLaunchTemplateVersion'])
  })
})

describe('a version an earlier run made for the AMI, which it could not make the default', () => {
  async function newAmi(): Promise<string> {
    const registered = await ec2.send(
      new RegisterImageCommand({
        Name: 'web-2',
        RootDeviceName: '/dev/xvda',
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: SOURCE_SNAPSHOT_ID } }]
      })
    )
    return registered.ImageId as string
  }

  it('is made the default, data volume snapshot and all, instead of another copy of it', async () => {
    const dataSnapshot = 'snap-0d47a0000000000d1'
    const BlockDeviceMappings = [
      { DeviceName: '/dev/xvda', Ebs: { SnapshotId: SOURCE_SNAPSHOT_ID, VolumeSize: 8 } },
      { DeviceName: '/dev/sdf', Ebs: { SnapshotId: dataSnapshot, VolumeType: 'gp3' as const } }
    ]
    await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web', LaunchTemplateData: { ImageId: SOURCE_AMI_ID, BlockDeviceMappings } }))
    const amiId = await newAmi()
    endpoint.faults.fail('ModifyLaunchTemplate', { code: 'UnauthorizedOperation', firstCalls: 1 })
    const options = { template: { name: 'web' }, amiIdsByRegion: { 'us-east-1': amiId }, makeDefault: true, builtBy: 'https://github.com/acme/images/actions/runs/1/attempts/1', ec2For: () => ec2 }
    expect(await rollLaunchTemplates(options)).toEqual([expect.objectContaining({ outcome: 'failed' })])

    const rerun = await rollLaunchTemplates({ ...options, builtBy: 'https://github.com/acme/images/actions/runs/1/attempts/2' })
    expect(rerun).toEqual([expect.objectContaining({ outcome: 'updated', version: 2, madeDefault: true, madeEarlier: true })])
    expect(templateChanges()).toEqual(['CreateLaunchTemplateVersion', 'ModifyLaunchTemplate 2', 'ModifyLaunchTemplate 2'])
    expect(endpoint.launchTemplates('us-east-1')[0]).toMatchObject({ defaultVersion: 2, versions: [{}, { data: { ImageId: amiId } }] })
  })

  it('is not, where the default has changed since: a version is made from the new default', async () => {
    await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web', LaunchTemplateData: { ImageId: SOURCE_AMI_ID, InstanceType: 't3.small' } }))
    await ec2.send(
      new CreateLaunchTemplateVersionCommand({ LaunchTemplateName: 'web', SourceVersion: '1', LaunchTemplateData: { InstanceType: 't3.large' } })
    )
    const amiId = await newAmi()
    endpoint.faults.fail('ModifyLaunchTemplate', { code: 'UnauthorizedOperation', firstCalls: 1 })
    const options = { template: { name: 'web' }, amiIdsByRegion: { 'us-east-1': amiId }, makeDefault: true, ec2For: () => ec2 }
    expect(await rollLaunchTemplates(options)).toEqual([expect.objectContaining({ outcome: 'failed' })])
    // Version 3, made from version 1, is the latest; the user makes version 2 the default.
    await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateName: 'web', DefaultVersion: '2' }))

    expect(await rollLaunchTemplates(options)).toEqual([expect.objectContaining({ outcome: 'updated', version: 4, madeEarlier: false })])
    const [web] = endpoint.launchTemplates('us-east-1')
    expect(web.defaultVersion).toBe(4)
    expect(web.versions[3].data).toEqual({ ImageId: amiId, InstanceType: 't3.large' })
  })
})

describe('a default that resolves its AMI through SSM', () => {
  const amiId = 'ami-0000000000000c001'
  const roll = (name: string | undefined, makeDefault = true, setIn = ['us-east-1']) =>
    rollLaunchTemplates({
      template: { name: 'web' },
      amiIdsByRegion: { 'us-east-1': amiId },
      makeDefault,
      ssmParameter: name === undefined ? undefined : { name, setIn: new Set(setIn) },
      ec2For: () => ec2
    })
  const withDefault = (imageId: string) =>
    ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web', LaunchTemplateData: { ImageId: imageId } }))

  it.each([
    ['a pinned version of the parameter the run sets', 'resolve:ssm:/images/web/latest:3'],
    ['a label of the parameter the run sets', 'resolve:ssm:/images/web/latest:prod'],
    ["another account's parameter of that name", 'resolve:ssm:arn:aws:ssm:us-east-1:111122223333:parameter/images/web/latest'],
    ["the account's parameter of that name in another region", `resolve:ssm:arn:aws:ssm:us-west-2:${SELF_ACCOUNT_ID}:parameter/images/web/latest`],
    ["the account's parameter of that name in another partition", `resolve:ssm:arn:aws-cn:ssm:us-east-1:${SELF_ACCOUNT_ID}:parameter/images/web/latest`],
    ['a pinned version of its ARN', `resolve:ssm:arn:aws:ssm:us-east-1:${SELF_ACCOUNT_ID}:parameter/images/web/latest:3`],
    ['its ARN with the name\'s "/" twice', `resolve:ssm:arn:aws:ssm:us-east-1:${SELF_ACCOUNT_ID}:parameter//images/web/latest`],
    ['a public parameter', 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64']
  ])('through %s is left as it is, and not published', async (_what, imageId) => {
    await withDefault(imageId)
    expect(await roll('/images/web/latest')).toEqual([expect.objectContaining({ outcome: 'follows', version: 1, imageId, parameter: 'other' })])
    expect(templateChanges()).toEqual([])
  })

  it.each([
    ['its name', '/images/web/latest', 'resolve:ssm:/images/web/latest'],
    ["its ARN in the template's region and account", '/images/web/latest', `resolve:ssm:arn:aws:ssm:us-east-1:${SELF_ACCOUNT_ID}:parameter/images/web/latest`],
    ['the ARN of a name without a path', 'web-ami', `resolve:ssm:arn:aws:ssm:us-east-1:${SELF_ACCOUNT_ID}:parameter/web-ami`]
  ])('through the parameter the run sets, by %s, is left as it is, also with launch-template-default false', async (_what, name, imageId) => {
    await withDefault(imageId)
    expect(await roll(name)).toEqual([expect.objectContaining({ outcome: 'follows', imageId, parameter: 'set' })])
    expect(await roll(name, false)).toEqual([expect.objectContaining({ outcome: 'follows', parameter: 'set' })])
    expect(templateChanges()).toEqual([])
  })

  it('through the parameter the run sets, by its ARN, where EC2 does not show who made the version, counts as another parameter', async () => {
    await withDefault(`resolve:ssm:arn:aws:ssm:us-east-1:${SELF_ACCOUNT_ID}:parameter/images/web/latest`)
    ec2.middlewareStack.add(
      (next) => async (args) => {
        const answer = await next(args)
        const output = answer.output as Partial<DescribeLaunchTemplateVersionsCommandOutput>
        for (const version of output.LaunchTemplateVersions ?? []) delete version.CreatedBy
        return answer
      },
      { step: 'initialize', name: 'hideCreatedBy' }
    )
    expect(await roll('/images/web/latest')).toEqual([expect.objectContaining({ outcome: 'follows', parameter: 'other' })])
  })

  it('through the parameter the run could not set in the region is left as it is, and said not to be set', async () => {
    await withDefault('resolve:ssm:/images/web/latest')
    expect(await roll('/images/web/latest', true, [])).toEqual([expect.objectContaining({ outcome: 'follows', parameter: 'unset' })])
    expect(templateChanges()).toEqual([])
  })

  it('with launch-template-default false and another parameter, gets a version beside it, as any template', async () => {
    await withDefault('resolve:ssm:/images/base/latest')
    expect(await roll(undefined, false)).toEqual([expect.objectContaining({ outcome: 'updated', version: 2, madeDefault: false })])
    expect(endpoint.launchTemplates('us-east-1')[0].defaultVersion).toBe(1)
  })
})
