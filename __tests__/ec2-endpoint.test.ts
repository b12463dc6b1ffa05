import { beforeEach, describe, expect, it } from '@jest/globals'
import {
  CopyImageCommand,
  CreateImageCommand,
  CreateFleetCommand,
  CreateKeyPairCommand,
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  DeleteKeyPairCommand,
  DeleteLaunchTemplateCommand,
  DeleteSecurityGroupCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeRegionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  DisableImageDeregistrationProtectionCommand,
  EC2Client,
  EnableImageDeprecationCommand,
  EnableImageDeregistrationProtectionCommand,
  ModifyImageAttributeCommand,
  ModifyInstanceAttributeCommand,
  RegisterImageCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand
} from '@aws-sdk/client-ec2'
import {
  AMAZON_ACCOUNT_ID,
  SELF_ACCOUNT_ID,
  SOURCE_AMI_ID,
  SOURCE_AMI_NAME,
  SOURCE_SNAPSHOT_ID
} from '../test-support/ec2-endpoint/index.js'
import { endpointPerTest, loopbackClientConfig } from './support/endpoint-per-test.js'

const HOME = 'us-east-1'
const OTHER = 'eu-west-1'
const THIRD = 'us-west-2'

const loopback = endpointPerTest(HOME)
const { start, ec2 } = loopback

/** Launches an instance from the source AMI and returns its id once it runs. */
async function runningInstance(client: EC2Client): Promise<string> {
  const run = await client.send(
    new RunInstancesCommand({
      ImageId: SOURCE_AMI_ID,
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1
    })
  )
  const instanceId = run.Instances?.[0]?.InstanceId as string
  for (;;) {
    const described = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))
    if (described.Reservations?.[0]?.Instances?.[0]?.State?.Name === 'running') return instanceId
  }
}

/** Makes an AMI in the client's region and describes it until it is available. */
async function availableImage(client: EC2Client, name = 'loopback-test-image'): Promise<string> {
  const instanceId = await runningInstance(client)
  const { ImageId } = await client.send(new CreateImageCommand({ InstanceId: instanceId, Name: name }))
  for (;;) {
    const { Images } = await client.send(new DescribeImagesCommand({ ImageIds: [ImageId as string] }))
    if (Images?.[0]?.State === 'available') return ImageId as string
  }
}

