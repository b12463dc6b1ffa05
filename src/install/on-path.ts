// The packer on PATH and the version it reports. Asking costs a Packer start (~55 ms), so the
// job asks first thing once its inputs are valid, and loads the install stage meanwhile, which
// decides with the answer; a module of its own, small, for that.
import * as core from '@actions/core'
import * as io from '@actions/io'
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import * as semver from 'semver'

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
 * Reads the version from `packer version` output: `…,,version,1.6.6` lines in machine-readable
 * mode, `Packer v1.6.6` in plain mode.
 */
export function parsePackerVersion(output: string): string | undefined {
  for (const line of output.split(/\r?\n/)) {
    const fields = line.trim().split(',')
    if (fields.length >= 4 && fields[2] === 'version') {
      const version = semver.valid(semver.clean(fields[3]))
      if (version) return version
    }
  }
  const plain = /^Packer v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)/m.exec(output)
  return plain ? (semver.valid(plain[1]) ?? undefined) : undefined
}

/**
 * `packer version` otherwise waits for HashiCorp's update check, a request to the internet.
 * And Packer starts as a parent, which catches panics and forwards signals, and a child, which
 * does the work: two starts of a large binary. With the cookie Packer gives a child (the one it
 * reads to know it is already wrapped) it runs as one process, in about half the time; asking
 * its version needs neither a panic report nor signal forwarding. Its own log goes to stderr
 * then, which is not read.
 */
const oneProcess = {
  CHECKPOINT_DISABLE: '1',
  PACKER_WRAP_COOKIE: '49C22B1A-3A93-4C98-97FA-E07D18C787B5'
}

function run(executable: string, args: string[]): Promise<string | undefined> {
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
    child.on('error', (error) => {
      core.debug(`${executable} ${args.join(' ')}: ${error.message}`)
      resolve(undefined)
    })
    child.on('close', (code) => resolve(code === 0 ? stdout : undefined))
  })
}

interface RememberedVersion {
  /** The executable's path, size and modification time: a changed binary is asked again. */
  binary: string
  version: string
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

function readRemembered(): RememberedVersion[] {
  const file = versionsFile()
  if (!file) return []
  try {
    const remembered = JSON.parse(readFileSync(file, 'utf8')) as unknown
    return Array.isArray(remembered)
      ? remembered.filter(
          (entry): entry is RememberedVersion =>
            typeof entry?.binary === 'string' && typeof entry?.version === 'string' && semver.valid(entry.version) !== null
        )
      : []
  } catch {
    return []
  }
}

function remember(binary: string, version: string): void {
  const file = versionsFile()
  if (!file) return
  try {
    const others = readRemembered().filter((entry) => entry.binary !== binary)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, JSON.stringify([{ binary, version }, ...others].slice(0, 20)))
  } catch {
    // Only a shortcut for the next run; this one goes on either way.
  }
}

/**
 * The version `executable` reports, or undefined when it is not a Packer we can read. Asking
 * costs about 200 ms (the binary carries every plugin), so on a runner with a tool cache the
 * answer is kept per binary path, size and modification time.
 */
export async function packerVersionOf(executable: string, onAsked?: () => void): Promise<string | undefined> {
  const binary = binaryKey(executable)
  const known = binary && readRemembered().find((entry) => entry.binary === binary)
  if (known) return known.version
  const asking = run(executable, ['version', '-machine-readable'])
  onAsked?.()
  const machineReadable = await asking
  let version = machineReadable && parsePackerVersion(machineReadable)
  if (!version) {
    const plain = await run(executable, ['version'])
    version = plain && parsePackerVersion(plain)
  }
  if (!version) return undefined
  if (binary) remember(binary, version)
  return version
}

