import * as cache from '@actions/cache'
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import { lstat, readdir, readlink } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { gaveUpWaiting, withinDeadline } from '../common/waiting.js'
import { errorMessage } from '../common/errors.js'
import type { PluginCacheState } from './cache-state.js'

export { PLUGIN_CACHE_STATE, type PluginCacheState } from './cache-state.js'


/** A file under a plugin folder: its name and size (or a link's target), and when it changed. */
interface ListedFile {
  what: string
  mtimeMs?: number
}

async function listFiles(root: string, directory: string, files: ListedFile[]): Promise<void> {
  let entries
  try {
    entries = await readdir(directory, { withFileTypes: true })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  for (const entry of entries) {
    const path = join(directory, entry.name)
    const name = relative(root, path)
    if (entry.isDirectory()) {
      await listFiles(root, path, files)
    } else if (entry.isSymbolicLink()) {
      files.push({ what: `${name} -> ${await readlink(path)}` })
    } else {
      const info = await lstat(path)
      files.push({ what: `${name} ${info.size}`, mtimeMs: info.mtimeMs })
    }
  }
}

/**
 * Two fingerprints of the files under `paths`, from one listing, without reading plugin
 * binaries; each empty when there are no files at all:
 * - `changes`: names, sizes and modification times, enough to tell whether Packer installed or
 *   replaced anything;
 * - `contents`: names and sizes only (a plugin's file is named for its version), the same for
 *   the same plugins on any runner.
 */
async function fingerprints(paths: string[]): Promise<{ changes: string; contents: string }> {
  const changes: string[] = []
  const contents: string[] = []
  for (const path of paths) {
    const files: ListedFile[] = []
    await listFiles(path, path, files)
    for (const { what, mtimeMs } of files.sort((a, b) => (a.what < b.what ? -1 : a.what > b.what ? 1 : 0))) {
      changes.push(`${path}: ${what}${mtimeMs === undefined ? '' : ` ${mtimeMs}`}`)
      contents.push(`${path}: ${what}`)
    }
  }
  const hash = (lines: string[]) => (lines.length === 0 ? '' : createHash('sha256').update(lines.join('\n')).digest('hex'))
  return { changes: hash(changes), contents: hash(contents) }
}

/** The `changes` fingerprint of the files under `paths` (see fingerprints). */
export async function directoryFingerprint(paths: string[]): Promise<string> {
  return (await fingerprints(paths)).changes
}

/**
 * The key plugins are saved under: the job's key, then what the folders hold (the `contents`
 * fingerprint), so that a plugin Packer installed anew (a newer release of one with no version
 * constraint) is saved as a new entry, which later jobs restore by the job's key as a prefix.
 * Two jobs that installed the same plugins make the same key, and the second's save is refused
 * as a duplicate.
 */
function contentKey(key: string, contents: string): string {
  return `${key}-${contents.slice(0, 16)}`
}

/**
 * The longest restoring or saving the plugin cache may take. A cache service that accepts a
 * request and never answers is known to hold jobs for hours (actions/cache#1234); here it costs
 * a minute, and the plugins are downloaded instead. A healthy restore of a plugin folder takes
 * seconds, and the cache client's own retries of a failing service fit in this.
 */
export const pluginCacheDeadlineMs = 60_000

let unavailableWarned = false

/**
 * Restores the plugin directories from the Actions cache. Never throws: a cache problem costs a
 * download, not the build, and comes back as a warning.
 */
export async function restorePluginCache(
  paths: string[],
  key: string,
  deadlineMs = pluginCacheDeadlineMs
): Promise<{ state?: PluginCacheState; warning?: string; gaveUp?: true }> {
  if (!cache.isFeatureAvailable()) {
    if (unavailableWarned) return {}
    unavailableWarned = true
    return {
      warning:
        'Plugin cache is off: the Actions cache service is not available here ' +
        '(neither ACTIONS_CACHE_URL nor ACTIONS_RESULTS_URL is set). Plugins are downloaded ' +
        'fresh; set input cache to false to silence this.'
    }
  }
  let restoredKey: string | undefined
  let warning: string | undefined
  try {
    // The newest entry saved under the key and what it held; or one saved under the key alone.
    const restored = await withinDeadline(cache.restoreCache([...paths], key, [`${key}-`]), deadlineMs)
    if (!restored) {
      // The restore may still unpack into `paths` later: the caller installs elsewhere.
      gaveUpWaiting()
      return {
        gaveUp: true,
        warning:
          `The Actions cache did not answer within ${deadlineMs / 1000} s while restoring the plugin cache (${key}). ` +
          'Packer installs the plugins instead, into a folder of their own, and this job saves no plugin cache.'
      }
    }
    restoredKey = restored.value
  } catch (error) {
    warning = `Could not restore the plugin cache (${key}): ${errorMessage(error)}. Continuing.`
  }
  core.info(
    restoredKey
      ? `Restored Packer plugins from the cache (${restoredKey})`
      : `No cached Packer plugins for ${key}; they will be saved at the end of the job`
  )
  return { state: { paths, key, restoredKey, contentHash: await directoryFingerprint(paths) }, warning }
}

/**
 * Post step: given what the main step saved (PLUGIN_CACHE_STATE), saves the plugin directories
 * under the key it computed and their contents, when there is something to save and it is not
 * what the cache gave the job. Never throws.
 */
export async function savePluginCache(saved: string, deadlineMs = pluginCacheDeadlineMs): Promise<void> {
  let state: PluginCacheState
  try {
    state = JSON.parse(saved) as PluginCacheState
  } catch {
    core.warning('Not saving the plugin cache: the main step left unreadable state')
    return
  }
  const { changes: now, contents } = await fingerprints(state.paths)
  if (now === '') {
    core.info('No Packer plugins were installed; nothing to cache')
    return
  }
  const key = contentKey(state.key, contents)
  if (state.restoredKey !== undefined && (now === state.contentHash || key === state.restoredKey)) {
    core.info(`Plugin cache ${state.restoredKey} is up to date; nothing to save`)
    return
  }
  try {
    // The cache client reports why it did not save (another job saving the same key, the
    // service refusing) itself, and returns -1.
    const saved = await withinDeadline(cache.saveCache([...state.paths], key), deadlineMs)
    if (!saved) {
      gaveUpWaiting()
      core.warning(`The Actions cache did not answer within ${deadlineMs / 1000} s; the plugin cache (${key}) is not saved.`)
      return
    }
    const changed = state.restoredKey === undefined ? '' : `, changed since ${state.restoredKey}`
    core.info(saved.value === -1 ? `Plugin cache ${key} not saved (see above)` : `Saved Packer plugins to the cache (${key})${changed}`)
  } catch (error) {
    core.warning(`Could not save the plugin cache (${key}): ${errorMessage(error)}`)
  }
}
