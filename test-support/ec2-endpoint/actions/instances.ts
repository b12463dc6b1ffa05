import { Ec2Error, invalidParameterValue, missingParameter, notFound } from '../errors.js'
import { applyFilters, type FilterFields } from '../filters.js'
import { filtersParam, intParam, listParam, requiredParam, type Params } from '../query.js'
import {
  INSTANCE_STATE_CODES,
  instanceProfileArn,
  SELF_ACCOUNT_ID,
  type InstanceRecord,
  type InstanceState,
  type RegionState,
  type SecurityGroupRecord,
  type VolumeRecord,
  type World
} from '../world.js'
import type { XmlValue } from '../xml.js'
import { overlayMappings } from './images.js'
import {
  lookUp,
  lookUpOne,
  tagSet,
  tagSpecifications,
  tagsFrom,
  type ActionResult,
  type Handler
} from './common.js'

const MAX_INSTANCES_PER_CALL = 20

/** The filters on instances; a block device filter sees only the volumes still attached, as EC2 lists them. */
function instanceFields(region: RegionState): FilterFields<InstanceRecord> {
  return {
    ...INSTANCE_FIELDS,
    'block-device-mapping.volume-id': (instance) => attachedVolumes(region, instance).map((a) => a.volumeId),
    'block-device-mapping.device-name': (instance) => attachedVolumes(region, instance).map((a) => a.deviceName)
  }
}

const INSTANCE_FIELDS: FilterFields<InstanceRecord> = {
  'instance-id': (instance) => [instance.instanceId],
  'instance-state-name': (instance) => [instance.state],
  'instance-state-code': (instance) => [String(INSTANCE_STATE_CODES[instance.state])],
  'image-id': (instance) => [instance.imageId],
  'instance-type': (instance) => [instance.instanceType],
  'key-name': (instance) => [instance.keyName],
  'reservation-id': (instance) => [instance.reservationId],
  'subnet-id': (instance) => [instance.subnetId],
  'vpc-id': (instance) => [instance.vpcId],
  'availability-zone': (instance) => [instance.availabilityZone],
  'private-ip-address': (instance) => [instance.privateIpAddress],
  'group-id': (instance) => instance.securityGroupIds,
  'instance.group-id': (instance) => instance.securityGroupIds
}

const VOLUME_FIELDS: FilterFields<VolumeRecord> = {
  'volume-id': (volume) => [volume.volumeId],
  status: (volume) => [volumeStatus(volume)],
  size: (volume) => [String(volume.size)],
  'snapshot-id': (volume) => [volume.snapshotId],
  'availability-zone': (volume) => [volume.availabilityZone],
  'volume-type': (volume) => [volume.volumeType],
  encrypted: (volume) => [String(volume.encrypted)],
  'attachment.instance-id': (volume) => [volume.attachment?.instanceId],
  'attachment.device': (volume) => [volume.attachment?.device],
  'attachment.status': (volume) => [volume.attachment ? 'attached' : undefined],
  'attachment.delete-on-termination': (volume) => [
    volume.attachment ? String(volume.attachment.deleteOnTermination) : undefined
  ]
}

function volumeStatus(volume: VolumeRecord): string {
  return volume.attachment ? 'in-use' : 'available'
}

function stateXml(state: InstanceState): XmlValue {
  return { code: INSTANCE_STATE_CODES[state], name: state }
}

// EC2 gives a pending instance the reason "pending" (Packer 1.6.6 dereferences it when its wait
// for a pending instance is cancelled), a running one none, and a stopped one the shutdown.
function stateReason(state: InstanceState): XmlValue {
  if (state === 'pending') return { code: 'pending', message: 'pending' }
  if (state === 'running') return undefined
  return {
    code: 'Client.UserInitiatedShutdown',
    message: 'Client.UserInitiatedShutdown: User initiated shutdown'
  }
}

