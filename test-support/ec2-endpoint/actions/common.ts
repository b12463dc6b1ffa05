import {
  Ec2Error,
  invalidParameterValue,
  isWellFormedId,
  malformedId,
  notFound
} from '../errors.js'
import { structListParam, tagsParam, type Params, type TagInput } from '../query.js'
import type { XmlValue } from '../xml.js'
import type { RegionState, Tags, World } from '../world.js'

export interface CallContext {
  world: World
  region: RegionState
  params: Params
}

export type ActionResult = { [member: string]: XmlValue }

export type Handler = (call: CallContext) => ActionResult | Promise<ActionResult>

export const MAX_TAGS_PER_RESOURCE = 50
const MAX_TAG_KEY_LENGTH = 128
const MAX_TAG_VALUE_LENGTH = 256

export function checkIdShape(prefix: string, id: string): void {
  if (!isWellFormedId(id, prefix)) throw malformedId(prefix, id)
}

/** The records the ids name, in the order named; every malformed or unknown id is an error. */
export function lookUp<T>(records: Map<string, T>, prefix: string, ids: string[]): T[] {
  for (const id of ids) checkIdShape(prefix, id)
  const missing = ids.filter((id) => !records.has(id))
  if (missing.length > 0) throw notFound(prefix, missing)
  return [...new Set(ids)].map((id) => records.get(id) as T)
}

export function lookUpOne<T>(records: Map<string, T>, prefix: string, id: string): T {
  return lookUp(records, prefix, [id])[0]
}

export function tagSet(tags: Tags): XmlValue {
  if (tags.size === 0) return undefined
  return [...tags].map(([key, value]) => ({ key, value }))
}

/** Tag lengths count Unicode characters, as EC2 does, not UTF-16 code units. */
const characters = (text: string): number => [...text].length

export function validateTags(tags: TagInput[]): void {
  for (const { key, value } of tags) {
    if (key === '') throw invalidParameterValue('Tag key cannot be empty')
    if (key.toLowerCase().startsWith('aws:')) {
      throw invalidParameterValue(
        `Value ( ${key} ) for parameter key is invalid. ` +
          "Tag keys starting with 'aws:' are reserved for internal use"
      )
    }
    if (characters(key) > MAX_TAG_KEY_LENGTH) {
      throw invalidParameterValue(
        `Value ( ${key} ) for parameter key is invalid. ` +
          `Length exceeds maximum of ${MAX_TAG_KEY_LENGTH}.`
      )
    }
    if (characters(value) > MAX_TAG_VALUE_LENGTH) {
      throw invalidParameterValue(
        `Value ( ${value} ) for parameter value is invalid. ` +
          `Length exceeds maximum of ${MAX_TAG_VALUE_LENGTH}.`
      )
    }
  }
}

/**
 * The 50 counts the resource's keys after the call; AWS's own (`aws:…`, which no call can set)
 * do not count against it (EC2 User Guide, "Tag restrictions":
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions).
 */
export function checkTagLimit(existing: Tags, added: TagInput[]): void {
  const keys = new Set([...existing.keys(), ...added.map((tag) => tag.key)].filter((key) => !key.startsWith('aws:')))
  if (keys.size > MAX_TAGS_PER_RESOURCE) {
    throw new Ec2Error(
      'TagLimitExceeded',
      'The maximum number of Tags for a resource has been reached.'
    )
  }
}

export function applyTags(target: Tags, tags: TagInput[]): void {
  for (const { key, value } of tags) target.set(key, value)
}

/** `TagSpecification.N` of a create call: the tags for one resource type, validated. */
export function tagSpecifications(params: Params, allowedTypes: string[]): Map<string, TagInput[]> {
  const byType = new Map<string, TagInput[]>()
  for (const spec of structListParam(params, 'TagSpecification')) {
    const type = spec.ResourceType
    if (type === undefined || !allowedTypes.includes(type)) {
      throw invalidParameterValue(
        `'${type ?? ''}' is not a valid taggable resource type for this operation.`
      )
    }
    const tags = tagsParam(spec)
    validateTags(tags)
    const merged = [...(byType.get(type) ?? []), ...tags]
    checkTagLimit(new Map(), merged)
    byType.set(type, merged)
  }
  return byType
}

export function tagsFrom(inputs: TagInput[] | undefined): Tags {
  return new Map((inputs ?? []).map((tag) => [tag.key, tag.value]))
}
