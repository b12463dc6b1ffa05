// The files the runner hands the step through its environment: GITHUB_OUTPUT (the outputs),
// GITHUB_STATE (what the post step reads), GITHUB_STEP_SUMMARY, and GITHUB_ENV and GITHUB_PATH
// (the variables and folders the steps after this one get). On a self-hosted runner each
// can fail to be written: a full disk, a folder an earlier job left root-owned or read-only, a
// file the runner (or a container job's mount) did not make. @actions/core then throws Node's
// bare error ("ENOSPC: no space left on device, write"), which names neither file nor variable;
// thrown from a callback, it crashed the step with a stack trace. Here each failure is put in
// words that name the variable, its file and what to do, said once per file.
import * as core from '@actions/core'
import { accessSync, constants } from 'node:fs'
import { delimiter } from 'node:path'
import { errorMessage } from '../common/errors.js'
import { annotate } from './annotation.js'

/** The runner's variables for the files the action writes, by what they hold. */
const runnerFiles = {
  outputs: 'GITHUB_OUTPUT',
  state: 'GITHUB_STATE',
  summary: 'GITHUB_STEP_SUMMARY',
  env: 'GITHUB_ENV',
  path: 'GITHUB_PATH'
} as const

type RunnerFile = keyof typeof runnerFiles

const madeByTheRunner = "the runner makes a fresh one for each step (a container job needs the runner's folders mounted)"

/**
 * Why `file` could not be written, in words that name its variable and path and say what to do,
 * from the error @actions/core (or Node under it) threw.
 */
function runnerFileProblem(file: RunnerFile, what: string, error: unknown): string {
  const variable = runnerFiles[file]
  const path = process.env[variable] ?? ''
  const message = errorMessage(error)
  // @actions/core's summary puts Node's error in words of its own, which do not tell a file that
  // is not there from one the runner's user may not write: asked again, Node tells which.
  const code = /^Unable to access summary file/.test(message) ? accessError(path) : (error as NodeJS.ErrnoException | undefined)?.code
  const why =
    code === 'ENOSPC'
      ? "the runner's disk is full (ENOSPC): free space on it"
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? `the runner's user may not write it (${code}): give that user the file and its folder back, or let the runner make a fresh one`
        : code === 'ENOENT' || code === 'ENOTDIR' || /^Missing file at path/.test(message)
          ? `it is not there: ${madeByTheRunner}`
          : code === 'EISDIR'
            ? `it is a folder, not a file: ${madeByTheRunner}`
            : `${message}: check the file and the runner's disk`
  return `Could not write ${what} to ${variable} (${path}): ${why}.`
}

/** Why the step may not read and write `path` (Node's error code), if it may not. */
function accessError(path: string): string | undefined {
  try {
    accessSync(path, constants.R_OK | constants.W_OK)
    return undefined
  } catch (error) {
    return (error as NodeJS.ErrnoException).code
  }
}

/** Why a runner file could not be written, as said, by file: each is said once. */
const problems: Partial<Record<RunnerFile, string>> = {}

type Said = { quiet?: boolean; then?: string }

/**
 * Runs `write` (a write of `file`, which holds `what`); when it fails, gives back why (notWritten).
 */
export function writeRunnerFile(file: RunnerFile, what: string, write: () => void, said: Said = {}): string | undefined {
  try {
    write()
    return undefined
  } catch (error) {
    return notWritten(file, what, error, said)
  }
}

/**
 * Why `file`, which holds `what`, could not be written (`error`), with `then` (what follows from
 * it) after: said once as a warning, unless `quiet` (the caller says it), and given back. A later
 * write of the same file that fails too is not said again.
 */
export function notWritten(file: RunnerFile, what: string, error: unknown, { quiet = false, then = '' }: Said = {}): string {
  const earlier = problems[file]
  if (earlier !== undefined) return earlier
  const problem = `${runnerFileProblem(file, what, error)}${then ? ` ${then}` : ''}`
  problems[file] = problem
  if (!quiet) annotate({ level: 'warning', message: problem, title: 'Runner files' })
  return problem
}

/** Why `file` could not be written, if it could not. */
export function runnerFileNotWritten(file: RunnerFile): string | undefined {
  return problems[file]
}

/**
 * Where a failure says the AMIs' IDs are: in the outputs, or, once the runner's output file has
 * refused them, in the log only ("Output …, not written"), which the warning after it explains.
 */
export function inTheOutputs(): string {
  return runnerFileNotWritten('outputs') === undefined ? 'in the outputs' : 'in the log, not in the outputs, which could not be written'
}

/**
 * Saves `value` as the step's state `name` for the post step. A state file that cannot be written
 * does not stop the job: the build goes on, Packer still cleans up after itself, and a warning
 * says what the post step then cannot do.
 */
export function saveState(name: string, value: string): void {
  writeRunnerFile('state', "the step's state for its post step", () => core.saveState(name, value), {
    then:
      'The build goes on, but if this step is killed or cut short, the post step cannot clean up what Packer left in the account ' +
      '(instances, AMIs, security groups, key pairs), and it saves no plugin cache.'
  })
}

/**
 * Sets the variable `name` to `value` for this step and the steps after it. An environment file
 * that cannot be written does not stop the job: this step has the variable, and a warning says
 * what the later steps then miss (`then`).
 */
export function exportVariable(name: string, value: string, what: string, then: string): void {
  writeRunnerFile('env', what, () => core.exportVariable(name, value), { then })
}

/**
 * Puts `directory` first on PATH for this step and the steps after it. A path file that cannot
 * be written does not stop the job: this step's PATH has the folder all the same, and a warning
 * says what the later steps then miss (`then`).
 */
export function addPath(directory: string, what: string, then: string): void {
  const problem = writeRunnerFile('path', what, () => core.addPath(directory), { then })
  // @actions/core puts the folder on this step's PATH only once the file is written.
  if (problem !== undefined) process.env['PATH'] = `${directory}${delimiter}${process.env['PATH'] ?? ''}`
}
