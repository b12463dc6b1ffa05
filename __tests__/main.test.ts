// The job's orchestration in-process: every stage past the inputs is replaced, so each path
// of the summary's outcome can be reached on purpose, and the outputs, the failure message and
// the summary a user would see are checked for each.
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import type * as Core from '@actions/core'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Ami } from '../src/artifacts/manifest.js'
import type { BuiltAmis } from '../src/artifacts/index.js'
import type { RegionTagResult } from '../src/aws/tagging.js'
import type { PackerRun } from '../src/packer/run.js'
import { RunRecord } from '../src/packer/machine-readable.js'
import { fakeCore } from './fixtures/install/core.js'
import { renderedText, tableRows } from './support/markdown.js'

const summaries: string[] = []
const inputs = new Map<string, string>()
const core = {
  ...fakeCore(),
  getInput: jest.fn<typeof Core.getInput>((name) => inputs.get(name) ?? ''),
  setOutput: jest.fn<typeof Core.setOutput>(),
  setFailed: jest.fn<typeof Core.setFailed>(),
  group: jest.fn(async <T>(_name: string, fn: () => Promise<T>) => fn()),
  summary: {
    emptyBuffer() {
      return this
    },
    addRaw(text: string) {
      summaries.push(text)
      return this
    },
    write: async () => undefined
  }
}
const installPacker = jest.fn(async () => ({ path: '/usr/bin/packer', version: '1.6.6', source: 'path' as const }))
const preparePlugins = jest.fn(async () => ({ warnings: [] as string[] }))
const runPacker = jest.fn<(path: string, args: string[]) => Promise<PackerRun>>()
const readBuiltAmis = jest.fn<() => BuiltAmis>()
const tagAmis = jest.fn<(options: { onResult?: (result: RegionTagResult) => void; [option: string]: unknown }) => Promise<RegionTagResult[]>>()
/** tagAmis answering `results`, each told as it is known, as the stage tells them. */
function tagsAnswer(results: RegionTagResult[]): void {
  tagAmis.mockImplementation(async ({ onResult }) => {
    for (const result of results) onResult?.(result)
    return results
  })
}

jest.unstable_mockModule('@actions/core', () => core)
jest.unstable_mockModule('../src/install/index.js', () => ({ installPacker }))
jest.unstable_mockModule('../src/plugins/index.js', () => ({ preparePlugins }))
// Keeping apart the AMIs of builds Packer names alike is the stage's own rule, not a process's.
const { keptApartFromTheLog } = await import('../src/artifacts/index.js')
jest.unstable_mockModule('../src/artifacts/index.js', () => ({
  readBuiltAmis,
  keptApartFromTheLog,
  manifestRunUuid: () => undefined,
  prepareManifestDirectory: () => undefined,
  manifestToRead: () => 0
}))
// The step's credentials are the chain's to find (src/aws/client.ts): here it finds some.
jest.unstable_mockModule('../src/aws/tagging.js', () => ({ tagAmis, runCredentialsFound: async () => true }))
const actualRun = await import('../src/packer/run.js')
jest.unstable_mockModule('../src/packer/run.js', () => ({ ...actualRun, runPacker }))
const { run } = await import('../src/main.js')
// Each test is a step of its own, with the runner's ten annotations of each kind.
const { forgetAnnotationsMade } = await import('../src/report/annotation.js')

const web: Ami[] = [
  { build: 'web', builderType: 'amazon-ebs', region: 'us-east-1', amiId: 'ami-0aaa1' },
  { build: 'web', builderType: 'amazon-ebs', region: 'eu-west-1', amiId: 'ami-0bbb2' }
]

function packerRun(exitCode: number, options: { cancelled?: boolean; errors?: string[]; killedBy?: NodeJS.Signals } = {}): PackerRun {
  const record = new RunRecord()
  for (const error of options.errors ?? []) record.errors.push(error)
  return { exitCode, cancelled: options.cancelled ?? false, record, ...(options.killedBy ? { killedBy: options.killedBy } : {}) }
}

