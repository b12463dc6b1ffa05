// Puts a downloaded Packer into the runner's tool cache, where the toolkit's find() looks for it
// (RUNNER_TOOL_CACHE/packer/VERSION/ARCH, complete once ARCH.complete is there). On a self-hosted
// runner every job on the machine shares that cache, and matrix jobs that start together all
// find it empty and download the same release. The toolkit's cacheDir() empties the version's
// folder before it copies into it: a job that finished first and runs Packer from that folder
// then finds no packer there ("could not run Packer …: ENOENT"), or one half copied. Here the copy
// is made in a folder of this job's own beside it, then renamed into place whole; a folder that
// another job has put there first is used as it is, never replaced.
import * as io from '@actions/io'
import { randomUUID } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { rename } from 'node:fs/promises'
import { join } from 'node:path'
import semver from 'semver'

export interface CachedPacker {
  /** The version's folder in the tool cache. */
  directory: string
  /** Another job put this version there while this one downloaded it: its copy is the one used. */
  byAnotherJob: boolean
}

/** How long a folder that another job has just renamed into place may wait for its marker. */
const markerWaitMs = 5_000

/**
 * Copies the files of `extracted` into the tool cache as Packer `version` for `arch`, unless a
 * complete copy is there already, and returns the folder to run Packer from.
 */
export async function cachePacker(extracted: string, version: string, arch: string, toolCache: string): Promise<CachedPacker> {
  const versionFolder = join(toolCache, 'packer', semver.clean(version) ?? version)
  const directory = join(versionFolder, arch)
  const marker = `${directory}.complete`
  if (isComplete(directory, marker)) return { directory, byAnotherJob: true }

  // In the version's folder, so that the rename stays on one file system; a name find() never
  // reads as an architecture.
  const staged = join(versionFolder, `.${arch}-${randomUUID()}`)
  await io.mkdirP(versionFolder)
  try {
    await io.cp(extracted, staged, { recursive: true, copySourceDirectory: false })
    if (await renamedInto(staged, directory, marker)) {
      writeFileSync(marker, '')
      return { directory, byAnotherJob: false }
    }
    return { directory, byAnotherJob: true }
  } finally {
    await io.rmRF(staged)
  }
}

function isComplete(directory: string, marker: string): boolean {
  return existsSync(directory) && existsSync(marker)
}

/**
 * Renames `staged` to `directory`: true when it did; false when another job's complete copy is
 * there. A folder there without its marker is either another job's, renamed in a moment ago and
 * marked next, or what a job killed in the toolkit's cacheDir() left half copied: once it has had
 * time to be marked, it is moved aside (never emptied in place: a job may run Packer from it) and
 * this job's copy put in its stead.
 */
async function renamedInto(staged: string, directory: string, marker: string): Promise<boolean> {
  try {
    await rename(staged, directory)
    return true
  } catch {
    // There already: whose, and whether whole, is told below.
  }
  const until = Date.now() + markerWaitMs
  while (!existsSync(marker) && existsSync(directory) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50))
  if (isComplete(directory, marker)) return false
  const aside = `${directory}-unfinished-${randomUUID()}`
  await rename(directory, aside).catch(() => undefined)
  try {
    await rename(staged, directory)
  } catch (error) {
    // Yet another job put its copy there meanwhile.
    if (existsSync(directory)) return false
    throw error
  } finally {
    await io.rmRF(aside)
  }
  return true
}
