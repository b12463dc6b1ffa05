import { createHash, createPrivateKey, generateKeyPair } from 'node:crypto'
import { promisify } from 'node:util'
import { dnsSuffixOf } from '../partitions.js'
import { Ec2Error, invalidParameterValue, missingParameter, notFound } from '../errors.js'
import { applyFilters, type FilterFields } from '../filters.js'
import {
  filtersParam,
  intParam,
  listParam,
  requiredParam,
  structListParam,
  type Params
} from '../query.js'
import {
  availabilityZoneId,
  SELF_ACCOUNT_ID,
  type IpPermission,
  type KeyPairRecord,
  type RegionState,
  type SecurityGroupRecord,
  type SubnetRecord,
  type VpcRecord
} from '../world.js'
import type { XmlValue } from '../xml.js'
import { lookUp, lookUpOne, tagSet, tagSpecifications, tagsFrom, type Handler } from './common.js'

const generateKeyPairAsync = promisify(generateKeyPair)

interface RegionInfo {
  regionName: string
  tags: Map<string, string>
}

const REGION_FIELDS: FilterFields<RegionInfo> = {
  'region-name': (region) => [region.regionName],
  endpoint: (region) => [regionEndpoint(region.regionName)],
  'opt-in-status': () => ['opt-in-not-required']
}

interface ZoneInfo {
  zoneName: string
  regionName: string
  tags: Map<string, string>
}

const ZONE_FIELDS: FilterFields<ZoneInfo> = {
  'zone-name': (zone) => [zone.zoneName],
  'zone-id': (zone) => [availabilityZoneId(zone.zoneName)],
  'region-name': (zone) => [zone.regionName],
  state: () => ['available'],
  'zone-type': () => ['availability-zone']
}

const VPC_FIELDS: FilterFields<VpcRecord> = {
  'vpc-id': (vpc) => [vpc.vpcId],
  'is-default': (vpc) => [String(vpc.isDefault)],
  state: () => ['available'],
  'cidr-block': (vpc) => [vpc.cidrBlock],
  cidr: (vpc) => [vpc.cidrBlock],
  'cidr-block-association.cidr-block': (vpc) => [vpc.cidrBlock],
  'cidr-block-association.state': () => ['associated'],
  'owner-id': () => [SELF_ACCOUNT_ID]
}

/** What EC2 answers for a subnet of this CIDR block: its addresses, less the 5 AWS keeps. */
function availableIpAddressCount(subnet: SubnetRecord): number {
  const prefix = Number(subnet.cidrBlock.split('/')[1])
  return 2 ** (32 - prefix) - 5
}

// Packer filters on the legacy camel-case names (availabilityZone, defaultForAz); EC2 takes both.
const SUBNET_FIELDS: FilterFields<SubnetRecord> = {
  'subnet-id': (subnet) => [subnet.subnetId],
  'vpc-id': (subnet) => [subnet.vpcId],
  'availability-zone': (subnet) => [subnet.availabilityZone],
  availabilityZone: (subnet) => [subnet.availabilityZone],
  'availability-zone-id': (subnet) => [availabilityZoneId(subnet.availabilityZone)],
  'available-ip-address-count': (subnet) => [String(availableIpAddressCount(subnet))],
  'default-for-az': (subnet) => [String(subnet.defaultForAz)],
  defaultForAz: (subnet) => [String(subnet.defaultForAz)],
  'cidr-block': (subnet) => [subnet.cidrBlock],
  cidr: (subnet) => [subnet.cidrBlock],
  cidrBlock: (subnet) => [subnet.cidrBlock],
  'map-public-ip-on-launch': () => ['true'],
  state: () => ['available'],
  'owner-id': () => [SELF_ACCOUNT_ID]
}

const GROUP_FIELDS: FilterFields<SecurityGroupRecord> = {
  'group-id': (group) => [group.groupId],
  'group-name': (group) => [group.groupName],
  'vpc-id': (group) => [group.vpcId],
  description: (group) => [group.description],
  'owner-id': (group) => [group.ownerId]
}

