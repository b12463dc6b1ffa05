// The endpoint's EC2 state: one store per region, ids unique across the whole endpoint, and the
// life cycles of instances, images and snapshots, which move on when they are described (or
// after a while), the way a client's waiter sees them move on.

import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { partitionOf } from './partitions.js'

export const SELF_ACCOUNT_ID = '123456789012'
export const AMAZON_ACCOUNT_ID = '137112412989'

/** The source AMI seeded into every region unless `seedImages` says otherwise. */
export const SOURCE_AMI_ID = 'ami-0abcdef1234567890'
export const SOURCE_AMI_NAME = 'loopback-source-al2023-x86_64'
export const SOURCE_SNAPSHOT_ID = 'snap-0abcdef1234567890'

export const DEFAULT_REGIONS = ['us-east-1', 'eu-west-1', 'us-west-2']

export type Tags = Map<string, string>

export interface BlockDevice {
  deviceName: string
  snapshotId?: string
  volumeSize: number
  volumeType: string
  deleteOnTermination: boolean
  encrypted: boolean
}

interface Phase {
  since: number
  seen: number
}

export type ImageState = 'pending' | 'available' | 'failed' | 'disabled' | 'deregistered'

export interface ImageRecord {
  imageId: string
  name: string
  description?: string
  ownerId: string
  ownerAlias?: string
  public: boolean
  state: ImageState
  phase: Phase
  creationDate: Date
  architecture: string
  rootDeviceName: string
  virtualizationType: string
  blockDevices: BlockDevice[]
  sourceInstanceId?: string
  sourceImageId?: string
  sourceImageRegion?: string
  launchPermissions: Array<{ userId?: string; group?: string }>
  productCodes: string[]
  tags: Tags
  /**
   * DescribeImages' `DeregistrationProtection`: `disabled` (the default when unset),
   * `enabled-without-cooldown`, `enabled-with-cooldown`, or, for 24 hours after protection with
   * a cooldown is disabled, `disabled after <time>`, until which DeregisterImage still refuses.
   */
  deregistrationProtection?: string
  /**
   * When the AMI is deprecated (EnableImageDeprecation, or Packer's `deprecate_at`). Its owner
   * still sees it in DescribeImages; other accounts only with `IncludeDeprecated`.
   */
  deprecationTime?: Date
}

export type SnapshotState = 'pending' | 'completed' | 'error'

export interface SnapshotRecord {
  snapshotId: string
  volumeId: string
  volumeSize: number
  description: string
  ownerId: string
  ownerAlias?: string
  encrypted: boolean
  state: SnapshotState
  phase: Phase
  startTime: Date
  tags: Tags
  /** Who may create volumes from it (snapshot_users / snapshot_groups in Packer). */
  createVolumePermissions?: Array<{ userId?: string; group?: string }>
}

export type InstanceState =
  | 'pending'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'shutting-down'
  | 'terminated'

export const INSTANCE_STATE_CODES: Record<InstanceState, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80
}

export interface InstanceRecord {
  instanceId: string
  reservationId: string
  imageId: string
  instanceType: string
  keyName?: string
  securityGroupIds: string[]
  vpcId: string
  subnetId: string
  availabilityZone: string
  privateIpAddress: string
  launchTime: Date
  state: InstanceState
  phase: Phase
  stateTransitionReason: string
  rootDeviceName: string
  attachments: Array<{ deviceName: string; volumeId: string; deleteOnTermination: boolean }>
  /** The IAM instance profile it was launched with, as DescribeInstances shows it. */
  iamInstanceProfile?: { arn: string; id: string }
  /** As ModifyInstanceAttribute set them; DescribeInstances shows ENA on unless it was turned off. */
  enaSupport?: boolean
  sriovNetSupport?: string
  /** Set on an instance a spot fleet launched: the spot instance request EC2 made for it. */
  spotInstanceRequestId?: string
  tags: Tags
}

