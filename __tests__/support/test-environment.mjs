// Jest's Node environment, and a watchdog that ends the processes the tests started once the
// jest process running them has ended, however it ended. The action runs as a process, and
// starts Packer in a process group of its own: a Ctrl-C reaches the action but not Packer, a
// SIGTERM to npm or jest reaches neither, and jest's globalTeardown does not run after either.
// Loaded once in each jest process that runs test files (a worker, or jest itself with one file).
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import NodeEnvironment from 'jest-environment-node'

/**
 * Set in this jest process's environment: every process the tests start inherits it, or, where
 * a test gives the environment whole (runnerEnvironment), is given it, and those processes'
 * own children inherit it in turn.
 */
const variable = 'PACKER_AMI_ACTION_TEST_OWNER'
const owner = `${process.pid}-${randomUUID()}`
process.env[variable] = owner

const watchdogEnv = { ...process.env }
delete watchdogEnv[variable]
// In a group of its own, so that the Ctrl-C that ends jest leaves it to do its work. Its stdin
// is a pipe that only this process holds (Node opens pipes close-on-exec): it ends when this
// process does. Neither keeps jest from exiting.
const watchdog = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'process-watchdog.mjs'), owner], {
  detached: true,
  stdio: ['pipe', 'ignore', 'ignore'],
  env: watchdogEnv
})
watchdog.unref()
watchdog.stdin.unref()

// A worker whose jest has gone (a SIGTERM to jest only) would run its test file to the end.
if (process.connected) process.once('disconnect', () => process.exit(1))

export default NodeEnvironment