/**
 * The instance's volumes that are still attached to it. Once it is terminated, EC2 has deleted
 * those marked delete-on-termination and detached the others (`available`, no attachment), and
 * the terminated instance lists no block device mappings.
 */
function attachedVolumes(region: RegionState, instance: InstanceRecord): InstanceRecord['attachments'] {
  return instance.attachments.filter(
    (attachment) => region.volumes.get(attachment.volumeId)?.attachment?.instanceId === instance.instanceId
  )
}

function instanceXml(region: RegionState, instance: InstanceRecord): XmlValue {
  const live = attachedVolumes(region, instance)
  return {
    instanceId: instance.instanceId,
    imageId: instance.imageId,
    instanceState: stateXml(instance.state),
    privateDnsName: `ip-${instance.privateIpAddress.replace(/\./g, '-')}.ec2.internal`,
    dnsName: '',
    reason: instance.stateTransitionReason,
    keyName: instance.keyName,
    amiLaunchIndex: 0,
    // EC2 names the lifecycle only of a spot (or scheduled) instance, and the request behind it.
    instanceLifecycle: instance.spotInstanceRequestId === undefined ? undefined : 'spot',
    spotInstanceRequestId: instance.spotInstanceRequestId,
    instanceType: instance.instanceType,
    launchTime: instance.launchTime,
    placement: { availabilityZone: instance.availabilityZone, groupName: '', tenancy: 'default' },
    iamInstanceProfile: instance.iamInstanceProfile,
    monitoring: { state: 'disabled' },
    subnetId: instance.subnetId,
    vpcId: instance.vpcId,
    privateIpAddress: instance.privateIpAddress,
    sourceDestCheck: true,
    groupSet: instance.securityGroupIds.map((groupId) => ({
      groupId,
      groupName: region.securityGroups.get(groupId)?.groupName
    })),
    stateReason: stateReason(instance.state),
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: instance.rootDeviceName,
    blockDeviceMapping: live.map((attachment) => ({
      deviceName: attachment.deviceName,
      ebs: {
        volumeId: attachment.volumeId,
        status: 'attached',
        attachTime: instance.launchTime,
        deleteOnTermination: attachment.deleteOnTermination
      }
    })),
    virtualizationType: 'hvm',
    tagSet: tagSet(instance.tags),
    hypervisor: 'xen',
    ebsOptimized: false,
    enaSupport: instance.enaSupport ?? true,
    sriovNetSupport: instance.sriovNetSupport
  }
}

function volumeXml(volume: VolumeRecord): XmlValue {
  return {
    volumeId: volume.volumeId,
    size: volume.size,
    snapshotId: volume.snapshotId ?? '',
    availabilityZone: volume.availabilityZone,
    status: volumeStatus(volume),
    createTime: volume.createTime,
    attachmentSet: volume.attachment
      ? [
          {
            volumeId: volume.volumeId,
            instanceId: volume.attachment.instanceId,
            device: volume.attachment.device,
            status: 'attached',
            attachTime: volume.createTime,
            deleteOnTermination: volume.attachment.deleteOnTermination
          }
        ]
      : [],
    volumeType: volume.volumeType,
    iops: volume.volumeType === 'gp3' ? 3000 : undefined,
    throughput: volume.volumeType === 'gp3' ? 125 : undefined,
    encrypted: volume.encrypted,
    multiAttachEnabled: false,
    tagSet: tagSet(volume.tags)
  }
}

