// The files the runner hands the step (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_STEP_SUMMARY) failing
// as they do on a self-hosted runner (a full disk: /dev/full answers every write with ENOSPC; a
// folder an earlier job removed; a path that is a folder; a file another user owns, the step run as
// nobody), through the bundled action with the real Packer and the loopback
// EC2 endpoint. Each failure is named with its variable and file, never Node's bare error or a
// stack trace; AMIs that exist are tagged and reach the log and the summary.
import { afterAll, describe, expect, it } from '@jest/globals'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loopbackEnvironment, parseOutputFile, projectRoot, pushToMain, runAction, runnerNode, runPostStep, type ActionRun } from './support/action-process.js'
import { loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker, packerVersion, until } from './support/runtimes.js'

describeWithPacker("the runner's own files failing, through the bundled action", () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const folders: string[] = []
  const folder = (): string => {
    const made = mkdtempSync(join(tmpdir(), 'runner-files-test-'))
    folders.push(made)
    return made
  }
  afterAll(() => {
    for (const made of folders) rmSync(made, { recursive: true, force: true })
  })

  /**
   * The demo's HCL2 build with `env` added to the step's; `onBuild` is called once the log shows
   * the build starting.
   */
  function demo(env: Record<string, string>, onBuild?: () => void): Promise<ActionRun> {
    const workspace = suite.workspaceFrom(join(projectRoot, 'demo', 'hcl2'))
    let called = false
    return runAction({
      workspace,
      inputs: { 'packer-version': packerVersion(), template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' },
      env: { ...pushToMain, ...loopbackEnvironment(suite.endpoint.url, workspace), ...env },
      onStdout: () => undefined,
      onStart: (_child, soFar) => {
        if (!onBuild) return
        const watch = setInterval(() => {
          if (called || !soFar().includes('::group::Build\n')) return
          called = true
          clearInterval(watch)
          onBuild()
        }, 5)
        _child.on('close', () => clearInterval(watch))
      }
    })
  }

  /** The action's own CreateTags calls (those with the provenance tags), by region. */
  const taggedByTheAction = (): string[] =>
    suite.calls.filter((call) => call.action === 'CreateTags' && Object.values(call.params).includes('SourceCommit')).map((call) => call.region).sort()

  it('GITHUB_OUTPUT on a full disk: one error naming the variable and its file, before anything is installed or sent to AWS', async () => {
    const result = await demo({ GITHUB_OUTPUT: '/dev/full' })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([
      "Could not write the step's outputs to GITHUB_OUTPUT (/dev/full): the runner's disk is full (ENOSPC): free space on it. " +
        'Nothing was built: the steps after this one would get none of its outputs.'
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(result.stderr).toBe('')
    expect(suite.calls).toEqual([])
  })

  it("GITHUB_OUTPUT's folder gone: the error names the variable and the file, not Node's bare words", async () => {
    const missing = join(folder(), 'gone', 'output')
    const result = await demo({ GITHUB_OUTPUT: missing })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([
      `Could not write the step's outputs to GITHUB_OUTPUT (${missing}): it is not there: the runner makes a fresh one for each step ` +
        "(a container job needs the runner's folders mounted). Nothing was built: the steps after this one would get none of its outputs."
    ])
    expect(suite.calls).toEqual([])
  })

  it('GITHUB_OUTPUT filling up once the build has started: the AMIs are tagged, their IDs in the log and the summary, and the step fails naming the file', async () => {
    const runner = folder()
    const written = join(runner, 'output-written')
    writeFileSync(written, '')
    const output = join(runner, 'output')
    symlinkSync(written, output)
    const result = await demo({ GITHUB_OUTPUT: output }, () => {
      rmSync(output)
      symlinkSync('/dev/full', output)
    })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([
      `Could not write the step's outputs to GITHUB_OUTPUT (${output}): the runner's disk is full (ENOSPC): free space on it. ` +
        'Later steps and jobs get none of this step\'s outputs; the log holds their values ("Output …, not written").'
    ])
    expect(result.stderr).toBe('')
    // Written before the disk filled up: the first outputs, no AMI.
    expect(parseOutputFile(readFileSync(written, 'utf8'))['ami-ids']).toBe('{}')
    const amiIds = JSON.parse(/^Output ami-ids, not written: (.*)$/m.exec(result.stdout)?.[1] ?? '{}') as Record<string, string>
    expect(Object.keys(amiIds).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    for (const [region, amiId] of Object.entries(amiIds)) {
      expect(suite.endpoint.images(region).map((image) => image.imageId)).toContain(amiId)
      expect(result.summary).toContain(amiId)
    }
    expect(taggedByTheAction()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    expect(result.summary).toContain(`Could not write the step's outputs to GITHUB_OUTPUT (${output})`)
  })

  it('GITHUB_OUTPUT a folder: one error saying it is a folder, not a file, before anything is installed or sent to AWS', async () => {
    const output = folder()
    const result = await demo({ GITHUB_OUTPUT: output })
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toBe('')
    expect(result.errors.map(({ message }) => message)).toEqual([
      `Could not write the step's outputs to GITHUB_OUTPUT (${output}): it is a folder, not a file: the runner makes a fresh one for each step ` +
        "(a container job needs the runner's folders mounted). Nothing was built: the steps after this one would get none of its outputs."
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  const crashOnSigusr2 = 'data:text/javascript,process.on("SIGUSR2",()=>{throw new Error("injected crash")})'
  it.each([
    { how: 'a cancel', signal: 'SIGINT' as const, cause: 'The run was cancelled (SIGINT)', nodeArgs: [] as string[] },
    { how: 'a crash', signal: 'SIGUSR2' as const, cause: 'The action crashed (Error: injected crash)', nodeArgs: ['--import', crashOnSigusr2] }
  ])('GITHUB_OUTPUT filled up, then $how while tagging: the failure says the IDs are only in the log, then a warning names the file, in the summary too', async ({ signal, cause, nodeArgs }) => {
    const runner = folder()
    const written = join(runner, 'output-written')
    writeFileSync(written, '')
    const output = join(runner, 'output')
    symlinkSync(written, output)
    suite.endpoint.faults.hang('CreateTags', { userAgent: 'aws-sdk-js' })
    const workspace = suite.workspaceFrom(join(projectRoot, 'demo', 'hcl2'))
    const result = await runAction({
      workspace,
      inputs: { 'packer-version': packerVersion(), template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' },
      env: { ...pushToMain, ...loopbackEnvironment(suite.endpoint.url, workspace), GITHUB_OUTPUT: output },
      onStdout: () => undefined,
      nodeArgs,
      onStart: (child, soFar) => {
        void until(() => soFar().includes('::group::Build\n'), 'the build to start').then(() => {
          rmSync(output)
          symlinkSync('/dev/full', output)
        })
        const unanswered = (): boolean => suite.calls.some((call) => call.action === 'CreateTags' && call.error === 'NoAnswer')
        void until(unanswered, 'the action to tag').then(() => child.kill(signal))
      }
    }).finally(() => suite.endpoint.faults.clear())
    const notWritten =
      `Could not write the step's outputs to GITHUB_OUTPUT (${output}): the runner's disk is full (ENOSPC): free space on it. ` +
      'Later steps and jobs get none of this step\'s outputs; the log holds their values ("Output …, not written").'
    expect(result.exitCode).toBe(1)
    // An injected crash's own stack is logged; the file's failure is not, as Node's bare error.
    expect(result.stderr).not.toContain('ENOSPC')
    // The failure says where the AMI IDs are: not in the outputs the runner's file refused.
    expect(result.errors.map(({ message }) => message)).toEqual([
      `${cause} after the build, while tagging: the 3 AMIs are built and in the log, not in the outputs, which could not be written, ` +
        "and none has the run's tags (the summary's Tags column shows each AMI's tags)."
    ])
    expect(result.warnings).toEqual([notWritten])
    expect(result.summary).toContain(notWritten)
    const amiIds = JSON.parse(/^Output ami-ids, not written: (.*)$/m.exec(result.stdout)?.[1] ?? '{}') as Record<string, string>
    expect(Object.keys(amiIds).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    for (const amiId of Object.values(amiIds)) expect(result.summary).toContain(amiId)
  })

  it("GITHUB_STATE on a full disk: no crash; the build goes on, its outputs set, with a warning of what the post step then cannot do", async () => {
    const result = await demo({ GITHUB_STATE: '/dev/full' })
    expect(result.exitCode).toBe(0)
    expect(result.stderr).toBe('')
    expect(result.errors).toEqual([])
    expect(result.warnings).toEqual([
      "Could not write the step's state for its post step to GITHUB_STATE (/dev/full): the runner's disk is full (ENOSPC): free space on it. " +
        'The build goes on, but if this step is killed or cut short, the post step cannot clean up what Packer left in the account ' +
        '(instances, AMIs, security groups, key pairs), and it saves no plugin cache.'
    ])
    const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
    expect(Object.keys(amiIds).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    for (const amiId of Object.values(amiIds)) expect(result.summary).toContain(amiId)
    expect(taggedByTheAction()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
  })

  it('GITHUB_STEP_SUMMARY on a full disk: the outputs are set, and one warning names the variable and its file', async () => {
    const result = await demo({ GITHUB_STEP_SUMMARY: '/dev/full' })
    expect(result.exitCode).toBe(0)
    expect(result.warnings).toEqual([
      "Could not write the job summary to GITHUB_STEP_SUMMARY (/dev/full): the runner's disk is full (ENOSPC): free space on it."
    ])
    expect(Object.keys(JSON.parse(result.outputs['ami-ids']) as object).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
  })

  it('GITHUB_STEP_SUMMARY under a file, or a folder: the outputs are set, and one warning says which, naming the variable and its file', async () => {
    const runner = folder()
    const file = join(runner, 'a-file')
    writeFileSync(file, '')
    for (const [summary, found] of [
      [join(file, 'summary'), 'it is not there'],
      [runner, 'it is a folder, not a file']
    ]) {
      const result = await demo({ GITHUB_STEP_SUMMARY: summary })
      expect(result.exitCode).toBe(0)
      expect(result.stderr).toBe('')
      expect(result.warnings).toEqual([
        `Could not write the job summary to GITHUB_STEP_SUMMARY (${summary}): ${found}: the runner makes a fresh one for each step ` +
          "(a container job needs the runner's folders mounted)."
      ])
      expect(Object.keys(JSON.parse(result.outputs['ami-ids']) as object).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    }
  })

  it("errors AWS sent back that are longer than GitHub's 1 MiB for a summary: each is cut short there, whole in the log, and the summary keeps the AMIs", async () => {
    const long = `You are not authorized to perform this operation. ${'x'.repeat(400_000)}`
    suite.endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation', message: long, userAgent: 'aws-sdk-js' })
    const result = await demo({}).finally(() => suite.endpoint.faults.clear())
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toBe('')
    // GitHub drops a step's summary over 1 MiB whole, with its AMIs.
    expect(Buffer.byteLength(result.summary)).toBeLessThan(64 * 1024)
    for (const amiId of Object.values(JSON.parse(result.outputs['ami-ids']) as Record<string, string>)) expect(result.summary).toContain(amiId)
    const tagging = result.errors.map(({ message }) => message).filter((message) => message.startsWith('Tagging in '))
    expect(tagging).toHaveLength(3)
    for (const message of tagging) {
      expect(message).toContain(long)
      const [shown] = message.split(' You are not authorized')
      expect(result.summary).toContain(`${shown} You are not authorized to perform this operation. … (the rest is in the log)`)
    }
  })

  it('TMPDIR a file, or not there: refused with the inputs, naming it, before Packer is installed or run', async () => {
    const runner = folder()
    const file = join(runner, 'a-file')
    writeFileSync(file, '')
    for (const [tmpdir, found] of [
      [file, 'it is a file, not a folder'],
      [join(runner, 'gone'), 'it is not there']
    ]) {
      const result = await demo({ TMPDIR: tmpdir })
      expect(result.exitCode).toBe(1)
      expect(result.errors.map(({ message }) => message)).toEqual([
        `TMPDIR (${tmpdir}) must be a folder the step can write, where Packer keeps its log: ${found}. ` +
          "Packer fails at once without it. Point TMPDIR at such a folder (the runner's own is RUNNER_TEMP), or leave it unset."
      ])
      expect(result.stdout).not.toContain('::group::')
      expect(result.stderr).toBe('')
    }
    expect(suite.calls).toEqual([])
  })
})

/**
 * Whether this machine can run the bundle as another user than the tests' (nobody, through
 * util-linux's setpriv): the tests run as root, which writes any file whatever its owner and
 * mode, and a runner file another user owns is refused only to a user who is not root.
 */
function runsAsNobody(): boolean {
  if (process.getuid?.() !== 0) return false
  const probe = spawnSync('setpriv', [...asNobody, runnerNode(), '-e', `require('node:fs').accessSync(${JSON.stringify(join(projectRoot, 'dist', 'index.js'))})`])
  return probe.status === 0
}
const asNobody = ['--reuid=nobody', '--regid=nogroup', '--clear-groups']

const nobodyRuns = runsAsNobody()
const describeAsNobody = nobodyRuns ? describeWithPacker : describe.skip
if (!nobodyRuns) console.log("Skipping the runner's files owned by another user: the tests do not run as root with setpriv, or nobody cannot read the bundle.")

describeAsNobody("the runner's files owned by another user (a container job run as a user of its own), the step run as nobody", () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const folders: string[] = []
  afterAll(() => {
    for (const made of folders) rmSync(made, { recursive: true, force: true })
  })

  /**
   * The demo's HCL2 build run by nobody, in a folder of its own with the runner's files, but the
   * one `variable` names owned by root with mode 0644; then the post step with what it saved.
   */
  async function withRootOwned(variable: string): Promise<{ main: ActionRun; post: ActionRun; files: Record<string, string> }> {
    // Not under the tests' own temporary folder, which only root may enter.
    const root = mkdtempSync('/tmp/runner-files-nobody-')
    folders.push(root)
    const workspace = join(root, 'workspace')
    cpSync(join(projectRoot, 'demo', 'hcl2'), workspace, { recursive: true })
    const runner = join(root, 'runner')
    mkdirSync(runner)
    for (const folder of ['temp', 'tool-cache', 'tmp']) mkdirSync(join(root, folder))
    const files: Record<string, string> = {
      GITHUB_OUTPUT: join(runner, 'output'),
      GITHUB_STATE: join(runner, 'state'),
      GITHUB_STEP_SUMMARY: join(runner, 'summary')
    }
    for (const file of Object.values(files)) writeFileSync(file, '')
    execFileSync('chown', ['-R', 'nobody:nogroup', root])
    chownSync(files[variable], 0, 0)
    chmodSync(files[variable], 0o644)
    const env = {
      ...pushToMain,
      ...loopbackEnvironment(suite.endpoint.url, workspace),
      ...files,
      // The root's own folders on PATH are not nobody's to read.
      PATH: '/usr/local/bin:/usr/bin:/bin',
      TMPDIR: join(root, 'tmp'),
      RUNNER_TEMP: join(root, 'temp'),
      RUNNER_TOOL_CACHE: join(root, 'tool-cache')
    }
    const options = { workspace, node: 'setpriv', nodeArgs: [...asNobody, runnerNode()], env }
    const main = await runAction({ ...options, inputs: { 'packer-version': packerVersion(), template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' } })
    const post = await runPostStep({ state: parseOutputFile(readFileSync(files.GITHUB_STATE, 'utf8')) }, { ...options, inputs: {} })
    return { main, post, files }
  }

  const mayNotWrite = "the runner's user may not write it (EACCES): give that user the file and its folder back, or let the runner make a fresh one."

  it('GITHUB_OUTPUT: one error naming the variable, its file and EACCES, before anything is installed or sent to AWS; the post step has nothing to do', async () => {
    const { main, post, files } = await withRootOwned('GITHUB_OUTPUT')
    expect(main.exitCode).toBe(1)
    expect(main.stderr).toBe('')
    expect(main.errors.map(({ message }) => message)).toEqual([
      `Could not write the step's outputs to GITHUB_OUTPUT (${files.GITHUB_OUTPUT}): ${mayNotWrite} ` +
        'Nothing was built: the steps after this one would get none of its outputs.'
    ])
    expect(suite.calls).toEqual([])
    expect(post.exitCode).toBe(0)
    expect(post.warnings).toEqual([])
  })

  it('GITHUB_STATE: the build goes on, its outputs and summary written, with a warning of what the post step then cannot do; the post step ends well', async () => {
    const { main, post, files } = await withRootOwned('GITHUB_STATE')
    expect(main.exitCode).toBe(0)
    expect(main.stderr).toBe('')
    expect(main.warnings).toEqual([
      `Could not write the step's state for its post step to GITHUB_STATE (${files.GITHUB_STATE}): ${mayNotWrite} ` +
        'The build goes on, but if this step is killed or cut short, the post step cannot clean up what Packer left in the account ' +
        '(instances, AMIs, security groups, key pairs), and it saves no plugin cache.'
    ])
    const amiIds = JSON.parse(parseOutputFile(readFileSync(files.GITHUB_OUTPUT, 'utf8'))['ami-ids']) as Record<string, string>
    expect(Object.keys(amiIds).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    for (const amiId of Object.values(amiIds)) expect(readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8')).toContain(amiId)
    expect(post.exitCode).toBe(0)
    expect(post.stderr).toBe('')
    expect(post.warnings).toEqual([])
  })

  it('GITHUB_STEP_SUMMARY: the outputs are set, and one warning says the runner\'s user may not write it (EACCES), not that it may not be there', async () => {
    const { main, files } = await withRootOwned('GITHUB_STEP_SUMMARY')
    expect(main.exitCode).toBe(0)
    expect(main.stderr).toBe('')
    expect(main.warnings).toEqual([`Could not write the job summary to GITHUB_STEP_SUMMARY (${files.GITHUB_STEP_SUMMARY}): ${mayNotWrite}`])
    const amiIds = JSON.parse(parseOutputFile(readFileSync(files.GITHUB_OUTPUT, 'utf8'))['ami-ids']) as Record<string, string>
    expect(Object.keys(amiIds).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
  })
})
