// Where the loopback EC2 endpoint launches an instance, and with what, as EC2 decides it: the
// zones' IDs, a placement that must agree with the subnet, and the IAM instance profile a launch
// names, which must exist (seeded, or made through IAM), and the spot request behind a spot
// fleet's instance.
import { describe, expect, it } from '@jest/globals'
import {
  CreateFleetCommand,
  CreateLaunchTemplateCommand,
  CreateTagsCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImageReferencesCommand,
  DescribeInstancesCommand,
  DescribeRegionsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  RunInstancesCommand,
  type RunInstancesCommandInput
} from '@aws-sdk/client-ec2'
import { CreateInstanceProfileCommand, GetInstanceProfileCommand, IAMClient } from '@aws-sdk/client-iam'
import { PutParameterCommand, SSMClient, StartSessionCommand, TerminateSessionCommand } from '@aws-sdk/client-ssm'
import { SELF_ACCOUNT_ID, SOURCE_AMI_ID } from '../test-support/ec2-endpoint/index.js'
import { endpointPerTest, loopbackClientConfig } from './support/endpoint-per-test.js'

const HOME = 'us-east-1'

const loopback = endpointPerTest(HOME)
const { start, ec2, iam } = loopback

const launch = (input: Partial<RunInstancesCommandInput> = {}, client = ec2()) =>
  client.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, ...input }))

/** A subnet of its own in zone `b` of every region, and a fleet's launch template data. */
const network = { vpcId: 'vpc-0c10000000000000a', subnets: [{ subnetId: 'subnet-0c10000000000000b', zone: 'b' }] }

describe('zone IDs', () => {
  it.each([
    ['us-east-1', 'use1'],
    ['eu-west-1', 'euw1'],
    ['us-west-2', 'usw2'],
    ['ap-northeast-1', 'apne1'],
    ['eu-central-1', 'euc1'],
    ['us-gov-west-1', 'usgw1']
  ])("names %s's zones by EC2's AZ IDs (%s-az1, …)", async (region, code) => {
    await start({ regions: [region] })
    const { AvailabilityZones = [] } = await ec2(region).send(new DescribeAvailabilityZonesCommand({}))
    expect(AvailabilityZones.map((zone) => [zone.ZoneName, zone.ZoneId])).toEqual([
      [`${region}a`, `${code}-az1`],
      [`${region}b`, `${code}-az2`]
    ])
  })

  it("gives each subnet its zone's ID, and finds zones and subnets by it", async () => {
    await start({ seedNetworks: [network] })
    const client = ec2()
    const { Subnets = [] } = await client.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-0c10000000000000b'] }))
    expect(Subnets.map((subnet) => [subnet.AvailabilityZone, subnet.AvailabilityZoneId])).toEqual([['us-east-1b', 'use1-az2']])
    const picked = await client.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone-id', Values: ['use1-az2'] }] }))
    expect(picked.Subnets?.map((subnet) => subnet.AvailabilityZone)).toEqual(['us-east-1b', 'us-east-1b'])
    const byFilter = await client.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'zone-id', Values: ['use1-az1'] }] }))
    expect(byFilter.AvailabilityZones?.map((zone) => zone.ZoneName)).toEqual(['us-east-1a'])
    const byId = await client.send(new DescribeAvailabilityZonesCommand({ ZoneIds: ['use1-az2'] }))
    expect(byId.AvailabilityZones?.map((zone) => zone.ZoneName)).toEqual(['us-east-1b'])
    await expect(client.send(new DescribeAvailabilityZonesCommand({ ZoneIds: ['us-east-1-az2'] }))).rejects.toMatchObject({
      name: 'InvalidParameterValue'
    })
  })
})