const KEY_FIELDS: FilterFields<KeyPairRecord> = {
  'key-name': (key) => [key.keyName],
  'key-pair-id': (key) => [key.keyPairId],
  fingerprint: (key) => [key.keyFingerprint],
  'key-type': (key) => [key.keyType]
}

function regionEndpoint(name: string): string {
  return `ec2.${name}.${dnsSuffixOf(name)}`
}

const describeRegions: Handler = ({ world, params }) => {
  const names = listParam(params, 'RegionName')
  for (const name of names) {
    if (!world.regions.has(name)) throw invalidParameterValue(`Invalid region: ${name}`)
  }
  const all = [...world.regions.keys()].map((regionName) => ({ regionName, tags: new Map() }))
  const chosen = names.length > 0 ? all.filter((r) => names.includes(r.regionName)) : all
  return {
    regionInfo: applyFilters(chosen, filtersParam(params), REGION_FIELDS).map((r) => ({
      regionName: r.regionName,
      regionEndpoint: regionEndpoint(r.regionName),
      optInStatus: 'opt-in-not-required'
    }))
  }
}

const describeAvailabilityZones: Handler = ({ region, params }) => {
  const names = listParam(params, 'ZoneName')
  const ids = listParam(params, 'ZoneId')
  const zones = [...new Set([...region.subnets.values()].map((s) => s.availabilityZone))]
    .sort()
    .map((zoneName) => ({ zoneName, regionName: region.name, tags: new Map() }))
  const asked = (zone: ZoneInfo) => names.includes(zone.zoneName) || ids.includes(availabilityZoneId(zone.zoneName))
  const unknown = [
    ...names.filter((name) => !zones.some((zone) => zone.zoneName === name)),
    ...ids.filter((id) => !zones.some((zone) => availabilityZoneId(zone.zoneName) === id))
  ]
  if (unknown.length > 0) throw invalidParameterValue(`Invalid availability zone: [${unknown[0]}]`)
  const chosen = names.length + ids.length > 0 ? zones.filter(asked) : zones
  return {
    availabilityZoneInfo: applyFilters(chosen, filtersParam(params), ZONE_FIELDS).map((zone) => ({
      zoneName: zone.zoneName,
      zoneState: 'available',
      regionName: zone.regionName,
      zoneId: availabilityZoneId(zone.zoneName),
      zoneType: 'availability-zone',
      optInStatus: 'opt-in-not-required',
      groupName: zone.regionName,
      networkBorderGroup: zone.regionName
    }))
  }
}

const describeVpcs: Handler = ({ region, params }) => {
  const ids = listParam(params, 'VpcId')
  const vpcs = ids.length > 0 ? lookUp(region.vpcs, 'vpc', ids) : [...region.vpcs.values()]
  return {
    vpcSet: applyFilters(vpcs, filtersParam(params), VPC_FIELDS).map((vpc) => ({
      vpcId: vpc.vpcId,
      ownerId: SELF_ACCOUNT_ID,
      state: 'available',
      cidrBlock: vpc.cidrBlock,
      instanceTenancy: 'default',
      isDefault: vpc.isDefault,
      tagSet: tagSet(vpc.tags)
    }))
  }
}

const describeSubnets: Handler = ({ region, params }) => {
  const ids = listParam(params, 'SubnetId')
  const subnets =
    ids.length > 0 ? lookUp(region.subnets, 'subnet', ids) : [...region.subnets.values()]
  return {
    subnetSet: applyFilters(subnets, filtersParam(params), SUBNET_FIELDS).map((subnet) => ({
      subnetId: subnet.subnetId,
      state: 'available',
      vpcId: subnet.vpcId,
      ownerId: SELF_ACCOUNT_ID,
      cidrBlock: subnet.cidrBlock,
      availableIpAddressCount: availableIpAddressCount(subnet),
      availabilityZone: subnet.availabilityZone,
      availabilityZoneId: availabilityZoneId(subnet.availabilityZone),
      defaultForAz: subnet.defaultForAz,
      mapPublicIpOnLaunch: true,
      tagSet: tagSet(subnet.tags)
    }))
  }
}

