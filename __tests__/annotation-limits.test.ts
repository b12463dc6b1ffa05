// More problems than GitHub shows: the runner keeps a step's first ten annotations of each kind
// and only logs the rest (actions/runner, src/Runner.Worker/ExecutionContext.cs: AddIssue,
// _maxCountPerIssueType). Each case runs the bundled action as the runner does, and reads its
// stdout as the runner would: every problem must be in an annotation the runner keeps (its own,
// or one that names it by file and line), the step's own failure message too, and the log must
// hold each problem in full.
import { afterAll, beforeAll, expect, it } from '@jest/globals'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SELF_ACCOUNT_ID, SOURCE_AMI_ID, SOURCE_AMI_NAME, SOURCE_SNAPSHOT_ID, startEc2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { parseCommands, projectRoot, pushToMain, runAction, type ActionRun } from './support/action-process.js'
import { demoWorkspace } from './support/demo.js'
import { describeWithPacker, packerVersion } from './support/runtimes.js'
import { commandsTheRunnerRuns } from './support/workflow-commands.js'

type Kind = 'error' | 'warning'

/** The annotations of a kind the runner keeps: the step's first ten. */
function kept(result: ActionRun, kind: Kind): Array<{ message: string; properties: Record<string, string> }> {
  return parseCommands(result.stdout, kind).slice(0, 10)
}

/** Whether a kept annotation is `message` at `file`:`line`, or names it there. */
function shown(result: ActionRun, kind: Kind, said: string, place?: { file: string; line: number }): boolean {
  return kept(result, kind).some(({ message, properties }) => {
    if (message.includes(said) && (place === undefined || (properties.file === place.file && properties.line === String(place.line)))) {
      return true
    }
    const at = place ? `${place.file}:${place.line}: ` : ''
    return message.split('\n').some((line) => line.startsWith(`- ${at}`) && line.includes(said))
  })
}

/** The log as it reads once the runner has taken the workflow commands out of it. */
function logText(result: ActionRun): string {
  return result.stdout
    .split('\n')
    .filter((line) => !line.startsWith('::'))
    .join('\n')
}

const environment = (workspace: string): Record<string, string> => ({
  ...pushToMain,
  HOME: join(workspace, '.home'),
  CHECKPOINT_DISABLE: '1',
  AWS_ACCESS_KEY_ID: 'AKIDLOOPBACK',
  AWS_SECRET_ACCESS_KEY: 'loopback-secret',
  AWS_REGION: 'us-east-1'
})

