// The report Packer writes when it crashes: `crash.log`, in its working directory, the user's
// checkout, where a later step that commits or uploads the workspace would take it along.
import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const crashLog = 'crash.log'

/** Where Packer's crash report is: `moved` out of the working directory, or left there. */
export interface CrashReport {
  path: string
  moved: boolean
}

/** Per working directory, whether it held a crash.log when the job first ran Packer there. */
const heldBeforeTheJob = new Map<string, boolean>()

/**
 * Whether `directory` held a crash.log before the job's first Packer run there: one that is not
 * the job's to move. Asked before each run, it is told once: packer inspect runs beside packer
 * validate, and a crash.log that one of them wrote is not the user's when the other starts.
 */
export function hasCrashLog(directory: string): boolean {
  let held = heldBeforeTheJob.get(directory)
  if (held === undefined) {
    held = existsSync(join(directory, crashLog))
    heldBeforeTheJob.set(directory, held)
  }
  return held
}

/**
 * Moves the crash.log Packer left in `directory` to a folder of its own in RUNNER_TEMP, which the
 * runner empties after the job; leaves one that was there before the run (`before`), and one it
 * cannot move. Undefined when there is none: Packer could not write it.
 */
export async function keepCrashLog(directory: string, before: boolean): Promise<CrashReport | undefined> {
  const path = join(directory, crashLog)
  if (!existsSync(path)) return undefined
  if (before) return { path, moved: false }
  try {
    const temporary = process.env['RUNNER_TEMP'] || tmpdir()
    await mkdir(temporary, { recursive: true })
    const folder = await mkdtemp(join(temporary, 'packer-crash-'))
    const kept = join(folder, crashLog)
    // RUNNER_TEMP may be on another file system than the checkout.
    await rename(path, kept).catch(async () => {
      await copyFile(path, kept)
      await rm(path)
    })
    return { path: kept, moved: true }
  } catch {
    return { path, moved: false }
  }
}
