// A Packer that outlived the main step. Packer runs in a process group of its own (run.ts), so
// when the runner kills the main step (the last step of a cancel), Packer goes on: it would
// make instances and AMIs that nobody hears of, after the post step has looked. The post step
// stops it first. Windows has no process groups: there Packer is not started in one, and
// nothing is done here.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename } from 'node:path'

/** A running process, as the system lists it. */
export interface ProcessEntry {
  pid: number
  /** Its process group. */
  group: number
  /** When it started (ms since the epoch), to within a second. */
  startedMs: number
  /** Its executable's name: `packer`, `packer-plugin-amazon`. */
  name: string
}

/** Lists every process the post step can see. */
export type ProcessLister = () => ProcessEntry[]

/**
 * How far a start time read back may be from the one the main step saved: the main step took
 * its time just after it started Packer, the system tells start times to the second, and the
 * clock may have been set in between.
 */
const startSlackMs = 5_000

/**
 * Kills the process group that `pid` led, if a Packer process is still in it: true when it
 * did. The process `pid` itself may be gone: Packer 1.6.6's outer process (panicwrap) dies
 * when it next writes to the killed main step, while the build and its plugins, in the same
 * group, go on. A group's ID is not given to another process while the group has members, but
 * once they have all ended, a process that gets `pid` may lead a group of that ID: it started
 * after Packer did. So the group is killed only if one of its members is a Packer, none started
 * before Packer (`packerStarted`, as the main step saved it), and its leader, if there is one
 * still, started when Packer did. The processes are read from /proc where there is one (Linux),
 * else from `ps` (macOS).
 */
export function stopSurvivingPacker(pid: number, packerStarted: string, list: ProcessLister = defaultLister()): boolean {
  if (process.platform === 'win32') return false
  const started = Date.parse(packerStarted)
  if (Number.isNaN(started)) return false
  const members = list().filter((entry) => entry.group === pid)
  const packersOnly =
    members.some((member) => member.name.startsWith('packer')) &&
    members.every((member) => member.startedMs >= started - startSlackMs) &&
    members.every((member) => member.pid !== pid || member.startedMs <= started + startSlackMs)
  if (!packersOnly) return false
  try {
    process.kill(-pid, 'SIGKILL')
    return true
  } catch {
    return false
  }
}

function defaultLister(): ProcessLister {
  return existsSync('/proc/self/stat') ? procProcesses : psProcesses
}

/**
 * The processes in /proc (Linux): the group, and the start in clock ticks since boot, from
 * /proc/<pid>/stat (its 5th and 22nd fields); the name from the command line, as the 15
 * characters of the stat's name would cut `packer-plugin-amazon` short.
 */
export function procProcesses(): ProcessEntry[] {
  let entries: string[]
  let uptimeSeconds: number
  try {
    entries = readdirSync('/proc')
    uptimeSeconds = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0])
  } catch {
    return []
  }
  const now = Date.now()
  const found: ProcessEntry[] = []
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // The command name, in parentheses, may hold spaces: the fields after it begin with state.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      // Clock ticks are USER_HZ, 100 on every architecture a runner uses.
      const ageMs = (uptimeSeconds - Number(fields[19]) / 100) * 1000
      const name = basename(readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')[0])
      found.push({ pid: Number(entry), group: Number(fields[2]), startedMs: now - ageMs, name })
    } catch {
      // The process ended while /proc was read.
    }
  }
  return found
}

/**
 * The processes as `ps` lists them, where there is no /proc (macOS). Only what macOS's ps and
 * Linux's procps both read the same way: `-A` for every process, and `pid`, `pgid`, `etime`
 * (`[[dd-]hh:]mm:ss` since it started: no time zone or locale to read it by) and `comm` (the
 * executable, a full path on macOS; last, as it may hold spaces). Not `-g`, which selects
 * sessions in procps.
 */
export function psProcesses(): ProcessEntry[] {
  let output: string
  try {
    output = execFileSync('ps', ['-A', '-o', 'pid=,pgid=,etime=,comm='], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
      maxBuffer: 16 * 1024 * 1024
    })
  } catch {
    return []
  }
  const now = Date.now()
  return output.split('\n').flatMap((line) => {
    const match = /^\s*(\d+)\s+(\d+)\s+(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)\s+(.+)$/.exec(line)
    if (!match) return []
    const [, pid, group, days, hours, minutes, seconds, command] = match
    const ageSeconds = ((Number(days ?? 0) * 24 + Number(hours ?? 0)) * 60 + Number(minutes)) * 60 + Number(seconds)
    return [{ pid: Number(pid), group: Number(group), startedMs: now - ageSeconds * 1000, name: basename(command.trim()) }]
  })
}
