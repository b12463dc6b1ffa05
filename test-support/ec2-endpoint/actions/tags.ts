import {
  idPrefix,
  invalidId,
  isWellFormedId,
  malformedId,
  missingParameter,
  notFound
} from '../errors.js'
import { applyFilters, type FilterFields } from '../filters.js'
import { filtersParam, listParam, tagsParam, type TagInput } from '../query.js'
import type { RegionState, Tags } from '../world.js'
import { applyTags, checkTagLimit, validateTags, type Handler } from './common.js'

// Where the endpoint keeps each kind of taggable resource, by id prefix.
const FINDERS: Record<string, (region: RegionState, id: string) => { tags: Tags } | undefined> = {
  ami: (region, id) => region.images.get(id),
  snap: (region, id) => region.snapshots.get(id),
  i: (region, id) => region.instances.get(id),
  sir: (region, id) => region.spotInstanceRequests.get(id),
  vol: (region, id) => region.volumes.get(id),
  sg: (region, id) => region.securityGroups.get(id),
  vpc: (region, id) => region.vpcs.get(id),
  subnet: (region, id) => region.subnets.get(id),
  key: (region, id) => [...region.keyPairs.values()].find((key) => key.keyPairId === id)
}

function resolve(region: RegionState, id: string): { tags: Tags } {
  const prefix = idPrefix(id)
  if (prefix === undefined) throw invalidId(id)
  if (!isWellFormedId(id, prefix)) throw malformedId(prefix, id)
  const resource = FINDERS[prefix](region, id)
  if (resource === undefined) throw notFound(prefix, [id])
  return resource
}

function resourcesParam(region: RegionState, ids: string[]): Array<{ tags: Tags }> {
  if (ids.length === 0) throw missingParameter('ResourceId')
  return ids.map((id) => resolve(region, id))
}

const createTags: Handler = ({ region, params }) => {
  const resources = resourcesParam(region, listParam(params, 'ResourceId'))
  const tags = tagsParam(params)
  if (tags.length === 0) throw missingParameter('Tag')
  validateTags(tags)
  // All or nothing, as on EC2: no resource is tagged if any would go over the limit.
  for (const resource of resources) checkTagLimit(resource.tags, tags)
  for (const resource of resources) applyTags(resource.tags, tags)
  return { return: true }
}

const deleteTags: Handler = ({ region, params }) => {
  const resources = resourcesParam(region, listParam(params, 'ResourceId'))
  const tags: Array<TagInput & { valueGiven: boolean }> = tagsParam(params).map((tag, index) => ({
    ...tag,
    valueGiven: params[`Tag.${index + 1}.Value`] !== undefined
  }))
  for (const resource of resources) {
    if (tags.length === 0) {
      resource.tags.clear()
      continue
    }
    for (const tag of tags) {
      if (!tag.valueGiven || resource.tags.get(tag.key) === tag.value) resource.tags.delete(tag.key)
    }
  }
  return { return: true }
}

interface TagEntry {
  resourceId: string
  resourceType: string
  key: string
  value: string
  tags: Tags
}

const TAG_FIELDS: FilterFields<TagEntry> = {
  key: (entry) => [entry.key],
  value: (entry) => [entry.value],
  'resource-id': (entry) => [entry.resourceId],
  'resource-type': (entry) => [entry.resourceType]
}

function allTagged(region: RegionState): TagEntry[] {
  const entries: TagEntry[] = []
  const add = (resourceId: string, resourceType: string, tags: Tags) => {
    for (const [key, value] of tags) {
      entries.push({ resourceId, resourceType, key, value, tags: new Map([[key, value]]) })
    }
  }
  for (const image of region.images.values()) add(image.imageId, 'image', image.tags)
  for (const snap of region.snapshots.values()) add(snap.snapshotId, 'snapshot', snap.tags)
  for (const inst of region.instances.values()) add(inst.instanceId, 'instance', inst.tags)
  for (const request of region.spotInstanceRequests.values()) add(request.spotInstanceRequestId, 'spot-instances-request', request.tags)
  for (const volume of region.volumes.values()) add(volume.volumeId, 'volume', volume.tags)
  for (const group of region.securityGroups.values()) add(group.groupId, 'security-group', group.tags)
  for (const vpc of region.vpcs.values()) add(vpc.vpcId, 'vpc', vpc.tags)
  for (const subnet of region.subnets.values()) add(subnet.subnetId, 'subnet', subnet.tags)
  for (const key of region.keyPairs.values()) add(key.keyPairId, 'key-pair', key.tags)
  return entries
}

const describeTags: Handler = ({ region, params }) => {
  const entries = applyFilters(allTagged(region), filtersParam(params), TAG_FIELDS)
  return {
    tagSet: entries.map(({ resourceId, resourceType, key, value }) => ({
      resourceId,
      resourceType,
      key,
      value
    }))
  }
}

export const tagHandlers: Record<string, Handler> = {
  CreateTags: createTags,
  DeleteTags: deleteTags,
  DescribeTags: describeTags
}
