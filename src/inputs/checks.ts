// Checks of single inputs that catch a mistake before it costs a build: each returns the
// problem in words for the user, or undefined.
import { liesInside } from '../common/paths.js'

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
  if (liesInside(path, workspace)) return undefined
  return `${input}: expected a directory inside the workspace (${workspace}), found "${given}", which is ${path}`
}
