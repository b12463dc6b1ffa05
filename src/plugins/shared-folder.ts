// The action's plugin folder (RUNNER_TOOL_CACHE/packer-plugins) is shared by every job on a
// self-hosted runner's machine: runner agents there share the tool cache. Packer writes a plugin
// it installs in place (the binary opened with O_TRUNC, then its _SHA256SUM), so two jobs that
// install the same release at once write over each other: one job's validate or build then finds
// the release half written, and takes it for no plugin at all ("The builder amazon-ebs is
// unknown by Packer"), or an install finds the binary running ("text file busy"). Packer ≥ 1.11
// takes one plugin folder only, so each job has Packer install into a folder of its own, which
// holds links to the releases already there, and then puts each file it installed into the
// shared folder whole, by a rename: nothing there is ever written in place.
import { randomUUID } from 'node:crypto'
import { cp, link, lstat, mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** A job's own folders beside the shared plugin folder: Packer installs into `plugins`, with `tmp` as its TMPDIR. */
export interface JobPluginFolder {
  root: string
  plugins: string
  tmp: string
}

const SUM = '_SHA256SUM'

/** A job folder that a job killed mid-install left is removed by a job this much later. */
const staleAfterMs = 24 * 60 * 60_000

/** The files under `directory`, as paths relative to it (`/` between parts); none where it is not. */
async function filesUnder(directory: string, prefix = ''): Promise<string[]> {
  let entries
  try {
    entries = await readdir(directory, { withFileTypes: true })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const files: string[] = []
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue
    if (entry.isDirectory()) files.push(...(await filesUnder(join(directory, entry.name), `${prefix}${entry.name}/`)))
    else files.push(prefix + entry.name)
  }
  return files
}

/** Binaries before the _SHA256SUM files that make them releases Packer loads. */
function binariesFirst(files: string[]): string[] {
  return [...files.filter((file) => !file.endsWith(SUM)), ...files.filter((file) => file.endsWith(SUM))]
}

async function sizeOf(path: string): Promise<number | undefined> {
  return (await lstat(path).catch(() => undefined))?.size
}

/**
 * Puts file `from` at `target` whole: by a rename (on another file system, a copy beside the
 * target under a name Packer does not read, then a rename), so that a job running Packer from
 * the target's folder sees the old file or the new one, never a part. A file of the same size
 * there already is the same release's, put there by another job: it is left as it is.
 */
export async function placeWhole(from: string, target: string): Promise<void> {
  if ((await sizeOf(target)) === (await sizeOf(from))) return
  await mkdir(dirname(target), { recursive: true })
  try {
    await rename(from, target)
    return
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error
  }
  const staged = join(dirname(target), `.${basename(target)}.${randomUUID()}`)
  try {
    await cp(from, staged, { verbatimSymlinks: true, preserveTimestamps: true })
    await rename(staged, target)
  } finally {
    await rm(staged, { force: true })
  }
}

/**
 * A folder of the job's own for Packer to install plugins into, beside `shared`, holding links
 * to the releases in `shared`: Packer installs nothing it finds there whole. Only a binary with
 * its _SHA256SUM is linked: one without it Packer would install again, writing through the link
 * into the shared file.
 */
export async function jobPluginFolder(shared: string): Promise<JobPluginFolder> {
  const jobs = `${shared}.jobs`
  await removeStale(jobs)
  const root = join(jobs, randomUUID())
  const folder = { root, plugins: join(root, 'plugins'), tmp: join(root, 'tmp') }
  await mkdir(folder.plugins, { recursive: true })
  await mkdir(folder.tmp, { recursive: true })
  const files = new Set(await filesUnder(shared))
  for (const sum of [...files].filter((file) => file.endsWith(SUM))) {
    const binary = sum.slice(0, -SUM.length)
    if (!files.has(binary)) continue
    for (const file of [binary, sum]) {
      const [from, to] = [join(shared, file), join(folder.plugins, file)]
      await mkdir(dirname(to), { recursive: true })
      await link(from, to).catch(() => cp(from, to, { verbatimSymlinks: true, preserveTimestamps: true }))
    }
  }
  return folder
}

/** Puts what Packer installed into the job's folder into `shared`, each file whole, binaries first. */
export async function publishInstalled(folder: JobPluginFolder, shared: string): Promise<void> {
  for (const file of binariesFirst(await filesUnder(folder.plugins))) await placeWhole(join(folder.plugins, file), join(shared, file))
}

/** Removes the job's folder, and the folder of job folders once no job has one there. */
export async function removeJobFolder(folder: JobPluginFolder): Promise<void> {
  await rm(folder.root, { recursive: true, force: true }).catch(() => undefined)
  await rmdir(dirname(folder.root)).catch(() => undefined)
}

/** Removes the job folders that jobs killed mid-install left, long since. */
async function removeStale(jobs: string): Promise<void> {
  const names = await readdir(jobs).catch(() => [] as string[])
  for (const name of names) {
    const path = join(jobs, name)
    const changed = (await stat(path).catch(() => undefined))?.mtimeMs
    if (changed !== undefined && Date.now() - changed > staleAfterMs) await rm(path, { recursive: true, force: true }).catch(() => undefined)
  }
}

/** Files in a plugin folder, sorted with binaries before their _SHA256SUM files (for a restore). */
export async function pluginFiles(directory: string): Promise<string[]> {
  return binariesFirst(await filesUnder(directory))
}
