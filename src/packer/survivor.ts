// A Packer that outlived the main step. Packer runs in a process group of its own (run.ts), so
// when the runner kills the main step (the last step of a cancel), Packer goes on: it would
// make instances and AMIs that nobody hears of, after the post step has looked. The post step
// stops it first.
import { readdirSync, readFileSync } from 'node:fs'
import { basename } from 'node:path'

/**
 * Kills the process group that `pid` led, if a Packer process is still in it: true when it
 * did. The process `pid` itself may be gone: Packer 1.6.6's outer process (panicwrap) dies
 * when it next writes to the killed main step, while the build and its plugins, in the same
 * group, go on. A group's ID is not given to another process while the group has members, and
 * only a group with a Packer in it is killed. Read from /proc, so Linux only; elsewhere
 * nothing is done.
 */
export function stopSurvivingPacker(pid: number): boolean {
  if (!groupMembers(pid).some(isPacker)) return false
  try {
    process.kill(-pid, 'SIGKILL')
    return true
  } catch {
    return false
  }
}

/** The processes whose process group is `group`, from /proc/<pid>/stat (pgrp, its 5th field). */
function groupMembers(group: number): number[] {
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return []
  }
  const members: number[] = []
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // The command name, in parentheses, may hold spaces: the fields after it are state, ppid, pgrp.
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
      if (pgrp === group) members.push(Number(entry))
    } catch {
      // The process ended while /proc was read.
    }
  }
  return members
}

/** Packer itself, or one of its plugins (`packer-plugin-amazon`, or `packer plugin …` in 1.6.6). */
function isPacker(pid: number): boolean {
  try {
    return basename(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]).startsWith('packer')
  } catch {
    return false
  }
}
