// Tags for every AMI and snapshot: the user's, plus provenance tags naming the commit.
import * as github from '@actions/github'
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
  event: 'BuildEvent',
  actor: 'BuildActor',
  runUrl: 'BuildRunUrl',
  buildTime: 'BuildTime'
} as const

/** Which commit was built, by which run, started how and by whom. */
export interface Provenance {
  /** owner/repo */
  repository?: string
  commit?: string
  ref?: string
  /** push, workflow_dispatch, … */
  eventName?: string
  /** Who pushed, dispatched or otherwise started the run. */
  actor?: string
  serverUrl: string
  runUrl?: string
}

/** What provenance reads of @actions/github's context of the run. */
export type RunContext = Pick<
  typeof github.context,
  'repo' | 'sha' | 'ref' | 'eventName' | 'actor' | 'runId' | 'runAttempt' | 'serverUrl' | 'payload'
>

/**
 * Provenance from the context the runner describes to every step. Outside a runner some of
 * it is missing; what is missing stays undefined rather than empty.
 */
export function readProvenance(context: RunContext = github.context): Provenance {
  let repository: string | undefined
  try {
    repository = `${context.repo.owner}/${context.repo.repo}`
  } catch {
    // context.repo throws when neither the runner nor the event names a repository.
  }
  const serverUrl = context.serverUrl || 'https://github.com'
  const attempt = Number.isInteger(context.runAttempt) ? `/attempts/${context.runAttempt}` : ''
  return {
    repository,
    commit: context.sha || undefined,
    ref: context.ref || undefined,
    eventName: context.eventName || undefined,
    actor: context.actor || (context.payload.sender?.login as string | undefined) || undefined,
    serverUrl,
    runUrl:
      repository && Number.isInteger(context.runId)
        ? `${serverUrl}/${repository}/actions/runs/${context.runId}${attempt}`
        : undefined
  }
}

/** The provenance tags: what the run's context says, and the build time. */
export function provenanceTags(provenance: Provenance, buildTime: Date): Record<string, string> {
  const tags: Record<string, string> = {}
  const set = (key: string, value: string | undefined): void => {
    if (value) tags[key] = value.slice(0, maxTagValueLength)
  }
  set(provenanceTagKeys.repository, provenance.repository)
  set(provenanceTagKeys.commit, provenance.commit)
  set(provenanceTagKeys.ref, provenance.ref)
  set(provenanceTagKeys.event, provenance.eventName)
  set(provenanceTagKeys.actor, provenance.actor)
  set(provenanceTagKeys.runUrl, provenance.runUrl)
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

/** Inputs tags, provenance-tags and tag-snapshots, against EC2's rules; the run's provenance. */
export function readTagInputs(
  reader: InputReader,
  now: Date,
  context?: RunContext
): { tags: Record<string, string>; provenance: Provenance; tagSnapshots: boolean } {
  const userTags = parseTagLines(reader.lines('tags'))
  for (const message of userTags.problems) reader.problem(message)
  const provenance = readProvenance(context)
  const combined = combineTags(userTags.tags, reader.boolean('provenance-tags') ? provenanceTags(provenance, now) : {})
  if (combined.problem) reader.problem(combined.problem)
  return { tags: combined.tags, provenance, tagSnapshots: reader.boolean('tag-snapshots') }
}
