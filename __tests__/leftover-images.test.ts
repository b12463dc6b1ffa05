// The post step's clean-up of an amazon-ebssurrogate build's snapshots, against the loopback
// endpoint over real HTTP, for what Packer itself cannot produce: a line naming a volume that
// is not the build's (a provisioner's, which Packer 1.13 and later print with the builder's
// `==> ` prefix). Such a volume's snapshots, and the AMIs registered from them, are never touched.
// And of a spot build's launch template as the Amazon plugin announces it, which Packer 1.6.6
// does not.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import {
  CopyImageCommand,
  CreateImageCommand,
  CreateKeyPairCommand,
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  DeleteKeyPairCommand,
  DeleteLaunchTemplateCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  RegisterImageCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand
} from '@aws-sdk/client-ec2'
import { SOURCE_AMI_ID, startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { cleanUpLeftovers } from '../src/aws/cleanup.js'
import type { LeftoverState } from '../src/aws/leftovers.js'
import { noTemporaryResources } from '../src/packer/machine-readable.js'

/** A fresh loopback endpoint for each test, with an EC2 client of it in us-east-1. */
function freshEndpointEach(): { endpoint: Ec2Endpoint; ec2: EC2Client } {
  const current = {} as { endpoint: Ec2Endpoint; ec2: EC2Client }
  beforeEach(async () => {
    current.endpoint = await startEc2Endpoint()
    current.ec2 = new EC2Client({ region: 'us-east-1', endpoint: current.endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
  })
  afterEach(async () => {
    current.ec2.destroy()
    await current.endpoint.close()
  })
  return current
}

describe("the clean-up of a build's snapshots", () => {
  const loopback = freshEndpointEach()

  async function instance(): Promise<{ id: string; volume: string }> {
    const run = await loopback.ec2.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }))
    const id = run.Instances?.[0]?.InstanceId as string
    // The endpoint starts an instance once it has been described.
    for (let i = 0; i < 2; i++) await loopback.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))
    const [volume] = loopback.endpoint.instances('us-east-1').find((one) => one.instanceId === id)?.volumeIds ?? []
    return { id, volume }
  }

  /** A snapshot of `volume` and an AMI registered from it, as a user's own backup job makes them. */
  async function backup(volume: string, name: string): Promise<{ snapshot: string; ami: string }> {
    const snapshot = (await loopback.ec2.send(new CreateSnapshotCommand({ VolumeId: volume }))).SnapshotId as string
    const { ImageId } = await loopback.ec2.send(
      new RegisterImageCommand({ Name: name, RootDeviceName: '/dev/xvda', BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: snapshot } }] })
    )
    return { snapshot, ami: ImageId as string }
  }

  /** Terminates an instance, which takes its volume with it. */
  async function terminate({ id, volume }: { id: string; volume: string }): Promise<void> {
    await loopback.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }))
    for (let i = 0; i < 3; i++) await loopback.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))
    expect(loopback.endpoint.volumes('us-east-1').map((one) => one.volumeId)).not.toContain(volume)
  }

  function killedBuild(resources: Partial<LeftoverState['resources']>, packerStarted: Date): LeftoverState {
    return {
      regions: ['us-east-1'],
      resources: { ...noTemporaryResources(), ...resources },
      packer: 'killed',
      packerStarted: packerStarted.toISOString(),
      amis: []
    }
  }

  async function cleanUp(state: LeftoverState): Promise<{ logged: string[]; warned: string[] }> {
    const logged: string[] = []
    const warned: string[] = []
    await cleanUpLeftovers(state, { ec2For: () => loopback.ec2, log: (line) => logged.push(line), warn: (line) => warned.push(line), pollMs: 10 })
    return { logged, warned }
  }

  it("leaves the snapshots of a volume attached to another instance, and the AMI registered from them", async () => {
    const build = await instance()
    const other = await instance()
    const kept = await backup(other.volume, 'web-backup')
    await loopback.ec2.send(new StopInstancesCommand({ InstanceIds: [build.id] }))

    const { logged, warned } = await cleanUp(killedBuild({ instanceIds: [build.id], snapshotVolumes: [other.volume] }, new Date()))
    expect(warned).toEqual([])
    expect(logged).toContain(`${other.volume}, which Packer's log named, is attached to none of the build's instances: its snapshots are left as they are.`)
    expect(loopback.endpoint.images('us-east-1').map((image) => image.imageId)).toContain(kept.ami)
    expect(loopback.endpoint.snapshots('us-east-1').map((one) => one.snapshotId)).toContain(kept.snapshot)
    // Only the build's own volume is searched for snapshots Packer may have made unheard.
    expect(loopback.endpoint.callsOf('DescribeSnapshots').flatMap((call) => Object.values(call.params))).not.toContain(other.volume)
    expect(loopback.endpoint.callsOf('DescribeSnapshots').flatMap((call) => Object.values(call.params))).toContain(build.volume)
    expect(loopback.endpoint.callsOf('DeleteSnapshot')).toEqual([])
  })

  it("leaves the snapshots of a kept volume whose instance is terminated, and names each with its region and size", async () => {
    const started = new Date()
    const run = await loopback.ec2.send(
      new RunInstancesCommand({
        ImageId: SOURCE_AMI_ID,
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: false } }]
      })
    )
    const id = run.Instances?.[0]?.InstanceId as string
    const [volume] = loopback.endpoint.instances('us-east-1').find((one) => one.instanceId === id)?.volumeIds ?? []
    const snapshot = (await loopback.ec2.send(new CreateSnapshotCommand({ VolumeId: volume }))).SnapshotId as string
    await loopback.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }))
    for (let i = 0; i < 3; i++) await loopback.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))
    expect(loopback.endpoint.volumes('us-east-1').find((one) => one.volumeId === volume)?.attachedTo).toBeUndefined()

    const { logged, warned } = await cleanUp(killedBuild({ instanceIds: [id], snapshotVolumes: [volume] }, started))
    expect(logged).toContain(`${volume}, which Packer's log named, is attached to none of the build's instances: its snapshots are left as they are.`)
    expect(warned).toEqual([
      `Packer's log says the build snapshotted ${volume}, but EC2 ties it to none of the build's instances, so these snapshots are left as they are: ` +
        `${snapshot} (us-east-1, 8 GiB, of ${volume}). If they are the build's, delete them (and the volume, if it is no longer needed) by hand.`
    ])
    expect(loopback.endpoint.snapshots('us-east-1').map((one) => one.snapshotId)).toContain(snapshot)
    expect(loopback.endpoint.callsOf('DeleteSnapshot')).toEqual([])
  })

  it('leaves the snapshots of a volume that is gone when they were made before Packer started', async () => {
    const build = await instance()
    const other = await instance()
    const kept = await backup(other.volume, 'web-backup')
    await terminate(other)
    const started = new Date(Date.now() + 10 * 60_000)

    const { warned } = await cleanUp(killedBuild({ instanceIds: [build.id], snapshotVolumes: [other.volume] }, started))
    expect(warned).toEqual([])
    expect(loopback.endpoint.images('us-east-1').map((image) => image.imageId)).toContain(kept.ami)
    expect(loopback.endpoint.snapshots('us-east-1').map((one) => one.snapshotId)).toContain(kept.snapshot)
    expect(loopback.endpoint.callsOf('DeregisterImage')).toEqual([])
    expect(loopback.endpoint.callsOf('DeleteSnapshot')).toEqual([])
  })

  it("leaves the snapshots, made since Packer started, of a volume that is gone, when the log wrote the build's scripts' lines as its own", async () => {
    const started = new Date(Date.now() - 60_000)
    const build = await instance()
    const other = await instance()
    // Another pipeline's backup of its instance, which it then terminated, while a script of the build printed its volume (Packer 1.13 and later).
    const theirs = await backup(other.volume, 'db-nightly')
    await terminate(other)

    const { logged } = await cleanUp({ ...killedBuild({ instanceIds: [build.id], snapshotVolumes: [other.volume] }, started), scriptLinesAlike: true })
    expect(logged).toContain(
      `${other.volume}, which Packer's log named, no longer exists, and this Packer writes a script's lines as the builder's: nothing ties its snapshots to the build, so they are left as they are.`
    )
    expect(loopback.endpoint.images('us-east-1').map((image) => image.imageId)).toContain(theirs.ami)
    expect(loopback.endpoint.snapshots('us-east-1').map((one) => one.snapshotId)).toContain(theirs.snapshot)
    expect(loopback.endpoint.callsOf('DeregisterImage')).toEqual([])
    expect(loopback.endpoint.callsOf('DeleteSnapshot')).toEqual([])
  })

  it('names, and leaves, an AMI the log named that was registered during the build from snapshots nothing ties to the build', async () => {
    const build = await instance()
    const other = await instance()
    // Another pipeline's AMI, registered while the build ran, whose ID a script printed.
    const theirs = await backup(other.volume, 'db-nightly')
    const { warned } = await cleanUp(killedBuild({ instanceIds: [build.id], images: [theirs.ami] }, new Date(Date.now() - 60_000)))
    expect(warned).toEqual([
      `us-east-1: ${theirs.ami}, which Packer's log named, was registered after Packer started, but nothing EC2 shows ties it ` +
        "to the build's instance: left as it is. If it is the build's AMI, deregister it and delete what it was registered from."
    ])
    expect(loopback.endpoint.images('us-east-1').map((image) => image.imageId)).toContain(theirs.ami)
    expect(loopback.endpoint.callsOf('DeregisterImage')).toEqual([])
  })
})