function securityGroupsFor(
  region: RegionState,
  params: Params,
  vpcId: string
): SecurityGroupRecord[] {
  const ids = [
    ...listParam(params, 'SecurityGroupId'),
    ...listParam(params, 'NetworkInterface.1.SecurityGroupId')
  ].filter((id) => id !== '')
  const names = listParam(params, 'SecurityGroup').filter((name) => name !== '')
  const groups = lookUp(region.securityGroups, 'sg', ids)
  for (const name of names) {
    const group = [...region.securityGroups.values()].find(
      (candidate) => candidate.groupName === name && candidate.vpcId === vpcId
    )
    if (group === undefined) {
      throw new Ec2Error(
        'InvalidGroup.NotFound',
        `The security group '${name}' does not exist in VPC '${vpcId}'`
      )
    }
    groups.push(group)
  }
  for (const group of groups) {
    if (group.vpcId !== vpcId) {
      throw new Ec2Error(
        'InvalidParameter',
        `Security group ${group.groupId} and subnet belong to different networks.`
      )
    }
  }
  if (groups.length > 0) return groups
  const fallback = [...region.securityGroups.values()].find(
    (group) => group.groupName === 'default' && group.vpcId === vpcId
  )
  return fallback ? [fallback] : []
}

/**
 * The IAM instance profile a launch names (`IamInstanceProfile.Name` or `.Arn`, also a launch
 * template's), as DescribeInstances shows it; EC2's error for one IAM does not know. An empty
 * name (Packer 1.6.6 sends one when the template names no profile) is none.
 */
function instanceProfileOf(world: World, region: string, params: Params): InstanceRecord['iamInstanceProfile'] {
  const arn = params['IamInstanceProfile.Arn'] || undefined
  const name = params['IamInstanceProfile.Name'] || undefined
  const profiles = [...world.iam.instanceProfiles.values()]
  const byArn = arn === undefined ? undefined : profiles.find((one) => instanceProfileArn(region, one.instanceProfileName) === arn)
  if (arn !== undefined && byArn === undefined) {
    throw invalidParameterValue(`Value (${arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN`)
  }
  const byName = name === undefined ? undefined : world.iam.instanceProfiles.get(name)
  if (name !== undefined && byName === undefined) {
    throw invalidParameterValue(`Value (${name}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`)
  }
  const profile = byArn ?? byName
  return profile && { arn: instanceProfileArn(region, profile.instanceProfileName), id: profile.instanceProfileId }
}

