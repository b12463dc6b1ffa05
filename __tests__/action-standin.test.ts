// The bundled action run as a process the way the runner runs it, with a Packer stand-in on
// PATH that answers like Packer 1.6.6 and writes a real manifest. No AWS call is made here:
// these runs have no tags to add (tagging is covered against the loopback EC2 endpoint).
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { projectRoot, runAction, type ActionRun } from './support/action-process.js'

const standinDir = join(projectRoot, '__tests__', 'fixtures', 'packer-standin')
const template = {
  builders: [
    { type: 'amazon-ebs', name: 'web' },
    { type: 'amazon-ebs', name: 'failing' }
  ],
  'post-processors': [{ type: 'manifest' }]
}
const threeRegions = [
  { build: 'web', regions: { 'us-east-1': 'ami-0aaa1', 'us-west-2': 'ami-0bbb2', 'eu-west-1': 'ami-0ccc3' } }
]

let workspace: string
let argsLog: string
beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'workspace-'))
  argsLog = join(workspace, '.packer-args')
  writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify(template, null, 2))
  writeFileSync(join(workspace, 'packer-vars.json'), '{"aws_region": "us-east-1"}')
})
afterEach(() => rmSync(workspace, { recursive: true, force: true }))

function packerCalls(): string[][] {
  if (!existsSync(argsLog)) return []
  return readFileSync(argsLog, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as string[])
}

function run(inputs: Record<string, string> = {}, env: Record<string, string> = {}): Promise<ActionRun> {
  return runAction({
    workspace,
    inputs: { 'packer-version': '1.6.6', 'provenance-tags': 'false', ...inputs },
    env: {
      PATH: `${standinDir}:${process.env.PATH}`,
      STANDIN_ARGS_LOG: argsLog,
      AWS_REGION: 'us-east-1',
      ...env
    }
  })
}

describe('a build', () => {
  it('sets the outputs for the latest run only, every region', async () => {
    writeFileSync(
      join(workspace, 'packer-manifest.json'),
      JSON.stringify({
        builds: [
          { name: 'web', builder_type: 'amazon-ebs', artifact_id: 'us-east-1:ami-0old', packer_run_uuid: 'older-run' }
        ],
        last_run_uuid: 'older-run'
      })
    )
    const result = await run({}, { STANDIN_AMIS: JSON.stringify(threeRegions) })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.outputs['ami-id']).toBe('ami-0aaa1')
    expect(JSON.parse(result.outputs['ami-ids'])).toEqual({
      'us-east-1': 'ami-0aaa1',
      'us-west-2': 'ami-0bbb2',
      'eu-west-1': 'ami-0ccc3'
    })
    expect(JSON.parse(result.outputs.artifacts)).toHaveLength(3)
    expect(result.outputs.artifacts).not.toContain('ami-0old')
    expect(result.outputs['packer-version']).toBe('1.6.6')
    expect(result.outputs['run-uuid']).toMatch(/^run-/)
    expect(result.outputs.manifest).toBe(join(workspace, 'packer-manifest.json'))
    expect(result.summary).toContain('[`ami-0bbb2`](https://us-west-2.console.aws.amazon.com/ec2/home?region=us-west-2#ImageDetails:imageId=ami-0bbb2)')
  })

  it('runs validate, then build, with argument arrays and the default var file', async () => {
    await run({ variables: 'ami_name=web {{timestamp}}', only: 'web' }, { STANDIN_AMIS: JSON.stringify(threeRegions) })
    expect(packerCalls()).toEqual([
      ['version', '-machine-readable'],
      ['validate', '-machine-readable', '-var-file=packer-vars.json', '-var', 'ami_name=web {{timestamp}}', '-only=web', 'packer-template.json'],
      [
        'build',
        '-machine-readable',
        '-on-error=cleanup',
        '-var-file=packer-vars.json',
        '-var',
        'ami_name=web {{timestamp}}',
        '-only=web',
        'packer-template.json'
      ]
    ])
  })

  it('falls back to the artifacts Packer announced when no manifest was written', async () => {
    const result = await run({}, { STANDIN_AMIS: JSON.stringify(threeRegions), STANDIN_NO_MANIFEST: '1' })
    expect(result.exitCode).toBe(0)
    expect(JSON.parse(result.outputs['ami-ids'])).toEqual({
      'eu-west-1': 'ami-0ccc3',
      'us-east-1': 'ami-0aaa1',
      'us-west-2': 'ami-0bbb2'
    })
    expect(result.stdout).toContain("reading the AMIs from Packer's output")
  })

  it('keeps the AMIs of a build that succeeded when another build failed', async () => {
    const result = await run({}, { STANDIN_AMIS: JSON.stringify(threeRegions), STANDIN_FAIL: 'build' })
    expect(result.exitCode).toBe(1)
    expect(result.outputs['ami-id']).toBe('ami-0aaa1')
    expect(result.errors.map((e) => e.message)).toEqual([
      "Build 'failing' errored after 1 second: UnauthorizedOperation: You are not authorized",
      'packer build failed (exit code 1), after building 3 AMI(s) that are in the outputs.'
    ])
    expect(result.summary).toContain('Failed')
    expect(result.summary).toContain('ami-0ccc3')
  })

  it('fails with a reason when a successful build made no AMI', async () => {
    const result = await run({}, { STANDIN_AMIS: '[]' })
    expect(result.exitCode).toBe(1)
    expect(result.errors.at(-1)?.message).toMatch(/^Packer succeeded, but no AMI was found: .* Does the template have an AMI builder/)
  })
})

