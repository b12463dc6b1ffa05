// Launch templates and their versions: what a deployment step reads and rolls. A version's
// data is kept as the `LaunchTemplateData.*` parameters it was created with; a new version made
// from a source version starts from the source's data (without its block devices' snapshots),
// and each member the call sends replaces the source's.
import { randomUUID } from 'node:crypto'
import { Ec2Error, invalidParameterValue, missingParameter } from '../errors.js'
import { applyFilters, type FilterFields } from '../filters.js'
import { filtersParam, intParam, listParam, requiredParam, structListParam, type Params } from '../query.js'
import { callerArn, type InstanceRecord, type LaunchTemplateRecord, type LaunchTemplateVersionRecord, type RegionState } from '../world.js'
import type { XmlValue } from '../xml.js'
import { lookUp, lookUpOne, tagSet, tagSpecifications, tagsFrom, type Handler } from './common.js'
import { launchInstances } from './instances.js'

// EC2's rule for launch template names.
const TEMPLATE_NAME = /^[a-zA-Z0-9().\-/_]{3,128}$/

const TEMPLATE_FIELDS: FilterFields<LaunchTemplateRecord> = {
  'launch-template-name': (template) => [template.launchTemplateName],
  'create-time': (template) => [template.createTime.toISOString()]
}

function dataParams(params: Params): Record<string, string> {
  const data: Record<string, string> = {}
  for (const [key, value] of Object.entries(params)) {
    if (key.startsWith('LaunchTemplateData.')) data[key.slice('LaunchTemplateData.'.length)] = value
  }
  return data
}

const wireName = (name: string) => name[0].toLowerCase() + name.slice(1)

/** `BlockDeviceMapping.N.*` parameters as the `blockDeviceMappingSet` EC2 answers with. */
function blockDeviceMappingsXml(data: Record<string, string>): XmlValue[] {
  const mappings = new Map<string, Record<string, XmlValue>>()
  for (const [key, value] of Object.entries(data)) {
    const [member, index, ...path] = key.split('.')
    if (member !== 'BlockDeviceMapping' || path.length === 0) continue
    let node = mappings.get(index) ?? {}
    mappings.set(index, node)
    for (const name of path.slice(0, -1)) node = (node[wireName(name)] ??= {}) as Record<string, XmlValue>
    node[wireName(path[path.length - 1])] = value
  }
  return [...mappings.entries()].sort(([a], [b]) => Number(a) - Number(b)).map(([, mapping]) => mapping)
}

/** The data's simple members and block device mappings, by their wire names (`imageId`). */
function dataXml(data: Record<string, string>): XmlValue {
  const members: Record<string, XmlValue> = {}
  for (const [key, value] of Object.entries(data)) {
    if (!key.includes('.')) members[wireName(key)] = value
  }
  const mappings = blockDeviceMappingsXml(data)
  if (mappings.length > 0) members.blockDeviceMappingSet = mappings
  return members
}

/**
 * A new version's data made from its source version's: each member the call sends replaces the
 * source's whole member (a list such as `BlockDeviceMapping.N` is replaced, not merged), and, as
 * EC2 documents for `SourceVersion`, the snapshots of the source's block device mappings are
 * not inherited: only a snapshot the call itself names is kept.
 */
function dataFromSource(source: Record<string, string>, sent: Record<string, string>): Record<string, string> {
  const member = (key: string) => key.split('.')[0]
  const replaced = new Set(Object.keys(sent).map(member))
  const inherited = Object.entries(source).filter(
    ([key]) => !replaced.has(member(key)) && !/^BlockDeviceMapping\.\d+\.Ebs\.SnapshotId$/.test(key)
  )
  return { ...Object.fromEntries(inherited), ...sent }
}

function templateXml(region: RegionState, template: LaunchTemplateRecord): XmlValue {
  return {
    launchTemplateId: template.launchTemplateId,
    launchTemplateName: template.launchTemplateName,
    createTime: template.createTime,
    createdBy: callerArn(region.name),
    defaultVersionNumber: template.defaultVersion,
    latestVersionNumber: template.versions.length,
    tagSet: tagSet(template.tags)
  }
}

function versionXml(region: RegionState, template: LaunchTemplateRecord, version: LaunchTemplateVersionRecord): XmlValue {
  return {
    launchTemplateId: template.launchTemplateId,
    launchTemplateName: template.launchTemplateName,
    versionNumber: version.versionNumber,
    versionDescription: version.description,
    createTime: version.createTime,
    createdBy: callerArn(region.name),
    defaultVersion: version.versionNumber === template.defaultVersion,
    launchTemplateData: dataXml(version.data)
  }
}