/** The spot instance request behind an instance a spot fleet launched: something to tag. */
export interface SpotInstanceRequestRecord {
  spotInstanceRequestId: string
  instanceId: string
  tags: Tags
}

export interface VolumeRecord {
  volumeId: string
  size: number
  volumeType: string
  snapshotId?: string
  availabilityZone: string
  encrypted: boolean
  createTime: Date
  attachment?: { instanceId: string; device: string; deleteOnTermination: boolean }
  tags: Tags
}

export interface KeyPairRecord {
  keyName: string
  keyPairId: string
  keyFingerprint: string
  keyType: string
  createTime: Date
  tags: Tags
}

export interface IpPermission {
  ipProtocol: string
  fromPort?: number
  toPort?: number
  cidrIps: string[]
}

export interface SecurityGroupRecord {
  groupId: string
  groupName: string
  description: string
  vpcId: string
  ownerId: string
  ingress: IpPermission[]
  egress: IpPermission[]
  tags: Tags
}

export interface VpcRecord {
  vpcId: string
  cidrBlock: string
  isDefault: boolean
  tags: Tags
}

export interface SubnetRecord {
  subnetId: string
  vpcId: string
  availabilityZone: string
  cidrBlock: string
  defaultForAz: boolean
  tags: Tags
}

/** A launch template and its versions (version N at index N - 1). */
export interface LaunchTemplateRecord {
  launchTemplateId: string
  launchTemplateName: string
  createTime: Date
  defaultVersion: number
  versions: LaunchTemplateVersionRecord[]
  tags: Tags
}

export interface LaunchTemplateVersionRecord {
  versionNumber: number
  description?: string
  createTime: Date
  /** `LaunchTemplateData.*` as sent, without the prefix: `ImageId`, `InstanceType`, … */
  data: Record<string, string>
}

/**
 * A Session Manager session (StartSession): the instance it reaches, its document and
 * parameters as sent, and whether TerminateSession has ended it.
 */
export interface SessionRecord {
  sessionId: string
  target: string
  documentName?: string
  parameters: Record<string, string[]>
  terminated: boolean
}

/** An SSM parameter; its history keeps every version, newest last. */
export interface ParameterRecord {
  name: string
  type: string
  dataType: string
  tier: 'Standard' | 'Advanced'
  versions: Array<{ value: string; version: number; modified: Date }>
}

export interface IamRole {
  roleName: string
  roleId: string
  createDate: Date
  assumeRolePolicyDocument: string
  /** Inline policies by name. */
  policies: Map<string, string>
}

export interface IamInstanceProfile {
  instanceProfileName: string
  instanceProfileId: string
  createDate: Date
  roles: string[]
}

/** IAM's roles and instance profiles: global, one set for every region. */
export class IamState {
  readonly roles = new Map<string, IamRole>()
  readonly instanceProfiles = new Map<string, IamInstanceProfile>()
}

/**
 * An instance profile's ARN (path `/`), as IAM answers it and RunInstances takes it, in the
 * partition of `region`: IAM is global, but each partition has its own.
 */
export function instanceProfileArn(region: string, name: string): string {
  return `arn:${partitionOf(region)}:iam::${SELF_ACCOUNT_ID}:instance-profile/${name}`
}

/** The ARN of the IAM user whose credentials call the endpoint, in the partition of `region`. */
export function callerArn(region: string): string {
  return `arn:${partitionOf(region)}:iam::${SELF_ACCOUNT_ID}:user/loopback`
}

/** A role's or an instance profile's unique ID: its prefix (`AROA`, `AIPA`) and 17 characters. */
export function iamUniqueId(prefix: string): string {
  return prefix + randomUUID().replace(/-/g, '').slice(0, 17).toUpperCase()
}

/**
 * An instance profile that exists from the start, as one the user made before the build: the
 * name a template's `iam_instance_profile` gives, and the role it holds, if any (made with it).
 */
export interface SeedInstanceProfile {
  instanceProfileName: string
  roleName?: string
}

