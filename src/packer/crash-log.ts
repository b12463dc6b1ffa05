// The report Packer writes when it crashes: `crash.log`, in its working directory, the user's
// checkout, where a later step that commits or uploads the workspace would take it along.
import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const crashLog = 'crash.log'

/**
 * Where Packer's crash report is: `moved` out of the working directory, or left there, because it
 * was there before the job (`heldBefore`) or could not be moved.
 */
export interface CrashReport {
  path: string
  moved: boolean
  heldBefore?: boolean
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

/** Per working directory, the last move of a crash.log: two Packer runs that crash together share one. */
const movesOf = new Map<string, Promise<CrashReport | undefined>>()

/**
 * Moves the crash.log Packer left in `directory` to a folder of its own in RUNNER_TEMP, which the
 * runner empties after the job; leaves one that was there before the run (`before`), and one it
 * cannot move. Undefined when there is none: Packer could not write it. Packer inspect and packer
 * validate, run beside each other, write the same crash.log: where the other's move took it, that
 * is where this one's report is too.
 */
export function keepCrashLog(directory: string, before: boolean): Promise<CrashReport | undefined> {
  const earlier = movesOf.get(directory)
  const move = (async () => {
    const moved = await earlier
    const path = join(directory, crashLog)
    if (!existsSync(path)) return moved?.moved ? moved : undefined
    if (before) return { path, moved: false, heldBefore: true }
    return moveOut(path)
  })()
  movesOf.set(directory, move)
  return move
}

async function moveOut(path: string): Promise<CrashReport> {
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
