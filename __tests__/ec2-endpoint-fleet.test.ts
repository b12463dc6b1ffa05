// The loopback endpoint's launch templates, image references and SSM parameters, driven by the
// real SDK clients over HTTP, as the action's fleet stages drive them.
import { beforeEach, describe, expect, it } from '@jest/globals'
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DescribeImageReferencesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  ModifyLaunchTemplateCommand,
  RunInstancesCommand,
  TerminateInstancesCommand
} from '@aws-sdk/client-ec2'
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm'
import { SOURCE_AMI_ID } from '../test-support/ec2-endpoint/index.js'
import { endpointPerTest } from './support/endpoint-per-test.js'

const loopback = endpointPerTest()
const { ec2, ssm } = loopback

beforeEach(async () => {
  await loopback.start()
})

describe('launch templates', () => {
  it('a new version from the default keeps its data, replaces ImageId, and can become the default', async () => {
    const client = ec2()
    const created = await client.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'web',
        LaunchTemplateData: { ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro' }
      })
    )
    const id = created.LaunchTemplate?.LaunchTemplateId as string
    expect(id).toMatch(/^lt-[0-9a-f]{17}$/)
    expect(created.LaunchTemplate).toMatchObject({ DefaultVersionNumber: 1, LatestVersionNumber: 1 })

    const version = await client.send(
      new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: id, SourceVersion: '1', LaunchTemplateData: { ImageId: 'ami-00000000000000abc' } })
    )
    expect(version.LaunchTemplateVersion).toMatchObject({
      VersionNumber: 2,
      DefaultVersion: false,
      LaunchTemplateData: { ImageId: 'ami-00000000000000abc', InstanceType: 't3.micro' }
    })
    const modified = await client.send(new ModifyLaunchTemplateCommand({ LaunchTemplateName: 'web', DefaultVersion: '2' }))
    expect(modified.LaunchTemplate).toMatchObject({ DefaultVersionNumber: 2, LatestVersionNumber: 2 })

    const defaults = await client.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ['$Default'] }))
    expect(defaults.LaunchTemplateVersions?.map((v) => v.VersionNumber)).toEqual([2])
    const all = await client.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'web' }))
    expect(all.LaunchTemplateVersions?.map((v) => v.LaunchTemplateData?.ImageId)).toEqual([SOURCE_AMI_ID, 'ami-00000000000000abc'])
    expect(loopback.endpoint.launchTemplates('us-east-1')[0]).toMatchObject({ defaultVersion: 2 })
  })

  it("a version made from a source leaves out the source's snapshots, and a list it sends replaces the source's", async () => {
    const client = ec2()
    await client.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'web',
        LaunchTemplateData: {
          ImageId: SOURCE_AMI_ID,
          BlockDeviceMappings: [
            { DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-00000000000000001', VolumeSize: 8 } },
            { DeviceName: '/dev/sdf', Ebs: { SnapshotId: 'snap-00000000000000002', Iops: 3000 } }
          ]
        }
      })
    )
    const inherited = await client.send(
      new CreateLaunchTemplateVersionCommand({ LaunchTemplateName: 'web', SourceVersion: '1', LaunchTemplateData: { ImageId: 'ami-00000000000000abc' } })
    )
    expect(inherited.LaunchTemplateVersion?.LaunchTemplateData?.BlockDeviceMappings).toEqual([
      { DeviceName: '/dev/xvda', Ebs: { VolumeSize: 8 } },
      { DeviceName: '/dev/sdf', Ebs: { Iops: 3000 } }
    ])
    const replaced = await client.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateName: 'web',
        SourceVersion: '1',
        LaunchTemplateData: { BlockDeviceMappings: [{ DeviceName: '/dev/sdf', Ebs: { SnapshotId: 'snap-00000000000000002' } }] }
      })
    )
    expect(replaced.LaunchTemplateVersion?.LaunchTemplateData).toEqual({
      ImageId: SOURCE_AMI_ID,
      BlockDeviceMappings: [{ DeviceName: '/dev/sdf', Ebs: { SnapshotId: 'snap-00000000000000002' } }]
    })
  })

  it('names EC2 uses for a template that is not there', async () => {
    const client = ec2('eu-west-1')
    await expect(client.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: ['web'] }))).rejects.toMatchObject({
      name: 'InvalidLaunchTemplateName.NotFoundException'
    })
    await expect(
      client.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: ['lt-0123456789abcdef0'] }))
    ).rejects.toMatchObject({ name: 'InvalidLaunchTemplateId.NotFound' })
    await expect(
      client.send(new ModifyLaunchTemplateCommand({ LaunchTemplateName: 'web', DefaultVersion: '2' }))
    ).rejects.toMatchObject({ name: 'InvalidLaunchTemplateName.NotFoundException' })
    expect((await ec2().send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates).toEqual([])
  })

  it('answers an SSM parameter ImageId as given, as EC2 does without ResolveAlias, which it refuses', async () => {
    const client = ec2()
    await client.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web', LaunchTemplateData: { ImageId: 'resolve:ssm:/images/web/latest' } }))
    const described = await client.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'web', Versions: ['$Default', '$Latest'] }))
    expect(described.LaunchTemplateVersions?.map((version) => [version.VersionNumber, version.LaunchTemplateData?.ImageId])).toEqual([
      [1, 'resolve:ssm:/images/web/latest']
    ])
    await expect(
      client.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'web', Versions: ['$Default'], ResolveAlias: true }))
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' })
  })
})