describeWithPacker('more problems than the runner shows as annotations', () => {
  let scratch: string
  const runs = new Map<string, ActionRun>()

  const twelveBadInputs = {
    'working-directory': 'json',
    command: 'deploy',
    'on-error': 'ask',
    'packer-version': 'banana',
    'packer-releases-url': 'ftp://mirror.example.com',
    cache: 'yes',
    force: '1',
    tags: 'Team',
    'provenance-tags': 'on',
    'tag-snapshots': 'no',
    'tagging-timeout': '0',
    'aws-region': 'Frankfurt',
    summary: 'off'
  }

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'annotation-limits-'))
    const workspace = (name: string): string => {
      const path = join(scratch, name)
      cpSync(join(projectRoot, 'demo'), path, { recursive: true })
      return path
    }
    // An HCL2 source block with fifteen settings the builder does not have (lines 7 to 21).
    const hcl = workspace('hcl-errors')
    mkdirSync(join(hcl, 'images'))
    const unknown = Array.from({ length: 15 }, (_, i) => `  unknown_${i} = "x"\n`).join('')
    writeFileSync(
      join(hcl, 'images/ami.pkr.hcl'),
      'source "amazon-ebs" "web" {\n  region        = "us-east-1"\n  source_ami    = "ami-0123456789abcdef0"\n' +
        '  instance_type = "t3.micro"\n  ssh_username  = "ubuntu"\n  ami_name      = "web-image"\n' +
        `${unknown}}\n\nbuild {\n  sources = ["source.amazon-ebs.web"]\n}\n`
    )
    // A variables file shared by templates: fourteen values this one does not declare.
    const shared = workspace('shared-vars')
    writeFileSync(join(shared, 'hcl2/shared.pkrvars.hcl'), Array.from({ length: 14 }, (_, i) => `extra_${i} = "x"\n`).join(''))
    const inputs = workspace('inputs')
    const [badInputs, hclErrors, sharedVars] = await Promise.all([
      runAction({ workspace: inputs, inputs: twelveBadInputs, env: environment(inputs) }),
      runAction({
        workspace: hcl,
        inputs: { 'working-directory': 'images', template: 'ami.pkr.hcl', command: 'validate', 'packer-version': packerVersion() },
        env: environment(hcl)
      }),
      runAction({
        workspace: shared,
        inputs: {
          'working-directory': 'hcl2',
          template: 'ami.pkr.hcl',
          'var-file': 'loopback.pkrvars.hcl\nshared.pkrvars.hcl',
          command: 'validate',
          'packer-version': packerVersion()
        },
        env: environment(shared)
      })
    ])
    runs.set('inputs', badInputs).set('hcl', hclErrors).set('shared', sharedVars)
  }, 120_000)

  afterAll(() => rmSync(scratch, { recursive: true, force: true }))

  it('twelve bad inputs: each in an annotation the runner keeps, and in full in the log', () => {
    const result = runs.get('inputs') as ActionRun
    expect(result.exitCode).toBe(1)
    const said = [
      'command: expected one of build, validate, found "deploy"',
      'on-error: expected one of cleanup',
      'packer-version: expected latest',
      'packer-releases-url: expected an http(s) URL',
      'cache: expected true or false, found "yes"',
      'force: expected true or false, found "1"',
      'tags: expected Key=Value, found "Team"',
      'provenance-tags: expected true or false, found "on"',
      'tag-snapshots: expected true or false, found "no"',
      'tagging-timeout: expected whole seconds from 1 to 120, found "0"',
      'aws-region: expected an AWS region such as us-east-1, found "Frankfurt"',
      'summary: expected true or false, found "off"'
    ]
    for (const problem of said) {
      expect([problem, shown(result, 'error', problem)]).toEqual([problem, true])
    }
    // Those no annotation of their own holds are in the log, as lines of their own.
    expect(logText(result)).toContain('aws-region: expected an AWS region such as us-east-1, found "Frankfurt"\n')
    expect(logText(result)).toContain('summary: expected true or false, found "off"')
    const last = kept(result, 'error').at(-1)
    expect(last?.message).toMatch(/^3 more errors, not shown as annotations \(GitHub shows 10 of each kind per step\); the log has each one/)
  })

  it("errors past the runner's ten, written in full in the log, are text there, never workflow commands", async () => {
    // Packer quotes each unknown key in its error; the last two in the file are past the ten.
    const workspace = join(scratch, 'keys-as-commands')
    mkdirSync(workspace)
    const builder: Record<string, string> = { type: 'amazon-ebs' }
    for (let i = 0; i < 12; i++) builder[`unknown_${i}`] = 'x'
    builder['##[warning]pwned'] = 'x'
    builder['x\n::warning::pwned'] = 'x'
    writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify({ builders: [builder] }, null, 2))
    const result = await runAction({ workspace, inputs: { command: 'validate', 'packer-version': packerVersion() }, env: environment(workspace) })
    expect(result.exitCode).toBe(1)
    expect(result.stdout).toContain(`unknown configuration key: '"##[warning]pwned"'`)
    expect(result.stdout).toContain('::warning::pwned')
    expect(commandsTheRunnerRuns(result.stdout).filter((command) => command.line.includes('pwned') && !command.line.startsWith('::error '))).toEqual([])
  }, 60_000)

  it('fifteen HCL2 errors: each on its line in a kept annotation, in file order, and the step says it failed', () => {
    const result = runs.get('hcl') as ActionRun
    expect(result.exitCode).toBe(1)
    for (let i = 0; i < 15; i++) {
      const problem = `An argument named "unknown_${i}" is not expected here.`
      const place = { file: 'images/ami.pkr.hcl', line: 7 + i }
      expect([problem, shown(result, 'error', problem, place)]).toEqual([problem, true])
      expect(logText(result)).toContain(problem)
    }
    // The first lines of the file have annotations of their own.
    expect(kept(result, 'error').slice(0, 3).map(({ properties }) => properties.line)).toEqual(['7', '8', '9'])
    expect(shown(result, 'error', 'packer validate found problems in images/ami.pkr.hcl (see the errors above); nothing was built.')).toBe(true)
  })

  it('fourteen undeclared variables in a shared file: each kept, with room left for the warnings that come later', () => {
    const result = runs.get('shared') as ActionRun
    expect(result.exitCode).toBe(0)
    for (let i = 0; i < 14; i++) {
      const problem = `A "extra_${i}" variable was set but was not found in known variables.`
      expect([problem, shown(result, 'warning', problem, { file: 'hcl2/shared.pkrvars.hcl', line: i + 1 })]).toEqual([problem, true])
    }
    expect(parseCommands(result.stdout, 'warning').length).toBeLessThan(10)
  })
})