/** validate and build answer with these runs. */
function packerAnswers(validate: PackerRun, build?: PackerRun): void {
  runPacker.mockImplementation(async (_path, args) => (args[0] === 'validate' ? validate : (build ?? packerRun(0))))
}

function built(amis: Ami[]): BuiltAmis {
  return { amis, runUuid: 'run-1', manifest: '/w/packer-manifest.json', notes: [], whyNoAmi: 'no AMI builder', outsideManifest: [] }
}

function tagged(region: string, error?: string): RegionTagResult {
  const amiIds = web.filter((ami) => ami.region === region).map((ami) => ami.amiId)
  return { region, amiIds, snapshotIds: ['snap-1'], snapshotsOf: Object.fromEntries(amiIds.map((id) => [id, ['snap-1']])), tagged: error === undefined, error }
}

const outputs = () => Object.fromEntries(core.setOutput.mock.calls.map(([name, value]) => [name, value]))
const failure = () => core.setFailed.mock.calls.map(([message]) => String(message)).join('\n')
const lastSummary = () => summaries.at(-1) ?? ''
const packerCommands = () => runPacker.mock.calls.map(([, args]) => args[0])

let workspace: string
beforeEach(() => {
  jest.clearAllMocks()
  forgetAnnotationsMade()
  summaries.length = 0
  workspace = mkdtempSync(join(tmpdir(), 'main-'))
  writeFileSync(
    join(workspace, 'packer-template.json'),
    JSON.stringify({ builders: [{ type: 'amazon-ebs', name: 'web' }], 'post-processors': ['manifest'] })
  )
  process.env.GITHUB_WORKSPACE = workspace
  process.env.GITHUB_STEP_SUMMARY = join(workspace, 'summary.md')
  inputs.clear()
  for (const [name, value] of Object.entries({
    template: 'packer-template.json',
    'working-directory': '.',
    command: 'build',
    'packer-version': '1.6.6',
    'on-error': 'cleanup',
    force: 'false',
    cache: 'false',
    'provenance-tags': 'false',
    tags: 'Team=platform',
    'tag-snapshots': 'true',
    summary: 'true'
  })) {
    inputs.set(name, value)
  }
  tagsAnswer([tagged('us-east-1'), tagged('eu-west-1')])
  readBuiltAmis.mockReturnValue(built(web))
})
afterEach(() => {
  rmSync(workspace, { recursive: true, force: true })
  delete process.env.GITHUB_STEP_SUMMARY
  process.exitCode = undefined
})