function permissionXml(permission: IpPermission): XmlValue {
  return {
    ipProtocol: permission.ipProtocol,
    fromPort: permission.fromPort,
    toPort: permission.toPort,
    groups: [],
    ipRanges: permission.cidrIps.map((cidrIp) => ({ cidrIp })),
    ipv6Ranges: [],
    prefixListIds: []
  }
}

function groupXml(group: SecurityGroupRecord): XmlValue {
  return {
    ownerId: group.ownerId,
    groupId: group.groupId,
    groupName: group.groupName,
    groupDescription: group.description,
    vpcId: group.vpcId,
    ipPermissions: group.ingress.map(permissionXml),
    ipPermissionsEgress: group.egress.map(permissionXml),
    tagSet: tagSet(group.tags)
  }
}

function groupByIdOrName(region: RegionState, params: Params): SecurityGroupRecord {
  const groupId = params.GroupId || undefined
  if (groupId !== undefined) return lookUpOne(region.securityGroups, 'sg', groupId)
  const groupName = params.GroupName || undefined
  if (groupName === undefined) throw missingParameter('GroupId')
  const vpcId = region.defaultVpc.vpcId
  const group = [...region.securityGroups.values()].find(
    (candidate) => candidate.groupName === groupName && candidate.vpcId === vpcId
  )
  if (group === undefined) {
    throw new Ec2Error(
      'InvalidGroup.NotFound',
      `The security group '${groupName}' does not exist in default VPC '${vpcId}'`
    )
  }
  return group
}

const createSecurityGroup: Handler = ({ world, region, params }) => {
  const groupName = requiredParam(params, 'GroupName')
  const description = requiredParam(params, 'GroupDescription')
  const vpcId = params.VpcId || region.defaultVpc.vpcId
  lookUpOne(region.vpcs, 'vpc', vpcId)
  if (groupName.startsWith('sg-')) {
    throw invalidParameterValue('Group names may not be in the format sg-*.')
  }
  if (groupName.length > 255 || description.length > 255) {
    throw invalidParameterValue('Group name and description are limited to 255 characters.')
  }
  const taken = [...region.securityGroups.values()].some(
    (group) => group.groupName === groupName && group.vpcId === vpcId
  )
  if (taken) {
    throw new Ec2Error(
      'InvalidGroup.Duplicate',
      `The security group '${groupName}' already exists for VPC '${vpcId}'`
    )
  }
  const tagSpecs = tagSpecifications(params, ['security-group'])
  const group: SecurityGroupRecord = {
    groupId: world.newId('sg'),
    groupName,
    description,
    vpcId,
    ownerId: SELF_ACCOUNT_ID,
    ingress: [],
    egress: [{ ipProtocol: '-1', cidrIps: ['0.0.0.0/0'] }],
    tags: tagsFrom(tagSpecs.get('security-group'))
  }
  region.securityGroups.set(group.groupId, group)
  return { return: true, groupId: group.groupId, tagSet: tagSet(group.tags) }
}

const describeSecurityGroups: Handler = ({ region, params }) => {
  const ids = listParam(params, 'GroupId')
  const names = listParam(params, 'GroupName')
  let groups =
    ids.length > 0 ? lookUp(region.securityGroups, 'sg', ids) : [...region.securityGroups.values()]
  if (names.length > 0) {
    const vpcId = region.defaultVpc.vpcId
    const missing = names.filter(
      (name) => !groups.some((group) => group.groupName === name && group.vpcId === vpcId)
    )
    if (missing.length > 0) {
      throw new Ec2Error(
        'InvalidGroup.NotFound',
        `The security group '${missing.join(', ')}' does not exist in default VPC '${vpcId}'`
      )
    }
    groups = groups.filter((group) => names.includes(group.groupName) && group.vpcId === vpcId)
  }
  return { securityGroupInfo: applyFilters(groups, filtersParam(params), GROUP_FIELDS).map(groupXml) }
}

