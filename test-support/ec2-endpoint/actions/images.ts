import { Ec2Error, invalidParameterValue, missingParameter } from '../errors.js'
import { applyFilters, type FilterFields } from '../filters.js'
import {
  boolParam,
  filtersParam,
  intParam,
  listParam,
  requiredParam,
  structListParam,
  type Params
} from '../query.js'
import {
  SELF_ACCOUNT_ID,
  type BlockDevice,
  type ImageRecord,
  type RegionState,
  type SnapshotRecord
} from '../world.js'
import type { XmlValue } from '../xml.js'
import {
  lookUp,
  lookUpOne,
  tagSet,
  tagSpecifications,
  tagsFrom,
  type ActionResult,
  type Handler
} from './common.js'

// EC2's rule for image names (CreateImage, CopyImage, RegisterImage).
const AMI_NAME = /^[a-zA-Z0-9()[\] ./\-'@_]{3,128}$/

const IMAGE_FIELDS: FilterFields<ImageRecord> = {
  'image-id': (image) => [image.imageId],
  name: (image) => [image.name],
  state: (image) => [image.state],
  'owner-id': (image) => [image.ownerId],
  'owner-alias': (image) => [image.ownerAlias],
  'is-public': (image) => [String(image.public)],
  architecture: (image) => [image.architecture],
  description: (image) => [image.description],
  'image-type': () => ['machine'],
  hypervisor: () => ['xen'],
  'ena-support': () => ['true'],
  'root-device-type': () => ['ebs'],
  'root-device-name': (image) => [image.rootDeviceName],
  'virtualization-type': (image) => [image.virtualizationType],
  'creation-date': (image) => [image.creationDate.toISOString()],
  'source-image-id': (image) => [image.sourceImageId],
  'source-image-region': (image) => [image.sourceImageRegion],
  'source-instance-id': (image) => [image.sourceInstanceId],
  'product-code': (image) => image.productCodes,
  platform: () => [],
  'block-device-mapping.device-name': (image) => image.blockDevices.map((d) => d.deviceName),
  'block-device-mapping.snapshot-id': (image) => image.blockDevices.map((d) => d.snapshotId),
  'block-device-mapping.volume-size': (image) => image.blockDevices.map((d) => String(d.volumeSize)),
  'block-device-mapping.volume-type': (image) => image.blockDevices.map((d) => d.volumeType),
  'block-device-mapping.encrypted': (image) => image.blockDevices.map((d) => String(d.encrypted))
}

const SNAPSHOT_FIELDS: FilterFields<SnapshotRecord> = {
  'snapshot-id': (snapshot) => [snapshot.snapshotId],
  status: (snapshot) => [snapshot.state],
  'owner-id': (snapshot) => [snapshot.ownerId],
  'owner-alias': (snapshot) => [snapshot.ownerAlias],
  'volume-id': (snapshot) => [snapshot.volumeId],
  'volume-size': (snapshot) => [String(snapshot.volumeSize)],
  description: (snapshot) => [snapshot.description],
  encrypted: (snapshot) => [String(snapshot.encrypted)],
  progress: (snapshot) => [progress(snapshot)],
  'start-time': (snapshot) => [snapshot.startTime.toISOString()]
}

function progress(snapshot: SnapshotRecord): string {
  return snapshot.state === 'pending' ? '0%' : '100%'
}

function blockDeviceXml(device: BlockDevice): XmlValue {
  return {
    deviceName: device.deviceName,
    ebs: {
      snapshotId: device.snapshotId,
      volumeSize: device.volumeSize,
      deleteOnTermination: device.deleteOnTermination,
      volumeType: device.volumeType,
      encrypted: device.encrypted
    }
  }
}

function imageXml(image: ImageRecord): XmlValue {
  return {
    imageId: image.imageId,
    imageLocation: `${image.ownerAlias ?? image.ownerId}/${image.name}`,
    imageState: image.state,
    imageOwnerId: image.ownerId,
    creationDate: image.creationDate.toISOString(),
    isPublic: image.public,
    productCodes:
      image.productCodes.length > 0
        ? image.productCodes.map((code) => ({ productCode: code, type: 'marketplace' }))
        : undefined,
    architecture: image.architecture,
    imageType: 'machine',
    imageOwnerAlias: image.ownerAlias,
    name: image.name,
    description: image.description,
    rootDeviceType: 'ebs',
    rootDeviceName: image.rootDeviceName,
    blockDeviceMapping: image.blockDevices.map(blockDeviceXml),
    virtualizationType: image.virtualizationType,
    tagSet: tagSet(image.tags),
    hypervisor: 'xen',
    enaSupport: true,
    sriovNetSupport: 'simple',
    platformDetails: 'Linux/UNIX',
    usageOperation: 'RunInstances',
    sourceInstanceId: image.sourceInstanceId,
    sourceImageId: image.sourceImageId,
    sourceImageRegion: image.sourceImageRegion,
    deregistrationProtection: image.deregistrationProtection ?? 'disabled',
    deprecationTime: image.deprecationTime?.toISOString(),
    stateReason:
      image.state === 'failed'
        ? { code: 'Client.InternalError', message: 'Client.InternalError' }
        : undefined
  }
}

function snapshotXml(snapshot: SnapshotRecord): XmlValue {
  return {
    snapshotId: snapshot.snapshotId,
    volumeId: snapshot.volumeId,
    status: snapshot.state,
    startTime: snapshot.startTime,
    progress: progress(snapshot),
    ownerId: snapshot.ownerId,
    ownerAlias: snapshot.ownerAlias,
    volumeSize: snapshot.volumeSize,
    description: snapshot.description,
    encrypted: snapshot.encrypted,
    tagSet: tagSet(snapshot.tags),
    storageTier: 'standard'
  }
}

function ownedBy(owners: string[], record: { ownerId: string; ownerAlias?: string }): boolean {
  return owners.some((owner) => {
    if (owner === 'self') return record.ownerId === SELF_ACCOUNT_ID
    if (/^\d{12}$/.test(owner)) return record.ownerId === owner
    return record.ownerAlias === owner
  })
}

function visibleImages(region: RegionState): ImageRecord[] {
  return [...region.images.values()].filter(
    (image) =>
      image.ownerId === SELF_ACCOUNT_ID ||
      image.public ||
      image.launchPermissions.some((p) => p.userId === SELF_ACCOUNT_ID || p.group === 'all')
  )
}

function checkImageName(name: string): void {
  if (!AMI_NAME.test(name)) {
    throw new Ec2Error(
      'InvalidAMIName.Malformed',
      'AMI names must be between 3 and 128 characters long, and may contain letters, numbers, ' +
        "'(', ')', '[', ']', ' ', '.', '/', '-', ''', '@' and '_'"
    )
  }
}

function checkNameFree(region: RegionState, name: string): void {
  const taken = [...region.images.values()].find(
    (image) => image.name === name && image.ownerId === SELF_ACCOUNT_ID
  )
  if (taken !== undefined) {
    throw new Ec2Error(
      'InvalidAMIName.Duplicate',
      `AMI name ${name} is already in use by AMI ${taken.imageId}`
    )
  }
}

function checkOwned(image: ImageRecord): void {
  if (image.ownerId !== SELF_ACCOUNT_ID) {
    throw new Ec2Error('AuthFailure', `Not authorized for image:${image.imageId}`)
  }
}

const describeImages: Handler = ({ world, region, params }) => {
  const ids = listParam(params, 'ImageId')
  const owners = listParam(params, 'Owner')
  const executableBy = listParam(params, 'ExecutableBy')
  // A deregistered AMI named by its ID is EC2's "recently deregistered" one: shown as such for a
  // short interval, then left out of the answer.
  const deregistered = ids.flatMap((id) => {
    const image = region.deregisteredImages.get(id)
    return image === undefined ? [] : [image]
  })
  const named = ids.filter((id) => !region.deregisteredImages.has(id))
  let images = ids.length > 0 ? lookUp(region.images, 'ami', named) : visibleImages(region)
  images = [...images, ...deregistered.filter((image) => world.observeDeregistered(image))]
  // As on EC2: a disabled AMI is left out unless the call asks for it.
  if (boolParam(params, 'IncludeDisabled') !== true) images = images.filter((image) => image.state !== 'disabled')
  // DescribeImages' IncludeDeprecated: "If you are the AMI owner, all deprecated AMIs appear in
  // the response regardless of what you specify for this parameter." Others' only when asked for.
  if (boolParam(params, 'IncludeDeprecated') !== true) {
    images = images.filter((image) => image.ownerId === SELF_ACCOUNT_ID || !deprecated(image))
  }
  if (owners.length > 0) images = images.filter((image) => ownedBy(owners, image))
  if (executableBy.length > 0) {
    images = images.filter((image) =>
      executableBy.some((who) =>
        who === 'all'
          ? image.public
          : image.ownerId === SELF_ACCOUNT_ID ||
            image.public ||
            image.launchPermissions.some((p) => p.userId === SELF_ACCOUNT_ID)
      )
    )
  }
  images = applyFilters(images, filtersParam(params), IMAGE_FIELDS)
  for (const image of images) if (image.state !== 'deregistered') world.observeImage(region, image)
  return { imagesSet: images.map(imageXml) }
}

interface MappingOverride {
  deviceName: string
  noDevice: boolean
  ebs?: Partial<BlockDevice>
}

function mappingOverrides(params: Params): MappingOverride[] {
  return structListParam(params, 'BlockDeviceMapping').map((group) => {
    const deviceName = group.DeviceName
    if (deviceName === undefined) throw missingParameter('BlockDeviceMapping.N.DeviceName')
    const hasEbs = Object.keys(group).some((key) => key.startsWith('Ebs.'))
    return {
      deviceName,
      noDevice: group.NoDevice !== undefined,
      ebs: hasEbs
        ? {
            snapshotId: group['Ebs.SnapshotId'] || undefined,
            volumeSize: intParam(group, 'Ebs.VolumeSize'),
            volumeType: group['Ebs.VolumeType'] || undefined,
            deleteOnTermination: boolParam(group, 'Ebs.DeleteOnTermination'),
            encrypted: boolParam(group, 'Ebs.Encrypted')
          }
        : undefined
    }
  })
}

/** The image's block devices with a launch or create call's `BlockDeviceMapping.N` laid over. */
export function overlayMappings(devices: BlockDevice[], params: Params): BlockDevice[] {
  const result = devices.map((device) => ({ ...device }))
  for (const override of mappingOverrides(params)) {
    const index = result.findIndex((device) => device.deviceName === override.deviceName)
    if (override.noDevice) {
      if (index >= 0) result.splice(index, 1)
      continue
    }
    if (override.ebs === undefined) continue
    const defined = Object.fromEntries(
      Object.entries(override.ebs).filter(([, value]) => value !== undefined)
    ) as Partial<BlockDevice>
    if (index >= 0) {
      result[index] = { ...result[index], ...defined }
    } else {
      result.push({
        deviceName: override.deviceName,
        volumeSize: 8,
        volumeType: 'gp3',
        deleteOnTermination: true,
        encrypted: false,
        ...defined
      })
    }
  }
  return result
}

/** What every AMI the account makes (CreateImage, RegisterImage) starts with: its own, private, pending. */
function newOwnImage(imageId: string, name: string, params: Params, now: Date) {
  return {
    imageId,
    name,
    description: params.Description || undefined,
    ownerId: SELF_ACCOUNT_ID,
    public: false,
    state: 'pending' as const,
    phase: { since: Date.now(), seen: 0 },
    creationDate: now
  }
}

const createImage: Handler = ({ world, region, params }) => {
  const instanceId = requiredParam(params, 'InstanceId')
  const instance = lookUpOne(region.instances, 'i', instanceId)
  const name = requiredParam(params, 'Name')
  checkImageName(name)
  // EC2 images an instance that is running, stopping or stopped, and refuses any other in these words.
  if (instance.state !== 'running' && instance.state !== 'stopping' && instance.state !== 'stopped') {
    // A refusal is a look at the instance, as a describe is: on EC2 a pending instance starts
    // whether or not anyone describes it, and a caller that retries CreateImage without
    // describing (Packer's spot builds with communicator none) sees it running in the end.
    world.observeInstance(region, instance)
    throw invalidParameterValue(
      `Invalid value '${instanceId}' for instanceId. Instance is not in state 'running' or 'stopping' or 'stopped'`
    )
  }
  checkNameFree(region, name)
  const tagSpecs = tagSpecifications(params, ['image', 'snapshot'])

  const imageId = world.newId('ami')
  const now = new Date()
  const devices: BlockDevice[] = instance.attachments.map((attachment) => {
    const volume = region.volumes.get(attachment.volumeId)
    const snapshot: SnapshotRecord = {
      snapshotId: world.newId('snap'),
      volumeId: attachment.volumeId,
      volumeSize: volume?.size ?? 8,
      description: `Created by CreateImage(${instanceId}) for ${imageId}`,
      ownerId: SELF_ACCOUNT_ID,
      encrypted: volume?.encrypted ?? false,
      state: 'pending',
      phase: { since: Date.now(), seen: 0 },
      startTime: now,
      tags: tagsFrom(tagSpecs.get('snapshot'))
    }
    region.snapshots.set(snapshot.snapshotId, snapshot)
    return {
      deviceName: attachment.deviceName,
      snapshotId: snapshot.snapshotId,
      volumeSize: snapshot.volumeSize,
      volumeType: volume?.volumeType ?? 'gp3',
      deleteOnTermination: attachment.deleteOnTermination,
      encrypted: snapshot.encrypted
    }
  })
  const source = region.images.get(instance.imageId)
  region.images.set(imageId, {
    ...newOwnImage(imageId, name, params, now),
    architecture: source?.architecture ?? 'x86_64',
    rootDeviceName: instance.rootDeviceName,
    virtualizationType: source?.virtualizationType ?? 'hvm',
    blockDevices: overlayMappings(devices, params),
    sourceInstanceId: instanceId,
    launchPermissions: [],
    productCodes: [],
    tags: tagsFrom(tagSpecs.get('image'))
  })
  return { imageId }
}

// An amazon-ebssurrogate build's own snapshot of one of its instance's volumes.
const createSnapshot: Handler = ({ world, region, params }) => {
  const volume = lookUpOne(region.volumes, 'vol', requiredParam(params, 'VolumeId'))
  const tagSpecs = tagSpecifications(params, ['snapshot'])
  const snapshot: SnapshotRecord = {
    snapshotId: world.newId('snap'),
    volumeId: volume.volumeId,
    volumeSize: volume.size,
    description: params.Description ?? '',
    ownerId: SELF_ACCOUNT_ID,
    encrypted: volume.encrypted,
    state: 'pending',
    phase: { since: Date.now(), seen: 0 },
    startTime: new Date(),
    tags: tagsFrom(tagSpecs.get('snapshot'))
  }
  region.snapshots.set(snapshot.snapshotId, snapshot)
  return snapshotXml(snapshot) as ActionResult
}

// An AMI registered from snapshots (amazon-ebssurrogate): EC2 knows no instance it was made from.
const registerImage: Handler = ({ world, region, params }) => {
  const name = requiredParam(params, 'Name')
  checkImageName(name)
  checkNameFree(region, name)
  const devices = overlayMappings([], params)
  for (const device of devices) {
    if (device.snapshotId !== undefined) lookUpOne(region.snapshots, 'snap', device.snapshotId)
  }
  const rootDeviceName = requiredParam(params, 'RootDeviceName')
  if (!devices.some((device) => device.deviceName === rootDeviceName && device.snapshotId !== undefined)) {
    throw invalidParameterValue(`Value (${rootDeviceName}) for parameter rootDeviceName is invalid: no snapshot is mapped to it`)
  }
  const imageId = world.newId('ami')
  region.images.set(imageId, {
    ...newOwnImage(imageId, name, params, new Date()),
    architecture: params.Architecture || 'x86_64',
    rootDeviceName,
    virtualizationType: params.VirtualizationType || 'hvm',
    blockDevices: devices,
    launchPermissions: [],
    productCodes: [],
    tags: tagsFrom(tagSpecifications(params, ['image']).get('image'))
  })
  return { imageId }
}

const copyImage: Handler = ({ world, region, params }) => {
  const sourceRegionName = requiredParam(params, 'SourceRegion')
  const sourceImageId = requiredParam(params, 'SourceImageId')
  const name = requiredParam(params, 'Name')
  const sourceRegion = world.regions.get(sourceRegionName)
  if (sourceRegion === undefined) {
    throw invalidParameterValue(`Invalid region: ${sourceRegionName}`)
  }
  const source = lookUpOne(sourceRegion.images, 'ami', sourceImageId)
  if (source.state !== 'available') {
    throw new Ec2Error(
      'IncorrectState',
      `Image ${sourceImageId} is in state '${source.state}' and cannot be copied`
    )
  }
  checkImageName(name)
  checkNameFree(region, name)
  const tagSpecs = tagSpecifications(params, ['image', 'snapshot'])
  const encrypted = boolParam(params, 'Encrypted') === true

  const imageId = world.newId('ami')
  const now = new Date()
  const devices = source.blockDevices.map((device) => {
    if (device.snapshotId === undefined) return { ...device }
    const snapshot: SnapshotRecord = {
      snapshotId: world.newId('snap'),
      volumeId: 'vol-ffffffff',
      volumeSize: device.volumeSize,
      description:
        `Copied for DestinationAmi ${imageId} from SourceAmi ${sourceImageId} for ` +
        `SourceSnapshot ${device.snapshotId}. Task created on ${now.getTime()}.`,
      ownerId: SELF_ACCOUNT_ID,
      encrypted: encrypted || device.encrypted,
      state: 'pending',
      phase: { since: Date.now(), seen: 0 },
      startTime: now,
      tags: tagsFrom(tagSpecs.get('snapshot'))
    }
    region.snapshots.set(snapshot.snapshotId, snapshot)
    return { ...device, snapshotId: snapshot.snapshotId, encrypted: snapshot.encrypted }
  })
  const tags = boolParam(params, 'CopyImageTags') === true ? new Map(source.tags) : new Map()
  for (const tag of tagSpecs.get('image') ?? []) tags.set(tag.key, tag.value)
  region.images.set(imageId, {
    imageId,
    name,
    description: params.Description || source.description,
    ownerId: SELF_ACCOUNT_ID,
    public: false,
    state: 'pending',
    phase: { since: Date.now(), seen: 0 },
    creationDate: now,
    architecture: source.architecture,
    rootDeviceName: source.rootDeviceName,
    virtualizationType: source.virtualizationType,
    blockDevices: devices,
    sourceImageId,
    sourceImageRegion: sourceRegionName,
    launchPermissions: [],
    productCodes: [],
    tags
  })
  return { imageId }
}

function permissionFrom(entry: Params): { userId?: string; group?: string } {
  if (entry.UserId !== undefined) return { userId: entry.UserId }
  if (entry.Group !== undefined) return { group: entry.Group }
  throw missingParameter('LaunchPermission.N.UserId')
}

function checkPermission(permission: { userId?: string; group?: string }): void {
  if (permission.userId !== undefined && !/^\d{12}$/.test(permission.userId)) {
    throw new Ec2Error(
      'InvalidAMIAttributeItemValue',
      `Invalid attribute item value "${permission.userId}" for userId item type.`
    )
  }
  if (permission.group !== undefined && permission.group !== 'all') {
    throw new Ec2Error(
      'InvalidAMIAttributeItemValue',
      `Invalid attribute item value "${permission.group}" for group item type.`
    )
  }
}

const modifyImageAttribute: Handler = ({ region, params }) => {
  const image = lookUpOne(region.images, 'ami', requiredParam(params, 'ImageId'))
  checkOwned(image)
  const attribute = params.Attribute
  const operation = params.OperationType
  let changed = false

  const description =
    params['Description.Value'] ?? (attribute === 'description' ? params.Value : undefined)
  if (description !== undefined) {
    image.description = description
    changed = true
  }

  const adds = structListParam(params, 'LaunchPermission.Add').map(permissionFrom)
  const removes = structListParam(params, 'LaunchPermission.Remove').map(permissionFrom)
  const listed = [
    ...listParam(params, 'UserId').map((userId) => ({ userId })),
    ...listParam(params, 'UserGroup').map((group) => ({ group }))
  ]
  if (listed.length > 0) {
    if (operation === 'remove') removes.push(...listed)
    else if (operation === 'add' || operation === undefined) adds.push(...listed)
    else throw invalidParameterValue(`Value (${operation}) for parameter OperationType is invalid.`)
  }
  for (const permission of [...adds, ...removes]) checkPermission(permission)
  const same = (a: { userId?: string; group?: string }, b: { userId?: string; group?: string }) =>
    a.userId === b.userId && a.group === b.group
  for (const permission of adds) {
    if (!image.launchPermissions.some((p) => same(p, permission))) {
      image.launchPermissions.push(permission)
    }
  }
  image.launchPermissions = image.launchPermissions.filter(
    (p) => !removes.some((removed) => same(p, removed))
  )
  if (adds.length + removes.length > 0) changed = true
  image.public = image.launchPermissions.some((p) => p.group === 'all')

  const productCodes = listParam(params, 'ProductCode')
  if (productCodes.length > 0) {
    image.productCodes = [...new Set([...image.productCodes, ...productCodes])]
    changed = true
  }
  if (!changed) throw missingParameter('Attribute')
  return { return: true }
}

const describeImageAttribute: Handler = ({ region, params }) => {
  const attribute = requiredParam(params, 'Attribute')
  const image = lookUpOne(region.images, 'ami', requiredParam(params, 'ImageId'))
  const answers: Record<string, () => ActionResult> = {
    description: () => ({ description: { value: image.description } }),
    launchPermission: () => ({ launchPermission: image.launchPermissions }),
    productCodes: () => ({
      productCodes: image.productCodes.map((code) => ({ productCode: code, type: 'marketplace' }))
    }),
    blockDeviceMapping: () => ({ blockDeviceMapping: image.blockDevices.map(blockDeviceXml) })
  }
  const answer = answers[attribute]
  if (answer === undefined) {
    throw invalidParameterValue(`Value (${attribute}) for parameter attribute is invalid.`)
  }
  return { imageId: image.imageId, ...answer() }
}

// Deregistration protection, as AWS's EC2 API reference and user guide ("Protect an Amazon EC2 AMI
// from deregistration") describe it:
// - EnableImageDeregistrationProtection: "When deregistration protection is enabled, the AMI can't
//   be deregistered"; `WithCooldown`: "If true, enforces deregistration protection for 24 hours
//   after deregistration protection is disabled". Its `return`: "Returns true if the request
//   succeeds; otherwise, it returns an error" (so does DisableImageDeregistrationProtection's).
// - DisableImageDeregistrationProtection: "If you chose to include a 24-hour cooldown period when
//   you enabled deregistration protection for the AMI, then, when you disable deregistration
//   protection, you won't immediately be able to deregister the AMI."
// - DescribeImages' `DeregistrationProtection`: "Indicates whether deregistration protection is
//   enabled for the AMI", a string whose values neither the reference nor the SDK lists. The
//   values here (`disabled`, `enabled-without-cooldown`, `enabled-with-cooldown`, `disabled after
//   <time>` during a cooldown) are the endpoint's own: retention counts any but `disabled` (or
//   none) as protection, so a value EC2 spells otherwise is still kept.
// - DeregisterImage of a protected AMI: the reference lists no error for it; EC2 answers
//   `OperationNotPermitted` (its code for an action refused by the resource's state), in the
//   words below, which are ours, not AWS's.
const COOLDOWN_MS = 24 * 60 * 60 * 1000
const DISABLED_AFTER = /^disabled after (.+)$/

/** Whether DeregisterImage must refuse: protection is on, or its cooldown has not run out. */
function protectedNow(image: ImageRecord): boolean {
  const protection = image.deregistrationProtection ?? 'disabled'
  const cooldown = DISABLED_AFTER.exec(protection)
  if (cooldown !== null) return Date.parse(cooldown[1]) > Date.now()
  return protection !== 'disabled'
}

const deregisterImage: Handler = ({ world, region, params }) => {
  const image = lookUpOne(region.images, 'ami', requiredParam(params, 'ImageId'))
  checkOwned(image)
  if (protectedNow(image)) {
    throw new Ec2Error(
      'OperationNotPermitted',
      `The image ${image.imageId} has deregistration protection enabled. Disable deregistration protection and try again.`
    )
  }
  world.deregister(region, image)
  return { return: true }
}

const enableImageDeregistrationProtection: Handler = ({ region, params }) => {
  const image = lookUpOne(region.images, 'ami', requiredParam(params, 'ImageId'))
  checkOwned(image)
  image.deregistrationProtection = boolParam(params, 'WithCooldown') === true ? 'enabled-with-cooldown' : 'enabled-without-cooldown'
  return { return: true }
}

const disableImageDeregistrationProtection: Handler = ({ region, params }) => {
  const image = lookUpOne(region.images, 'ami', requiredParam(params, 'ImageId'))
  checkOwned(image)
  image.deregistrationProtection =
    image.deregistrationProtection === 'enabled-with-cooldown'
      ? `disabled after ${new Date(Date.now() + COOLDOWN_MS).toISOString()}`
      : 'disabled'
  return { return: true }
}

function deprecated(image: ImageRecord): boolean {
  return image.deprecationTime !== undefined && image.deprecationTime.getTime() <= Date.now()
}

const TEN_YEARS_MS = 10 * 365 * 24 * 60 * 60 * 1000

// EnableImageDeprecation: "If you specify a value for seconds, Amazon EC2 rounds the seconds to
// the nearest minute. You can't specify a date in the past. The upper limit for DeprecateAt is
// 10 years from now".
const enableImageDeprecation: Handler = ({ region, params }) => {
  const image = lookUpOne(region.images, 'ami', requiredParam(params, 'ImageId'))
  checkOwned(image)
  const given = requiredParam(params, 'DeprecateAt')
  const at = Date.parse(given)
  if (Number.isNaN(at)) throw invalidParameterValue(`Value (${given}) for parameter DeprecateAt is invalid.`)
  const minute = 60_000
  const rounded = Math.round(at / minute) * minute
  if (rounded < Date.now() || rounded > Date.now() + TEN_YEARS_MS) {
    throw invalidParameterValue(`The deprecation time ${given} must be in the future and at most 10 years from now.`)
  }
  image.deprecationTime = new Date(rounded)
  return { return: true }
}

const disableImageDeprecation: Handler = ({ region, params }) => {
  const image = lookUpOne(region.images, 'ami', requiredParam(params, 'ImageId'))
  checkOwned(image)
  delete image.deprecationTime
  return { return: true }
}

const disableImage: Handler = ({ world, region, params }) => {
  const image = lookUpOne(region.images, 'ami', requiredParam(params, 'ImageId'))
  checkOwned(image)
  world.disable(image)
  return { return: true }
}

const enableImage: Handler = ({ region, params }) => {
  const image = lookUpOne(region.images, 'ami', requiredParam(params, 'ImageId'))
  checkOwned(image)
  if (image.state === 'disabled') image.state = 'available'
  return { return: true }
}

const describeSnapshots: Handler = ({ world, region, params }) => {
  const ids = listParam(params, 'SnapshotId')
  const owners = listParam(params, 'Owner')
  let snapshots =
    ids.length > 0 ? lookUp(region.snapshots, 'snap', ids) : [...region.snapshots.values()]
  if (owners.length > 0) snapshots = snapshots.filter((snapshot) => ownedBy(owners, snapshot))
  snapshots = applyFilters(snapshots, filtersParam(params), SNAPSHOT_FIELDS)
  for (const snapshot of snapshots) world.observeSnapshot(snapshot)
  return { snapshotSet: snapshots.map(snapshotXml) }
}

const deleteSnapshot: Handler = ({ region, params }) => {
  const snapshot = lookUpOne(region.snapshots, 'snap', requiredParam(params, 'SnapshotId'))
  const user = [...region.images.values()].find((image) =>
    image.blockDevices.some((device) => device.snapshotId === snapshot.snapshotId)
  )
  if (user !== undefined) {
    throw new Ec2Error(
      'InvalidSnapshot.InUse',
      `The snapshot ${snapshot.snapshotId} is currently in use by ${user.imageId}`
    )
  }
  region.snapshots.delete(snapshot.snapshotId)
  return { return: true }
}

// Packer's snapshot_users / snapshot_groups: who may create volumes from the AMI's snapshots.
const modifySnapshotAttribute: Handler = ({ region, params }) => {
  const snapshot = lookUpOne(region.snapshots, 'snap', requiredParam(params, 'SnapshotId'))
  if (snapshot.ownerId !== SELF_ACCOUNT_ID) {
    throw new Ec2Error('AuthFailure', `Not authorized for snapshot:${snapshot.snapshotId}`)
  }
  const adds = structListParam(params, 'CreateVolumePermission.Add').map(permissionFrom)
  const removes = structListParam(params, 'CreateVolumePermission.Remove').map(permissionFrom)
  const listed = [
    ...listParam(params, 'UserId').map((userId) => ({ userId })),
    ...listParam(params, 'UserGroup').map((group) => ({ group }))
  ]
  if (params.OperationType === 'remove') removes.push(...listed)
  else adds.push(...listed)
  for (const permission of [...adds, ...removes]) checkPermission(permission)
  if (adds.length + removes.length === 0) throw missingParameter('CreateVolumePermission')
  const same = (a: { userId?: string; group?: string }, b: { userId?: string; group?: string }) =>
    a.userId === b.userId && a.group === b.group
  const permissions = (snapshot.createVolumePermissions ?? []).filter((p) => !removes.some((r) => same(p, r)))
  for (const permission of adds) if (!permissions.some((p) => same(p, permission))) permissions.push(permission)
  snapshot.createVolumePermissions = permissions
  return { return: true }
}

export const imageHandlers: Record<string, Handler> = {
  ModifySnapshotAttribute: modifySnapshotAttribute,
  DescribeImages: describeImages,
  CreateImage: createImage,
  RegisterImage: registerImage,
  CreateSnapshot: createSnapshot,
  CopyImage: copyImage,
  ModifyImageAttribute: modifyImageAttribute,
  DescribeImageAttribute: describeImageAttribute,
  DeregisterImage: deregisterImage,
  EnableImageDeregistrationProtection: enableImageDeregistrationProtection,
  DisableImageDeregistrationProtection: disableImageDeregistrationProtection,
  EnableImageDeprecation: enableImageDeprecation,
  DisableImageDeprecation: disableImageDeprecation,
  DisableImage: disableImage,
  EnableImage: enableImage,
  DescribeSnapshots: describeSnapshots,
  DeleteSnapshot: deleteSnapshot
}