describe("the clean-up of a spot build's launch template, as the Amazon plugin announces it", () => {
  const loopback = freshEndpointEach()

  async function launchTemplate(name: string): Promise<string> {
    const { LaunchTemplate } = await loopback.ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: name, LaunchTemplateData: { ImageId: SOURCE_AMI_ID } }))
    return LaunchTemplate?.LaunchTemplateId as string
  }

  function announced(packer: LeftoverState['packer'], launchTemplates: string[]): LeftoverState {
    return { regions: ['us-east-1'], resources: { ...noTemporaryResources(), keyPairs: ['packer_6601'], launchTemplates }, packer }
  }

  it('deletes the one a build killed before its fleet launched announced, and no other', async () => {
    const packers = await launchTemplate('packer-fleet-launch-template-a1B2c3D')
    const users = await launchTemplate('web-fleet')
    const logged: string[] = []
    const warned: string[] = []
    const report = await cleanUpLeftovers(announced('killed', [packers]), { ec2For: () => loopback.ec2, log: (line) => logged.push(line), warn: (line) => warned.push(line) })
    expect(warned).toEqual([])
    expect(logged).toContain(`us-east-1: deleted launch template ${packers}, which Packer made to launch a spot instance.`)
    expect(report.deletedLaunchTemplates).toEqual([packers])
    expect(loopback.endpoint.launchTemplates('us-east-1').map((one) => one.launchTemplateId)).toEqual([users])
  })

  it('says one that Packer deleted as it cleaned up after a failed build is already gone', async () => {
    const packers = await launchTemplate('packer-fleet-launch-template-a1B2c3D')
    await loopback.ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: packers }))
    const logged: string[] = []
    const warned: string[] = []
    const report = await cleanUpLeftovers(announced('failed', [packers]), { ec2For: () => loopback.ec2, log: (line) => logged.push(line), warn: (line) => warned.push(line) })
    expect(warned).toEqual([])
    expect(logged).toContain(`us-east-1: launch template ${packers} is already gone.`)
    expect(report.deletedLaunchTemplates).toEqual([])
    expect(report.leftBehind).toEqual([])
  })
})