describe('the job', () => {
  it('validated: command validate stops after packer validate', async () => {
    inputs.set('command', 'validate')
    packerAnswers(packerRun(0))

    await run()

    expect(packerCommands()).toEqual(['validate'])
    expect(core.setFailed).not.toHaveBeenCalled()
    // Each JSON output parses with fromJSON though nothing was built.
    expect(outputs()).toEqual({
      'packer-version': '1.6.6',
      'ami-ids': '{}',
      builds: '{}',
      artifacts: '[]',
      deregistered: '[]',
      'launch-template-versions': '{}'
    })
    expect(lastSummary()).toContain('Template is valid')
    expect(tagAmis).not.toHaveBeenCalled()
  })

  it('built: every AMI in the outputs, tagged, and the summary says so', async () => {
    packerAnswers(packerRun(0), packerRun(0))

    await run()

    expect(packerCommands()).toEqual(['validate', 'build'])
    expect(core.setFailed).not.toHaveBeenCalled()
    expect(outputs()).toMatchObject({
      'ami-id': 'ami-0aaa1',
      'ami-ids': JSON.stringify({ 'us-east-1': 'ami-0aaa1', 'eu-west-1': 'ami-0bbb2' }),
      'run-uuid': 'run-1'
    })
    expect(tagAmis).toHaveBeenCalledWith({
      amis: web,
      tags: { Team: 'platform' },
      tagSnapshots: true,
      deadlineMs: 90_000,
      onResult: expect.any(Function),
      ownTags: {},
      // Without provenance tags there is nothing of the template's to keep, and no snapshot tags to read.
      templateKeeps: [],
      readSnapshotTags: false,
      actionOwnKeys: [],
      snapshotsMayHaveOwnKeys: false
    })
    expect(lastSummary()).toContain('AMIs built and tagged')
  })

  it('tagging failed: the step fails, the AMIs stay in the outputs, the summary names the region', async () => {
    packerAnswers(packerRun(0), packerRun(0))
    tagsAnswer([tagged('us-east-1'), tagged('eu-west-1', 'Tagging in eu-west-1 failed: denied')])

    await run()

    expect(failure()).toBe(
      "Tagging failed in eu-west-1; the AMIs exist and are in the outputs. ami-0bbb2 in eu-west-1 is left without the run's tags. " +
        'It costs, with its snapshots, until it is tagged or deregistered; the log and the summary give the commands for it ' +
        '(aws ec2 create-tags with the tags the run meant to give it, or aws ec2 deregister-image --delete-associated-snapshots).'
    )
    expect(outputs()['ami-id']).toBe('ami-0aaa1')
    expect(core.error).toHaveBeenCalledWith('Tagging in eu-west-1 failed: denied', { title: 'Tagging' })
    expect(lastSummary()).toContain(':x: Failed')
    expect(lastSummary()).toContain('| failed: see Problems below |')
    expect(lastSummary().split('Tagging in eu-west-1 failed: denied')).toHaveLength(2)
  })

  it('build failed after some AMIs: those AMIs are output and tagged, then the step fails', async () => {
    packerAnswers(packerRun(0), packerRun(1, { errors: ["Build 'arm' errored: capacity"] }))
    readBuiltAmis.mockReturnValue(built(web.slice(0, 1)))
    tagsAnswer([tagged('us-east-1')])

    await run()

    expect(failure()).toBe('packer build failed (exit code 1), after building 1 AMI that is in the outputs.')
    expect(outputs()['ami-id']).toBe('ami-0aaa1')
    expect(tagAmis).toHaveBeenCalled()
    expect(tableRows(lastSummary(), ['', 'Where', 'Message'])).toEqual([[':x:', '—', "Build 'arm' errored: capacity"]])
  })

  it('build failed with no AMI: nothing to tag, the failure says so', async () => {
    packerAnswers(packerRun(0), packerRun(1))
    readBuiltAmis.mockReturnValue(built([]))

    await run()

    expect(failure()).toBe('packer build failed (exit code 1); no AMI was built.')
    expect(tagAmis).not.toHaveBeenCalled()
    // Said once, under the headline.
    expect(renderedText(lastSummary()).match(/no AMI was built/gi)).toEqual(['no AMI was built'])
    expect(renderedText(lastSummary())).toContain('Failed\nTemplate packer-template.json · Packer 1.6.6\npacker build failed (exit code 1); no AMI was built.')
  })

  it('cancelled: the summary says cancelled and nothing is tagged', async () => {
    packerAnswers(packerRun(0), packerRun(1, { cancelled: true }))
    readBuiltAmis.mockReturnValue(built([]))

    await run()

    expect(failure()).toMatch(/^The build was cancelled before Packer made an AMI \(exit code \d+\)\. The post step checks that nothing Packer started is left/)
    expect(tagAmis).not.toHaveBeenCalled()
    expect(lastSummary()).toContain(':no_entry_sign: Cancelled')
  })

  it('cancelled once Packer had made the AMIs: they are in the outputs, and the failure says they exist', async () => {
    packerAnswers(packerRun(0), packerRun(0, { cancelled: true }))
    readBuiltAmis.mockReturnValue(built(web.slice(0, 1)))

    await run()

    expect(failure()).toBe('The build was cancelled after Packer made 1 AMI that is in the summary and in the outputs.')
    expect(outputs()['ami-id']).toBe(web[0].amiId)
    expect(tagAmis).not.toHaveBeenCalled()
  })

  it('cancelled during packer validate: the failure says so, not that a build was cancelled', async () => {
    packerAnswers(packerRun(1, { cancelled: true }))

    await run()

    expect(packerCommands()).toEqual(['validate'])
    expect(failure()).toBe('The run was cancelled during packer validate (exit code 1); nothing was built.')
  })

  it('packer validate killed by a signal: the failure says so, not that the template has problems', async () => {
    packerAnswers(packerRun(137, { killedBy: 'SIGKILL' }))

    await run()

    expect(packerCommands()).toEqual(['validate'])
    expect(failure()).toBe('packer validate was killed (SIGKILL) before it finished; nothing was built.')
  })

  it('invalid template: packer validate fails, nothing is built', async () => {
    packerAnswers(packerRun(1, { errors: ['Error: Unsupported argument'] }))

    await run()

    expect(packerCommands()).toEqual(['validate'])
    expect(failure()).toContain('packer validate found problems in packer-template.json')
    expect(tableRows(lastSummary(), ['', 'Where', 'Message'])).toEqual([[':x:', '—', 'Error: Unsupported argument']])
  })

  it('a packer validate that does not end: stopped at its deadline, nothing is built', async () => {
    packerAnswers({ ...packerRun(1), timedOut: true })

    await run()

    expect(packerCommands()).toEqual(['validate'])
    const [, , options] = runPacker.mock.calls[0] as unknown as [string, string[], { deadlineMs?: number }]
    expect(options.deadlineMs).toBe(5 * 60_000)
    expect(failure()).toBe(
      'packer validate did not finish within 5 min and was stopped; nothing was built. Packer 1.7.0 to 1.8.4 run an ' +
        "HCL2 template's data sources to validate it: one may be waiting on a service that does not answer."
    )
    expect(lastSummary()).toContain('packer validate did not finish within 5 min')
    expect(lastSummary()).not.toContain('found problems')
    expect(tagAmis).not.toHaveBeenCalled()
  })

  it('bad inputs: one annotation each, and no stage runs', async () => {
    inputs.set('command', 'deploy')
    inputs.set('force', 'yes')

    await run()

    expect(core.error.mock.calls.map(([message]) => message)).toEqual([
      'command: expected one of build, validate, found "deploy"',
      'force: expected true or false, found "yes"'
    ])
    expect(process.exitCode).toBe(1)
    expect(installPacker).not.toHaveBeenCalled()
    expect(runPacker).not.toHaveBeenCalled()
  })

  it('plugin warnings become warnings in the log', async () => {
    packerAnswers(packerRun(0), packerRun(0))
    preparePlugins.mockResolvedValueOnce({ warnings: ['Input plugins is ignored'] })

    await run()

    expect(core.warning).toHaveBeenCalledWith('Input plugins is ignored')
  })

  it("ten warnings in a run that succeeds: all ten shown, and the tenth says nothing of more in the log", async () => {
    packerAnswers(packerRun(0), packerRun(0))
    preparePlugins.mockResolvedValueOnce({ warnings: Array.from({ length: 10 }, (_, i) => `Plugin warning ${i + 1}`) })
    readBuiltAmis.mockReturnValue(built(web))
    tagAmis.mockResolvedValue([tagged('us-east-1'), tagged('eu-west-1')])

    await run()

    expect(failure()).toBe('')
    expect(core.warning.mock.calls.map(([message]) => String(message))).toEqual(Array.from({ length: 10 }, (_, i) => `Plugin warning ${i + 1}`))
  })

  it('eleven warnings: the tenth says that any more are in the log, where the eleventh is, as text', async () => {
    packerAnswers(packerRun(0), packerRun(0))
    preparePlugins.mockResolvedValueOnce({ warnings: Array.from({ length: 11 }, (_, i) => `Plugin warning ${i + 1}`) })
    readBuiltAmis.mockReturnValue(built(web))
    tagAmis.mockResolvedValue([tagged('us-east-1'), tagged('eu-west-1')])

    await run()

    const warnings = core.warning.mock.calls.map(([message]) => String(message))
    expect(warnings).toHaveLength(10)
    expect(warnings[9]).toBe(
      'Plugin warning 10\n\n(GitHub shows 10 warnings per step: any more warnings of this step are in the log only.)'
    )
    expect(core.info.mock.calls.map(([message]) => message)).toContain('Warning: Plugin warning 11')
  })
})