describe('DescribeImageReferences', () => {
  it('finds instances not yet terminated and launch template versions that use an AMI', async () => {
    const client = ec2()
    const run = await client.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro' }))
    const instanceId = run.Instances?.[0].InstanceId as string
    await client.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web', LaunchTemplateData: { ImageId: SOURCE_AMI_ID } }))
    const request = new DescribeImageReferencesCommand({
      ImageIds: [SOURCE_AMI_ID],
      ResourceTypes: [
        { ResourceType: 'ec2:Instance', ResourceTypeOptions: [{ OptionName: 'state-name', OptionValues: ['pending', 'running', 'stopped'] }] },
        { ResourceType: 'ec2:LaunchTemplate', ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: ['10000'] }] }
      ]
    })
    const found = await client.send(request)
    expect(found.ImageReferences?.map((reference) => reference.ResourceType).sort()).toEqual(['ec2:Instance', 'ec2:LaunchTemplate'])
    expect(found.ImageReferences?.[0].Arn).toContain(`instance/${instanceId}`)

    await client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }))
    loopback.endpoint.instances('us-east-1') // lets the instance move on to terminated
    const after = await client.send(request)
    expect(after.ImageReferences?.map((reference) => reference.ResourceType)).toEqual(['ec2:LaunchTemplate'])
  })
})