describe('the clean-up after a build whose template fixes temporary_key_pair_name', () => {
  const loopback = freshEndpointEach()

  /** A running instance launched with key pair `keyName`, and an AMI made of it. */
  async function instanceWithAmi(keyName: string, name: string): Promise<{ id: string; ami: string }> {
    const run = await loopback.ec2.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, KeyName: keyName }))
    const id = run.Instances?.[0]?.InstanceId as string
    for (let i = 0; i < 2; i++) await loopback.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))
    const { ImageId } = await loopback.ec2.send(new CreateImageCommand({ InstanceId: id, Name: name }))
    return { id, ami: ImageId as string }
  }

  it("leaves a previous run's AMI made of its instance with the same key pair name, and an older instance that uses that name", async () => {
    // A previous run with the same key pair name succeeded minutes ago: Packer terminated its
    // instance (EC2 still lists it) and deleted its key pair. A long-lived instance was launched
    // with that name long before.
    await loopback.ec2.send(new CreateKeyPairCommand({ KeyName: 'packer-ci' }))
    const previous = await instanceWithAmi('packer-ci', 'web-release-41')
    const longLived = (
      await loopback.ec2.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, KeyName: 'packer-ci' }))
    ).Instances?.[0]?.InstanceId as string
    loopback.endpoint.backdate('us-east-1', longLived, 2 * 3600_000)
    await loopback.ec2.send(new TerminateInstancesCommand({ InstanceIds: [previous.id] }))
    await loopback.ec2.send(new DeleteKeyPairCommand({ KeyName: 'packer-ci' }))
    // This run made the key pair anew, and was killed while EC2 made its AMI.
    const started = new Date()
    await loopback.ec2.send(new CreateKeyPairCommand({ KeyName: 'packer-ci' }))
    const build = await instanceWithAmi('packer-ci', 'web-release-42')

    const logged: string[] = []
    const warned: string[] = []
    const state: LeftoverState = {
      regions: ['us-east-1'],
      resources: { ...noTemporaryResources(), instanceIds: [build.id], keyPairs: ['packer-ci'], imageInstances: [build.id], images: [build.ami] },
      packer: 'killed',
      packerStarted: started.toISOString(),
      amis: []
    }
    const report = await cleanUpLeftovers(state, { ec2For: () => loopback.ec2, log: (line) => logged.push(line), warn: (line) => warned.push(line), pollMs: 10 })
    expect(warned).toEqual([])
    expect(report.deregistered).toEqual([`${build.ami} (us-east-1)`])
    expect(report.terminated).toEqual([build.id])
    expect(report.deletedKeyPairs).toEqual(['packer-ci'])
    expect(logged).toContainEqual(expect.stringMatching(new RegExp(`^us-east-1: ${longLived} \\(running\\) uses the key pair or security group Packer announced, but was launched before Packer started`)))
    expect(loopback.endpoint.images('us-east-1').map((image) => image.imageId)).toContain(previous.ami)
    expect(loopback.endpoint.instances('us-east-1').find((one) => one.instanceId === longLived)?.state).toBe('running')
    expect(loopback.endpoint.callsOf('DeregisterImage').map((call) => call.params.ImageId)).toEqual([build.ami])
  })
})