describeWithPacker("more of the job's own errors than the runner shows: the step's failure is still shown", () => {
  const family = 'acme/images/json/packer-template.json/amazon-ebs'
  const failure = /^keep-images failed after the build \(see the errors above\); the AMIs are built, tagged and in the outputs\.$/
  const inTheLogOnly = /\(GitHub shows 10 errors per step: any more errors of this step are in the log only\.\)$/

  /**
   * A pipeline that has built for a while turns keep-images on with a role that lacks
   * ec2:DeregisterImage: each of its `count` old AMIs is an error of its own, newest first.
   */
  async function oldAmisNotDeregistered(count: number): Promise<{ result: ActionRun; old: string[] }> {
    const old = Array.from({ length: count }, (_, i) => `ami-0000000000000a0${(i + 16).toString(16)}`)
    const endpoint = await startEc2Endpoint({
      regions: ['us-east-1', 'eu-west-1', 'us-west-2'],
      seedImages: [
        { imageId: SOURCE_AMI_ID, name: SOURCE_AMI_NAME, snapshotId: SOURCE_SNAPSHOT_ID },
        ...old.map((imageId, i) => ({
          imageId,
          snapshotId: imageId.replace('ami-', 'snap-'),
          name: `web-${imageId}`,
          ownerId: SELF_ACCOUNT_ID,
          regions: ['us-east-1'],
          creationDate: `2025-${String(i + 1).padStart(2, '0')}-01T00:00:00.000Z`,
          tags: { ImageFamily: family }
        }))
      ]
    })
    endpoint.faults.fail('DeregisterImage', { code: 'UnauthorizedOperation' })
    const workspace = demoWorkspace('annotation-limits-retention-')
    try {
      const result = await runAction({
        workspace,
        inputs: { 'packer-version': packerVersion(), 'working-directory': 'json', 'keep-images': '1' },
        env: { ...environment(workspace), AWS_POLL_DELAY_SECONDS: '0', AWS_ENDPOINT_URL_EC2: endpoint.url }
      })
      return { result, old }
    } finally {
      await endpoint.close()
      rmSync(workspace, { recursive: true, force: true })
    }
  }

  it('twelve old AMIs that retention may not deregister: eight errors, a ninth that says the rest are in the log, then the failure', async () => {
    const { result, old } = await oldAmisNotDeregistered(12)
    expect(result.exitCode).toBe(1)
    expect(kept(result, 'error').map(({ message }) => message)).toContainEqual(expect.stringMatching(failure))
    const errors = parseCommands(result.stdout, 'error').map(({ message }) => message)
    expect(errors).toHaveLength(10)
    // Newest first: the first eight the runner keeps are errors of their own.
    for (const [index, amiId] of [...old].reverse().slice(0, 9).entries()) {
      expect(errors[index]).toMatch(new RegExp(`^us-east-1: Deregistering ${amiId} failed: `))
    }
    expect(errors[8]).toMatch(inTheLogOnly)
    expect(errors[9]).toMatch(failure)
    // The three the runner would drop are in the log, each in full.
    for (const amiId of old.slice(0, 3)) {
      expect(logText(result)).toMatch(new RegExp(`^Error \\(Retention\\): us-east-1: Deregistering ${amiId} failed: `, 'm'))
    }
  }, 120_000)

  it('nine old AMIs: nine errors and the failure, all shown, and none says more are in the log', async () => {
    const { result, old } = await oldAmisNotDeregistered(9)
    expect(result.exitCode).toBe(1)
    const errors = parseCommands(result.stdout, 'error').map(({ message }) => message)
    expect(errors).toHaveLength(10)
    for (const [index, amiId] of [...old].reverse().entries()) {
      expect(errors[index]).toMatch(new RegExp(`^us-east-1: Deregistering ${amiId} failed: `))
    }
    expect(errors.filter((message) => inTheLogOnly.test(message))).toEqual([])
    expect(errors[9]).toMatch(failure)
    expect(logText(result)).not.toMatch(/^Error \(Retention\)/m)
  }, 120_000)

  it('ten old AMIs: the ninth says the tenth is in the log, which has it as text, then the failure', async () => {
    const { result, old } = await oldAmisNotDeregistered(10)
    expect(result.exitCode).toBe(1)
    const errors = parseCommands(result.stdout, 'error').map(({ message }) => message)
    expect(errors).toHaveLength(10)
    expect(errors[8]).toMatch(new RegExp(`^us-east-1: Deregistering ${old[1]} failed: `))
    expect(errors[8]).toMatch(inTheLogOnly)
    expect(errors[9]).toMatch(failure)
    expect(logText(result)).toMatch(new RegExp(`^Error \\(Retention\\): us-east-1: Deregistering ${old[0]} failed: `, 'm'))
  }, 120_000)
})
