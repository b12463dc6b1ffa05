// The packer on PATH and the version it reports. Asking costs a Packer start (~55 ms), so the
// job asks first thing once its inputs are valid, and loads the install stage meanwhile, which
// decides with the answer. This module loads before Packer starts, so it imports no more than
// starting Packer takes; reading the answer (semver) loads while Packer answers.
import * as io from '@actions/io'
import { spawn } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { replaceFile } from '../common/tool-cache-file.js'
import type { RememberedVersion } from './version-answer.js'

export interface PathPacker {
  executable: string
  /** undefined when it does not answer `packer version` like Packer */
  version?: string
}

/** Asking the packer on PATH for its version. */
export interface PathPackerQuestion {
  /** Settles once `packer version` runs, or once it is known not to be needed. */
  asked: Promise<void>
  /** The packer on PATH and its version; undefined when there is none. */
  found: Promise<PathPacker | undefined>
}

/**
 * Finds the packer on PATH and asks it for its version. The job waits for `asked` before it
 * loads anything else, so that Packer's start overlaps that loading instead of following it.
 */
export function askPackerOnPath(): PathPackerQuestion {
  let asked: () => void = () => undefined
  const whenAsked = new Promise<void>((resolve) => (asked = resolve))
  const found = (async () => {
    try {
      const executable = await io.which('packer', false)
      if (!executable) return undefined
      return { executable, version: await packerVersionOf(executable, asked) }
    } finally {
      asked()
    }
  })()
  return { asked: whenAsked, found }
}

/** The packer on PATH, asked for its version; undefined when there is none. */
export function packerOnPath(): Promise<PathPacker | undefined> {
  return askPackerOnPath().found
}

/**
 * `packer version` otherwise waits for HashiCorp's update check, a request to the internet.
 * And Packer starts as a parent, which catches panics and forwards signals, and a child, which
 * does the work: two starts of a large binary. With the cookie Packer gives a child (the one it
 * reads to know it is already wrapped) it runs as one process, in about half the time; asking
 * its version needs neither a panic report nor signal forwarding. Its own log goes to stderr
 * then, which is not read.
 */
export const oneProcess = {
  CHECKPOINT_DISABLE: '1',
  PACKER_WRAP_COOKIE: '49C22B1A-3A93-4C98-97FA-E07D18C787B5'
}

/** Packer's stdout when it exited 0; else why not, for the debug log. */
type Answer = { stdout: string } | { problem: string }

function run(executable: string, args: string[]): Promise<Answer> {
  // stdin is closed: Fedora and Debian ship an unrelated cracklib `packer` that reads it, and a
  // timeout guards against anything else that waits. (@actions/exec can close stdin only by
  // writing `input` to it, which fails with an unhandled EPIPE when the child exits first.)
  return new Promise((resolve) => {
    let stdout = ''
    const child = spawn(executable, args, {
      env: { ...process.env, ...oneProcess },
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 30_000,
      windowsHide: true
    })
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.on('error', (error) => resolve({ problem: error.message }))
    child.on('close', (code, signal) => resolve(code === 0 ? { stdout } : { problem: `exit ${code ?? signal}` }))
  })
}

/** The version in an answer, read once its reader has loaded; its problem goes to the debug log. */
async function versionIn(asking: Promise<Answer>, command: string): Promise<string | undefined> {
  const [{ parsePackerVersion }, core, answer] = await Promise.all([
    import('./version-answer.js'),
    import('@actions/core'),
    asking
  ])
  if ('stdout' in answer) return parsePackerVersion(answer.stdout)
  core.debug(`${command}: ${answer.problem}`)
  return undefined
}

// Beside the tool cache's packer/ folder, not in it: tool-cache reads every entry there as a version.
function versionsFile(): string | undefined {
  const toolCache = process.env['RUNNER_TOOL_CACHE']
  return toolCache ? join(toolCache, 'packer-versions.json') : undefined
}

function binaryKey(executable: string): string | undefined {
  try {
    const stats = statSync(executable)
    return `${executable}\u0000${stats.size}\u0000${stats.mtimeMs}`
  } catch {
    return undefined
  }
}

/** The file of remembered answers as read, not yet checked: checking them takes semver. */
function readRemembered(): unknown {
  const file = versionsFile()
  if (!file) return undefined
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown
  } catch {
    return undefined
  }
}

/** The well-formed entries of what readRemembered() read; semver loads to check them. */
async function remembered(read: unknown): Promise<RememberedVersion[]> {
  if (read === undefined) return []
  const { rememberedVersions } = await import('./version-answer.js')
  return rememberedVersions(read)
}

/** Whether `read` holds an entry for `binary` at all, told without semver. */
function holdsEntryFor(read: unknown, binary: string): boolean {
  return Array.isArray(read) && read.some((entry: { binary?: unknown } | null) => entry?.binary === binary)
}

async function remember(binary: string, version: string, read: unknown): Promise<void> {
  const file = versionsFile()
  if (!file) return
  try {
    const others = (await remembered(read)).filter((entry) => entry.binary !== binary)
    replaceFile(file, JSON.stringify([{ binary, version }, ...others].slice(0, 20)))
  } catch {
    // Only a shortcut for the next run; this one goes on either way.
  }
}

/**
 * The version `executable` reports, or undefined when it is not a Packer we can read. Asking
 * costs a Packer start, so on a runner with a tool cache the answer is kept per binary path,
 * size and modification time. The file of answers is read once; semver loads before Packer
 * starts only to check an answer kept for this very binary.
 */
export async function packerVersionOf(executable: string, onAsked?: () => void): Promise<string | undefined> {
  const binary = binaryKey(executable)
  const read = binary ? readRemembered() : undefined
  const known =
    binary && holdsEntryFor(read, binary) ? (await remembered(read)).find((entry) => entry.binary === binary) : undefined
  if (known) return known.version
  const asking = run(executable, ['version', '-machine-readable'])
  onAsked?.()
  let version = await versionIn(asking, `${executable} version -machine-readable`)
  if (!version) version = await versionIn(run(executable, ['version']), `${executable} version`)
  if (!version) return undefined
  if (binary) await remember(binary, version, read)
  return version
}