describe('the clean-up after a main step killed before it read the instance ID', () => {
  const loopback = freshEndpointEach()

  it("removes the AMI of an instance found by the security group Packer named, though its key pair's name is the template's", async () => {
    const started = new Date()
    await loopback.ec2.send(new CreateKeyPairCommand({ KeyName: 'packer-ci' }))
    const groupName = 'packer_6b158cf6-1f2e-4a5b-9c8d-0123456789ab'
    const group = (await loopback.ec2.send(new CreateSecurityGroupCommand({ GroupName: groupName, Description: 'Temporary group for Packer' }))).GroupId as string
    const run = await loopback.ec2.send(
      new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, KeyName: 'packer-ci', SecurityGroupIds: [group] })
    )
    const id = run.Instances?.[0]?.InstanceId as string
    for (let i = 0; i < 2; i++) await loopback.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))
    const ami = (await loopback.ec2.send(new CreateImageCommand({ InstanceId: id, Name: 'web-release-42' }))).ImageId as string

    const logged: string[] = []
    const warned: string[] = []
    const state: LeftoverState = {
      regions: ['us-east-1'],
      resources: { ...noTemporaryResources(), keyPairs: ['packer-ci'], securityGroups: [groupName] },
      packer: 'running',
      packerStarted: started.toISOString(),
      amis: []
    }
    const report = await cleanUpLeftovers(state, { ec2For: () => loopback.ec2, log: (line) => logged.push(line), warn: (line) => warned.push(line), pollMs: 10 })
    expect(warned).toEqual([])
    expect(report.terminated).toEqual([id])
    expect(report.deregistered).toEqual([`${ami} (us-east-1)`])
    expect(logged.filter((line) => line.includes('was found only through'))).toEqual([])
    expect(loopback.endpoint.images('us-east-1').map((image) => image.imageId)).toEqual([SOURCE_AMI_ID])
  })
})

