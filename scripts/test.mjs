// npm test: the tests of jest.config.js, then those that must run alone (jest.alone.config.js).
// Its arguments go to both runs of jest:
//
//   npm test                                   # every test, as CI runs them
//   npm test -- __tests__/inputs.test.ts       # the files that match, whichever config holds them
//   npm test -- -t 'packer-version'            # the tests so named, in both
//
// With arguments, a config where nothing matches passes (--passWithNoTests): a file is in one
// config only. Where no test ran in either, npm test fails, saying so: a mistyped pattern must
// not pass. With a config of one's own (-c, --config), jest runs once, with it. The exit code is
// the first failing run's, and the second runs even when the first failed. Ctrl-C or a SIGTERM
// (npm passes it on: package.json `exec`s this script, so that no shell between npm and here
// swallows it) goes to the running jest, and the next is not started.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { constants, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const jest = createRequire(import.meta.url).resolve('jest/bin/jest')
const passedOn = process.argv.slice(2)
// A config of one's own (-c, --config) is run alone: jest would take the second run's as well.
const ownConfig = passedOn.some((arg) => arg === '-c' || arg === '--config' || arg.startsWith('--config='))
const configs = ownConfig ? [[]] : [[], ['-c', 'jest.alone.config.js']]
// The tests load the action's ES modules through jest's VM modules.
const env = { ...process.env, NODE_OPTIONS: '--experimental-vm-modules', NODE_NO_WARNINGS: '1' }
// How many tests each run ran, written by a results processor, which changes nothing jest prints;
// not counted where the arguments give one of their own or make jest run no tests (--listTests).
const counted =
  passedOn.length > 0 && !passedOn.some((arg) => /^--(testResultsProcessor|listTests|showConfig|watch|watchAll|help|version)\b/.test(arg) || arg === '-h' || arg === '-v')
const counts = counted ? mkdtempSync(join(tmpdir(), 'npm-test-')) : undefined
const processor = fileURLToPath(new URL('tests-ran.mjs', import.meta.url))

let running
let stoppedBy
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    stoppedBy ??= signal
    running?.kill(signal)
  })
}

let exitCode = 0
/** Tests run by each jest run, as its processor wrote them; undefined for a run that wrote none. */
const ran = []
for (const [index, config] of configs.entries()) {
  if (stoppedBy) break
  const ranFile = counts && join(counts, `run-${index}`)
  const args = [...config, ...(passedOn.length > 0 ? ['--passWithNoTests'] : []), ...(ranFile ? [`--testResultsProcessor=${processor}`] : []), ...passedOn]
  running = spawn(process.execPath, [jest, ...args], { env: ranFile ? { ...env, NPM_TEST_RAN_FILE: ranFile } : env, stdio: 'inherit' })
  const code = await new Promise((resolve) => running.on('exit', (status, signal) => resolve(status ?? 128 + constants.signals[signal])))
  running = undefined
  if (exitCode === 0) exitCode = code
  ran.push(ranFile && existsSync(ranFile) ? Number(readFileSync(ranFile, 'utf8')) : undefined)
}
if (counts) rmSync(counts, { recursive: true, force: true })
// Each run passed and told its count, and none ran a test: the arguments matched nothing.
if (counted && !stoppedBy && exitCode === 0 && ran.length === configs.length && ran.every((count) => count === 0)) {
  const of = ownConfig ? 'the config given' : 'jest.config.js or jest.alone.config.js'
  console.error(`npm test: no test ran: no test of ${of} matches the arguments (${passedOn.join(' ')}), a pattern of test file paths, and with -t of test names.`)
  exitCode = 1
}
process.exitCode = stoppedBy ? 128 + constants.signals[stoppedBy] : exitCode
