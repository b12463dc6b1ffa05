// The bundled action in the contexts a runner other than a push to main on github.com gives it,
// with the real Packer and the loopback EC2 endpoint: GitHub Enterprise Server, a re-run, an
// event file the toolkit cannot read, nektos/act (no output, state or summary file, no
// RUNNER_TEMP or tool cache), a summary file that cannot be written, and a self-hosted runner
// whose jobs share one tool cache at the same moment.
import { describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loopbackEnvironment, parseCommands, projectRoot, pushToMain, runAction, runnerNode, type ActionRun } from './support/action-process.js'
import { demoRuns, loopbackSuite } from './support/loopback-suite.js'
import { renderedText } from './support/markdown.js'
import { describeWithPacker } from './support/runtimes.js'

const node = runnerNode()

describeWithPacker('the bundled action in the contexts runners give it', () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const { demoWith } = demoRuns(suite)
  const json = { template: 'packer-template.json' }

  /** The demo's JSON template in a workspace of its own, its AMIs named with `prefix`. */
  function demoNamed(prefix = 'packer-ami-action-demo'): string {
    const workspace = demoWith((text) => text, 'json')
    const variables = join(workspace, 'packer-vars.json')
    writeFileSync(variables, JSON.stringify({ ...JSON.parse(readFileSync(variables, 'utf8')), ami_name_prefix: prefix }))
    return workspace
  }

  /** The action on the demo's JSON template with the runner's variables `env` (undefined: unset). */
  function runWith(workspace: string, env: Record<string, string | undefined>): Promise<ActionRun> {
    return runAction({
      workspace,
      inputs: { 'packer-version': '1.6.6', ...json },
      env: { ...pushToMain, ...loopbackEnvironment(suite.endpoint.url, workspace), ...env }
    })
  }

  const tagsOf = (result: ActionRun) => suite.endpoint.tagsOf('us-east-1', result.outputs['ami-id'])

  it('GitHub Enterprise Server: the run URL and the summary link to the server the runner names', async () => {
    const result = await runWith(demoNamed(), { GITHUB_SERVER_URL: 'https://ghe.example.com', GITHUB_API_URL: 'https://ghe.example.com/api/v3' })
    expect(result.errors).toEqual([])
    expect(tagsOf(result)).toMatchObject({ BuildRunUrl: 'https://ghe.example.com/acme/images/actions/runs/4242/attempts/1' })
    expect(result.summary).toContain('(https://ghe.example.com/acme/images/commit/c0ffee0123456789abcdef0123456789abcdef01)')
    expect(result.summary).not.toContain('https://github.com')
  })

  it("a re-run: its AMIs link to the run's attempt", async () => {
    const result = await runWith(demoNamed(), { GITHUB_RUN_ATTEMPT: '2' })
    expect(result.exitCode).toBe(0)
    expect(tagsOf(result)).toMatchObject({ BuildRunUrl: 'https://github.com/acme/images/actions/runs/4242/attempts/2' })
  })

  describe('an event file (GITHUB_EVENT_PATH) that @actions/github cannot read', () => {
    const cases: Array<[what: string, text: string, said: string, env: Record<string, string | undefined>]> = [
      ['not JSON', '{"sender": {"login": "oct', 'is not JSON (', {}],
      // Read as the payload, null would fail the look-up of the sender when no GITHUB_ACTOR names who ran it.
      ['JSON null, and no GITHUB_ACTOR', 'null', 'holds no JSON object', { GITHUB_ACTOR: undefined }]
    ]
    for (const [what, text, said, env] of cases) {
      it(`${what}: a warning, and the build tagged with what the GITHUB_* variables say`, async () => {
        const workspace = demoNamed()
        const event = join(workspace, '.event.json')
        writeFileSync(event, text)
        const result = await runWith(workspace, { GITHUB_EVENT_PATH: event, ...env })
        expect(result.errors).toEqual([])
        expect(result.exitCode).toBe(0)
        expect(result.warnings).toHaveLength(1)
        expect(result.warnings[0].startsWith(`GITHUB_EVENT_PATH ${event} ${said}`)).toBe(true)
        expect(result.warnings[0]).toMatch(/: the provenance tags and the summary take the run's context from its GITHUB_\* variables alone\.$/)
        expect(tagsOf(result)).toMatchObject({
          SourceRepository: 'acme/images',
          SourceCommit: pushToMain.GITHUB_SHA,
          SourceRef: 'refs/heads/main',
          BuildEvent: 'push',
          BuildRunUrl: 'https://github.com/acme/images/actions/runs/4242/attempts/1'
        })
      })
    }
  })

  it('nektos/act, with no output, state or summary file, RUNNER_TEMP or tool cache: outputs as workflow commands', async () => {
    const result = await runWith(demoNamed(), {
      ACT: 'true',
      GITHUB_OUTPUT: undefined,
      GITHUB_STATE: undefined,
      GITHUB_STEP_SUMMARY: undefined,
      RUNNER_TEMP: undefined,
      RUNNER_TOOL_CACHE: undefined
    })
    expect(result.errors).toEqual([])
    expect(result.warnings).toEqual([])
    expect(result.exitCode).toBe(0)
    const outputs = Object.fromEntries(parseCommands(result.stdout, 'set-output').map(({ message, properties }) => [properties.name, message]))
    expect(outputs['ami-id']).toMatch(/^ami-/)
    expect(JSON.parse(outputs['ami-ids'])).toEqual({ 'eu-west-1': expect.any(String), 'us-east-1': outputs['ami-id'], 'us-west-2': expect.any(String) })
    expect(suite.endpoint.tagsOf('us-east-1', outputs['ami-id'])).toMatchObject({ SourceCommit: pushToMain.GITHUB_SHA })
  })

  it("nektos/act: its AMIs name no workflow run, as the run is on no server, and the summary links neither its commit nor its actor", async () => {
    // As act sets them: its own run ID and attempt (1 unless told otherwise), and the server it
    // was given (github.com unless --github-instance), where run 1 is another run, the repository's
    // first; its actor unless told otherwise, and a commit of the local clone, maybe never pushed.
    const act = { ACT: 'true', GITHUB_RUN_ID: '1', GITHUB_RUN_ATTEMPT: '1', GITHUB_ACTOR: 'nektos/act', GITHUB_EVENT_NAME: 'workflow_dispatch' }
    const result = await runWith(demoNamed('act-run'), act)
    expect(result.errors).toEqual([])
    expect(result.warnings).toEqual([])
    expect(result.exitCode).toBe(0)
    const tags = tagsOf(result)
    expect(tags).toMatchObject({ SourceRepository: 'acme/images', SourceCommit: pushToMain.GITHUB_SHA, BuildActor: 'nektos/act' })
    expect(tags).not.toHaveProperty('BuildRunUrl')
    expect(result.summary).not.toContain('/actions/runs/')
    expect(result.summary).not.toContain('/commit/')
    expect(result.summary).not.toContain('https://github.com/nektos/act')
    expect(renderedText(result.summary)).toContain('commit c0ffee0 · run by hand by nektos/act')
    // A later run that reuses them names them by their Packer run instead.
    const reused = await runWith(demoNamed('act-run'), { GITHUB_RUN_ID: '5151', INPUT_REUSE: 'true' })
    expect(reused.errors).toEqual([])
    expect(reused.outputs['ami-id']).toBe(result.outputs['ami-id'])
    expect(reused.summary).toContain(`reused, built by Packer run ${result.outputs['run-uuid']}.`)
  })

  it('a summary file that cannot be written: said once, though the job writes its summary more than once', async () => {
    const missing = join(tmpdir(), `no-such-folder-${process.pid}`, 'summary.md')
    const result = await runWith(demoNamed(), { GITHUB_STEP_SUMMARY: missing })
    expect(result.exitCode).toBe(0)
    expect(result.warnings).toEqual([
      `Could not write the job summary to GITHUB_STEP_SUMMARY (${missing}): it is not there: the runner makes a fresh one for each step ` +
        "(a container job needs the runner's folders mounted)."
    ])
  })

  it('two jobs at once on one self-hosted runner, sharing its tool cache: both build, and the remembered answer is whole', async () => {
    const toolCache = mkdtempSync(join(tmpdir(), 'shared-tool-cache-'))
    try {
      // Their own AMI names: the template names its AMIs to the second, and both start in one.
      const [first, second] = await Promise.all([
        runWith(demoNamed('first-job'), { RUNNER_TOOL_CACHE: toolCache }),
        runWith(demoNamed('second-job'), { RUNNER_TOOL_CACHE: toolCache })
      ])
      for (const result of [first, second]) {
        expect(result.errors).toEqual([])
        expect(result.exitCode).toBe(0)
      }
      expect(first.outputs['ami-id']).not.toBe(second.outputs['ami-id'])
      const remembered = JSON.parse(readFileSync(join(toolCache, 'packer-versions.json'), 'utf8')) as Array<{ version: string }>
      expect(remembered).toEqual([{ binary: expect.any(String), version: '1.6.6' }])
    } finally {
      rmSync(toolCache, { recursive: true, force: true })
    }
  })
})

