// Tags for every AMI and snapshot: the user's, plus provenance tags naming the commit.

/** EC2's limits on tags of one resource. */
export const maxTagsPerResource = 50
export const maxTagKeyLength = 128
export const maxTagValueLength = 256

/**
 * Characters of a tag key: those AWS documents as allowed across its services (letters,
 * numbers and spaces in UTF-8, and + - = . _ : / @). EC2 itself accepts more, but a key
 * outside this set breaks cost allocation reports and other services that read the tags.
 */
const tagKeyCharacters = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u
/** Characters EC2 refuses nowhere but no one means in a tag: control characters. */
const controlCharacter = /\p{Cc}/u

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
  // EC2 counts Unicode characters, not UTF-16 code units.
  const keyLength = [...key].length
  const valueLength = [...value].length
  if (keyLength === 0 || keyLength > maxTagKeyLength) {
    return `tags: a tag key must be 1 to ${maxTagKeyLength} characters, found ${keyLength} in "${line.slice(0, 200)}"`
  }
  if (key.toLowerCase().startsWith('aws:')) return `tags: the "aws:" prefix is reserved for AWS, found key "${key}"`
  if (!tagKeyCharacters.test(key)) {
    const bad = [...key].find((char) => !tagKeyCharacters.test(char)) ?? ''
    return (
      `tags: a tag key may hold letters, numbers, spaces and + - = . _ : / @, found ${JSON.stringify(bad)} ` +
      `in "${key.slice(0, 40)}"`
    )
  }
  if (key.startsWith('::')) {
    return `tags: a tag key may not begin with "::" (the runner reads such a line as a workflow command), found "${key.slice(0, 40)}"`
  }
  if (valueLength > maxTagValueLength) {
    return `tags: the value of "${key}" must be at most ${maxTagValueLength} characters, found ${valueLength}`
  }
  if (value.toLowerCase().startsWith('aws:')) return `tags: the "aws:" prefix is reserved for AWS, found in the value of "${key}"`
  if (controlCharacter.test(value)) return `tags: the value of "${key}" holds a control character`
  return undefined
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
