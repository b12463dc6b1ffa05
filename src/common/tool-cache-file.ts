// Files the action keeps in the runner's tool cache. On a self-hosted runner that cache is shared
// by every job on the machine, and two jobs may write one of these files at the same moment.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * Replaces `file` with `text` whole: written beside it under a name of this process's own, then
 * renamed over it. Written in place, two jobs' writes could interleave (each truncates, then
 * writes from its start: the shorter answer followed by the end of the longer one), and a job
 * reading meanwhile could find it empty. A rename shows readers the old file or the new one.
 */
export function replaceFile(file: string, text: string): void {
  const written = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`
  mkdirSync(dirname(file), { recursive: true })
  try {
    writeFileSync(written, text)
    renameSync(written, file)
  } catch (error) {
    rmSync(written, { force: true })
    throw error
  }
}
