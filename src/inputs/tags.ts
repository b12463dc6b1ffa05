// Tags for every AMI and snapshot: the user's, plus provenance tags naming the commit.
import type { InputReader } from './reader.js'

/** EC2's limits on tags of one resource. */
export const maxTagsPerResource = 50
export const maxTagKeyLength = 128
export const maxTagValueLength = 256

/** Keys of the provenance tags, documented in the README. */
export const provenanceTagKeys = {
  repository: 'SourceRepository',
  commit: 'SourceCommit',
  ref: 'SourceRef',
  runUrl: 'BuildRunUrl',
  buildTime: 'BuildTime'
} as const

/**
 * Provenance from the variables the runner sets for every step. Outside a runner some are
 * missing, and those tags are left out rather than written empty.
 */
export function provenanceTags(
  env: Record<string, string | undefined>,
  buildTime: Date
): Record<string, string> {
  const tags: Record<string, string> = {}
  const set = (key: string, value: string | undefined): void => {
    if (value) tags[key] = value.slice(0, maxTagValueLength)
  }
  set(provenanceTagKeys.repository, env.GITHUB_REPOSITORY)
  set(provenanceTagKeys.commit, env.GITHUB_SHA)
  set(provenanceTagKeys.ref, env.GITHUB_REF)
  if (env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) {
    const server = env.GITHUB_SERVER_URL || 'https://github.com'
    const attempt = env.GITHUB_RUN_ATTEMPT ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : ''
    set(
      provenanceTagKeys.runUrl,
      `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}${attempt}`
    )
  }
  set(provenanceTagKeys.buildTime, buildTime.toISOString().replace(/\.\d{3}Z$/, 'Z'))
  return tags
}

/**
 * Parses the `tags` input (Key=Value lines) against EC2's rules. Returns the tags and one
 * message per problem.
 */
export function parseTagLines(lines: string[]): { tags: Record<string, string>; problems: string[] } {
  const tags: Record<string, string> = {}
  const problems: string[] = []
  for (const line of lines) {
    const equals = line.indexOf('=')
    if (equals < 0) {
      problems.push(`tags: expected Key=Value, found "${line}"`)
      continue
    }
    const key = line.slice(0, equals).trim()
    const value = line.slice(equals + 1).trim()
    if (key.length === 0 || key.length > maxTagKeyLength) {
      problems.push(
        `tags: a tag key must be 1 to ${maxTagKeyLength} characters, found ${key.length} in "${line}"`
      )
    } else if (key.toLowerCase().startsWith('aws:')) {
      problems.push(`tags: the "aws:" prefix is reserved for AWS, found key "${key}"`)
    } else if (value.length > maxTagValueLength) {
      problems.push(
        `tags: the value of "${key}" must be at most ${maxTagValueLength} characters, found ${value.length}`
      )
    } else if (key in tags) {
      problems.push(`tags: the key "${key}" is given twice`)
    } else {
      tags[key] = value
    }
  }
  return { tags, problems }
}

/** User tags win over provenance tags of the same key; EC2 allows 50 per resource in all. */
export function combineTags(
  userTags: Record<string, string>,
  provenance: Record<string, string>
): { tags: Record<string, string>; problem?: string } {
  const tags = { ...provenance, ...userTags }
  const count = Object.keys(tags).length
  if (count > maxTagsPerResource) {
    const fromProvenance = count - Object.keys(userTags).length
    return {
      tags,
      problem:
        `tags: EC2 allows at most ${maxTagsPerResource} tags on an AMI or snapshot, found ` +
        `${count} (${Object.keys(userTags).length} from tags + ${fromProvenance} provenance tags; ` +
        'set provenance-tags: false or give fewer)'
    }
  }
  return { tags }
}

/** Inputs tags, provenance-tags and tag-snapshots, against EC2's rules. */
export function readTagInputs(
  reader: InputReader,
  env: Record<string, string | undefined>,
  now: Date
): { tags: Record<string, string>; tagSnapshots: boolean } {
  const userTags = parseTagLines(reader.lines('tags'))
  for (const message of userTags.problems) reader.problem(message)
  const provenance = reader.boolean('provenance-tags') ? provenanceTags(env, now) : {}
  const combined = combineTags(userTags.tags, provenance)
  if (combined.problem) reader.problem(combined.problem)
  return { tags: combined.tags, tagSnapshots: reader.boolean('tag-snapshots') }
}
