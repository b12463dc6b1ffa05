// Where the AMIs of builds that finished before Packer was stopped are, when the log wrote the
// builds' scripts' lines as the builders' (Packer 1.13 and later): an AMI the log named counts
// only where EC2 ties it to the build's instance. Against the loopback endpoint over real HTTP,
// reached as the action reaches EC2 (AWS_ENDPOINT_URL_EC2).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import {
  CopyImageCommand,
  CreateImageCommand,
  CreateSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  RegisterImageCommand,
  RunInstancesCommand,
  TerminateInstancesCommand
} from '@aws-sdk/client-ec2'
import { SOURCE_AMI_ID, startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { findFinishedImages } from '../src/aws/finished-images.js'
import { imagesOf, notTheBuilds } from '../src/report/found-images.js'

const saved = { ...process.env }
let endpoint: Ec2Endpoint
let ec2: EC2Client

beforeAll(() => {
  process.env.AWS_ACCESS_KEY_ID = 'AKIDLOOPBACK'
  process.env.AWS_SECRET_ACCESS_KEY = 'x'
  delete process.env.AWS_PROFILE
  delete process.env.AWS_SESSION_TOKEN
})
afterAll(() => {
  process.env = saved
})
beforeEach(async () => {
  endpoint = await startEc2Endpoint()
  process.env.AWS_ENDPOINT_URL_EC2 = endpoint.url
  ec2 = new EC2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
})
afterEach(async () => {
  ec2.destroy()
  await endpoint.close()
})

/** A running instance, and its root volume. */
async function instance(): Promise<{ id: string; volume: string }> {
  const id = (await ec2.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }))).Instances?.[0]?.InstanceId as string
  for (let i = 0; i < 2; i++) await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))
  return { id, volume: endpoint.instances('us-east-1').find((one) => one.instanceId === id)?.volumeIds[0] as string }
}

/** An AMI registered from no instance, from `snapshot`. */
async function register(snapshot: string, name: string): Promise<string> {
  const answer = await ec2.send(
    new RegisterImageCommand({ Name: name, RootDeviceName: '/dev/xvda', BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: snapshot } }] })
  )
  return answer.ImageId as string
}

const snapshotOf = async (volume: string): Promise<string> => (await ec2.send(new CreateSnapshotCommand({ VolumeId: volume }))).SnapshotId as string
const started = new Date().toISOString()

describe("an AMI a build's log named, registered from snapshots while Packer ran", () => {
  it("is the build's only where its snapshots are of its instance's volumes, in one look at each per region", async () => {
    const build = await instance()
    const other = await instance()
    const ours = await register(await snapshotOf(build.volume), 'build-1')
    const theirs = await register(await snapshotOf(other.volume), 'other-pipeline-1')
    const finished = [
      { build: 'a', ami: ours, instances: [build.id] },
      { build: 'b', ami: theirs, instances: [build.id] }
    ]
    const found = await findFinishedImages(finished, ['us-east-1'], undefined, started)
    expect([...found.regions.regionOf]).toEqual([[ours, 'us-east-1']])
    expect(notTheBuilds(finished, found)).toEqual([
      { build: 'b', source: theirs, ami: theirs, region: 'us-east-1', why: `registered from snapshots of ${other.volume}, which EC2 does not show attached to the build's instance` }
    ])
    expect(endpoint.callsOf('DescribeSnapshots')).toHaveLength(1)
    expect(endpoint.callsOf('DescribeVolumes')).toHaveLength(1)
  })

  it("is the build's where its snapshot was made by CreateImage from the build's instance, which is gone", async () => {
    const build = await instance()
    const made = (await ec2.send(new CreateImageCommand({ InstanceId: build.id, Name: 'build-0' }))).ImageId as string
    for (let i = 0; i < 3; i++) await ec2.send(new DescribeImagesCommand({ ImageIds: [made] }))
    const snapshot = endpoint.images('us-east-1').find((one) => one.imageId === made)?.blockDeviceMappings[0]?.snapshotId as string
    const ours = await register(snapshot, 'build-1')
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [build.id] }))
    for (let i = 0; i < 3; i++) await ec2.send(new DescribeInstancesCommand({ InstanceIds: [build.id] }))
    const found = await findFinishedImages([{ build: 'a', ami: ours, instances: [build.id] }], ['us-east-1'], undefined, started)
    expect([...found.regions.regionOf]).toEqual([[ours, 'us-east-1']])
  })

  it("is not the build's, and says why, when EC2 will not describe its snapshots", async () => {
    const build = await instance()
    const ours = await register(await snapshotOf(build.volume), 'build-1')
    endpoint.faults.fail('DescribeSnapshots', { code: 'UnauthorizedOperation' })
    const finished = [{ build: 'a', ami: ours, instances: [build.id] }]
    const found = await findFinishedImages(finished, ['us-east-1'], undefined, started)
    expect(found.regions.regionOf.size).toBe(0)
    const [rejected] = notTheBuilds(finished, found)
    expect(rejected?.why).toMatch(/^registered from snapshots EC2 would not describe: .*ec2:DescribeSnapshots/)
    expect(imagesOf(finished[0], found)).toEqual({ amis: [], missing: false })
  })

  it("is not the build's when it is a copy, nor when it was registered before Packer started", async () => {
    const build = await instance()
    const ours = await register(await snapshotOf(build.volume), 'build-1')
    for (let i = 0; i < 3; i++) await ec2.send(new DescribeImagesCommand({ ImageIds: [ours] }))
    const copy = (await ec2.send(new CopyImageCommand({ SourceImageId: ours, SourceRegion: 'us-east-1', Name: 'copy-1' }))).ImageId as string
    const finished = [
      { build: 'a', ami: copy, instances: [build.id] },
      { build: 'b', ami: ours, instances: [build.id] }
    ]
    const found = await findFinishedImages(finished, ['us-east-1'], undefined, new Date(Date.now() + 3_600_000).toISOString())
    expect(notTheBuilds(finished, found).map(({ ami, why }) => [ami, why])).toEqual([
      [copy, `a copy of ${ours}, where the build's AMI is made from its instance`],
      [ours, 'registered before Packer started']
    ])
  })
})

describe("the copies of an AMI a build's log named", () => {
  it("are not the build's when that AMI is gone, and it is then not missing", async () => {
    const build = await instance()
    const other = await instance()
    const theirs = (await ec2.send(new CreateImageCommand({ InstanceId: other.id, Name: 'other-1' }))).ImageId as string
    for (let i = 0; i < 3; i++) await ec2.send(new DescribeImagesCommand({ ImageIds: [theirs] }))
    const west = new EC2Client({ region: 'us-west-2', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
    const copy = (await west.send(new CopyImageCommand({ SourceImageId: theirs, SourceRegion: 'us-east-1', Name: 'other-1' }))).ImageId as string
    west.destroy()
    await ec2.send(new DeregisterImageCommand({ ImageId: theirs }))
    const finished = [{ build: 'vol', ami: theirs, copyRegions: ['us-west-2'], instances: [build.id] }]
    const found = await findFinishedImages(finished, ['us-east-1'], undefined, started)
    expect(found.copies.copies).toEqual([])
    expect(notTheBuilds(finished, found)).toEqual([
      {
        build: 'vol',
        source: theirs,
        ami: copy,
        region: 'us-west-2',
        why: `a copy of ${theirs}, which no longer exists, so nothing EC2 shows ties it to the build's instance`
      }
    ])
    expect(imagesOf(finished[0], found)).toEqual({ amis: [], missing: false })
  })
})
