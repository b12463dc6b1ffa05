// The post step's stop of a Packer that outlived the main step, read both ways it can list
// processes: /proc (Linux) and `ps` (macOS, which has no /proc; procps reads the same flags, so
// the `ps` path runs here too). Real process groups stand in for Packer: a copy of the shell
// named `packer` leads its own group, as run.ts starts Packer, and runs a copy of `sleep` named
// as a plugin. The test reads /proc itself to tell which processes still live.
import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import { spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { procProcesses, psProcesses, stopSurvivingPacker, type ProcessLister } from '../src/packer/survivor.js'
import { findOnPath, until } from './support/runtimes.js'

const scratch = mkdtempSync(join(tmpdir(), 'packer-survivor-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const shell = findOnPath('sh')
const sleep = findOnPath('sleep')
const packer = join(scratch, 'packer')
const plugin = join(scratch, 'packer-plugin-amazon')
if (shell && sleep) {
  copyFileSync(shell, packer)
  copyFileSync(sleep, plugin)
}

/** The living (not zombie) processes of group `pgid`, from /proc. */
function livingMembersOf(pgid: number): number[] {
  return readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return []
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return Number(group) === pgid && state !== 'Z' && state !== 'X' ? [Number(entry)] : []
    } catch {
      return []
    }
  })
}

const started: ChildProcess[] = []
afterEach(() => {
  for (const child of started.splice(0)) {
    try {
      process.kill(-(child.pid as number), 'SIGKILL')
    } catch {
      // Already stopped.
    }
  }
})

/** A stand-in Packer leading its own group, with a plugin in it; resolves once both run, with when it started. */
async function standInPacker(): Promise<{ pid: number; startedAt: string }> {
  const child = spawn(packer, ['-c', `'${plugin}' 600 & wait`], { detached: true, stdio: 'ignore' })
  const startedAt = new Date().toISOString()
  started.push(child)
  const pid = child.pid as number
  await until(() => livingMembersOf(pid).length === 2, 'the stand-in and its plugin to run')
  return { pid, startedAt }
}

/** A process of its own group, named as Packer, that was running before. */
async function unrelatedPacker(): Promise<number> {
  const child = spawn(plugin, ['600'], { detached: true, stdio: 'ignore' })
  started.push(child)
  const pid = child.pid as number
  await until(() => livingMembersOf(pid).length === 1, 'the unrelated process to run')
  return pid
}

const readers: Array<[string, ProcessLister]> = [
  ['from ps', psProcesses],
  ['from /proc', procProcesses]
]

;(existsSync('/proc/self/stat') && shell && sleep ? describe : describe.skip).each(readers)(
  'stopping a Packer that outlived the main step, with the processes read %s',
  (_, list) => {
    it('kills its process group, and no process of another group', async () => {
      const other = await unrelatedPacker()
      const { pid, startedAt } = await standInPacker()
      expect(stopSurvivingPacker(pid, startedAt, list)).toBe(true)
      await until(() => livingMembersOf(pid).length === 0, "the stand-in's group to end")
      expect(livingMembersOf(other)).toEqual([other])
    })

    it("kills the group once Packer's outer process has died, its plugin still running", async () => {
      const { pid, startedAt } = await standInPacker()
      process.kill(pid, 'SIGKILL')
      await until(() => livingMembersOf(pid).length === 1, 'the outer process to end')
      expect(stopSurvivingPacker(pid, startedAt, list)).toBe(true)
      await until(() => livingMembersOf(pid).length === 0, "the plugin's group to end")
    })

    it('leaves a group whose processes started before Packer did: the group is not the build\'s', async () => {
      const { pid } = await standInPacker()
      const packerStartedLater = new Date(Date.now() + 60_000).toISOString()
      expect(stopSurvivingPacker(pid, packerStartedLater, list)).toBe(false)
      expect(livingMembersOf(pid)).toHaveLength(2)
    })

    it('leaves a group led by a process that started well after Packer: its ID was given again', async () => {
      const { pid } = await standInPacker()
      const packerStartedLongBefore = new Date(Date.now() - 3_600_000).toISOString()
      expect(stopSurvivingPacker(pid, packerStartedLongBefore, list)).toBe(false)
      expect(livingMembersOf(pid)).toHaveLength(2)
    })

    it('leaves a group with no Packer in it', async () => {
      const child = spawn(sleep as string, ['600'], { detached: true, stdio: 'ignore' })
      const startedAt = new Date().toISOString()
      started.push(child)
      const pid = child.pid as number
      await until(() => livingMembersOf(pid).length === 1, 'the process to run')
      expect(stopSurvivingPacker(pid, startedAt, list)).toBe(false)
      expect(livingMembersOf(pid)).toEqual([pid])
    })
  }
)