function permissionsParam(params: Params): IpPermission[] {
  const structured = structListParam(params, 'IpPermissions').map((entry) => ({
    ipProtocol: entry.IpProtocol,
    fromPort: intParam(entry, 'FromPort'),
    toPort: intParam(entry, 'ToPort'),
    cidrIps: structListParam(entry, 'IpRanges')
      .map((range) => range.CidrIp)
      .filter((cidr): cidr is string => cidr !== undefined)
  }))
  if (params.IpProtocol !== undefined) {
    structured.push({
      ipProtocol: params.IpProtocol,
      fromPort: intParam(params, 'FromPort'),
      toPort: intParam(params, 'ToPort'),
      cidrIps: params.CidrIp !== undefined ? [params.CidrIp] : []
    })
  }
  return structured.map((permission) => {
    if (permission.ipProtocol === undefined) throw missingParameter('IpPermissions.N.IpProtocol')
    const protocol = permission.ipProtocol.toLowerCase()
    const named = ['tcp', 'udp', 'icmp', 'icmpv6', '-1', 'all'].includes(protocol)
    if (!named && !/^\d+$/.test(protocol)) {
      throw invalidParameterValue(
        `Invalid value '${permission.ipProtocol}' for IP protocol. Unknown protocol.`
      )
    }
    for (const cidr of permission.cidrIps) {
      if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr)) {
        throw invalidParameterValue(`CIDR block ${cidr} is malformed`)
      }
    }
    return { ...permission, ipProtocol: protocol === 'all' ? '-1' : protocol }
  })
}

const authorizeSecurityGroupIngress: Handler = ({ region, params }) => {
  const group = groupByIdOrName(region, params)
  const permissions = permissionsParam(params)
  if (permissions.length === 0) throw missingParameter('IpPermissions')
  for (const permission of permissions) {
    for (const cidr of permission.cidrIps) {
      const exists = group.ingress.some(
        (rule) =>
          rule.ipProtocol === permission.ipProtocol &&
          rule.fromPort === permission.fromPort &&
          rule.toPort === permission.toPort &&
          rule.cidrIps.includes(cidr)
      )
      if (exists) {
        const { ipProtocol, fromPort, toPort } = permission
        throw new Ec2Error(
          'InvalidPermission.Duplicate',
          `the specified rule "peer: ${cidr}, ${ipProtocol.toUpperCase()}, from port: ${fromPort}, ` +
            `to port: ${toPort}, ALLOW" already exists`
        )
      }
    }
  }
  group.ingress.push(...permissions)
  return { return: true }
}

const deleteSecurityGroup: Handler = ({ region, params }) => {
  const group = groupByIdOrName(region, params)
  if (group.groupName === 'default') {
    throw new Ec2Error(
      'CannotDelete',
      `the specified group: "${group.groupId}" name: "default" cannot be deleted by a user`
    )
  }
  const user = [...region.instances.values()].find(
    (instance) => instance.state !== 'terminated' && instance.securityGroupIds.includes(group.groupId)
  )
  if (user !== undefined) {
    throw new Ec2Error('DependencyViolation', `resource ${group.groupId} has a dependent object`)
  }
  region.securityGroups.delete(group.groupId)
  return { return: true, groupId: group.groupId }
}

function colonHex(digest: Buffer): string {
  return digest.toString('hex').match(/../g)?.join(':') ?? ''
}

