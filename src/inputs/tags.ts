// Tags for every AMI and snapshot: the user's, plus provenance tags naming the commit.
import type * as github from '@actions/github'
import type { InputReader } from './reader.js'
import { readTaggingTimeout } from './timeouts.js'

/** EC2's limits on tags of one resource. */
export const maxTagsPerResource = 50
export const maxTagKeyLength = 128
export const maxTagValueLength = 256

/** A key's or a value's length as EC2 counts it: Unicode characters, not UTF-16 code units. */
export function tagTextLength(text: string): number {
  return [...text].length
}

/** The first `max` characters of `text` as EC2 counts them: never half of a character. */
export function cutTagText(text: string, max: number): string {
  return [...text].slice(0, max).join('')
}

/**
 * Characters of a tag key: those AWS documents as allowed across its services (letters,
 * numbers and spaces in UTF-8, and + - = . _ : / @). EC2 itself accepts more, but a key
 * outside this set breaks cost allocation reports and other services that read the tags.
 */
const tagKeyCharacters = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u
/** Characters no one means in a tag value, which EC2 refuses after the build: control characters. */
const controlCharacter = /\p{Cc}/u

/** The control characters a multi-line input gives most often, by name. */
const controlCharacterNames: Record<string, string> = { '\n': 'a line break', '\r': 'a carriage return', '\t': 'a tab' }

/**
 * What EC2 would refuse in a tag value, as what was expected and what was found; undefined when
 * it takes it. Every input that becomes a tag value (`tags`, `image-family`) goes by this one
 * rule. A value may begin with `aws:`: EC2 reserves the prefix in keys only ("Tag restrictions"
 * in the EC2 User Guide).
 */
export function tagValueProblem(value: string): { expected: string; found: string } | undefined {
  const length = tagTextLength(value)
  if (length > maxTagValueLength) return { expected: `at most ${maxTagValueLength} characters`, found: String(length) }
  const characters = [...value]
  const at = characters.findIndex((char) => controlCharacter.test(char))
  if (at < 0) return undefined
  const char = characters[at]
  const code = `U+${char.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}`
  const name = controlCharacterNames[char]
  return { expected: 'no control characters', found: `${name === undefined ? code : `${name} (${code})`} at character ${at + 1}` }
}

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
  /** GITHUB_RUN_ATTEMPT: 2 and up in a job re-run. */
  runAttempt?: number
  /**
   * The run is nektos/act's, on the machine it was started on: its commit may be one never
   * pushed, and its actor act's own (nektos/act), so the summary links neither to the server.
   */
  local?: true
}

/** What provenance reads of @actions/github's context of the run. */
export type RunContext = Pick<
  typeof github.context,
  'repo' | 'sha' | 'ref' | 'eventName' | 'actor' | 'runId' | 'runAttempt' | 'serverUrl' | 'payload'
>

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
    const problem = tagProblem(key, value, line)
    if (problem) {
      problems.push(problem)
    } else if (key in tags) {
      problems.push(`tags: the key "${key}" is given twice`)
    } else {
      tags[key] = value
    }
  }
  return { tags, problems }
}

/** What is wrong with one tag under EC2's rules, or undefined. */
export function tagProblem(key: string, value: string, line: string): string | undefined {
  const keyLength = tagTextLength(key)
  if (keyLength === 0 || keyLength > maxTagKeyLength) {
    // The line whole: a secret in its value that the runner knows is masked only when it shows whole.
    return `tags: a tag key must be 1 to ${maxTagKeyLength} characters, found ${keyLength} in "${line}"`
  }
  if (key.toLowerCase().startsWith('aws:')) return `tags: the "aws:" prefix is reserved for AWS, found key "${key}"`
  if (!tagKeyCharacters.test(key)) {
    const bad = [...key].find((char) => !tagKeyCharacters.test(char)) ?? ''
    // The line whole, as above: a key cut short could end in the start of a secret.
    return `tags: a tag key may hold letters, numbers, spaces and + - = . _ : / @, found ${JSON.stringify(bad)} in "${line}"`
  }
  if (key.startsWith('::')) {
    return `tags: a tag key may not begin with "::" (the runner reads such a line as a workflow command), found "${line}"`
  }
  const valueProblem = tagValueProblem(value)
  if (valueProblem) return `tags: expected ${valueProblem.expected} in the value of "${key}", found ${valueProblem.found}`
  return undefined
}

/**
 * The keys of the tags the action writes on each AMI and, with tag-snapshots, its snapshots: the
 * user's, the provenance tags with provenance-tags, and the action's own (`actionKeys`), each once.
 */
export function actionTagSet(userTags: Record<string, string>, withProvenance: boolean, actionKeys: string[] = []): string[] {
  return [...new Set([...Object.keys(userTags), ...(withProvenance ? Object.values(provenanceTagKeys) : []), ...actionKeys])]
}

/**
 * EC2 allows 50 tags per resource: the user's, with provenance-tags every provenance key a user
 * tag does not already replace, and the action's own (`actionKeys`: the image family, and with
 * provenance-tags or reuse the build's fingerprint, set and build). Counted by keys, before the run's context is read.
 */
export function checkTagCount(
  userTags: Record<string, string>,
  withProvenance: boolean,
  actionKeys: string[] = []
): string | undefined {
  const provenanceKeys = withProvenance ? Object.values(provenanceTagKeys).filter((key) => !(key in userTags)) : []
  const ownKeys = actionKeys.filter((key) => !(key in userTags))
  const count = actionTagSet(userTags, withProvenance, actionKeys).length
  if (count <= maxTagsPerResource) return undefined
  const own = ownKeys.length > 0 ? ` + ${ownKeys.length} of the action's own (${ownKeys.join(', ')})` : ''
  return (
    `tags: EC2 allows at most ${maxTagsPerResource} tags on an AMI or snapshot, found ` +
    `${count} (${Object.keys(userTags).length} from tags + ${provenanceKeys.length} provenance tags${own}; ` +
    'set provenance-tags: false or give fewer)'
  )
}

/**
 * The provenance keys a template's own value wins over, where it gives an AMI or its snapshots
 * one (not empty): those of the tags input's keys aside, which the workflow gives explicitly; and
 * the action's own keys it writes as provenance alone in the run (`ownAsProvenance`, from
 * ownKeysAsProvenance). The keys a feature of the run goes by (keysGoneBy) are never the template's.
 */
export function templateKeeps(userTags: Record<string, string>, withProvenance: boolean, ownAsProvenance: string[] = []): string[] {
  return [...(withProvenance ? Object.values(provenanceTagKeys) : []), ...ownAsProvenance].filter((key) => !(key in userTags))
}

/** User tags win over provenance tags of the same key. */
export function combineTags(userTags: Record<string, string>, provenance: Record<string, string>): Record<string, string> {
  return { ...provenance, ...userTags }
}

/** Inputs tags, provenance-tags and tag-snapshots, against EC2's rules. */
export function readTagInputs(reader: InputReader): {
  tags: Record<string, string>
  provenanceTags: boolean
  tagSnapshots: boolean
  taggingTimeoutSeconds: number
} {
  const userTags = parseTagLines(reader.lines('tags'))
  for (const message of userTags.problems) reader.problem(message)
  const withProvenance = reader.boolean('provenance-tags', true)
  return {
    tags: userTags.tags,
    provenanceTags: withProvenance,
    tagSnapshots: reader.boolean('tag-snapshots', true),
    taggingTimeoutSeconds: readTaggingTimeout(reader.raw('tagging-timeout'), (message) => reader.problem(message))
  }
}
