// Started by test-environment.mjs in a process group of its own, with a pipe from the jest
// process that runs the tests as its stdin. When the pipe ends, that jest process has exited,
// however it ended (its last test done, Ctrl-C, a SIGTERM, a crash): the watchdog then kills
// every process whose environment says the tests started it for that jest process
// (PACKER_AMI_ACTION_TEST_OWNER=<its argument>): the action, the Packer (or stand-in) it started
// in a process group of its own, Packer's plugins, a loopback endpoint run as a process. A
// Packer whose clean-up waits for an endpoint that died with jest would otherwise go on.
import { Buffer } from 'node:buffer'
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

const variable = 'PACKER_AMI_ACTION_TEST_OWNER'
const owner = process.argv[2]

/** The processes of `owner`, from /proc (Linux) or `ps -E` (macOS), this one left out. */
function ownedProcesses() {
  const setting = `${variable}=${owner}`
  if (!existsSync('/proc/self/environ')) {
    const listing = execFileSync('ps', ['-E', '-ww', '-ax', '-o', 'pid=,command='], { encoding: 'utf8' })
    return listing
      .split('\n')
      .filter((line) => ` ${line} `.includes(` ${setting} `))
      .map((line) => Number(line.trim().split(' ')[0]))
      .filter((pid) => pid !== process.pid)
  }
  const entry = Buffer.from(`\0${setting}\0`)
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .filter((name) => {
      try {
        return Buffer.concat([Buffer.from('\0'), readFileSync(`/proc/${name}/environ`)]).includes(entry)
      } catch {
        return false // Gone, or another user's.
      }
    })
    .map(Number)
}

async function killOwned() {
  // Again until none is left: a process killed in one pass may have started another before it.
  for (let pass = 0; pass < 20; pass++) {
    const found = ownedProcesses()
    if (found.length === 0) return
    for (const pid of found) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // Ended already.
      }
    }
    await sleep(50)
  }
}

if (owner) {
  process.stdin.on('data', () => undefined)
  process.stdin.on('close', () => void killOwned())
}