describe('a placement and a subnet', () => {
  it("refuses a placement in another zone than the subnet's, as EC2 does", async () => {
    await start({ seedNetworks: [network] })
    await expect(launch({ SubnetId: 'subnet-0c10000000000000b', Placement: { AvailabilityZone: 'us-east-1a' } })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message:
        "Value (us-east-1a) for parameter availabilityZone is invalid. Subnet 'subnet-0c10000000000000b' is in the availability zone us-east-1b"
    })
    await expect(
      launch({ NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0c10000000000000b' }], Placement: { AvailabilityZone: 'us-east-1a' } })
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' })
    expect(loopback.endpoint.instances(HOME)).toEqual([])
  })

  it("launches in the subnet's zone when the placement agrees or names none", async () => {
    await start({ seedNetworks: [network] })
    await launch({ SubnetId: 'subnet-0c10000000000000b', Placement: { AvailabilityZone: 'us-east-1b' } })
    // Packer 1.6.6 sends an empty zone when the template names neither zone nor subnet.
    await launch({ SubnetId: 'subnet-0c10000000000000b', Placement: { AvailabilityZone: '' } })
    await launch({ Placement: { AvailabilityZone: 'us-east-1b' } })
    expect(loopback.endpoint.instances(HOME).map((instance) => [instance.subnetId, instance.availabilityZone])).toEqual([
      ['subnet-0c10000000000000b', 'us-east-1b'],
      ['subnet-0c10000000000000b', 'us-east-1b'],
      [expect.stringMatching(/^subnet-/), 'us-east-1b']
    ])
  })

  it("answers an instant fleet's placement in another zone than its subnet's among its errors", async () => {
    await start({ seedNetworks: [network] })
    const client = ec2()
    await client.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'packer-fleet-launch-template-zone',
        LaunchTemplateData: {
          ImageId: SOURCE_AMI_ID,
          InstanceType: 't3.micro',
          Placement: { AvailabilityZone: 'us-east-1a' },
          NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0c10000000000000b' }]
        }
      })
    )
    const fleet = await client.send(
      new CreateFleetCommand({
        Type: 'instant',
        LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateName: 'packer-fleet-launch-template-zone', Version: '1' } }],
        TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'spot' }
      })
    )
    expect(fleet.Instances ?? []).toEqual([])
    expect(fleet.Errors?.map((error) => [error.ErrorCode, error.ErrorMessage, error.Lifecycle])).toEqual([
      [
        'InvalidParameterValue',
        "Value (us-east-1a) for parameter availabilityZone is invalid. Subnet 'subnet-0c10000000000000b' is in the availability zone us-east-1b",
        'spot'
      ]
    ])
    expect(loopback.endpoint.instances(HOME)).toEqual([])
  })
})

describe('IAM instance profiles', () => {
  const arn = (name: string) => `arn:aws:iam::${SELF_ACCOUNT_ID}:instance-profile/${name}`

  it('launches an instance with a seeded instance profile named by name or ARN, and shows it', async () => {
    await start({ seedInstanceProfiles: [{ instanceProfileName: 'packer-build', roleName: 'packer-build-role' }, { instanceProfileName: 'ssm' }] })
    expect(loopback.endpoint.iamInstanceProfiles()).toEqual([
      { instanceProfileName: 'packer-build', roles: ['packer-build-role'] },
      { instanceProfileName: 'ssm', roles: [] }
    ])
    const { InstanceProfile } = await iam().send(new GetInstanceProfileCommand({ InstanceProfileName: 'packer-build' }))
    expect(InstanceProfile?.Arn).toBe(arn('packer-build'))
    expect(InstanceProfile?.Roles?.map((role) => role.RoleName)).toEqual(['packer-build-role'])

    const byName = await launch({ IamInstanceProfile: { Name: 'packer-build' } })
    const byArn = await launch({ IamInstanceProfile: { Arn: arn('ssm') } })
    expect(byName.Instances?.[0]?.IamInstanceProfile).toEqual({ Arn: arn('packer-build'), Id: InstanceProfile?.InstanceProfileId })
    const described = await ec2().send(new DescribeInstancesCommand({ InstanceIds: [byArn.Instances?.[0]?.InstanceId as string] }))
    expect(described.Reservations?.[0]?.Instances?.[0]?.IamInstanceProfile).toEqual({ Arn: arn('ssm'), Id: expect.stringMatching(/^AIPA[0-9A-F]{17}$/) })
    expect(loopback.endpoint.instances(HOME).map((instance) => instance.iamInstanceProfile?.arn)).toEqual([arn('packer-build'), arn('ssm')])
  })

  it('refuses a profile IAM does not know, by name or ARN, in EC2’s words', async () => {
    await start({ seedInstanceProfiles: [{ instanceProfileName: 'ssm' }] })
    await expect(launch({ IamInstanceProfile: { Name: 'packer-build' } })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: 'Value (packer-build) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name'
    })
    await expect(launch({ IamInstanceProfile: { Arn: arn('packer-build') } })).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: `Value (${arn('packer-build')}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN`
    })
    expect(loopback.endpoint.instances(HOME)).toEqual([])
  })

  it('takes a profile made through IAM, and an empty name as none', async () => {
    await start()
    await iam().send(new CreateInstanceProfileCommand({ InstanceProfileName: 'packer-0123' }))
    await launch({ IamInstanceProfile: { Name: 'packer-0123' } })
    await launch({ IamInstanceProfile: { Name: '' } })
    expect(loopback.endpoint.callsOf('RunInstances').map((call) => call.params['IamInstanceProfile.Name'])).toEqual(['packer-0123', ''])
    expect(loopback.endpoint.instances(HOME).map((instance) => instance.iamInstanceProfile?.arn)).toEqual([arn('packer-0123'), undefined])
  })

  it("answers an instant fleet's unknown profile among its errors", async () => {
    await start()
    const client = ec2()
    await client.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'packer-fleet-launch-template-iam',
        LaunchTemplateData: { ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', IamInstanceProfile: { Name: 'packer-build' } }
      })
    )
    const fleet = await client.send(
      new CreateFleetCommand({
        Type: 'instant',
        LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateName: 'packer-fleet-launch-template-iam', Version: '1' } }],
        TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'spot' }
      })
    )
    expect(fleet.Errors?.map((error) => error.ErrorMessage)).toEqual([
      'Value (packer-build) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name'
    ])
    expect(loopback.endpoint.instances(HOME)).toEqual([])
  })
})

