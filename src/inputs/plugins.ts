// Input `plugins`, read and checked with the other inputs, before anything runs.

export interface PluginRequirement {
  /** e.g. github.com/hashicorp/amazon */
  source: string
  /** e.g. '>= 1.2.0' */
  constraint?: string
}

const SOURCE = /^[A-Za-z0-9][A-Za-z0-9.-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*){2,}$/
const CONSTRAINT_PART =
  /^(=|!=|>=|<=|>|<|~>)?\s*v?\d+(\.\d+){0,2}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/
const EXAMPLE = '"github.com/hashicorp/amazon@>= 1.3.0" or "github.com/hashicorp/amazon ~> 1.3"'

function isConstraint(constraint: string): boolean {
  return constraint.split(',').every((part) => CONSTRAINT_PART.test(part.trim()))
}

/**
 * Reads input `plugins`: one plugin per line, `SOURCE`, `SOURCE@CONSTRAINT` or
 * `SOURCE CONSTRAINT`, where CONSTRAINT is Packer's (e.g. `>= 1.2.0, < 2`, `~> 1.3`).
 * Blank lines and `#` comments are skipped.
 */
export function parsePluginRequirements(lines: string[]): PluginRequirement[] {
  const requirements: PluginRequirement[] = []
  const seen = new Map<string, string>()
  for (const rawLine of lines) {
    const line = rawLine.trim()
    if (line === '' || line.startsWith('#')) continue
    const match = /^([^\s@]+)(?:\s*@\s*|\s+|$)(.*)$/.exec(line)
    const source = match?.[1] ?? ''
    const constraint = match?.[2].trim() ?? ''
    if (!SOURCE.test(source)) {
      throw new Error(
        `plugins: expected SOURCE or SOURCE@CONSTRAINT per line, e.g. ${EXAMPLE}; ` +
          `found "${line}"`
      )
    }
    if (constraint !== '' && !isConstraint(constraint)) {
      throw new Error(
        `plugins: "${constraint}" in line "${line}" is not a version constraint; ` +
          'expected e.g. ">= 1.3.0", "~> 1.3" or ">= 1.2, < 2"'
      )
    }
    const key = source.toLowerCase()
    const earlier = seen.get(key)
    if (earlier !== undefined) {
      throw new Error(`plugins: ${source} is listed twice ("${earlier}" and "${line}")`)
    }
    seen.set(key, line)
    requirements.push(constraint === '' ? { source } : { source, constraint })
  }
  return requirements
}
