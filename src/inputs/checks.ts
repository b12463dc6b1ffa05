// Checks of single inputs that catch a mistake before it costs a build: each returns the
// problem in words for the user, or undefined.
import { isAbsolute, relative } from 'node:path'
import semver from 'semver'

/**
 * The oldest Packer the action supports: HCL2 templates and the machine-readable output the
 * action reads both came with 1.5.
 */
export const oldestPacker = '1.5.0'

/**
 * A request that only older Packers satisfy. Its usual cause is YAML: an unquoted 1.10 is the
 * number 1.1 by the time the action reads it.
 */
export function packerVersionProblem(spec: string): string | undefined {
  if (spec === 'latest') return undefined
  const range = semver.validRange(spec)
  if (range === null || semver.intersects(range, `>=${oldestPacker}`)) return undefined
  const mangled = /^\d+\.\d$/.test(spec)
    ? ` If you wrote ${spec}0 without quotes, YAML read it as the number ${spec}: write '${spec}0'.`
    : ''
  return `packer-version: "${spec}" asks for a Packer older than ${oldestPacker}, the oldest this action supports.${mangled}`
}

/** A token is one line: a second line means something else was pasted with it. */
export function githubTokenProblem(token: string): string | undefined {
  if (!/[\r\n]/.test(token)) return undefined
  const lines = token.split(/\r?\n|\r/).length
  return (
    `github-token: expected a token on one line, found ${lines} lines. ` +
    'A token has no line breaks: check how the secret was stored.'
  )
}

/** The token, trimmed; a token with a line break is refused, not masked as one value. */
export function readGithubToken(value: string, problem: (message: string) => void): string {
  const token = value.trim()
  const wrong = githubTokenProblem(token)
  if (wrong) problem(wrong)
  return wrong ? '' : token
}

/**
 * Paths the action reads and Packer writes stay inside the workspace: a working directory
 * outside it is a typo, or a template reaching into another job's files.
 */
export function outsideWorkspaceProblem(input: string, given: string, path: string, workspace: string): string | undefined {
  const fromWorkspace = relative(workspace, path)
  if (fromWorkspace === '' || (!fromWorkspace.startsWith('..') && !isAbsolute(fromWorkspace))) return undefined
  return `${input}: expected a directory inside the workspace (${workspace}), found "${given}", which is ${path}`
}