describe('ARNs and endpoints in the partition of the region', () => {
  it('answers IAM, launch templates, image references, authorization failures and DescribeRegions in aws-us-gov and aws-cn', async () => {
    const endpoint = await start({ regions: ['us-gov-west-1', 'cn-north-1'], seedInstanceProfiles: [{ instanceProfileName: 'packer-build', roleName: 'packer-build' }] })
    const profile = (partition: string) => `arn:${partition}:iam::${SELF_ACCOUNT_ID}:instance-profile/packer-build`
    const govIam = new IAMClient(loopbackClientConfig(endpoint, 'us-gov-west-1'))
    const { InstanceProfile } = await govIam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'packer-build' }))
    govIam.destroy()
    expect(InstanceProfile?.Arn).toBe(profile('aws-us-gov'))
    expect(InstanceProfile?.Roles?.[0]?.Arn).toBe(`arn:aws-us-gov:iam::${SELF_ACCOUNT_ID}:role/packer-build`)

    const china = ec2('cn-north-1')
    await expect(launch({ IamInstanceProfile: { Arn: profile('aws') } }, china)).rejects.toMatchObject({ name: 'InvalidParameterValue' })
    const launched = await launch({ IamInstanceProfile: { Arn: profile('aws-cn') } }, china)
    expect(launched.Instances?.[0]?.IamInstanceProfile?.Arn).toBe(profile('aws-cn'))
    const { LaunchTemplate } = await china.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web', LaunchTemplateData: { ImageId: SOURCE_AMI_ID } }))
    expect(LaunchTemplate?.CreatedBy).toBe(`arn:aws-cn:iam::${SELF_ACCOUNT_ID}:user/loopback`)
    const { ImageReferences = [] } = await china.send(new DescribeImageReferencesCommand({ ImageIds: [SOURCE_AMI_ID], IncludeAllResourceTypes: true }))
    expect(ImageReferences.map((reference) => reference.Arn).sort()).toEqual([
      `arn:aws-cn:ec2:cn-north-1:${SELF_ACCOUNT_ID}:instance/${launched.Instances?.[0]?.InstanceId}`,
      `arn:aws-cn:ec2:cn-north-1:${SELF_ACCOUNT_ID}:launch-template/${LaunchTemplate?.LaunchTemplateId}`
    ])
    endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation' })
    await expect(china.send(new CreateTagsCommand({ Resources: [SOURCE_AMI_ID], Tags: [{ Key: 'k', Value: 'v' }] }))).rejects.toThrow(
      `User: arn:aws-cn:iam::${SELF_ACCOUNT_ID}:user/loopback is not authorized to perform: ec2:CreateTags on resource: arn:aws-cn:ec2:cn-north-1::image/${SOURCE_AMI_ID}`
    )
    const { Regions = [] } = await china.send(new DescribeRegionsCommand({}))
    expect(Regions.map(({ RegionName, Endpoint }) => `${RegionName} ${Endpoint}`).sort()).toEqual([
      'cn-north-1 ec2.cn-north-1.amazonaws.com.cn',
      'us-gov-west-1 ec2.us-gov-west-1.amazonaws.com'
    ])
  })

  it("counts an SSM parameter's name with the ARN before it in the region's partition", async () => {
    const endpoint = await start({ regions: ['us-east-1', 'us-gov-west-1'] })
    // arn:aws:ssm:us-east-1:123456789012:parameter/ is 45 characters, arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/ 56.
    const put = (region: string, length: number) =>
      new SSMClient(loopbackClientConfig(endpoint, region)).send(
        new PutParameterCommand({ Name: `/${'a'.repeat(length)}`, Value: SOURCE_AMI_ID, Type: 'String' })
      )
    await expect(put('us-east-1', 1011 - 45)).resolves.toMatchObject({ Version: 1 })
    await expect(put('us-gov-west-1', 1011 - 56)).resolves.toMatchObject({ Version: 1 })
    await expect(put('us-gov-west-1', 1011 - 56 + 1)).rejects.toMatchObject({ name: 'ValidationException' })
  })
})