/**
 * The zone's AZ ID, as EC2 answers it: the region's code shortened (its area, the first letter
 * of each word of its direction, its number: `use1`, `euw1`, `apne1`, `usgw1`), `-az` and a
 * number, here the zone letter's place in the alphabet (`us-east-1b` is `use1-az2`). Which
 * number goes with which letter differs between AWS accounts; in this endpoint it is fixed.
 */
export function availabilityZoneId(zoneName: string): string {
  const [area, ...rest] = zoneName.slice(0, -1).split('-')
  const number = rest.pop() ?? ''
  const words = rest.map((word) => {
    const compass = /^(north|south)(east|west)$/.exec(word)
    return compass ? compass[1][0] + compass[2][0] : word[0]
  })
  return `${area}${words.join('')}${number}-az${zoneName.slice(-1).charCodeAt(0) - 96}`
}

export class RegionState {
  readonly name: string
  readonly launchTemplates = new Map<string, LaunchTemplateRecord>()
  /** SSM parameters, by name. */
  readonly parameters = new Map<string, ParameterRecord>()
  /** Session Manager sessions, by id, in the order they started. */
  readonly sessions = new Map<string, SessionRecord>()
  readonly images = new Map<string, ImageRecord>()
  /**
   * Images DeregisterImage removed, as EC2 still answers a DescribeImages naming them: `deregistered`
   * for a short interval (observeDeregistered), then left out of the answer, never an error.
   */
  readonly deregisteredImages = new Map<string, ImageRecord & { shown: boolean }>()
  readonly snapshots = new Map<string, SnapshotRecord>()
  readonly instances = new Map<string, InstanceRecord>()
  readonly spotInstanceRequests = new Map<string, SpotInstanceRequestRecord>()
  readonly volumes = new Map<string, VolumeRecord>()
  readonly keyPairs = new Map<string, KeyPairRecord>()
  readonly securityGroups = new Map<string, SecurityGroupRecord>()
  readonly vpcs = new Map<string, VpcRecord>()
  readonly subnets = new Map<string, SubnetRecord>()

  constructor(name: string) {
    this.name = name
  }

  get defaultVpc(): VpcRecord {
    const vpc = [...this.vpcs.values()].find((candidate) => candidate.isDefault)
    if (vpc === undefined) throw new Error(`region ${this.name} has no default VPC`)
    return vpc
  }

  /** Every taggable resource, by id. */
  taggable(id: string): { tags: Tags } | undefined {
    return (
      this.images.get(id) ??
      this.snapshots.get(id) ??
      this.instances.get(id) ??
      this.spotInstanceRequests.get(id) ??
      this.volumes.get(id) ??
      this.securityGroups.get(id) ??
      this.vpcs.get(id) ??
      this.subnets.get(id) ??
      this.launchTemplates.get(id) ??
      [...this.keyPairs.values()].find((key) => key.keyPairId === id)
    )
  }
}

/**
 * A VPC seeded into every region, with the ids a template names, or with the tags, CIDR blocks
 * and zones a template's `vpc_filter` and `subnet_filter` pick it and its subnets by.
 */
export interface SeedNetwork {
  vpcId: string
  /** Its one subnet, in zone `a`, when `subnets` does not list them. */
  subnetId?: string
  /** Defaults to `10.0.0.0/16`. */
  cidrBlock?: string
  tags?: Record<string, string>
  subnets?: SeedSubnet[]
  /** Security groups of the VPC a template names by id (`security_group_id`), each allowing all egress, as EC2 makes them. */
  securityGroupIds?: string[]
  /**
   * Security groups of the VPC with the names and tags a template's `security_group_filter` picks
   * them by (`tag:Class`, `group-name`), each allowing all egress, as EC2 makes them. Besides these
   * and `securityGroupIds`, the VPC has its `default` group, as every VPC on EC2 has.
   */
  securityGroups?: SeedSecurityGroup[]
}

