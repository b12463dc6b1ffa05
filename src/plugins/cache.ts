import * as cache from '@actions/cache'
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import { cp, link, lstat, mkdir, readdir, readlink, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { gaveUpWaiting, withinDeadline } from '../common/waiting.js'
import { errorMessage } from '../common/errors.js'
import type { PluginCacheState } from './cache-state.js'
import { releasesLeftOut } from './releases.js'
import { placeWhole, pluginFiles } from './shared-folder.js'

export { PLUGIN_CACHE_STATE, type PluginCacheState } from './cache-state.js'

/** What the restore tells of the cache; the caller adds what the job asks of the plugins. */
export type RestoredPluginCache = Omit<PluginCacheState, 'plugins' | 'packerVersion'>

/**
 * A file under a plugin folder: its name (`/` between parts), with its size or a link's target,
 * and when it changed.
 */
interface ListedFile {
  name: string
  what: string
  mtimeMs?: number
  isLink?: true
}

interface ListedFolder {
  path: string
  files: ListedFile[]
}

async function listFiles(directory: string, prefix = '', files: ListedFile[] = []): Promise<ListedFile[]> {
  let entries
  try {
    entries = await readdir(directory, { withFileTypes: true })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return files
    throw error
  }
  for (const entry of entries) {
    // A file another job is putting in whole (placeWhole), or its folder of job folders: not Packer's.
    if (entry.name.startsWith('.')) continue
    const path = join(directory, entry.name)
    const name = prefix + entry.name
    if (entry.isDirectory()) {
      await listFiles(path, `${name}/`, files)
    } else if (entry.isSymbolicLink()) {
      files.push({ name, what: `${name} -> ${await readlink(path)}`, isLink: true })
    } else {
      const info = await lstat(path)
      files.push({ name, what: `${name} ${info.size}`, mtimeMs: info.mtimeMs })
    }
  }
  return files
}

async function listFolders(paths: string[]): Promise<ListedFolder[]> {
  const folders: ListedFolder[] = []
  for (const path of paths) {
    const files = await listFiles(path)
    folders.push({ path, files: files.sort((a, b) => (a.what < b.what ? -1 : a.what > b.what ? 1 : 0)) })
  }
  return folders
}

/**
 * A fingerprint of the files of `folders`, without reading plugin binaries; empty when there
 * are no files at all:
 * - `changes`: names, sizes and modification times, enough to tell whether Packer installed or
 *   replaced anything;
 * - `contents`: names and sizes only (a plugin's file is named for its version), the same for
 *   the same plugins on any runner.
 */
function fingerprint(folders: ListedFolder[], of: 'changes' | 'contents'): string {
  const lines = folders.flatMap(({ path, files }) =>
    files.map(({ what, mtimeMs }) => `${path}: ${what}${of === 'changes' && mtimeMs !== undefined ? ` ${mtimeMs}` : ''}`)
  )
  return lines.length === 0 ? '' : createHash('sha256').update(lines.join('\n')).digest('hex')
}

/** The `changes` fingerprint of the files under `paths` (see fingerprint). */
export async function directoryFingerprint(paths: string[]): Promise<string> {
  return fingerprint(await listFolders(paths), 'changes')
}

/**
 * Where the cache entry of plugin folder `directory` is unpacked and packed. The Actions cache
 * finds an entry only by the very paths it was saved from (they make its version), and saves
 * the whole of each; so the files chosen from the plugin folder are saved from a folder of
 * their own, linked into it (copied where it is on another file system), and a restore moves
 * them out of it into the plugin folder, which only ever gains files. The folder is in the
 * runner's temporary directory, which is the runner's own and emptied at each job's start and
 * end, so that two runners sharing a plugin folder never share it; beside the plugin folder
 * where there is none.
 */
export function entryFolder(directory: string): string {
  const temporary = process.env['RUNNER_TEMP']
  if (!temporary) return `${directory}.cache-entry`
  return join(temporary, 'packer-plugin-cache', createHash('sha256').update(directory).digest('hex').slice(0, 16))
}

/** Removes the entry folders of plugin folders `paths`; one left behind goes at the next restore or save. */
async function removeEntryFolders(paths: string[]): Promise<void> {
  for (const path of paths) await rm(entryFolder(path), { recursive: true, force: true }).catch(() => undefined)
}

/**
 * Moves what a restore unpacked into `entry` into `directory`, each file whole and binaries
 * before their _SHA256SUM files: another job on the machine may be running Packer from it.
 */
async function moveInto(entry: string, directory: string): Promise<void> {
  for (const name of await pluginFiles(entry)) await placeWhole(join(entry, name), join(directory, name))
}

/** Links the files of `folder` into its entry folder, or copies them where links cannot be made. */
async function stage(folder: ListedFolder): Promise<string> {
  const entry = entryFolder(folder.path)
  await rm(entry, { recursive: true, force: true })
  for (const { name, isLink } of folder.files) {
    const [from, to] = [join(folder.path, name), join(entry, name)]
    await mkdir(dirname(to), { recursive: true })
    const copy = () => cp(from, to, { verbatimSymlinks: true, preserveTimestamps: true })
    await (isLink ? copy() : link(from, to).catch(copy))
  }
  return entry
}

/**
 * The key plugins are saved under: the job's key, then what is saved of the folders (the
 * `contents` fingerprint), so that a plugin Packer installed anew (a newer release of one with
 * no version constraint) is saved as a new entry, which later jobs restore by the job's key as
 * a prefix. Two jobs that save the same plugin releases make the same key, and the second's
 * save is refused as a duplicate.
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

let unavailableSaid = false

/**
 * Restores the plugin directories from the Actions cache. Never throws: a cache problem costs a
 * download, not the build, and comes back as a warning; a runner without the cache, as a notice.
 */
export async function restorePluginCache(
  paths: string[],
  key: string,
  deadlineMs = pluginCacheDeadlineMs
): Promise<{ state?: RestoredPluginCache; warning?: string; notice?: string; gaveUp?: true }> {
  // GitHub Enterprise Server without the Actions cache is a runner as it is set up, not a fault:
  // every job there would carry a warning it can do nothing about.
  if (!cache.isFeatureAvailable()) {
    if (unavailableSaid) return {}
    unavailableSaid = true
    return {
      notice:
        'Plugin cache is off: the Actions cache service is not available here ' +
        '(neither ACTIONS_CACHE_URL nor ACTIONS_RESULTS_URL is set). Plugins are downloaded ' +
        'fresh; set input cache to false to silence this.'
    }
  }
  let restoredKey: string | undefined
  let warning: string | undefined
  const entries = paths.map(entryFolder)
  try {
    // What a job that did not finish unpacking or saving left.
    await removeEntryFolders(paths)
    // The newest entry saved under the key and what it held; or one saved under the key alone.
    const restored = await withinDeadline(cache.restoreCache([...entries], key, [`${key}-`]), deadlineMs)
    if (!restored) {
      // The restore may still unpack later, into the entry folders, which the next one clears.
      gaveUpWaiting()
      return {
        gaveUp: true,
        warning:
          `The Actions cache did not answer within ${deadlineMs / 1000} s while restoring the plugin cache (${key}). ` +
          'Packer installs the plugins instead, and this job saves no plugin cache.'
      }
    }
    if (restored.value !== undefined) {
      for (const [index, entry] of entries.entries()) await moveInto(entry, paths[index])
      await removeEntryFolders(paths)
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
 * Of each plugin folder, the files to save: all but the older releases of the job's plugins
 * that Packer does not load (releasesLeftOut); and how many releases those are.
 */
function withoutOlderReleases(
  folders: ListedFolder[],
  state: PluginCacheState
): { saved: ListedFolder[]; leftOut: number } {
  let leftOut = 0
  const saved = folders.map(({ path, files }) => {
    const releases = releasesLeftOut(files.map(({ name }) => name), state.plugins, state.packerVersion)
    leftOut += releases.length
    const left = new Set(releases.flat())
    return { path, files: files.filter(({ name }) => !left.has(name)) }
  })
  return { saved, leftOut }
}

/**
 * Post step: given what the main step saved (PLUGIN_CACHE_STATE), saves the plugin directories,
 * without the older releases Packer does not load, under the key it computed and what is saved,
 * when there is something to save and it is not what the cache gave the job. Never throws: gives
 * back why it did not save, for the post step to annotate.
 */
export async function savePluginCache(saved: string, deadlineMs = pluginCacheDeadlineMs): Promise<string | undefined> {
  let state: PluginCacheState
  try {
    state = JSON.parse(saved) as PluginCacheState
  } catch {
    return 'Not saving the plugin cache: the main step left unreadable state'
  }
  const folders = await listFolders(state.paths)
  const now = fingerprint(folders, 'changes')
  if (now === '') {
    core.info('No Packer plugins were installed; nothing to cache')
    return
  }
  const { saved: toSave, leftOut } = withoutOlderReleases(folders, state)
  const key = contentKey(state.key, fingerprint(toSave, 'contents'))
  if (state.restoredKey !== undefined && (now === state.contentHash || key === state.restoredKey)) {
    core.info(`Plugin cache ${state.restoredKey} is up to date; nothing to save`)
    return
  }
  try {
    const entries: string[] = []
    for (const folder of toSave) entries.push(await stage(folder))
    // The cache client reports why it did not save (another job saving the same key, the
    // service refusing) itself, and returns -1.
    const result = await withinDeadline(cache.saveCache(entries, key), deadlineMs)
    if (!result) {
      // It may still be reading the entry folders: the next restore or save removes them.
      gaveUpWaiting()
      return `The Actions cache did not answer within ${deadlineMs / 1000} s; the plugin cache (${key}) is not saved.`
    }
    const changed = state.restoredKey === undefined ? '' : `, changed since ${state.restoredKey}`
    const releases = leftOut === 1 ? 'release' : 'releases'
    const without = leftOut === 0 ? '' : `; left out ${leftOut} older plugin ${releases} that Packer does not load for this job`
    core.info(
      result.value === -1 ? `Plugin cache ${key} not saved (see above)` : `Saved Packer plugins to the cache (${key})${changed}${without}`
    )
  } catch (error) {
    await removeEntryFolders(state.paths)
    return `Could not save the plugin cache (${key}): ${errorMessage(error)}`
  }
  await removeEntryFolders(state.paths)
  return undefined
}
