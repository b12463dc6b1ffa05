// A Packer that outlived the main step. Packer runs in a process group of its own (run.ts), so
// when the runner kills the main step (the last step of a cancel), Packer goes on: it would
// make instances and AMIs that nobody hears of, after the post step has looked. The post step
// stops it first.
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

/**
 * Kills the process group that `pid` leads, if `pid` is still a Packer (a process ID may be
 * used again): true when it did. Read from /proc, so Linux only; elsewhere nothing is done.
 */
export function stopSurvivingPacker(pid: number): boolean {
  let program: string
  try {
    program = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]
  } catch {
    return false
  }
  if (basename(program) !== 'packer') return false
  try {
    process.kill(-pid, 'SIGKILL')
    return true
  } catch {
    return false
  }
}