export interface SeedSecurityGroup {
  groupId: string
  /** Defaults to `seeded-<groupId>`. */
  groupName?: string
  description?: string
  tags?: Record<string, string>
}

/**
 * The networks a JSON file holds (an array of SeedNetwork), for the endpoint's `--networks`
 * option; an error naming the file when it is not such an array.
 */
export function readSeedNetworks(file: string): SeedNetwork[] {
  return readSeedList(
    file,
    '--networks',
    'networks, each with a vpcId, and each of its securityGroups with a groupId',
    (seed: Partial<SeedNetwork> | null) =>
      typeof seed?.vpcId === 'string' &&
      (seed.securityGroups === undefined ||
        (Array.isArray(seed.securityGroups) && seed.securityGroups.every((group: Partial<SeedSecurityGroup> | null) => typeof group?.groupId === 'string')))
  )
}

/**
 * The instance profiles a JSON file holds (an array of SeedInstanceProfile), for the endpoint's
 * `--instance-profiles` option; an error naming the file when it is not such an array.
 */
export function readSeedInstanceProfiles(file: string): SeedInstanceProfile[] {
  return readSeedList(
    file,
    '--instance-profiles',
    'instance profiles, each with an instanceProfileName',
    (seed: Partial<SeedInstanceProfile> | null) => typeof seed?.instanceProfileName === 'string'
  )
}

function readSeedList<T>(file: string, option: string, what: string, valid: (seed: Partial<T> | null) => boolean): T[] {
  let seeds: unknown
  try {
    seeds = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new Error(`${option} expects a JSON file: ${(error as Error).message}`, { cause: error })
  }
  if (!Array.isArray(seeds) || !seeds.every(valid)) throw new Error(`${option} expects a JSON array of ${what}: ${file}`)
  return seeds as T[]
}

export interface SeedSubnet {
  subnetId: string
  /** The zone's letter: `b` is `us-east-1b` in us-east-1. Defaults to `a`. */
  zone?: string
  /** Defaults to the VPC's N-th /20; its size sets AvailableIpAddressCount (EC2 keeps 5 addresses). */
  cidrBlock?: string
  tags?: Record<string, string>
}

export interface SeedImage {
  /** Defaults to a fresh id. The same id may be seeded into several regions. */
  imageId?: string
  name: string
  description?: string
  /** Defaults to Amazon's account, with the owner alias `amazon`. */
  ownerId?: string
  ownerAlias?: string
  /** Defaults to every region of the endpoint. */
  regions?: string[]
  architecture?: string
  creationDate?: string
  tags?: Record<string, string>
  public?: boolean
  snapshotId?: string
  /** As DisableImage leaves it: listed only with `IncludeDisabled`. */
  disabled?: boolean
  /** Its DeprecationTime (ISO 8601), which may be past, as EnableImageDeprecation leaves it once that time comes. */
  deprecationTime?: string
}

export const DEFAULT_SEED_IMAGES: SeedImage[] = [
  {
    imageId: SOURCE_AMI_ID,
    name: SOURCE_AMI_NAME,
    description: 'Source image for loopback builds',
    snapshotId: SOURCE_SNAPSHOT_ID,
    creationDate: '2024-01-15T10:00:00.000Z'
  }
]

export interface AutoAdvance {
  /**
   * How many describe calls show a resource in a transitional state (pending, stopping,
   * shutting-down) before it moves on. 0: the first describe already shows the next state.
   */
  describes?: number
  /** A transitional state also ends once it has lasted this many milliseconds. */
  afterMs?: number
}

/** A security group of `vpcId` as EC2 makes it: no ingress, all egress. */
function newSecurityGroup(vpcId: string, seed: SeedSecurityGroup): SecurityGroupRecord {
  return {
    groupId: seed.groupId,
    groupName: seed.groupName ?? `seeded-${seed.groupId}`,
    description: seed.description ?? 'seeded security group',
    vpcId,
    ownerId: SELF_ACCOUNT_ID,
    ingress: [],
    egress: [{ ipProtocol: '-1', cidrIps: ['0.0.0.0/0'] }],
    tags: new Map(Object.entries(seed.tags ?? {}))
  }
}