const createKeyPair: Handler = async ({ world, region, params }) => {
  const keyName = requiredParam(params, 'KeyName')
  if (keyName.length > 255) throw invalidParameterValue('Key names are limited to 255 characters.')
  if (region.keyPairs.has(keyName)) {
    throw new Ec2Error('InvalidKeyPair.Duplicate', `The keypair '${keyName}' already exists.`)
  }
  const keyType = params.KeyType || 'rsa'
  if (keyType !== 'rsa' && keyType !== 'ed25519') {
    throw invalidParameterValue(`Value (${keyType}) for parameter keyType is invalid.`)
  }
  const tagSpecs = tagSpecifications(params, ['key-pair'])
  let keyMaterial: string
  let keyFingerprint: string
  if (keyType === 'rsa') {
    const { privateKey } = await generateKeyPairAsync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' }
    })
    keyMaterial = privateKey
    // AWS-made RSA keys are fingerprinted with SHA-1 over the DER PKCS#8 private key.
    const der = createPrivateKey(privateKey).export({ type: 'pkcs8', format: 'der' })
    keyFingerprint = colonHex(createHash('sha1').update(der).digest())
  } else {
    const { privateKey, publicKey } = await generateKeyPairAsync('ed25519', {
      publicKeyEncoding: { type: 'spki', format: 'der' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' }
    })
    keyMaterial = privateKey
    keyFingerprint = createHash('sha256').update(publicKey).digest('base64').replace(/=+$/, '')
  }
  // Another call may have made the same key while this one was generating.
  if (region.keyPairs.has(keyName)) {
    throw new Ec2Error('InvalidKeyPair.Duplicate', `The keypair '${keyName}' already exists.`)
  }
  const record: KeyPairRecord = {
    keyName,
    keyPairId: world.newId('key'),
    keyFingerprint,
    keyType,
    createTime: new Date(),
    tags: tagsFrom(tagSpecs.get('key-pair'))
  }
  region.keyPairs.set(keyName, record)
  return {
    keyName,
    keyFingerprint,
    keyMaterial,
    keyPairId: record.keyPairId,
    tagSet: tagSet(record.tags)
  }
}

const describeKeyPairs: Handler = ({ region, params }) => {
  const names = listParam(params, 'KeyName')
  const ids = listParam(params, 'KeyPairId')
  let keys = [...region.keyPairs.values()]
  const missingNames = names.filter((name) => !region.keyPairs.has(name))
  const missingIds = ids.filter((id) => !keys.some((key) => key.keyPairId === id))
  if (missingNames.length + missingIds.length > 0) {
    throw notFound('key', [...missingNames, ...missingIds])
  }
  if (names.length > 0) keys = keys.filter((key) => names.includes(key.keyName))
  if (ids.length > 0) keys = keys.filter((key) => ids.includes(key.keyPairId))
  return {
    keySet: applyFilters(keys, filtersParam(params), KEY_FIELDS).map((key) => ({
      keyPairId: key.keyPairId,
      keyType: key.keyType,
      tagSet: tagSet(key.tags),
      keyName: key.keyName,
      keyFingerprint: key.keyFingerprint,
      createTime: key.createTime
    }))
  }
}

// Like EC2, deleting a key pair by a name that does not exist succeeds; only an unknown id fails.
const deleteKeyPair: Handler = ({ region, params }) => {
  const keyPairId = params.KeyPairId || undefined
  const keyName = params.KeyName || undefined
  if (keyPairId === undefined && keyName === undefined) throw missingParameter('KeyName')
  let record: KeyPairRecord | undefined
  if (keyPairId !== undefined) {
    record = [...region.keyPairs.values()].find((key) => key.keyPairId === keyPairId)
    if (record === undefined) throw notFound('key', [keyPairId])
  } else if (keyName !== undefined) {
    record = region.keyPairs.get(keyName)
  }
  if (record !== undefined) region.keyPairs.delete(record.keyName)
  return { return: true, keyPairId: record?.keyPairId }
}

export const networkHandlers: Record<string, Handler> = {
  DescribeRegions: describeRegions,
  DescribeAvailabilityZones: describeAvailabilityZones,
  DescribeVpcs: describeVpcs,
  DescribeSubnets: describeSubnets,
  CreateSecurityGroup: createSecurityGroup,
  DescribeSecurityGroups: describeSecurityGroups,
  AuthorizeSecurityGroupIngress: authorizeSecurityGroupIngress,
  DeleteSecurityGroup: deleteSecurityGroup,
  CreateKeyPair: createKeyPair,
  DescribeKeyPairs: describeKeyPairs,
  DeleteKeyPair: deleteKeyPair
}
