// npm test: the tests of jest.config.js, then those that must run alone (jest.alone.config.js).
// Its arguments go to both runs of jest:
//
//   npm test                                   # every test, as CI runs them
//   npm test -- __tests__/inputs.test.ts       # the files that match, whichever config holds them
//   npm test -- -t 'packer-version'            # the tests so named, in both
//
// With arguments, a config where nothing matches passes (--passWithNoTests): a file is in one
// config only. With a config of one's own (-c, --config), jest runs once, with it. The exit code is the first failing run's, and the second runs even when the first
// failed. Ctrl-C or a SIGTERM (npm passes it on: package.json `exec`s this script, so that no
// shell between npm and here swallows it) goes to the running jest, and the next is not started.
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { constants } from 'node:os'

const jest = createRequire(import.meta.url).resolve('jest/bin/jest')
const passedOn = process.argv.slice(2)
// A config of one's own (-c, --config) is run alone: jest would take the second run's as well.
const ownConfig = passedOn.some((arg) => arg === '-c' || arg === '--config' || arg.startsWith('--config='))
const configs = ownConfig ? [[]] : [[], ['-c', 'jest.alone.config.js']]
// The tests load the action's ES modules through jest's VM modules.
const env = { ...process.env, NODE_OPTIONS: '--experimental-vm-modules', NODE_NO_WARNINGS: '1' }

let running
let stoppedBy
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    stoppedBy ??= signal
    running?.kill(signal)
  })
}

let exitCode = 0
for (const config of configs) {
  if (stoppedBy) break
  const args = [...config, ...(passedOn.length > 0 ? ['--passWithNoTests'] : []), ...passedOn]
  running = spawn(process.execPath, [jest, ...args], { env, stdio: 'inherit' })
  const code = await new Promise((resolve) => running.on('exit', (status, signal) => resolve(status ?? 128 + constants.signals[signal])))
  running = undefined
  if (exitCode === 0) exitCode = code
}
process.exitCode = stoppedBy ? 128 + constants.signals[stoppedBy] : exitCode