export class World {
  readonly regions = new Map<string, RegionState>()
  /** IAM, which is global: its roles and instance profiles. */
  readonly iam = new IamState()
  readonly describesPerStep: number
  readonly msPerStep: number | undefined
  /** Set by the fault of the same name: pending instances never start. */
  holdInstancesPending = false
  /** Set by the fault of the same name: AMIs made by CopyImage stay pending. */
  holdCopiesPending = false
  /** Set by the fault of the same name: AMIs made by CreateImage or RegisterImage stay pending. */
  holdCreatedImagesPending = false
  private counter = 0

  constructor(regionNames: string[], seeds: SeedImage[], advance: AutoAdvance = {}) {
    this.describesPerStep = advance.describes ?? 1
    this.msPerStep = advance.afterMs
    for (const name of regionNames) this.regions.set(name, this.seedRegion(name))
    for (const seed of seeds) this.seedImage(seed)
  }

  /** A fresh id: the prefix and 17 hex digits, never reused across regions. */
  /** A new id: `prefix`, then 17 hex digits, or `digits` for a kind EC2 still numbers with 8 (`sir-08b93456`). */
  newId(prefix: string, digits: 8 | 17 = 17): string {
    this.counter += 1
    return `${prefix}-${this.counter.toString(16).padStart(digits, '0')}`
  }

  /** An instance profile (and its role) that exists from the start, as one the user made. */
  seedInstanceProfile(seed: SeedInstanceProfile): void {
    const createDate = new Date('2024-01-01T00:00:00.000Z')
    const { instanceProfileName, roleName } = seed
    if (roleName !== undefined && !this.iam.roles.has(roleName)) {
      this.iam.roles.set(roleName, {
        roleName,
        roleId: iamUniqueId('AROA'),
        createDate,
        assumeRolePolicyDocument:
          '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
        policies: new Map()
      })
    }
    this.iam.instanceProfiles.set(instanceProfileName, {
      instanceProfileName,
      instanceProfileId: iamUniqueId('AIPA'),
      createDate,
      roles: roleName === undefined ? [] : [roleName]
    })
  }

  region(name: string): RegionState {
    const region = this.regions.get(name)
    if (region === undefined) throw new Error(`the endpoint has no region ${name}`)
    return region
  }

  /** A VPC and its subnets, in every region (see SeedNetwork). */
  seedNetwork(network: SeedNetwork): void {
    const subnets = network.subnets ?? (network.subnetId === undefined ? [] : [{ subnetId: network.subnetId }])
    if (subnets.length === 0) throw new Error(`seeded VPC ${network.vpcId} has no subnet`)
    const cidrBlock = network.cidrBlock ?? '10.0.0.0/16'
    const [a, b] = cidrBlock.split('.').map(Number)
    // Every VPC has a group named default, which EC2 gives an instance launched with no group.
    const defaultGroupId = this.newId('sg')
    for (const region of this.regions.values()) {
      region.vpcs.set(network.vpcId, {
        vpcId: network.vpcId,
        cidrBlock,
        isDefault: false,
        tags: new Map(Object.entries(network.tags ?? {}))
      })
      subnets.forEach((subnet, index) => {
        region.subnets.set(subnet.subnetId, {
          subnetId: subnet.subnetId,
          vpcId: network.vpcId,
          availabilityZone: `${region.name}${subnet.zone ?? 'a'}`,
          cidrBlock: subnet.cidrBlock ?? `${a}.${b}.${index * 16}.0/20`,
          defaultForAz: false,
          tags: new Map(Object.entries(subnet.tags ?? {}))
        })
      })
      const groups = [
        { groupId: defaultGroupId, groupName: 'default', description: 'default VPC security group' },
        ...(network.securityGroupIds ?? []).map((groupId) => ({ groupId })),
        ...(network.securityGroups ?? [])
      ]
      for (const group of groups) region.securityGroups.set(group.groupId, newSecurityGroup(network.vpcId, group))
    }
  }