describe('the clean-up of an AMI that a provisioner printed', () => {
  const loopback = freshEndpointEach()
  // A client of the endpoint for each region a test asks, ended after it.
  const clients: EC2Client[] = []
  afterEach(() => {
    for (const ec2 of clients.splice(0)) ec2.destroy()
  })
  const ec2For = (region: string): EC2Client => {
    const ec2 = new EC2Client({ region, endpoint: loopback.endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' } })
    clients.push(ec2)
    return ec2
  }

  it("leaves the copies, made since Packer started, of an AMI that is gone, when the log wrote the build's scripts' lines as its own", async () => {
    const started = new Date(Date.now() - 60_000)
    const run = await loopback.ec2.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }))
    const build = run.Instances?.[0]?.InstanceId as string
    // Another pipeline releases its AMI to eu-west-1, then deregisters the original, while a script of the build prints its ID (Packer 1.13 and later).
    const other = await loopback.ec2.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }))
    const otherInstance = other.Instances?.[0]?.InstanceId as string
    for (let i = 0; i < 2; i++) await loopback.ec2.send(new DescribeInstancesCommand({ InstanceIds: [otherInstance] }))
    const released = (await loopback.ec2.send(new CreateImageCommand({ InstanceId: otherInstance, Name: 'api-release-7' }))).ImageId as string
    // The endpoint makes an AMI available once it has been described.
    for (let i = 0; i < 3; i++) await loopback.ec2.send(new DescribeImagesCommand({ ImageIds: [released] }))
    const copy = (await ec2For('eu-west-1').send(new CopyImageCommand({ Name: 'api-release-7', SourceImageId: released, SourceRegion: 'us-east-1' }))).ImageId as string
    await loopback.ec2.send(new DeregisterImageCommand({ ImageId: released }))
    const logged: string[] = []
    const state: LeftoverState = {
      regions: ['us-east-1'],
      resources: { ...noTemporaryResources(), instanceIds: [build], images: [released], copyRegions: ['eu-west-1'] },
      packer: 'killed',
      packerStarted: started.toISOString(),
      scriptLinesAlike: true,
      amis: []
    }
    const report = await cleanUpLeftovers(state, { ec2For, log: (line) => logged.push(line), warn: () => undefined, pollMs: 10 })
    expect(report.deregistered).toEqual([])
    expect(report.leftBehind).toContain(`copies of ${released} made since Packer started`)
    expect(loopback.endpoint.images('eu-west-1').map((image) => image.imageId)).toContain(copy)
    expect(loopback.endpoint.callsOf('DeregisterImage').filter((call) => call.params.ImageId !== released)).toEqual([])
  })

  it("leaves the copies of another account's AMI, made since Packer started, whose ID the build's log named", async () => {
    const started = new Date()
    const run = await loopback.ec2.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }))
    const build = run.Instances?.[0]?.InstanceId as string
    // Another pipeline of the account copies the public base AMI, while a provisioner echoes its ID.
    const copy = (await ec2For('eu-west-1').send(new CopyImageCommand({ Name: 'encrypted-base', SourceImageId: SOURCE_AMI_ID, SourceRegion: 'us-east-1', Encrypted: true })))
      .ImageId as string
    const logged: string[] = []
    const warned: string[] = []
    const state: LeftoverState = {
      regions: ['us-east-1'],
      resources: { ...noTemporaryResources(), instanceIds: [build], images: [SOURCE_AMI_ID] },
      packer: 'killed',
      packerStarted: started.toISOString(),
      amis: []
    }
    const report = await cleanUpLeftovers(state, { ec2For, log: (line) => logged.push(line), warn: (line) => warned.push(line), pollMs: 10 })
    expect(warned).toEqual([])
    expect(report.deregistered).toEqual([])
    expect(logged).toContainEqual(expect.stringMatching(new RegExp(`^us-east-1: ${SOURCE_AMI_ID}, which Packer's log named, is not the account's own`)))
    expect(loopback.endpoint.images('eu-west-1').map((image) => image.imageId)).toContain(copy)
    expect(loopback.endpoint.callsOf('DeregisterImage')).toEqual([])
  })
})

