// DescribeImageReferences: which instances, launch templates and SSM parameters of the region
// use an AMI. As on EC2, instances are checked in every state unless `state-name` narrows them,
// and launch templates in their 10 newest versions unless `version-depth` says otherwise.
import { invalidParameterValue } from '../errors.js'
import { boolParam, listParam, structListParam, type Params } from '../query.js'
import { partitionOf } from '../partitions.js'
import { SELF_ACCOUNT_ID, type RegionState } from '../world.js'
import { lookUp, type Handler } from './common.js'

const RESOURCE_TYPES = [
  'ec2:Instance',
  'ec2:LaunchTemplate',
  'ssm:Parameter',
  'imagebuilder:ImageRecipe',
  'imagebuilder:ContainerRecipe'
]

type Reference = {
  imageId: string
  resourceType: string
  arn: string
}


type Options = Record<string, string[]>

function requestedTypes(params: Params): Map<string, Options> {
  const types = new Map<string, Options>()
  if (boolParam(params, 'IncludeAllResourceTypes') === true) {
    for (const type of RESOURCE_TYPES) types.set(type, {})
  }
  for (const request of structListParam(params, 'ResourceType')) {
    const type = request.ResourceType
    if (type === undefined || !RESOURCE_TYPES.includes(type)) {
      throw invalidParameterValue(`The resource type '${type ?? ''}' is not supported.`)
    }
    const options: Options = {}
    for (const option of structListParam(request, 'ResourceTypeOption')) {
      if (option.OptionName !== undefined) options[option.OptionName] = listParam(option, 'OptionValue')
    }
    types.set(type, options)
  }
  if (types.size === 0) {
    throw invalidParameterValue('Specify ResourceTypes or set IncludeAllResourceTypes to true.')
  }
  return types
}

function instanceReferences(region: RegionState, imageId: string, options: Options): Reference[] {
  const states = options['state-name'] ?? []
  return [...region.instances.values()]
    .filter((instance) => instance.imageId === imageId && (states.length === 0 || states.includes(instance.state)))
    .map((instance) => ({
      imageId,
      resourceType: 'ec2:Instance',
      arn: `arn:${partitionOf(region.name)}:ec2:${region.name}:${SELF_ACCOUNT_ID}:instance/${instance.instanceId}`
    }))
}

function launchTemplateReferences(region: RegionState, imageId: string, options: Options): Reference[] {
  const depth = Number(options['version-depth']?.[0] ?? '10')
  if (!Number.isInteger(depth) || depth < 1 || depth > 10000) {
    throw invalidParameterValue('version-depth must be an integer between 1 and 10000.')
  }
  return [...region.launchTemplates.values()]
    .filter((template) => template.versions.slice(-depth).some((version) => version.data.ImageId === imageId))
    .map((template) => ({
      imageId,
      resourceType: 'ec2:LaunchTemplate',
      arn: `arn:${partitionOf(region.name)}:ec2:${region.name}:${SELF_ACCOUNT_ID}:launch-template/${template.launchTemplateId}`
    }))
}

function parameterReferences(region: RegionState, imageId: string): Reference[] {
  return [...region.parameters.values()]
    .filter((parameter) => parameter.versions.at(-1)?.value === imageId)
    .map((parameter) => ({
      imageId,
      resourceType: 'ssm:Parameter',
      arn: `arn:${partitionOf(region.name)}:ssm:${region.name}:${SELF_ACCOUNT_ID}:parameter${parameter.name.startsWith('/') ? '' : '/'}${parameter.name}`
    }))
}

const describeImageReferences: Handler = ({ region, params }) => {
  const imageIds = listParam(params, 'ImageId')
  lookUp(region.images, 'ami', imageIds)
  const types = requestedTypes(params)
  const references: Reference[] = []
  for (const imageId of imageIds) {
    const instances = types.get('ec2:Instance')
    const templates = types.get('ec2:LaunchTemplate')
    if (instances) references.push(...instanceReferences(region, imageId, instances))
    if (templates) references.push(...launchTemplateReferences(region, imageId, templates))
    if (types.has('ssm:Parameter')) references.push(...parameterReferences(region, imageId))
  }
  return { imageReferenceSet: references }
}

export const imageReferenceHandlers: Record<string, Handler> = {
  DescribeImageReferences: describeImageReferences
}