  private seedRegion(name: string): RegionState {
    const region = new RegionState(name)
    const vpc: VpcRecord = {
      vpcId: this.newId('vpc'),
      cidrBlock: '172.31.0.0/16',
      isDefault: true,
      tags: new Map()
    }
    region.vpcs.set(vpc.vpcId, vpc)
    ;['a', 'b'].forEach((zone, index) => {
      const subnet: SubnetRecord = {
        subnetId: this.newId('subnet'),
        vpcId: vpc.vpcId,
        availabilityZone: `${name}${zone}`,
        cidrBlock: `172.31.${index * 16}.0/20`,
        defaultForAz: true,
        tags: new Map()
      }
      region.subnets.set(subnet.subnetId, subnet)
    })
    const group = newSecurityGroup(vpc.vpcId, { groupId: this.newId('sg'), groupName: 'default', description: 'default VPC security group' })
    region.securityGroups.set(group.groupId, group)
    return region
  }

  private seedImage(seed: SeedImage): void {
    const imageId = seed.imageId ?? this.newId('ami')
    const snapshotId = seed.snapshotId ?? this.newId('snap')
    const ownerId = seed.ownerId ?? AMAZON_ACCOUNT_ID
    const ownerAlias = seed.ownerAlias ?? (seed.ownerId === undefined ? 'amazon' : undefined)
    const created = new Date(seed.creationDate ?? '2024-01-01T00:00:00.000Z')
    for (const name of seed.regions ?? [...this.regions.keys()]) {
      const region = this.region(name)
      region.snapshots.set(snapshotId, {
        snapshotId,
        volumeId: 'vol-ffffffff',
        volumeSize: 8,
        description: `Snapshot of ${seed.name}`,
        ownerId,
        ownerAlias,
        encrypted: false,
        state: 'completed',
        phase: { since: 0, seen: 0 },
        startTime: created,
        tags: new Map()
      })
      region.images.set(imageId, {
        imageId,
        name: seed.name,
        description: seed.description,
        ownerId,
        ownerAlias,
        public: seed.disabled ? false : (seed.public ?? ownerId !== SELF_ACCOUNT_ID),
        state: seed.disabled ? 'disabled' : 'available',
        phase: { since: 0, seen: 0 },
        creationDate: created,
        ...(seed.deprecationTime === undefined ? {} : { deprecationTime: new Date(seed.deprecationTime) }),
        architecture: seed.architecture ?? 'x86_64',
        rootDeviceName: '/dev/xvda',
        virtualizationType: 'hvm',
        blockDevices: [
          {
            deviceName: '/dev/xvda',
            snapshotId,
            volumeSize: 8,
            volumeType: 'gp3',
            deleteOnTermination: true,
            encrypted: false
          }
        ],
        launchPermissions: [],
        productCodes: [],
        tags: new Map(Object.entries(seed.tags ?? {}))
      })
    }
  }

  private due(phase: Phase, now: number): boolean {
    return phase.seen >= this.describesPerStep || this.overdue(phase, now)
  }

  private overdue(phase: Phase, now: number): boolean {
    return this.msPerStep !== undefined && now - phase.since >= this.msPerStep
  }

  setInstanceState(region: RegionState, instance: InstanceRecord, state: InstanceState): void {
    instance.state = state
    instance.phase = { since: Date.now(), seen: 0 }
    if (state !== 'pending' && state !== 'running') instance.stateTransitionReason = 'User initiated'
    if (state !== 'terminated') return
    // As on EC2: volumes marked delete-on-termination go with the instance, others detach.
    for (const attachment of instance.attachments) {
      const volume = region.volumes.get(attachment.volumeId)
      if (volume === undefined) continue
      if (attachment.deleteOnTermination) region.volumes.delete(volume.volumeId)
      else volume.attachment = undefined
    }
  }