describe('SSM parameters', () => {
  it('puts and gets an aws:ec2:image parameter, with versions and overwriting', async () => {
    const client = ssm('eu-west-1')
    const put = () =>
      client.send(new PutParameterCommand({ Name: '/images/web/latest', Value: SOURCE_AMI_ID, Type: 'String', DataType: 'aws:ec2:image', Overwrite: true }))
    expect(await put()).toMatchObject({ Version: 1 })
    expect(await put()).toMatchObject({ Version: 2 })
    const got = await client.send(new GetParameterCommand({ Name: '/images/web/latest' }))
    expect(got.Parameter).toMatchObject({ Value: SOURCE_AMI_ID, Version: 2, DataType: 'aws:ec2:image', Type: 'String' })
    expect(got.Parameter?.LastModifiedDate).toBeInstanceOf(Date)
    await expect(
      client.send(new PutParameterCommand({ Name: '/images/web/latest', Value: SOURCE_AMI_ID, Type: 'String' }))
    ).rejects.toMatchObject({ name: 'ParameterAlreadyExists' })
    expect(loopback.endpoint.parameters('eu-west-1')).toEqual({
      '/images/web/latest': { value: SOURCE_AMI_ID, version: 2, dataType: 'aws:ec2:image', tier: 'Standard' }
    })
    expect(loopback.endpoint.parameters('us-east-1')).toEqual({})
    expect(loopback.endpoint.callsOf('PutParameter', 'eu-west-1')).toHaveLength(3)
  })

  it('drops a version naming no AMI of the region, as EC2 validation does after answering', async () => {
    const client = ssm()
    await client.send(
      new PutParameterCommand({ Name: 'web', Value: 'ami-00000000000000fff', Type: 'String', DataType: 'aws:ec2:image' })
    )
    await expect(client.send(new GetParameterCommand({ Name: 'web' }))).rejects.toMatchObject({ name: 'ParameterNotFound' })
    await expect(
      client.send(new PutParameterCommand({ Name: 'web', Value: 'not-an-ami', Type: 'String', DataType: 'aws:ec2:image' }))
    ).rejects.toMatchObject({ name: 'ValidationException' })
  })

  it("refuses a name whose ARN passes 1011 characters, counting a path's leading / once", async () => {
    // us-east-1's ARN before a name is 45 characters: arn:aws:ssm:us-east-1:123456789012:parameter/
    const client = ssm()
    const put = (name: string) => client.send(new PutParameterCommand({ Name: name, Value: SOURCE_AMI_ID, Type: 'String' }))
    expect(await put('a'.repeat(966))).toMatchObject({ Version: 1 })
    expect(await put(`/${'b'.repeat(966)}`)).toMatchObject({ Version: 1 })
    const got = await client.send(new GetParameterCommand({ Name: `/${'b'.repeat(966)}` }))
    expect(got.Parameter?.ARN).toBe(`arn:aws:ssm:us-east-1:123456789012:parameter/${'b'.repeat(966)}`)
    await expect(put('c'.repeat(967))).rejects.toMatchObject({
      name: 'ValidationException',
      message:
        'Parameter name is too long: with the 45 characters of the ARN that precede it ' +
        '(arn:aws:ssm:us-east-1:123456789012:parameter/), it is 1012 characters; the maximum is 1011.'
    })
    await expect(put(`/images/${'d'.repeat(960)}`)).rejects.toMatchObject({ name: 'ValidationException' })
    expect(Object.keys(loopback.endpoint.parameters('us-east-1'))).toHaveLength(2)
  })

  it("keeps a parameter's data type: an overwrite naming another is refused, and the value stays", async () => {
    const client = ssm()
    await client.send(new PutParameterCommand({ Name: 'web', Value: 'ami-0123456789abcdef0', Type: 'String' }))
    await expect(
      client.send(new PutParameterCommand({ Name: 'web', Value: SOURCE_AMI_ID, Type: 'String', DataType: 'aws:ec2:image', Overwrite: true }))
    ).rejects.toMatchObject({ name: 'ValidationException' })
    // Without a data type, an overwrite keeps the parameter's.
    expect(await client.send(new PutParameterCommand({ Name: 'web', Value: SOURCE_AMI_ID, Overwrite: true }))).toMatchObject({ Version: 2 })
    expect(loopback.endpoint.parameters('us-east-1')).toEqual({ web: { value: SOURCE_AMI_ID, version: 2, dataType: 'text', tier: 'Standard' } })
  })

  it('never makes an advanced parameter standard: a put without a tier is refused, one naming Advanced goes through', async () => {
    const client = ssm()
    const put = (tier?: 'Advanced' | 'Standard' | 'Intelligent-Tiering') =>
      client.send(
        new PutParameterCommand({ Name: 'web', Value: SOURCE_AMI_ID, Type: 'String', DataType: 'aws:ec2:image', Overwrite: true, Tier: tier })
      )
    expect(await put('Advanced')).toMatchObject({ Version: 1, Tier: 'Advanced' })
    for (const tier of [undefined, 'Standard'] as const) {
      await expect(put(tier)).rejects.toMatchObject({
        name: 'ValidationException',
        message: expect.stringContaining("You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier.")
      })
    }
    expect(await put('Intelligent-Tiering')).toMatchObject({ Version: 2, Tier: 'Advanced' })
    expect(await put('Advanced')).toMatchObject({ Version: 3, Tier: 'Advanced' })
    expect(loopback.endpoint.parameters('us-east-1').web).toMatchObject({ version: 3, tier: 'Advanced' })
  })

  it('answers an injected fault in SSM JSON', async () => {
    loopback.endpoint.faults.fail('PutParameter', { code: 'AccessDeniedException', message: 'not allowed', status: 400 })
    await expect(
      ssm().send(new PutParameterCommand({ Name: 'web', Value: SOURCE_AMI_ID, Type: 'String' }))
    ).rejects.toMatchObject({ name: 'AccessDeniedException', message: 'not allowed' })
  })
})