describe("the clean-up of a build instance's security groups that Packer's log did not name", () => {
  const loopback = freshEndpointEach()
  const keyName = 'packer_6b158cf2-8239-bbf0-a751-2f1586d18a2d'

  async function group(name: string): Promise<string> {
    return (await loopback.ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: 'Temporary group for Packer' }))).GroupId as string
  }

  async function launch(groupIds: string[], key?: string): Promise<string> {
    const run = await loopback.ec2.send(
      new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, SecurityGroupIds: groupIds, ...(key ? { KeyName: key } : {}) })
    )
    return run.Instances?.[0]?.InstanceId as string
  }

  /** What a main step killed after it read the build's key pair, and nothing after, saved. */
  const keyPairOnly = (): LeftoverState => ({
    regions: ['us-east-1'],
    resources: { ...noTemporaryResources(), keyPairs: [keyName] },
    packer: 'running',
    packerStarted: new Date().toISOString()
  })

  it("deletes one named as Packer names its own that only the build's instance is in, and leaves one the template gave", async () => {
    await loopback.ec2.send(new CreateKeyPairCommand({ KeyName: keyName }))
    const packers = await group('packer_6b158cf6-01fb-d5f6-ec15-763b0b9dfd2e')
    const users = await group('build-ssh')
    const instance = await launch([packers, users], keyName)
    const logged: string[] = []
    const warned: string[] = []
    const report = await cleanUpLeftovers(keyPairOnly(), { ec2For: () => loopback.ec2, log: (line) => logged.push(line), warn: (line) => warned.push(line), pollMs: 10 })
    expect(warned).toEqual([])
    expect(report.terminated).toEqual([instance])
    expect(report.deletedSecurityGroups).toEqual(['packer_6b158cf6-01fb-d5f6-ec15-763b0b9dfd2e'])
    expect(logged).toContain(
      `us-east-1: packer_6b158cf6-01fb-d5f6-ec15-763b0b9dfd2e (${packers}), which Packer's log did not name, is the temporary security group of ${instance}: it goes with it.`
    )
    expect(loopback.endpoint.securityGroups('us-east-1').map((one) => one.groupName).sort()).toEqual(['build-ssh', 'default'])
  })

  it("leaves one that an instance not the build's is in too", async () => {
    await loopback.ec2.send(new CreateKeyPairCommand({ KeyName: keyName }))
    const shared = await group('packer_6b158cf6-01fb-d5f6-ec15-763b0b9dfd2e')
    const instance = await launch([shared], keyName)
    const other = await launch([shared])
    const logged: string[] = []
    const warned: string[] = []
    const report = await cleanUpLeftovers(keyPairOnly(), { ec2For: () => loopback.ec2, log: (line) => logged.push(line), warn: (line) => warned.push(line), pollMs: 10 })
    expect(warned).toEqual([])
    expect(report.terminated).toEqual([instance])
    expect(report.deletedSecurityGroups).toEqual([])
    expect(logged).toContain(
      `us-east-1: packer_6b158cf6-01fb-d5f6-ec15-763b0b9dfd2e (${shared}), a security group of ${instance} that Packer's log did not name, is left: ${other}, not the build's, is in it too.`
    )
    expect(loopback.endpoint.securityGroups('us-east-1').map((one) => one.groupId)).toContain(shared)
    expect(loopback.endpoint.callsOf('DeleteSecurityGroup')).toEqual([])
  })
})