  private nextInstanceState(instance: InstanceRecord): InstanceState | undefined {
    switch (instance.state) {
      case 'pending':
        return this.holdInstancesPending ? undefined : 'running'
      case 'stopping':
        return 'stopped'
      case 'shutting-down':
        return 'terminated'
      default:
        return undefined
    }
  }

  setImageAvailable(region: RegionState, image: ImageRecord): void {
    image.state = 'available'
    image.phase = { since: Date.now(), seen: 0 }
    for (const device of image.blockDevices) {
      const snapshot = device.snapshotId ? region.snapshots.get(device.snapshotId) : undefined
      if (snapshot !== undefined && snapshot.state === 'pending') this.setSnapshotCompleted(snapshot)
    }
  }

  setSnapshotCompleted(snapshot: SnapshotRecord): void {
    snapshot.state = 'completed'
    snapshot.phase = { since: Date.now(), seen: 0 }
  }

  /** A describe call is about to show this instance: it may move on first. */
  observeInstance(region: RegionState, instance: InstanceRecord): void {
    const next = this.nextInstanceState(instance)
    if (next !== undefined && this.due(instance.phase, Date.now())) {
      this.setInstanceState(region, instance, next)
    } else {
      instance.phase.seen += 1
    }
  }

  observeImage(region: RegionState, image: ImageRecord): void {
    const held =
      (this.holdCopiesPending && image.sourceImageId !== undefined) ||
      (this.holdCreatedImagesPending && image.sourceImageId === undefined)
    if (image.state === 'pending' && !held && this.due(image.phase, Date.now())) {
      this.setImageAvailable(region, image)
    } else {
      image.phase.seen += 1
    }
  }

  /**
   * Removes an image as DeregisterImage does: DescribeImages naming it shows it `deregistered`
   * until it has been described `autoAdvance.describes` times (or `afterMs` passed), then leaves it out.
   */
  deregister(region: RegionState, image: ImageRecord): void {
    region.images.delete(image.imageId)
    region.deregisteredImages.set(image.imageId, { ...image, state: 'deregistered', phase: { since: Date.now(), seen: 0 }, shown: true })
  }

  /** Disables an image as DisableImage does: private, unlaunchable, listed only with `IncludeDisabled`; its snapshots stay. */
  disable(image: ImageRecord): void {
    image.state = 'disabled'
    image.launchPermissions = []
    image.public = false
  }

  /** A describe naming a deregistered image is about to answer: whether it still shows it. */
  observeDeregistered(image: ImageRecord & { shown: boolean }): boolean {
    if (image.shown && this.due(image.phase, Date.now())) image.shown = false
    else image.phase.seen += 1
    return image.shown
  }

  observeSnapshot(snapshot: SnapshotRecord): void {
    if (snapshot.state === 'pending' && this.due(snapshot.phase, Date.now())) {
      this.setSnapshotCompleted(snapshot)
    } else {
      snapshot.phase.seen += 1
    }
  }

  /** Moves on whatever has been in a transitional state for `afterMs`. */
  tick(): void {
    if (this.msPerStep === undefined) return
    const now = Date.now()
    for (const region of this.regions.values()) {
      for (const instance of region.instances.values()) {
        const next = this.nextInstanceState(instance)
        if (next !== undefined && this.overdue(instance.phase, now)) {
          this.setInstanceState(region, instance, next)
        }
      }
      for (const image of region.images.values()) {
        if (image.state === 'pending' && this.overdue(image.phase, now)) {
          this.setImageAvailable(region, image)
        }
      }
      for (const snapshot of region.snapshots.values()) {
        if (snapshot.state === 'pending' && this.overdue(snapshot.phase, now)) {
          this.setSnapshotCompleted(snapshot)
        }
      }
    }
  }
}