// Only the credential scope matters to the endpoint; it does not check signatures.
async function rawCall(body: string, region = HOME): Promise<{ status: number; text: string }> {
  const scope = `AKIDLOOPBACK/20250101/${region}/ec2/aws4_request`
  const response = await fetch(loopback.endpoint.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host, Signature=00`
    },
    body
  })
  return { status: response.status, text: await response.text() }
}

describe('DescribeImages', () => {
  beforeEach(() => start())

  it('finds the seeded source AMI by id in every region, with its snapshot', async () => {
    for (const region of [HOME, OTHER, THIRD]) {
      const { Images } = await ec2(region).send(
        new DescribeImagesCommand({ ImageIds: [SOURCE_AMI_ID] })
      )
      expect(Images).toHaveLength(1)
      expect(Images?.[0]).toMatchObject({
        ImageId: SOURCE_AMI_ID,
        Name: SOURCE_AMI_NAME,
        State: 'available',
        OwnerId: AMAZON_ACCOUNT_ID,
        ImageOwnerAlias: 'amazon',
        Public: true,
        RootDeviceType: 'ebs',
        VirtualizationType: 'hvm',
        BlockDeviceMappings: [
          { DeviceName: '/dev/xvda', Ebs: { SnapshotId: SOURCE_SNAPSHOT_ID, VolumeSize: 8 } }
        ]
      })
      expect(Images?.[0]?.CreationDate).toBe('2024-01-15T10:00:00.000Z')
    }
    expect(loopback.endpoint.callsOf('DescribeImages').map((call) => call.region)).toEqual([HOME, OTHER, THIRD])
    expect(loopback.endpoint.calls[0].params).toEqual({ 'ImageId.1': SOURCE_AMI_ID })
  })

  it('selects by owner', async () => {
    const client = ec2()
    const amazon = await client.send(new DescribeImagesCommand({ Owners: ['amazon'] }))
    expect(amazon.Images?.map((image) => image.ImageId)).toEqual([SOURCE_AMI_ID])
    const byAccount = await client.send(new DescribeImagesCommand({ Owners: [AMAZON_ACCOUNT_ID] }))
    expect(byAccount.Images).toHaveLength(1)
    const mine = await client.send(new DescribeImagesCommand({ Owners: ['self'] }))
    expect(mine.Images).toEqual([])

    const own = await availableImage(client)
    const after = await client.send(new DescribeImagesCommand({ Owners: ['self'] }))
    expect(after.Images?.map((image) => image.ImageId)).toEqual([own])
    expect(after.Images?.[0]?.OwnerId).toBe(SELF_ACCOUNT_ID)
  })

  it('filters by name (with wildcards), state and tags', async () => {
    const client = ec2()
    const byName = await client.send(
      new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['loopback-source-*'] }] })
    )
    expect(byName.Images?.map((image) => image.ImageId)).toEqual([SOURCE_AMI_ID])
    const none = await client.send(
      new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['nothing-like-it'] }] })
    )
    expect(none.Images).toEqual([])
    const pending = await client.send(
      new DescribeImagesCommand({ Filters: [{ Name: 'state', Values: ['pending'] }] })
    )
    expect(pending.Images).toEqual([])

    await client.send(
      new CreateTagsCommand({ Resources: [SOURCE_AMI_ID], Tags: [{ Key: 'Team', Value: 'blue' }] })
    )
    const tagged = await client.send(
      new DescribeImagesCommand({
        Filters: [
          { Name: 'tag:Team', Values: ['red', 'blue'] },
          { Name: 'state', Values: ['available'] }
        ]
      })
    )
    expect(tagged.Images?.[0]?.Tags).toEqual([{ Key: 'Team', Value: 'blue' }])
  })

  it('refuses unknown filters, unknown ids and malformed ids as EC2 does', async () => {
    const client = ec2()
    await expect(
      client.send(new DescribeImagesCommand({ Filters: [{ Name: 'colour', Values: ['x'] }] }))
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', message: "The filter 'colour' is invalid" })
    await expect(
      client.send(new DescribeImagesCommand({ ImageIds: ['ami-0123456789abcdef0'] }))
    ).rejects.toMatchObject({
      name: 'InvalidAMIID.NotFound',
      message: "The image id '[ami-0123456789abcdef0]' does not exist",
      $metadata: { httpStatusCode: 400 }
    })
    await expect(
      client.send(new DescribeImagesCommand({ ImageIds: ['ami-nothex'] }))
    ).rejects.toMatchObject({ name: 'InvalidAMIID.Malformed' })
    expect(loopback.endpoint.calls.map((call) => call.error)).toEqual([
      'InvalidParameterValue',
      'InvalidAMIID.NotFound',
      'InvalidAMIID.Malformed'
    ])
  })
})

describe('images, snapshots and copies across regions', () => {
  beforeEach(() => start({ autoAdvance: { describes: 0 } }))

  it('makes an AMI pending then available, with a snapshot that DescribeSnapshots knows', async () => {
    const client = ec2()
    const instanceId = await runningInstance(client)
    const { ImageId } = await client.send(
      new CreateImageCommand({ InstanceId: instanceId, Name: 'first image' })
    )
    expect(loopback.endpoint.images(HOME).find((image) => image.imageId === ImageId)?.state).toBe('pending')
    const { Images } = await client.send(new DescribeImagesCommand({ ImageIds: [ImageId as string] }))
    expect(Images?.[0]?.State).toBe('available')
    const snapshotId = Images?.[0]?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId as string
    expect(snapshotId).toMatch(/^snap-[0-9a-f]{17}$/)

    const { Snapshots } = await client.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }))
    expect(Snapshots?.[0]).toMatchObject({
      SnapshotId: snapshotId,
      State: 'completed',
      OwnerId: SELF_ACCOUNT_ID,
      Description: `Created by CreateImage(${instanceId}) for ${ImageId}`
    })
    expect(Snapshots?.[0]?.StartTime).toBeInstanceOf(Date)
    const own = await client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))
    expect(own.Snapshots?.map((snapshot) => snapshot.SnapshotId)).toEqual([snapshotId])

    await expect(
      client.send(new CreateImageCommand({ InstanceId: instanceId, Name: 'first image' }))
    ).rejects.toMatchObject({ name: 'InvalidAMIName.Duplicate' })
    await expect(
      client.send(new CreateImageCommand({ InstanceId: instanceId, Name: 'bad:name' }))
    ).rejects.toMatchObject({ name: 'InvalidAMIName.Malformed' })
  })

  it('images a stopping instance, and refuses a terminated one with InvalidParameterValue', async () => {
    const client = ec2()
    const instanceId = await runningInstance(client)
    await client.send(new StopInstancesCommand({ InstanceIds: [instanceId] }))
    expect(loopback.endpoint.instances(HOME).find((instance) => instance.instanceId === instanceId)?.state).toBe('stopping')
    const { ImageId } = await client.send(new CreateImageCommand({ InstanceId: instanceId, Name: 'while stopping' }))
    expect(ImageId).toMatch(/^ami-[0-9a-f]{17}$/)
    await client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }))
    await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))
    await expect(
      client.send(new CreateImageCommand({ InstanceId: instanceId, Name: 'after the end' }))
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: `Invalid value '${instanceId}' for instanceId. Instance is not in state 'running' or 'stopping' or 'stopped'`
    })
  })

  it('snapshots a volume and registers an AMI from the snapshot, tied to no instance', async () => {
    const client = ec2()
    const instanceId = await runningInstance(client)
    const [volumeId] = loopback.endpoint.instances(HOME).find((instance) => instance.instanceId === instanceId)?.volumeIds ?? []
    const snapshot = await client.send(new CreateSnapshotCommand({ VolumeId: volumeId, Description: 'Packer: then' }))
    expect(snapshot).toMatchObject({ VolumeId: volumeId, State: 'pending', Description: 'Packer: then' })
    const own = await client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'volume-id', Values: [volumeId] }] }))
    expect(own.Snapshots?.map((one) => one.SnapshotId)).toEqual([snapshot.SnapshotId])

    const { ImageId } = await client.send(
      new RegisterImageCommand({
        Name: 'registered image',
        RootDeviceName: '/dev/xvda',
        VirtualizationType: 'hvm',
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: snapshot.SnapshotId, VolumeSize: 8 } }]
      })
    )
    const { Images } = await client.send(
      new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'block-device-mapping.snapshot-id', Values: [snapshot.SnapshotId as string] }] })
    )
    expect(Images?.map((image) => [image.ImageId, image.SourceInstanceId, image.RootDeviceName])).toEqual([[ImageId, undefined, '/dev/xvda']])
    await expect(
      client.send(new RegisterImageCommand({ Name: 'no root', RootDeviceName: '/dev/xvda', BlockDeviceMappings: [{ DeviceName: '/dev/xvdb', Ebs: { SnapshotId: snapshot.SnapshotId } }] }))
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' })
    await expect(client.send(new CreateSnapshotCommand({ VolumeId: 'vol-00000000000000fff' }))).rejects.toMatchObject({ name: 'InvalidVolume.NotFound' })
  })

  it('copies an AMI into the calling region only, with a snapshot of its own', async () => {
    const source = await availableImage(ec2())
    const target = ec2(OTHER)
    const copy = await target.send(
      new CopyImageCommand({ SourceRegion: HOME, SourceImageId: source, Name: 'copied' })
    )
    const copyId = copy.ImageId as string
    expect(copyId).not.toBe(source)
    const { Images } = await target.send(new DescribeImagesCommand({ ImageIds: [copyId] }))
    expect(Images?.[0]).toMatchObject({
      State: 'available',
      SourceImageId: source,
      SourceImageRegion: HOME
    })
    const snapshotId = Images?.[0]?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId as string
    expect(loopback.endpoint.snapshots(OTHER).map((snapshot) => snapshot.snapshotId)).toContain(snapshotId)
    expect(loopback.endpoint.snapshots(HOME).map((snapshot) => snapshot.snapshotId)).not.toContain(snapshotId)

    for (const region of [THIRD, HOME]) {
      await expect(
        ec2(region).send(new DescribeImagesCommand({ ImageIds: [copyId] }))
      ).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' })
    }
    await expect(
      ec2(THIRD).send(
        new CopyImageCommand({ SourceRegion: OTHER, SourceImageId: source, Name: 'x-copy' })
      )
    ).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' })
    expect(loopback.endpoint.callsOf('CopyImage')[0]).toMatchObject({
      region: OTHER,
      params: { SourceRegion: HOME, SourceImageId: source, Name: 'copied' }
    })
  })

  it('refuses to delete a snapshot an AMI still uses, and shows a deregistered AMI named by its ID as such for a while, then leaves it out', async () => {
    const client = ec2()
    const imageId = await availableImage(client)
    const snapshotId = loopback.endpoint.images(HOME).find((image) => image.imageId === imageId)
      ?.blockDeviceMappings[0].snapshotId as string
    await expect(
      client.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }))
    ).rejects.toMatchObject({ name: 'InvalidSnapshot.InUse' })
    await client.send(new DeregisterImageCommand({ ImageId: imageId }))
    // EC2: "Recently deregistered images appear in the returned results for a short interval and
    // then return empty results": here for the describes autoAdvance gives a state, none in this suite.
    expect((await client.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images).toEqual([])
    expect((await client.send(new DescribeImagesCommand({ Owners: ['self'] }))).Images?.map((image) => image.ImageId)).not.toContain(imageId)
    expect(loopback.endpoint.images(HOME).map((image) => image.imageId)).not.toContain(imageId)
    await expect(client.send(new CreateTagsCommand({ Resources: [imageId], Tags: [{ Key: 'a', Value: 'b' }] }))).rejects.toMatchObject({
      name: 'InvalidAMIID.NotFound'
    })
    await client.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }))
    await expect(
      client.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }))
    ).rejects.toMatchObject({
      name: 'InvalidSnapshot.NotFound',
      message: `The snapshot '${snapshotId}' does not exist.`
    })
    await expect(
      client.send(new DeregisterImageCommand({ ImageId: SOURCE_AMI_ID }))
    ).rejects.toMatchObject({ name: 'AuthFailure' })
  })

  it('shows a deregistered AMI named by its ID as deregistered for the describes autoAdvance gives a state, then leaves it out, never an error', async () => {
    await loopback.endpoint.close()
    await start({ autoAdvance: { describes: 1 } })
    const client = ec2()
    const imageId = await availableImage(client)
    loopback.endpoint.deregister(HOME, imageId)
    const shown = await client.send(new DescribeImagesCommand({ ImageIds: [imageId, SOURCE_AMI_ID] }))
    expect(shown.Images?.map((image) => [image.ImageId, image.State])).toEqual([
      [SOURCE_AMI_ID, 'available'],
      [imageId, 'deregistered']
    ])
    expect((await client.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images).toEqual([])
    expect(loopback.endpoint.callsOf('DeregisterImage')).toEqual([])
  })

  it('protects an AMI from deregistration as EC2 does: shown in DescribeImages, DeregisterImage refused, and 24 hours more with a cooldown', async () => {
    const client = ec2()
    const plain = await availableImage(client, 'protected-plain')
    const cooled = await availableImage(client, 'protected-cooldown')
    const protection = async (imageId: string) =>
      (await client.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0]?.DeregistrationProtection
    expect(await protection(plain)).toBe('disabled')
    // EnableImageDeregistrationProtection's and DisableImageDeregistrationProtection's `return`: "true if the request succeeds".
    expect((await client.send(new EnableImageDeregistrationProtectionCommand({ ImageId: plain }))).Return).toBe('true')
    expect(await protection(plain)).toBe('enabled-without-cooldown')
    await expect(client.send(new DeregisterImageCommand({ ImageId: plain }))).rejects.toMatchObject({
      name: 'OperationNotPermitted',
      message: expect.stringContaining(plain)
    })
    expect((await client.send(new DisableImageDeregistrationProtectionCommand({ ImageId: plain }))).Return).toBe('true')
    expect(await protection(plain)).toBe('disabled')
    await client.send(new DeregisterImageCommand({ ImageId: plain }))

    await client.send(new EnableImageDeregistrationProtectionCommand({ ImageId: cooled, WithCooldown: true }))
    expect(await protection(cooled)).toBe('enabled-with-cooldown')
    await client.send(new DisableImageDeregistrationProtectionCommand({ ImageId: cooled }))
    const until = (await protection(cooled)) ?? ''
    expect(until).toMatch(/^disabled after /)
    expect(Date.parse(until.replace('disabled after ', '')) - Date.now()).toBeGreaterThan(23 * 60 * 60 * 1000)
    await expect(client.send(new DeregisterImageCommand({ ImageId: cooled }))).rejects.toMatchObject({ name: 'OperationNotPermitted' })

    // endpoint.protect does the same at once, as the AMI's owner would between two calls.
    const third = await availableImage(client, 'protected-at-once')
    loopback.endpoint.protect(HOME, third)
    expect(await protection(third)).toBe('enabled-without-cooldown')
    await expect(client.send(new DeregisterImageCommand({ ImageId: third }))).rejects.toMatchObject({ name: 'OperationNotPermitted' })
  })

  it('deprecates an AMI at a future minute, which its owner still sees once it has passed, and others only when asked', async () => {
    await loopback.endpoint.close()
    await start({
      autoAdvance: { describes: 0 },
      seedImages: [
        { name: 'old-public', imageId: 'ami-00000000000000a01', deprecationTime: '2025-01-01T00:00:00.000Z' },
        { name: 'current-public', imageId: 'ami-00000000000000a02' },
        { name: SOURCE_AMI_NAME, imageId: SOURCE_AMI_ID, snapshotId: SOURCE_SNAPSHOT_ID }
      ]
    })
    const client = ec2()
    const imageId = await availableImage(client)
    await expect(client.send(new EnableImageDeprecationCommand({ ImageId: imageId, DeprecateAt: new Date(Date.now() - 60_000) }))).rejects.toMatchObject({
      name: 'InvalidParameterValue'
    })
    const at = new Date(Date.now() + 3_600_000 + 20_000)
    await client.send(new EnableImageDeprecationCommand({ ImageId: imageId, DeprecateAt: at }))
    const shown = async () => (await client.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0]?.DeprecationTime
    expect(await shown()).toBe(new Date(Math.round(at.getTime() / 60_000) * 60_000).toISOString())
    loopback.endpoint.backdate(HOME, imageId, 2 * 3_600_000)
    expect(Date.parse((await shown()) as string)).toBeLessThan(Date.now())
    const listed = async (includeDeprecated?: boolean) =>
      ((await client.send(new DescribeImagesCommand({ IncludeDeprecated: includeDeprecated }))).Images ?? []).map((image) => image.ImageId).sort()
    expect(await listed()).toEqual(['ami-00000000000000a02', SOURCE_AMI_ID, imageId].sort())
    expect(await listed(true)).toEqual(['ami-00000000000000a01', 'ami-00000000000000a02', SOURCE_AMI_ID, imageId].sort())
  })

  it('sets the description and launch permissions', async () => {
    const client = ec2()
    const imageId = await availableImage(client)
    await client.send(
      new ModifyImageAttributeCommand({ ImageId: imageId, Description: { Value: 'built for tests' } })
    )
    await client.send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        LaunchPermission: { Add: [{ UserId: '210987654321' }] }
      })
    )
    const description = await client.send(
      new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'description' })
    )
    expect(description.Description?.Value).toBe('built for tests')
    const permissions = await client.send(
      new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' })
    )
    expect(permissions.LaunchPermissions).toEqual([{ UserId: '210987654321' }])
    await expect(
      client.send(
        new ModifyImageAttributeCommand({
          ImageId: imageId,
          LaunchPermission: { Add: [{ UserId: 'bob' }] }
        })
      )
    ).rejects.toMatchObject({ name: 'InvalidAMIAttributeItemValue' })
  })
})

describe('tags', () => {
  beforeEach(() => start({ autoAdvance: { describes: 0 } }))

  it('tags AMIs and snapshots, and DescribeTags lists them per region', async () => {
    const client = ec2()
    const imageId = await availableImage(client)
    const snapshotId = loopback.endpoint.images(HOME).find((image) => image.imageId === imageId)
      ?.blockDeviceMappings[0].snapshotId as string
    await client.send(
      new CreateTagsCommand({
        Resources: [imageId, snapshotId],
        Tags: [
          { Key: 'Name', Value: 'web' },
          { Key: 'Commit', Value: 'abc123' }
        ]
      })
    )
    expect(loopback.endpoint.tagsOf(HOME, imageId)).toEqual({ Name: 'web', Commit: 'abc123' })
    expect(loopback.endpoint.tagsOf(HOME, snapshotId)).toEqual({ Name: 'web', Commit: 'abc123' })
    expect(loopback.endpoint.tagsOf(OTHER, imageId)).toEqual({})

    const { Tags } = await client.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [imageId] }] })
    )
    expect(Tags).toEqual([
      { ResourceId: imageId, ResourceType: 'image', Key: 'Name', Value: 'web' },
      { ResourceId: imageId, ResourceType: 'image', Key: 'Commit', Value: 'abc123' }
    ])
    const snapshots = await client.send(
      new DescribeTagsCommand({
        Filters: [
          { Name: 'resource-type', Values: ['snapshot'] },
          { Name: 'key', Values: ['Commit'] }
        ]
      })
    )
    expect(snapshots.Tags).toEqual([
      { ResourceId: snapshotId, ResourceType: 'snapshot', Key: 'Commit', Value: 'abc123' }
    ])
    const elsewhere = await ec2(OTHER).send(new DescribeTagsCommand({}))
    expect(elsewhere.Tags).toEqual([])

    const { Images } = await client.send(new DescribeImagesCommand({ ImageIds: [imageId] }))
    expect(Images?.[0]?.Tags).toEqual([
      { Key: 'Name', Value: 'web' },
      { Key: 'Commit', Value: 'abc123' }
    ])
    const { Snapshots } = await client.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }))
    expect(Snapshots?.[0]?.Tags).toHaveLength(2)
  })

  it('refuses reserved, too long and too many tags, tagging nothing', async () => {
    const client = ec2()
    const tag = (Key: string, Value = 'v') =>
      new CreateTagsCommand({ Resources: [SOURCE_AMI_ID], Tags: [{ Key, Value }] })
    await expect(client.send(tag('aws:cloudformation:stack'))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining("Tag keys starting with 'aws:' are reserved")
    })
    await expect(client.send(tag('k'.repeat(129)))).rejects.toMatchObject({
      name: 'InvalidParameterValue'
    })
    await client.send(tag('k'.repeat(128), 'v'.repeat(256)))
    await expect(client.send(tag('long', 'v'.repeat(257)))).rejects.toMatchObject({
      name: 'InvalidParameterValue'
    })

    const fortyNine = Array.from({ length: 49 }, (_, index) => ({ Key: `key${index}`, Value: 'v' }))
    await client.send(new CreateTagsCommand({ Resources: [SOURCE_AMI_ID], Tags: fortyNine }))
    expect(Object.keys(loopback.endpoint.tagsOf(HOME, SOURCE_AMI_ID))).toHaveLength(50)
    await client.send(tag('key0', 'overwritten'))
    await expect(
      client.send(
        new CreateTagsCommand({
          Resources: [SOURCE_SNAPSHOT_ID, SOURCE_AMI_ID],
          Tags: [{ Key: 'one-more', Value: '' }]
        })
      )
    ).rejects.toMatchObject({
      name: 'TagLimitExceeded',
      message: 'The maximum number of Tags for a resource has been reached.'
    })
    expect(loopback.endpoint.tagsOf(HOME, SOURCE_AMI_ID).key0).toBe('overwritten')
    expect(loopback.endpoint.tagsOf(HOME, SOURCE_SNAPSHOT_ID)).toEqual({})
  })

  it('counts a tag in characters and matches filter values character by character, as EC2 does', async () => {
    const client = ec2()
    const tag = (Key: string, Value: string) => new CreateTagsCommand({ Resources: [SOURCE_AMI_ID], Tags: [{ Key, Value }] })
    // Outside the Basic Multilingual Plane: two UTF-16 code units, one character.
    await client.send(tag('🔑'.repeat(128), '🐧'.repeat(256)))
    await expect(client.send(tag('long', '🐧'.repeat(257)))).rejects.toMatchObject({ name: 'InvalidParameterValue' })
    await client.send(tag('Family', '🐧*?\\'))
    const found = async (value: string) =>
      (await client.send(new DescribeImagesCommand({ Filters: [{ Name: 'tag:Family', Values: [value] }] }))).Images?.map((image) => image.ImageId)
    expect(await found('?*')).toEqual([SOURCE_AMI_ID])
    expect(await found('?\\*\\?\\\\')).toEqual([SOURCE_AMI_ID])
    expect(await found('??\\*\\?\\\\')).toEqual([])
    expect(await found('🐧\\*\\?\\\\')).toEqual([SOURCE_AMI_ID])
    expect(await found('🐧\\*\\?')).toEqual([])
  })

  it('refuses unknown and malformed ids, and ids of no known kind', async () => {
    const client = ec2()
    const tags = [{ Key: 'Name', Value: 'x' }]
    await expect(
      client.send(new CreateTagsCommand({ Resources: ['snap-0123456789abcdef0'], Tags: tags }))
    ).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' })
    await expect(
      client.send(
        new CreateTagsCommand({ Resources: [SOURCE_AMI_ID, 'ami-0123456789abcdef0'], Tags: tags })
      )
    ).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' })
    expect(loopback.endpoint.tagsOf(HOME, SOURCE_AMI_ID)).toEqual({})
    await expect(
      client.send(new CreateTagsCommand({ Resources: ['i-123'], Tags: tags }))
    ).rejects.toMatchObject({ name: 'InvalidInstanceID.Malformed' })
    await expect(
      client.send(new CreateTagsCommand({ Resources: ['nothing-12345678'], Tags: tags }))
    ).rejects.toMatchObject({ name: 'InvalidID' })
  })
})

describe('instances, key pairs and security groups', () => {
  it('moves instances through their states as they are described', async () => {
    await start()
    const client = ec2()
    const run = await client.send(
      new RunInstancesCommand({
        ImageId: SOURCE_AMI_ID,
        MinCount: 1,
        MaxCount: 1,
        InstanceType: 't3.micro'
      })
    )
    const instanceId = run.Instances?.[0]?.InstanceId as string
    expect(run.Instances?.[0]?.State).toEqual({ Code: 0, Name: 'pending' })
    const state = async () =>
      (await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]
        ?.Instances?.[0]?.State?.Name
    expect(await state()).toBe('pending')
    await expect(
      client.send(new StopInstancesCommand({ InstanceIds: [instanceId] }))
    ).rejects.toMatchObject({ name: 'IncorrectInstanceState' })
    expect(await state()).toBe('running')
    const volumeId = loopback.endpoint.instances(HOME)[0].volumeIds[0]
    const stop = await client.send(new StopInstancesCommand({ InstanceIds: [instanceId] }))
    expect(stop.StoppingInstances?.[0]).toMatchObject({
      CurrentState: { Name: 'stopping' },
      PreviousState: { Name: 'running' }
    })
    expect(await state()).toBe('stopping')
    expect(await state()).toBe('stopped')
    await client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }))
    expect(await state()).toBe('shutting-down')
    expect(await state()).toBe('terminated')
    const volumes = await client.send(
      new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: [volumeId] }] })
    )
    expect(volumes.Volumes).toEqual([])
    await expect(
      client.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] }))
    ).rejects.toMatchObject({ name: 'InvalidInstanceID.NotFound' })
  })

  it('turns on enhanced networking of a stopped instance only, as an image builder does before imaging it', async () => {
    await start({ autoAdvance: { describes: 0 } })
    const client = ec2()
    const run = await client.send(
      new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro' })
    )
    const instanceId = run.Instances?.[0]?.InstanceId as string
    const described = async () =>
      (await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0]
    expect((await described())?.State?.Name).toBe('running')
    await expect(
      client.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, EnaSupport: { Value: true } }))
    ).rejects.toMatchObject({ name: 'IncorrectInstanceState' })
    await client.send(new StopInstancesCommand({ InstanceIds: [instanceId] }))
    expect((await described())?.State?.Name).toBe('stopped')
    await client.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, EnaSupport: { Value: false } }))
    await client.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, SriovNetSupport: { Value: 'simple' } }))
    expect(await described()).toMatchObject({ EnaSupport: false, SriovNetSupport: 'simple' })
    await expect(client.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId }))).rejects.toMatchObject({
      name: 'MissingParameter'
    })
  })

  it('leaves a terminated instance no block devices: its volumes are deleted or detached', async () => {
    await start({ autoAdvance: { describes: 0 } })
    const client = ec2()
    // One volume kept at the end, one deleted with the root volume (the API's default for both).
    const BlockDeviceMappings = [
      { DeviceName: '/dev/sdf', Ebs: { VolumeSize: 10, DeleteOnTermination: false } },
      { DeviceName: '/dev/sdg', Ebs: { VolumeSize: 10 } }
    ]
    const run = await client.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, MinCount: 1, MaxCount: 1, BlockDeviceMappings }))
    const instanceId = run.Instances?.[0]?.InstanceId as string
    const describe = async () =>
      (await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0]
    const mappings = (await describe())?.BlockDeviceMappings ?? []
    expect(mappings.map((mapping) => mapping.DeviceName)).toEqual(['/dev/xvda', '/dev/sdf', '/dev/sdg'])
    const kept = mappings.find((mapping) => mapping.DeviceName === '/dev/sdf')?.Ebs?.VolumeId as string
    const byVolume = async () =>
      (
        await client.send(
          new DescribeInstancesCommand({ Filters: [{ Name: 'block-device-mapping.volume-id', Values: [kept] }] })
        )
      ).Reservations ?? []
    expect(await byVolume()).toHaveLength(1)
    const root = mappings[0].Ebs?.VolumeId as string
    const { SnapshotId: snapshotId } = await client.send(new CreateSnapshotCommand({ VolumeId: root }))

    await client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }))
    const terminated = await describe()
    expect(terminated?.State?.Name).toBe('terminated')
    expect(terminated?.BlockDeviceMappings ?? []).toEqual([])
    expect(await byVolume()).toEqual([])
    const volumes = await client.send(new DescribeVolumesCommand({ VolumeIds: [kept] }))
    expect(volumes.Volumes?.map((volume) => [volume.VolumeId, volume.State, volume.Attachments])).toEqual([[kept, 'available', []]])
    const deleted = mappings.filter((mapping) => mapping.Ebs?.VolumeId !== kept).map((mapping) => mapping.Ebs?.VolumeId as string)
    const gone = await client.send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: deleted }] }))
    expect(gone.Volumes).toEqual([])
    const attached = await client.send(
      new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] })
    )
    expect(attached.Volumes).toEqual([])
    // A snapshot keeps the ID of the volume it was made of, deleted or not.
    const snapshots = await client.send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'volume-id', Values: [root] }] }))
    expect(snapshots.Snapshots?.map((snapshot) => [snapshot.SnapshotId, snapshot.VolumeId])).toEqual([[snapshotId, root]])
  })

  it('also moves states on after a time, without being described', async () => {
    await start({ autoAdvance: { describes: 1_000_000, afterMs: 20 } })
    const client = ec2()
    await client.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, MinCount: 1, MaxCount: 1 }))
    while (loopback.endpoint.instances(HOME)[0].state !== 'running') {
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    expect(loopback.endpoint.instances(HOME)[0].state).toBe('running')
  })

  it('creates and deletes key pairs and groups, refusing what EC2 refuses', async () => {
    await start({ autoAdvance: { describes: 0 } })
    const client = ec2()
    const key = await client.send(new CreateKeyPairCommand({ KeyName: 'build-key' }))
    expect(key.KeyMaterial).toContain('-----BEGIN RSA PRIVATE KEY-----')
    expect(key.KeyFingerprint).toMatch(/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/)
    await expect(client.send(new CreateKeyPairCommand({ KeyName: 'build-key' }))).rejects.toMatchObject({
      name: 'InvalidKeyPair.Duplicate'
    })
    await expect(
      client.send(new DescribeKeyPairsCommand({ KeyNames: ['other'] }))
    ).rejects.toMatchObject({ name: 'InvalidKeyPair.NotFound' })
    const group = await client.send(
      new CreateSecurityGroupCommand({ GroupName: 'build-group', Description: 'for a build' })
    )
    const groupId = group.GroupId as string
    const run = await client.send(
      new RunInstancesCommand({
        ImageId: SOURCE_AMI_ID,
        MinCount: 1,
        MaxCount: 1,
        KeyName: 'build-key',
        SecurityGroupIds: [groupId]
      })
    )
    const instanceId = run.Instances?.[0]?.InstanceId as string
    await expect(
      client.send(new DeleteSecurityGroupCommand({ GroupId: groupId }))
    ).rejects.toMatchObject({ name: 'DependencyViolation' })
    await client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }))
    await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))
    await client.send(new DeleteSecurityGroupCommand({ GroupId: groupId }))
    await expect(
      client.send(new DeleteSecurityGroupCommand({ GroupId: groupId }))
    ).rejects.toMatchObject({ name: 'InvalidGroup.NotFound' })
    await client.send(new DeleteKeyPairCommand({ KeyName: 'build-key' }))
    // EC2 answers success for a key name it does not know.
    await client.send(new DeleteKeyPairCommand({ KeyName: 'build-key' }))
    expect(loopback.endpoint.keyPairs(HOME)).toEqual([])
    expect(loopback.endpoint.securityGroups(HOME).map((g) => g.groupName)).toEqual(['default'])
    await expect(
      client.send(
        new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, MinCount: 1, MaxCount: 1, KeyName: 'gone' })
      )
    ).rejects.toMatchObject({ name: 'InvalidKeyPair.NotFound' })
  })
})

describe('spot instances from a launch template', () => {
  it("launches an instant fleet's instances from the version's data, tagged with their launch template and fleet", async () => {
    await start()
    const client = ec2()
    const { LaunchTemplate } = await client.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'packer-fleet-launch-template-a1B2c3D',
        LaunchTemplateData: { ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', InstanceMarketOptions: { MarketType: 'spot' } }
      })
    )
    const templateId = LaunchTemplate?.LaunchTemplateId as string
    const fleet = await client.send(
      new CreateFleetCommand({
        Type: 'instant',
        LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateName: 'packer-fleet-launch-template-a1B2c3D', Version: '1' } }],
        TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'spot' }
      })
    )
    expect(fleet.FleetId).toMatch(/^fleet-[0-9a-f-]{36}$/)
    expect(fleet.Errors ?? []).toEqual([])
    const [instanceId] = fleet.Instances?.[0]?.InstanceIds ?? []
    expect(fleet.Instances?.[0]).toMatchObject({ Lifecycle: 'spot', InstanceType: 't3.micro' })
    const described = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))
    const instance = described.Reservations?.[0]?.Instances?.[0]
    expect(instance?.ImageId).toBe(SOURCE_AMI_ID)
    expect(Object.fromEntries((instance?.Tags ?? []).map((tag) => [tag.Key, tag.Value]))).toEqual({
      'aws:ec2launchtemplate:id': templateId,
      'aws:ec2launchtemplate:version': '1',
      'aws:ec2:fleet-id': fleet.FleetId
    })
    await expect(client.send(new CreateFleetCommand({ Type: 'maintain', LaunchTemplateConfigs: [], TargetCapacitySpecification: { TotalTargetCapacity: 1 } })))
      .rejects.toMatchObject({ name: 'InvalidParameterValue' })

    // Deleting the launch template leaves its instance; a second delete finds nothing.
    await client.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: templateId }))
    expect(loopback.endpoint.launchTemplates(HOME)).toEqual([])
    expect(loopback.endpoint.instances(HOME).map((one) => one.instanceId)).toEqual([instanceId])
    await expect(client.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: templateId }))).rejects.toMatchObject({
      name: 'InvalidLaunchTemplateId.NotFound'
    })
  })
})

describe('networks seeded with tags', () => {
  const networks = [
    {
      vpcId: 'vpc-0c10000000000000a',
      cidrBlock: '10.1.0.0/16',
      tags: { Name: 'build-vpc' },
      subnets: [
        { subnetId: 'subnet-0c10000000000000a', zone: 'a', cidrBlock: '10.1.0.0/24', tags: { Tier: 'build' } },
        { subnetId: 'subnet-0c10000000000000b', zone: 'b', cidrBlock: '10.1.16.0/20', tags: { Tier: 'build' } }
      ]
    },
    { vpcId: 'vpc-0c20000000000000a', tags: { Name: 'other' }, subnetId: 'subnet-0c20000000000000a' }
  ]

  it('finds VPCs and subnets by tag, VPC, zone and size, in every region, as EC2 filters them', async () => {
    await start({ seedNetworks: networks })
    for (const region of [HOME, OTHER]) {
      const client = ec2(region)
      const vpcs = await client.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Name', Values: ['build-*'] }, { Name: 'is-default', Values: ['false'] }] }))
      expect(vpcs.Vpcs?.map((vpc) => [vpc.VpcId, vpc.CidrBlock, vpc.Tags])).toEqual([['vpc-0c10000000000000a', '10.1.0.0/16', [{ Key: 'Name', Value: 'build-vpc' }]]])
      // Packer's subnet_filter adds state, vpc-id and the legacy availabilityZone.
      const subnets = await client.send(
        new DescribeSubnetsCommand({
          Filters: [
            { Name: 'tag:Tier', Values: ['build'] },
            { Name: 'state', Values: ['available'] },
            { Name: 'vpc-id', Values: ['vpc-0c10000000000000a'] }
          ]
        })
      )
      expect(subnets.Subnets?.map((subnet) => [subnet.SubnetId, subnet.AvailabilityZone, subnet.AvailableIpAddressCount])).toEqual([
        ['subnet-0c10000000000000a', `${region}a`, 251],
        ['subnet-0c10000000000000b', `${region}b`, 4091]
      ])
      const inZone = await client.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'availabilityZone', Values: [`${region}b`] }, { Name: 'tag-key', Values: ['Tier'] }] }))
      expect(inZone.Subnets?.map((subnet) => subnet.SubnetId)).toEqual(['subnet-0c10000000000000b'])
      const big = await client.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'available-ip-address-count', Values: ['4091'] }, { Name: 'vpc-id', Values: ['vpc-0c20000000000000a'] }] }))
      expect(big.Subnets?.map((subnet) => [subnet.SubnetId, subnet.CidrBlock])).toEqual([['subnet-0c20000000000000a', '10.0.0.0/20']])
    }
  })

  it('has the security groups a seeded VPC names, in every region, as a template names them by id', async () => {
    await start({ seedNetworks: [{ vpcId: 'vpc-0c30000000000000a', subnetId: 'subnet-0c30000000000000a', securityGroupIds: ['sg-0c30000000000000a'] }] })
    for (const region of [HOME, OTHER]) {
      const groups = await ec2(region).send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0c30000000000000a'] }))
      expect(groups.SecurityGroups?.map((group) => [group.GroupId, group.VpcId, group.IpPermissions, group.IpPermissionsEgress?.[0]?.IpProtocol])).toEqual([
        ['sg-0c30000000000000a', 'vpc-0c30000000000000a', [], '-1']
      ])
    }
  })

  it('has security groups with the names and tags seeded or set by CreateTags, found by tag, name and VPC as EC2 finds them', async () => {
    const vpcId = 'vpc-0c40000000000000a'
    await start({
      seedNetworks: [
        {
          vpcId,
          subnetId: 'subnet-0c40000000000000a',
          securityGroups: [
            { groupId: 'sg-0c40000000000000a', groupName: 'packer-builds', tags: { Class: 'packer' } },
            { groupId: 'sg-0c40000000000000b', groupName: 'web' }
          ]
        }
      ]
    })
    const client = ec2()
    const ids = async (...Filters: Array<{ Name: string; Values: string[] }>) =>
      ((await client.send(new DescribeSecurityGroupsCommand({ Filters }))).SecurityGroups ?? []).map((group) => group.GroupId)
    expect(await ids({ Name: 'tag:Class', Values: ['packer'] }, { Name: 'vpc-id', Values: [vpcId] })).toEqual(['sg-0c40000000000000a'])
    expect(await ids({ Name: 'group-name', Values: ['web'] })).toEqual(['sg-0c40000000000000b'])
    // As on EC2, the VPC has its own group named default, beside the default VPC's.
    const defaults = await client.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }, { Name: 'vpc-id', Values: [vpcId] }] }))
    expect(defaults.SecurityGroups?.map((group) => [group.GroupName, group.VpcId])).toEqual([['default', vpcId]])
    // CreateTags tags a group, a subnet and a VPC; their describes and tag filters show it.
    await client.send(new CreateTagsCommand({ Resources: ['sg-0c40000000000000b', 'subnet-0c40000000000000a', vpcId], Tags: [{ Key: 'Class', Value: 'packer' }] }))
    expect(await ids({ Name: 'tag-key', Values: ['Class'] }, { Name: 'tag-value', Values: ['packer'] })).toEqual(['sg-0c40000000000000a', 'sg-0c40000000000000b'])
    expect((await client.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'tag:Class', Values: ['packer'] }] }))).Subnets?.map((one) => one.SubnetId)).toEqual([
      'subnet-0c40000000000000a'
    ])
    expect((await client.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Class', Values: ['packer'] }] }))).Vpcs?.map((one) => one.VpcId)).toEqual([vpcId])
    await expect(client.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag-Class', Values: ['packer'] }] }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: "The filter 'tag-Class' is invalid"
    })
    // A launch into the VPC with no group (as Packer 1.6.6 sends when its filter matched none) gets its default group.
    const launched = await client.send(
      new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SubnetId: 'subnet-0c40000000000000a' })
    )
    expect(launched.Instances?.[0].SecurityGroups?.map((group) => group.GroupName)).toEqual(['default'])
  })

  it('answers an empty list for a filter that matches nothing, and refuses an unknown filter', async () => {
    await start({ seedNetworks: networks })
    const client = ec2()
    expect((await client.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Name', Values: ['BUILD-VPC'] }] }))).Vpcs ?? []).toEqual([])
    expect((await client.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'tag:Tier', Values: ['db'] }] }))).Subnets ?? []).toEqual([])
    await expect(client.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'tier', Values: ['build'] }] }))).rejects.toMatchObject({
      name: 'InvalidParameterValue'
    })
  })
})

describe('an instance CreateImage is refused for', () => {
  it('runs once the refusal has looked at it, as a describe would', async () => {
    await start()
    const client = ec2()
    const run = await client.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }))
    const instanceId = run.Instances?.[0]?.InstanceId as string
    await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))
    await expect(client.send(new CreateImageCommand({ InstanceId: instanceId, Name: 'too soon' }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: `Invalid value '${instanceId}' for instanceId. Instance is not in state 'running' or 'stopping' or 'stopped'`
    })
    const { ImageId } = await client.send(new CreateImageCommand({ InstanceId: instanceId, Name: 'once it runs' }))
    expect(ImageId).toMatch(/^ami-[0-9a-f]{17}$/)
    expect(loopback.endpoint.instances(HOME).map((instance) => instance.state)).toEqual(['running'])
  })

  it('stays pending while instances are held pending', async () => {
    await start()
    loopback.endpoint.faults.holdInstancesPending()
    const client = ec2()
    const run = await client.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }))
    const instanceId = run.Instances?.[0]?.InstanceId as string
    for (const name of ['first', 'second', 'third']) {
      await expect(client.send(new CreateImageCommand({ InstanceId: instanceId, Name: name }))).rejects.toMatchObject({ name: 'InvalidParameterValue' })
    }
    expect(loopback.endpoint.instances(HOME).map((instance) => instance.state)).toEqual(['pending'])
  })
})

describe('protocol', () => {
  beforeEach(() => start())

  it('answers an unknown action with InvalidAction, as XML in the EC2 error shape', async () => {
    const { status, text } = await rawCall('Action=LaunchRocket&Version=2016-11-15')
    expect(status).toBe(400)
    expect(text).toMatch(
      new RegExp(
        '<Response><Errors><Error><Code>InvalidAction</Code>' +
          '<Message>The action LaunchRocket is not valid for this web service.</Message>' +
          '</Error></Errors><RequestID>[0-9a-f-]{36}</RequestID></Response>$'
      )
    )
    expect(loopback.endpoint.calls).toEqual([
      { action: 'LaunchRocket', region: HOME, params: {}, error: 'InvalidAction', accessKeyId: 'AKIDLOOPBACK' }
    ])
  })

  it('answers in the EC2 namespace', async () => {
    const { status, text } = await rawCall('Action=DescribeRegions&Version=2016-11-15')
    expect(status).toBe(200)
    expect(text).toContain('<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">')
  })

  it('takes the region from the credential scope and refuses regions it does not serve', async () => {
    const { Regions } = await ec2(THIRD).send(new DescribeRegionsCommand({}))
    expect(Regions?.map((region) => region.RegionName)).toEqual([HOME, OTHER, THIRD])
    await expect(ec2('ap-nowhere-1').send(new DescribeRegionsCommand({}))).rejects.toMatchObject({
      name: 'AuthFailure',
      $metadata: { httpStatusCode: 401 }
    })
    expect(loopback.endpoint.calls.map((call) => call.region)).toEqual([THIRD, 'ap-nowhere-1'])
  })

  it('is found through AWS_ENDPOINT_URL_EC2', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_EC2
    process.env.AWS_ENDPOINT_URL_EC2 = loopback.endpoint.url
    try {
      const { credentials } = loopbackClientConfig(loopback.endpoint, OTHER)
      const client = new EC2Client({ region: OTHER, credentials, maxAttempts: 1 })
      const { Images } = await client.send(new DescribeImagesCommand({ Owners: ['amazon'] }))
      expect(Images?.[0]?.ImageId).toBe(SOURCE_AMI_ID)
      expect(loopback.endpoint.callsOf('DescribeImages', OTHER)).toHaveLength(1)
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_EC2
      else process.env.AWS_ENDPOINT_URL_EC2 = saved
    }
  })
})

describe('faults', () => {
  beforeEach(() => start({ autoAdvance: { describes: 0 } }))

  it('throttles the first N calls of an action with RequestLimitExceeded (HTTP 503)', async () => {
    loopback.endpoint.faults.throttle('DescribeImages', { firstCalls: 2 })
    const client = ec2()
    const describe = () => client.send(new DescribeImagesCommand({ ImageIds: [SOURCE_AMI_ID] }))
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(describe()).rejects.toMatchObject({
        name: 'RequestLimitExceeded',
        message: 'Request limit exceeded.',
        $metadata: { httpStatusCode: 503 }
      })
    }
    await expect(describe()).resolves.toMatchObject({ Images: [{ ImageId: SOURCE_AMI_ID }] })
    await client.send(new DescribeSnapshotsCommand({}))
    expect(loopback.endpoint.calls.map((call) => call.error)).toEqual([
      'RequestLimitExceeded',
      'RequestLimitExceeded',
      undefined,
      undefined
    ])
  })

  it('throttles at a rate, and the SDK retries a throttled call', async () => {
    loopback.endpoint.faults.throttle('DescribeImages', { rate: 0.5 })
    const once = ec2()
    const outcomes: string[] = []
    for (let attempt = 0; attempt < 4; attempt++) {
      outcomes.push(
        await once.send(new DescribeImagesCommand({})).then(
          () => 'ok',
          (error: Error) => error.name
        )
      )
    }
    expect(outcomes).toEqual(['RequestLimitExceeded', 'ok', 'RequestLimitExceeded', 'ok'])

    const retrying = ec2(HOME, { maxAttempts: 2 })
    await expect(retrying.send(new DescribeImagesCommand({}))).resolves.toBeDefined()
    expect(loopback.endpoint.calls.slice(4).map((call) => call.error)).toEqual([
      'RequestLimitExceeded',
      undefined
    ])
  })

  it('throttles one region only when asked', async () => {
    loopback.endpoint.faults.throttle('DescribeImages', { region: OTHER })
    await expect(ec2(HOME).send(new DescribeImagesCommand({}))).resolves.toBeDefined()
    await expect(ec2(OTHER).send(new DescribeImagesCommand({}))).rejects.toMatchObject({
      name: 'RequestLimitExceeded'
    })
  })

  it('fails an action with UnauthorizedOperation and an encoded authorization message', async () => {
    loopback.endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation' })
    const client = ec2()
    const error = await client
      .send(new CreateTagsCommand({ Resources: [SOURCE_AMI_ID], Tags: [{ Key: 'a', Value: 'b' }] }))
      .catch((e: unknown) => e as Error & { $metadata: { httpStatusCode: number } })
    expect(error).toMatchObject({ name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } })
    const message = (error as Error).message
    expect(message).toMatch(/^You are not authorized to perform this operation\. /)
    expect(message).toContain(
      `ec2:CreateTags on resource: arn:aws:ec2:us-east-1::image/${SOURCE_AMI_ID} `
    )
    expect(message).toMatch(/ Encoded authorization failure message: [A-Za-z0-9_-]{40,}$/)
    expect(loopback.endpoint.tagsOf(HOME, SOURCE_AMI_ID)).toEqual({})
    await expect(client.send(new DescribeTagsCommand({}))).resolves.toBeDefined()
  })

  it('fails only the first N calls when asked, with a given message', async () => {
    loopback.endpoint.faults.fail('DescribeSnapshots', {
      code: 'InternalError',
      message: 'try later',
      firstCalls: 1
    })
    const client = ec2()
    await expect(client.send(new DescribeSnapshotsCommand({}))).rejects.toMatchObject({
      name: 'InternalError',
      message: 'try later',
      $metadata: { httpStatusCode: 500 }
    })
    await expect(client.send(new DescribeSnapshotsCommand({}))).resolves.toBeDefined()
  })

  it('hides a freshly copied AMI from the first N calls that name it', async () => {
    const source = await availableImage(ec2())
    loopback.endpoint.faults.hideCopiedImages(2)
    const target = ec2(OTHER)
    const { ImageId } = await target.send(
      new CopyImageCommand({ SourceRegion: HOME, SourceImageId: source, Name: 'copied' })
    )
    const copyId = ImageId as string
    await expect(target.send(new DescribeImagesCommand({ ImageIds: [copyId] }))).rejects.toMatchObject({
      name: 'InvalidAMIID.NotFound'
    })
    await expect(
      target.send(new CreateTagsCommand({ Resources: [copyId], Tags: [{ Key: 'a', Value: 'b' }] }))
    ).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' })
    await expect(target.send(new DescribeImagesCommand({ ImageIds: [copyId] }))).resolves.toMatchObject({
      Images: [{ ImageId: copyId }]
    })
    // The source AMI was not copied, so it was never hidden.
    await expect(ec2().send(new DescribeImagesCommand({ ImageIds: [source] }))).resolves.toBeDefined()
  })

  // Generous delays: the order of answers must not depend on how busy the machine is.
  it('delays answers without blocking other calls', async () => {
    loopback.endpoint.faults.latency(1500, 'DescribeImages')
    const client = ec2()
    const finished: string[] = []
    const slow = client.send(new DescribeImagesCommand({})).then(() => finished.push('slow'))
    while (loopback.endpoint.calls.length < 1) await new Promise((resolve) => setTimeout(resolve, 5))
    const fast = client.send(new DescribeSnapshotsCommand({})).then(() => finished.push('fast'))
    await Promise.all([slow, fast])
    expect(finished).toEqual(['fast', 'slow'])

    loopback.endpoint.faults.latency(1000)
    let arrivedBeforeFirstAnswer = 0
    await Promise.race([
      client.send(new DescribeRegionsCommand({})),
      client.send(new DescribeRegionsCommand({}))
    ]).then(() => {
      arrivedBeforeFirstAnswer = loopback.endpoint.callsOf('DescribeRegions').length
    })
    expect(arrivedBeforeFirstAnswer).toBe(2)
  })

  it('keeps instances pending until they are terminated', async () => {
    loopback.endpoint.faults.holdInstancesPending()
    const client = ec2()
    const run = await client.send(
      new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, MinCount: 1, MaxCount: 1 })
    )
    const instanceId = run.Instances?.[0]?.InstanceId as string
    const state = async () =>
      (await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]
        ?.Instances?.[0]?.State?.Name
    for (let attempt = 0; attempt < 5; attempt++) expect(await state()).toBe('pending')
    await client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }))
    expect(await state()).toBe('terminated')
  })
})