describe('validate', () => {
  it('command: validate runs no build', async () => {
    const result = await run({ command: 'validate' })
    expect(result.exitCode).toBe(0)
    expect(packerCalls().map((args) => args[0])).toEqual(['version', 'validate'])
    expect(result.outputs['ami-id']).toBeUndefined()
    expect(result.summary).toContain('Template is valid')
  })

  it('a template error is an annotation on its file and line, and nothing is built', async () => {
    const result = await run({}, { STANDIN_FAIL: 'validate' })
    expect(result.exitCode).toBe(1)
    expect(result.errors[0].properties).toMatchObject({ file: 'ami.pkr.hcl', line: '3', title: 'Packer' })
    expect(result.errors[0].message).toContain('An argument named "bogus" is not expected here.')
    expect(result.errors.at(-1)?.message).toBe(
      'packer validate found problems in packer-template.json (see the errors above); nothing was built.'
    )
    expect(packerCalls().map((args) => args[0])).toEqual(['version', 'validate'])
  })
})

describe('bad inputs', () => {
  it('each gets its own error, exit code 1, no stack trace, and Packer never runs', async () => {
    writeFileSync(join(workspace, 'broken.json'), '{\n  "builders": [\n    {"type": "amazon-ebs",\n  ]\n}\n')
    const result = await run({
      template: 'broken.json',
      'packer-version': 'newest',
      tags: 'aws:owner=me',
      'on-error': 'ask'
    })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^template: broken\.json is not valid JSON at line 4, column 3: /),
      'on-error: expected one of cleanup, abort, run-cleanup-provisioner, found "ask"',
      'packer-version: expected latest, a version such as 1.11.2 or a range such as ~1.11, found "newest"',
      'tags: the "aws:" prefix is reserved for AWS, found key "aws:owner"'
    ])
    expect(result.errors[0].properties).toMatchObject({ file: 'broken.json', line: '4', col: '3' })
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/)
    expect(packerCalls()).toEqual([])
  })
})

describe('cancelling', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} to the action stops Packer with SIGTERM and waits for its clean-up`, async () => {
      const cleanupMark = join(workspace, '.cleaned-up')
      const result = await runAction({
        workspace,
        inputs: { 'packer-version': '1.6.6', 'provenance-tags': 'false' },
        env: {
          PATH: `${standinDir}:${process.env.PATH}`,
          STANDIN_HANG: '1',
          STANDIN_CLEANUP_MARK: cleanupMark
        },
        onStart: (child, stdoutSoFar) => {
          const poll = setInterval(() => {
            if (stdoutSoFar().includes('to become ready')) {
              clearInterval(poll)
              child.kill(signal)
            }
          }, 20)
        }
      })
      expect(result.exitCode).toBe(1)
      expect(readFileSync(cleanupMark, 'utf8')).toBe('cleaned up')
      expect(result.stdout).toContain('Terminating the source AWS instance')
      expect(result.errors.at(-1)?.message).toMatch(/^The build was cancelled\. Packer stopped and cleaned up/)
      expect(result.summary).toContain('Cancelled')
    })
  }
})