function byName(region: RegionState, name: string): LaunchTemplateRecord | undefined {
  return [...region.launchTemplates.values()].find((template) => template.launchTemplateName === name)
}

function nameNotFound(): Ec2Error {
  return new Ec2Error(
    'InvalidLaunchTemplateName.NotFoundException',
    'At least one of the launch templates specified in the request does not exist.'
  )
}

/** The template a call names by `LaunchTemplateId` or `LaunchTemplateName` (exactly one). */
function namedTemplate(region: RegionState, params: Params): LaunchTemplateRecord {
  const { LaunchTemplateId: id, LaunchTemplateName: name } = params
  if (id !== undefined && name !== undefined) {
    throw invalidParameterValue('Specify either the launch template ID or the launch template name, but not both.')
  }
  if (id !== undefined) return lookUpOne(region.launchTemplates, 'lt', id)
  if (name === undefined) throw missingParameter('LaunchTemplateId or LaunchTemplateName')
  const template = byName(region, name)
  if (template === undefined) throw nameNotFound()
  return template
}

/** `$Latest`, `$Default` or a version number, as the versions parameters take them. */
function resolveVersion(template: LaunchTemplateRecord, spec: string): LaunchTemplateVersionRecord {
  const number =
    spec === '$Latest' ? template.versions.length : spec === '$Default' ? template.defaultVersion : Number(spec)
  const version = Number.isInteger(number) ? template.versions[number - 1] : undefined
  if (version === undefined) {
    throw new Ec2Error(
      'InvalidLaunchTemplateId.VersionNotFound',
      `Could not find launch template version ${spec} for template ${template.launchTemplateId}`
    )
  }
  return version
}

const createLaunchTemplate: Handler = ({ world, region, params }) => {
  const name = requiredParam(params, 'LaunchTemplateName')
  if (!TEMPLATE_NAME.test(name)) {
    throw invalidParameterValue(`Launch template name ${name} is not valid.`)
  }
  if (byName(region, name) !== undefined) {
    throw new Ec2Error(
      'InvalidLaunchTemplateName.AlreadyExistsException',
      `Launch template name already in use.`
    )
  }
  const tagSpecs = tagSpecifications(params, ['launch-template'])
  const now = new Date()
  const template: LaunchTemplateRecord = {
    launchTemplateId: world.newId('lt'),
    launchTemplateName: name,
    createTime: now,
    defaultVersion: 1,
    versions: [{ versionNumber: 1, description: params.VersionDescription, createTime: now, data: dataParams(params) }],
    tags: tagsFrom(tagSpecs.get('launch-template'))
  }
  region.launchTemplates.set(template.launchTemplateId, template)
  return { launchTemplate: templateXml(region, template) }
}

const describeLaunchTemplates: Handler = ({ region, params }) => {
  const ids = listParam(params, 'LaunchTemplateId')
  const names = listParam(params, 'LaunchTemplateName')
  let templates = ids.length > 0 ? lookUp(region.launchTemplates, 'lt', ids) : [...region.launchTemplates.values()]
  if (names.length > 0) {
    const named = names.map((name) => byName(region, name))
    if (named.some((template) => template === undefined)) throw nameNotFound()
    templates = templates.filter((template) => named.includes(template))
  }
  templates = applyFilters(templates, filtersParam(params), TEMPLATE_FIELDS)
  return { launchTemplates: templates.map((template) => templateXml(region, template)) }
}

const describeLaunchTemplateVersions: Handler = ({ region, params }) => {
  const template = namedTemplate(region, params)
  // EC2 would answer each `resolve:ssm:` ImageId with the AMI ID its parameter holds.
  if (params.ResolveAlias === 'true') throw invalidParameterValue('The loopback endpoint does not resolve SSM parameters (ResolveAlias).')
  const specs = listParam(params, 'LaunchTemplateVersion')
  const min = intParam(params, 'MinVersion') ?? 1
  const max = intParam(params, 'MaxVersion') ?? Number.MAX_SAFE_INTEGER
  const versions =
    specs.length > 0
      ? [...new Set(specs.map((spec) => resolveVersion(template, spec)))]
      : template.versions.filter((version) => version.versionNumber >= min && version.versionNumber <= max)
  return { launchTemplateVersionSet: versions.map((version) => versionXml(region, template, version)) }
}

const createLaunchTemplateVersion: Handler = ({ region, params }) => {
  const template = namedTemplate(region, params)
  const source = params.SourceVersion === undefined ? undefined : resolveVersion(template, params.SourceVersion)
  const version: LaunchTemplateVersionRecord = {
    versionNumber: template.versions.length + 1,
    description: params.VersionDescription,
    createTime: new Date(),
    data: source === undefined ? dataParams(params) : dataFromSource(source.data, dataParams(params))
  }
  template.versions.push(version)
  return { launchTemplateVersion: versionXml(region, template, version) }
}

