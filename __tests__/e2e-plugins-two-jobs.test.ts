// Two jobs at once on one self-hosted runner, installing the same plugin: runner agents on one
// machine share RUNNER_TOOL_CACHE, where the action keeps its plugin folder, while each has its
// own RUNNER_TEMP (the agent's _work/_temp). Packer 1.11, installed from a releases mirror, is the
// stand-in, which installs its plugin as Packer does (the binary written in place, then its
// _SHA256SUM), and whose validate finds the plugin only whole, as Packer does. Each job is held at
// points of the stand-in's, so that the two overlap for sure.
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as openpgp from 'openpgp'
import { standInExecutable } from '../test-support/packer-stand-in/index.js'
import { startReleasesMirror, type ReleasesMirror } from '../test-support/releases-mirror/index.js'
import { pushToMain, runAction, type ActionRun, type RunActionOptions } from './support/action-process.js'
import { until } from './support/runtimes.js'

const root = mkdtempSync(join(tmpdir(), 'plugins-two-jobs-'))
const toolCache = join(root, 'tool-cache')
const plugin = join(toolCache, 'packer-plugins', 'github.com', 'hashicorp', 'amazon', 'packer-plugin-amazon_v1.3.0_x5.0_linux_amd64')

let mirror: ReleasesMirror
let signingKey: string

beforeAll(async () => {
  const key = await openpgp.generateKey({ userIDs: [{ name: 'Mirror', email: 'releases@mirror.test' }], format: 'object' })
  signingKey = key.publicKey.armor()
  mirror = await startReleasesMirror({ versions: ['1.11.2'], signingKey: key.privateKey, packerScript: (version) => standInExecutable(version) })
})
afterAll(async () => {
  await mirror.close()
  rmSync(root, { recursive: true, force: true })
})
beforeEach(() => {
  for (const name of readdirSync(root)) rmSync(join(root, name), { recursive: true, force: true })
  mkdirSync(toolCache)
})

interface Job {
  options: RunActionOptions
  /** Where the job's Packer waits at `point`, and is let go. */
  waiting: (point: string) => Promise<void>
  go: (point: string) => void
}

/** A job on its own runner agent (workspace and RUNNER_TEMP its own), whose Packer waits at `holdAt`. */
function job(name: string, holdAt: string[]): Job {
  const [workspace, temp, hold] = ['workspace', 'temp', 'hold'].map((folder) => join(root, name, folder))
  for (const folder of [workspace, temp, hold]) mkdirSync(folder, { recursive: true })
  writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify({ builders: [{ type: 'amazon-ebs' }] }))
  return {
    options: {
      workspace,
      inputs: { 'packer-version': '1.11.2', 'packer-releases-url': mirror.url, 'packer-signing-key': signingKey, command: 'validate', cache: 'false' },
      env: {
        ...pushToMain,
        PATH: `/nonexistent:${process.env.PATH ?? ''}`,
        RUNNER_TOOL_CACHE: toolCache,
        RUNNER_TEMP: temp,
        STANDIN_NEEDS_PLUGIN: '1',
        STANDIN_HOLD: hold,
        STANDIN_HOLD_AT: holdAt.join(',')
      }
    },
    waiting: (point) => until(() => existsSync(join(hold, `${point}.waiting`)), `${name}'s Packer to wait at ${point}`),
    go: (point) => writeFileSync(join(hold, `${point}.go`), '')
  }
}

function expectValidated(run: ActionRun): void {
  expect(run.errors).toEqual([])
  expect(run.exitCode).toBe(0)
  expect(run.stdout).toContain('The configuration is valid.')
}

it("one job's install of a plugin never writes over the release another job validates with", async () => {
  // A finds no plugin and downloads it; B, meanwhile, installs it and goes on to validate; A then
  // writes its copy of the release, and is half way through when B's validate looks for it.
  const a = job('a', ['download', 'written'])
  const b = job('b', ['validate'])
  const first = runAction(a.options)
  await a.waiting('download')
  const second = runAction(b.options)
  await b.waiting('validate')
  a.go('download')
  await a.waiting('written')
  b.go('validate')
  const other = await second
  a.go('written')
  const one = await first

  expectValidated(other)
  expectValidated(one)
  // The shared folder holds the release whole, with its checksum, and nothing of either job's own.
  expect(readFileSync(plugin, 'utf8')).toBe('plugin\n')
  expect(existsSync(`${plugin}_SHA256SUM`)).toBe(true)
  expect(readdirSync(toolCache).filter((name) => name.startsWith('packer-plugins'))).toEqual(['packer-plugins'])
})