/** Launches the instances RunInstances' parameters describe (as a launch template's data does too). */
export function launchInstances(world: World, region: RegionState, params: Params): InstanceRecord[] {
  const imageId = requiredParam(params, 'ImageId')
  const minCount = intParam(params, 'MinCount')
  const maxCount = intParam(params, 'MaxCount')
  if (minCount === undefined) throw missingParameter('MinCount')
  if (maxCount === undefined) throw missingParameter('MaxCount')
  if (minCount < 1 || maxCount < minCount) {
    throw invalidParameterValue(`Invalid value '${maxCount}' for maxCount.`)
  }
  if (maxCount > MAX_INSTANCES_PER_CALL) {
    throw new Ec2Error(
      'InstanceLimitExceeded',
      `You have requested more instances (${maxCount}) than your current instance limit of ` +
        `${MAX_INSTANCES_PER_CALL} allows for the specified instance type.`
    )
  }
  const image = lookUpOne(region.images, 'ami', imageId)
  if (image.state !== 'available') {
    throw new Ec2Error(
      'InvalidAMIID.Unavailable',
      `The image id '[${imageId}]' is not available`
    )
  }
  const keyName = params.KeyName || undefined
  if (keyName !== undefined && !region.keyPairs.has(keyName)) throw notFound('key', [keyName])

  const subnetId = params.SubnetId || params['NetworkInterface.1.SubnetId'] || undefined
  const subnet = subnetId !== undefined ? lookUpOne(region.subnets, 'subnet', subnetId) : undefined
  const zones = [...region.subnets.values()].map((candidate) => candidate.availabilityZone)
  const zone = params['Placement.AvailabilityZone'] || subnet?.availabilityZone || zones[0]
  if (!zones.includes(zone)) {
    throw invalidParameterValue(`Invalid availability zone: [${zone}]`)
  }
  // An instance runs in its subnet's zone: EC2 refuses a placement in another.
  if (subnet !== undefined && zone !== subnet.availabilityZone) {
    throw invalidParameterValue(
      `Value (${zone}) for parameter availabilityZone is invalid. Subnet '${subnet.subnetId}' is in the availability zone ${subnet.availabilityZone}`
    )
  }
  const iamInstanceProfile = instanceProfileOf(world, region.name, params)
  const vpcId = subnet?.vpcId ?? region.defaultVpc.vpcId
  const chosenSubnet =
    subnet ??
    [...region.subnets.values()].find((s) => s.vpcId === vpcId && s.availabilityZone === zone)
  const groups = securityGroupsFor(region, params, vpcId)
  const tagSpecs = tagSpecifications(params, ['instance', 'volume', 'network-interface'])
  const devices = overlayMappings(image.blockDevices, params)

  const reservationId = world.newId('r')
  const instances: InstanceRecord[] = []
  for (let index = 0; index < maxCount; index++) {
    const instanceId = world.newId('i')
    const attachments = devices.map((device) => {
      const volume: VolumeRecord = {
        volumeId: world.newId('vol'),
        size: device.volumeSize,
        volumeType: device.volumeType,
        snapshotId: device.snapshotId,
        availabilityZone: zone,
        encrypted: device.encrypted,
        createTime: new Date(),
        attachment: {
          instanceId,
          device: device.deviceName,
          deleteOnTermination: device.deleteOnTermination
        },
        tags: tagsFrom(tagSpecs.get('volume'))
      }
      region.volumes.set(volume.volumeId, volume)
      return {
        deviceName: device.deviceName,
        volumeId: volume.volumeId,
        deleteOnTermination: device.deleteOnTermination
      }
    })
    const serial = region.instances.size + 10
    const instance: InstanceRecord = {
      instanceId,
      reservationId,
      imageId,
      instanceType: params.InstanceType || 'm1.small',
      keyName,
      securityGroupIds: groups.map((group) => group.groupId),
      vpcId,
      subnetId: chosenSubnet?.subnetId ?? '',
      availabilityZone: zone,
      privateIpAddress: `172.31.${Math.floor(serial / 250) % 250}.${(serial % 250) + 4}`,
      launchTime: new Date(),
      state: 'pending',
      phase: { since: Date.now(), seen: 0 },
      stateTransitionReason: '',
      rootDeviceName: image.rootDeviceName,
      attachments,
      iamInstanceProfile,
      tags: tagsFrom(tagSpecs.get('instance'))
    }
    region.instances.set(instanceId, instance)
    instances.push(instance)
  }
  return instances
}

const runInstances: Handler = ({ world, region, params }) => {
  const instances = launchInstances(world, region, params)
  return {
    reservationId: instances[0].reservationId,
    ownerId: SELF_ACCOUNT_ID,
    groupSet: [],
    instancesSet: instances.map((instance) => instanceXml(region, instance))
  }
}

const describeInstances: Handler = ({ world, region, params }) => {
  const ids = listParam(params, 'InstanceId')
  let instances = ids.length > 0 ? lookUp(region.instances, 'i', ids) : [...region.instances.values()]
  for (const instance of instances) world.observeInstance(region, instance)
  instances = applyFilters(instances, filtersParam(params), instanceFields(region))
  const reservations = new Map<string, InstanceRecord[]>()
  for (const instance of instances) {
    const members = reservations.get(instance.reservationId) ?? []
    members.push(instance)
    reservations.set(instance.reservationId, members)
  }
  return {
    reservationSet: [...reservations].map(([reservationId, members]) => ({
      reservationId,
      ownerId: SELF_ACCOUNT_ID,
      groupSet: [],
      instancesSet: members.map((instance) => instanceXml(region, instance))
    }))
  }
}