const modifyLaunchTemplate: Handler = ({ region, params }) => {
  const template = namedTemplate(region, params)
  const spec = params.SetDefaultVersion
  if (spec !== undefined) template.defaultVersion = resolveVersion(template, spec).versionNumber
  return { launchTemplate: templateXml(region, template) }
}

const deleteLaunchTemplate: Handler = ({ region, params }) => {
  const template = namedTemplate(region, params)
  region.launchTemplates.delete(template.launchTemplateId)
  return { launchTemplate: templateXml(region, template) }
}

/**
 * An `instant` EC2 Fleet of one launch template, as Packer's spot builds ask for one: its
 * instances launch at once from the version's data, each override's instance type tried in
 * turn. EC2 tags each with the launch template and the fleet it came from, and makes a spot
 * instance request for each spot instance (which Packer tags with `spot_tags`).
 */
const createFleet: Handler = ({ world, region, params }) => {
  if (params.Type !== 'instant') {
    throw invalidParameterValue(`The loopback endpoint answers only an instant fleet, not "${params.Type ?? 'maintain'}".`)
  }
  const [config, ...others] = structListParam(params, 'LaunchTemplateConfigs')
  if (config === undefined) throw missingParameter('LaunchTemplateConfigs')
  if (others.length > 0) throw invalidParameterValue('The loopback endpoint answers a fleet of one launch template.')
  const template = namedTemplate(region, {
    LaunchTemplateId: config['LaunchTemplateSpecification.LaunchTemplateId'],
    LaunchTemplateName: config['LaunchTemplateSpecification.LaunchTemplateName']
  })
  const version = resolveVersion(template, config['LaunchTemplateSpecification.Version'] ?? '$Default')
  const capacity = intParam(params, 'TargetCapacitySpecification.TotalTargetCapacity')
  if (capacity === undefined) throw missingParameter('TargetCapacitySpecification.TotalTargetCapacity')
  const instanceType = structListParam(config, 'Overrides')[0]?.InstanceType ?? version.data.InstanceType
  const fleetId = `fleet-${randomUUID()}`
  const lifecycle = params['TargetCapacitySpecification.DefaultTargetCapacityType'] ?? 'on-demand'
  const launchTemplateSpecification = { launchTemplateId: template.launchTemplateId, version: String(version.versionNumber) }
  let instances: InstanceRecord[]
  try {
    instances = launchInstances(world, region, {
      ...version.data,
      ...(instanceType === undefined ? {} : { InstanceType: instanceType }),
      MinCount: String(capacity),
      MaxCount: String(capacity)
    })
  } catch (error) {
    // An instant fleet answers what it could not launch, and why, in its errors.
    if (!(error instanceof Ec2Error)) throw error
    return {
      fleetId,
      errorSet: [
        {
          launchTemplateAndOverrides: { launchTemplateSpecification, overrides: { instanceType } },
          lifecycle,
          errorCode: error.code,
          errorMessage: error.message
        }
      ],
      fleetInstanceSet: []
    }
  }
  for (const instance of instances) {
    instance.tags.set('aws:ec2launchtemplate:id', template.launchTemplateId)
    instance.tags.set('aws:ec2launchtemplate:version', String(version.versionNumber))
    instance.tags.set('aws:ec2:fleet-id', fleetId)
    if (lifecycle === 'spot') {
      const request = { spotInstanceRequestId: world.newId('sir', 8), instanceId: instance.instanceId, tags: new Map<string, string>() }
      region.spotInstanceRequests.set(request.spotInstanceRequestId, request)
      instance.spotInstanceRequestId = request.spotInstanceRequestId
    }
  }
  return {
    fleetId,
    errorSet: [],
    fleetInstanceSet: [
      {
        launchTemplateAndOverrides: {
          launchTemplateSpecification,
          overrides: { instanceType: instances[0].instanceType }
        },
        lifecycle,
        instanceIds: instances.map((instance) => instance.instanceId),
        instanceType: instances[0].instanceType
      }
    ]
  }
}

export const launchTemplateHandlers: Record<string, Handler> = {
  DeleteLaunchTemplate: deleteLaunchTemplate,
  CreateFleet: createFleet,
  CreateLaunchTemplate: createLaunchTemplate,
  DescribeLaunchTemplates: describeLaunchTemplates,
  DescribeLaunchTemplateVersions: describeLaunchTemplateVersions,
  CreateLaunchTemplateVersion: createLaunchTemplateVersion,
  ModifyLaunchTemplate: modifyLaunchTemplate
}