describe('spot instance requests', () => {
  /** An instant fleet of one instance of `lifecycle`, and the instance as DescribeInstances shows it. */
  async function fleetInstance(lifecycle: 'spot' | 'on-demand') {
    const client = ec2()
    await client.send(
      new CreateLaunchTemplateCommand({ LaunchTemplateName: `fleet-${lifecycle}`, LaunchTemplateData: { ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro' } })
    )
    const fleet = await client.send(
      new CreateFleetCommand({
        Type: 'instant',
        LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateName: `fleet-${lifecycle}`, Version: '1' } }],
        TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: lifecycle }
      })
    )
    const instanceId = fleet.Instances?.[0]?.InstanceIds?.[0] as string
    const described = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))
    return described.Reservations?.[0]?.Instances?.[0]
  }

  it("gives a spot fleet's instance the request EC2 made for it, which takes tags, as Packer tags it with spot_tags", async () => {
    await start()
    const instance = await fleetInstance('spot')
    expect(instance?.InstanceLifecycle).toBe('spot')
    const requestId = instance?.SpotInstanceRequestId as string
    expect(requestId).toMatch(/^sir-[0-9a-f]{8}$/)
    expect(loopback.endpoint.instances(HOME).map((launched) => launched.spotInstanceRequestId)).toEqual([requestId])

    await ec2().send(new CreateTagsCommand({ Resources: [requestId], Tags: [{ Key: 'Request', Value: 'for ami-0abcdef1234567890' }] }))
    expect(loopback.endpoint.tagsOf(HOME, requestId)).toEqual({ Request: 'for ami-0abcdef1234567890' })
    const { Tags = [] } = await ec2().send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-type', Values: ['spot-instances-request'] }] }))
    expect(Tags).toEqual([{ ResourceId: requestId, ResourceType: 'spot-instances-request', Key: 'Request', Value: 'for ami-0abcdef1234567890' }])
    await expect(ec2().send(new CreateTagsCommand({ Resources: ['sir-0000ffff'], Tags: [{ Key: 'K', Value: 'v' }] }))).rejects.toMatchObject({
      name: 'InvalidSpotInstanceRequestID.NotFound',
      message: "The spot instance request ID 'sir-0000ffff' does not exist"
    })
  })

  it('makes none for an on-demand fleet', async () => {
    await start()
    const instance = await fleetInstance('on-demand')
    expect(instance?.InstanceLifecycle).toBeUndefined()
    expect(instance?.SpotInstanceRequestId).toBeUndefined()
  })
})

describe('Session Manager sessions', () => {
  const ssm = (): SSMClient => new SSMClient(loopbackClientConfig(loopback.endpoint, HOME))
  const forward = (target: string) =>
    new StartSessionCommand({ Target: target, DocumentName: 'AWS-StartPortForwardingSession', Parameters: { portNumber: ['22'], localPortNumber: ['8022'] } })

  it('opens a session to a running instance launched with a profile, and ends it', async () => {
    await start({ seedInstanceProfiles: [{ instanceProfileName: 'packer-build' }], autoAdvance: { describes: 0 } })
    const instanceId = (await launch({ IamInstanceProfile: { Name: 'packer-build' } })).Instances?.[0]?.InstanceId as string
    await ec2().send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))
    const started = await ssm().send(forward(instanceId))
    expect(started).toMatchObject({
      SessionId: expect.stringMatching(/^loopback-[0-9a-f]{17}$/),
      TokenValue: expect.any(String),
      StreamUrl: `wss://ssmmessages.${HOME}.amazonaws.com/v1/data-channel/${started.SessionId}?role=publish_subscribe`
    })
    const session = { sessionId: started.SessionId, target: instanceId, documentName: 'AWS-StartPortForwardingSession', parameters: { portNumber: ['22'], localPortNumber: ['8022'] } }
    expect(loopback.endpoint.sessions(HOME)).toEqual([{ ...session, terminated: false }])
    await expect(ssm().send(new TerminateSessionCommand({ SessionId: started.SessionId }))).resolves.toMatchObject({ SessionId: started.SessionId })
    expect(loopback.endpoint.sessions(HOME)).toEqual([{ ...session, terminated: true }])
  })

  it('refuses an instance launched with no profile, or not running, as not connected', async () => {
    await start({ autoAdvance: { describes: 0 } })
    const instanceId = (await launch()).Instances?.[0]?.InstanceId as string
    await ec2().send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))
    await expect(ssm().send(forward(instanceId))).rejects.toMatchObject({ name: 'TargetNotConnected', message: `${instanceId} is not connected.` })
    await expect(ssm().send(forward('i-0000000000000dead'))).rejects.toMatchObject({ name: 'TargetNotConnected' })
    expect(loopback.endpoint.sessions(HOME)).toEqual([])
  })
})