function changeStates(
  region: RegionState,
  params: Params,
  change: (instance: InstanceRecord) => InstanceState | undefined,
  setState: (instance: InstanceRecord, state: InstanceState) => void
): ActionResult {
  const ids = listParam(params, 'InstanceId')
  if (ids.length === 0) throw missingParameter('InstanceId')
  const instances = lookUp(region.instances, 'i', ids)
  // All or nothing: find every refusal before changing anything.
  const next = instances.map((instance) => ({
    instance,
    previous: instance.state,
    state: change(instance)
  }))
  for (const entry of next) {
    if (entry.state !== undefined && entry.state !== entry.previous) {
      setState(entry.instance, entry.state)
    }
  }
  return {
    instancesSet: next.map(({ instance, previous }) => ({
      instanceId: instance.instanceId,
      currentState: stateXml(instance.state),
      previousState: stateXml(previous)
    }))
  }
}

function incorrectState(instance: InstanceRecord, verb: string): Ec2Error {
  return new Ec2Error(
    'IncorrectInstanceState',
    `This instance '${instance.instanceId}' is not in a state from which it can be ${verb}.`
  )
}

const stopInstances: Handler = ({ world, region, params }) =>
  changeStates(
    region,
    params,
    (instance) => {
      if (instance.state === 'running') return 'stopping'
      if (instance.state === 'stopping' || instance.state === 'stopped') return instance.state
      throw incorrectState(instance, 'stopped')
    },
    (instance, state) => world.setInstanceState(region, instance, state)
  )

const startInstances: Handler = ({ world, region, params }) =>
  changeStates(
    region,
    params,
    (instance) => {
      if (instance.state === 'stopped') return 'pending'
      if (instance.state === 'pending' || instance.state === 'running') return instance.state
      throw incorrectState(instance, 'started')
    },
    (instance, state) => world.setInstanceState(region, instance, state)
  )

/**
 * Enhanced networking, the attributes an image builder sets before it images the instance (ENA,
 * SR-IOV), one per call; EC2 changes them only while the instance is stopped.
 */
const modifyInstanceAttribute: Handler = ({ region, params }) => {
  const instance = lookUpOne(region.instances, 'i', requiredParam(params, 'InstanceId'))
  const ena = params['EnaSupport.Value']
  const sriov = params['SriovNetSupport.Value']
  if (ena === undefined && sriov === undefined) throw missingParameter('Attribute')
  if (instance.state !== 'stopped') throw incorrectState(instance, 'modified')
  if (ena !== undefined) instance.enaSupport = ena === 'true'
  if (sriov !== undefined) {
    if (sriov !== 'simple') throw invalidParameterValue(`Value (${sriov}) for parameter sriovNetSupport is invalid.`)
    instance.sriovNetSupport = sriov
  }
  return { return: true }
}

const terminateInstances: Handler = ({ world, region, params }) =>
  changeStates(
    region,
    params,
    (instance) =>
      instance.state === 'terminated' || instance.state === 'shutting-down'
        ? instance.state
        : 'shutting-down',
    (instance, state) => world.setInstanceState(region, instance, state)
  )

const describeVolumes: Handler = ({ region, params }) => {
  const ids = listParam(params, 'VolumeId')
  let volumes = ids.length > 0 ? lookUp(region.volumes, 'vol', ids) : [...region.volumes.values()]
  volumes = applyFilters(volumes, filtersParam(params), VOLUME_FIELDS)
  return { volumeSet: volumes.map(volumeXml) }
}

const deleteVolume: Handler = ({ region, params }) => {
  const volume = lookUpOne(region.volumes, 'vol', requiredParam(params, 'VolumeId'))
  if (volume.attachment !== undefined) {
    throw new Ec2Error(
      'VolumeInUse',
      `Volume ${volume.volumeId} is currently attached to ${volume.attachment.instanceId}`
    )
  }
  region.volumes.delete(volume.volumeId)
  return { return: true }
}

export const instanceHandlers: Record<string, Handler> = {
  RunInstances: runInstances,
  DescribeInstances: describeInstances,
  StopInstances: stopInstances,
  ModifyInstanceAttribute: modifyInstanceAttribute,
  StartInstances: startInstances,
  TerminateInstances: terminateInstances,
  DescribeVolumes: describeVolumes,
  DeleteVolume: deleteVolume
}