describe("jobs that ask different Packers at once, sharing a self-hosted runner's tool cache", () => {
  it('each job reads the remembered answers whole, never a file another job is writing', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'shared-answers-'))
    try {
      const toolCache = join(folder, 'tool-cache')
      // Packers at paths of different lengths: their answers differ in length, as a job's on a
      // runner that has several Packers, so that writes in place could interleave.
      const packers = [1, 2, 3, 4, 5, 6].map((minor) => {
        const executable = join(folder, `packer-1.${minor}${'-x'.repeat(minor * 5)}`, 'packer')
        mkdirSync(join(executable, '..'))
        writeFileSync(executable, `#!/bin/sh\necho "1,,version,1.${minor}.0"\n`)
        chmodSync(executable, 0o755)
        return executable
      })
      // A job, as the bundle's install stage asks: every Packer in turn, each changed since
      // (its modification time), so that every answer is written again; after each, the file
      // read as the next job to start would read it.
      const job = join(folder, 'job.mjs')
      writeFileSync(
        job,
        `import { readFileSync, utimesSync } from 'node:fs'
const { packerVersionOf } = await import(${JSON.stringify(join(projectRoot, 'dist', 'stages', 'packer-on-path.js'))})
const packers = ${JSON.stringify(packers)}
const file = ${JSON.stringify(join(toolCache, 'packer-versions.json'))}
let unreadable = 0
for (let i = 0; i < 150; i++) {
  const executable = packers[i % packers.length]
  const changed = new Date(Date.UTC(2026, 0, 1) + process.pid * 1000 + i)
  utimesSync(executable, changed, changed)
  await packerVersionOf(executable)
  try { JSON.parse(readFileSync(file, 'utf8')) } catch { unreadable++ }
}
console.log(unreadable)
`
      )
      const runJob = () =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(node, [job], { env: { PATH: process.env.PATH, RUNNER_TOOL_CACHE: toolCache }, stdio: ['ignore', 'pipe', 'inherit'] })
          let out = ''
          child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
          child.on('error', reject)
          child.on('close', () => resolve(out.trim()))
        })
      const unreadable = await Promise.all([runJob(), runJob(), runJob()])
      expect(unreadable).toEqual(['0', '0', '0'])
      const remembered = JSON.parse(readFileSync(join(toolCache, 'packer-versions.json'), 'utf8')) as unknown[]
      expect(remembered.length).toBeGreaterThan(0)
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  }, 60_000)
})
