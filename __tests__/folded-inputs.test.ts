// Inputs of one NAME=VALUE a line (tags, variables) that YAML folded into one line: `tags: >`
// joins its lines with spaces, so Team=platform and Env=prod become one tag Team of value
// "platform Env=prod". The action sees only the string: it warns before anything is installed,
// and the run goes on. The bundled action runs as a process with a Packer stand-in on PATH, and
// tags through a loopback EC2 endpoint.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { readCalls, standInOnPath } from '../test-support/packer-stand-in/index.js'
import { SELF_ACCOUNT_ID, startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { foldedInput } from '../src/inputs/folded.js'
import { asTheRunnerShowsIt, parseCommands, runAction, type ActionRun } from './support/action-process.js'

const amiId = 'ami-0f01d000000000001'
const snapshotId = 'snap-0f01d000000000001'

let workspace: string
let argsLog: string
let endpoint: Ec2Endpoint
beforeEach(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'workspace-'))
  argsLog = join(workspace, '.packer-args')
  const template = { builders: [{ type: 'amazon-ebs', name: 'web' }], 'post-processors': [{ type: 'manifest' }] }
  writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify(template, null, 2))
  writeFileSync(join(workspace, 'packer-vars.json'), '{"aws_region": "us-east-1"}')
  endpoint = await startEc2Endpoint({
    regions: ['us-east-1'],
    seedImages: [{ imageId: amiId, name: 'web-1', ownerId: SELF_ACCOUNT_ID, regions: ['us-east-1'], snapshotId }]
  })
})
afterEach(async () => {
  await endpoint.close()
  rmSync(workspace, { recursive: true, force: true })
})

function run(inputs: Record<string, string>): Promise<ActionRun> {
  return runAction({
    workspace,
    inputs: { 'packer-version': '1.6.6', 'provenance-tags': 'false', ...inputs },
    env: {
      ...standInOnPath(argsLog),
      STANDIN_AMIS: JSON.stringify([{ build: 'web', regions: { 'us-east-1': amiId } }]),
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_EC2: endpoint.url,
      AWS_ACCESS_KEY_ID: 'AKIDLOOPBACK',
      AWS_SECRET_ACCESS_KEY: 'loopback-secret'
    }
  })
}

/** The value the action gets for `input` of a step whose `with:` holds `lines`, as YAML reads the workflow. */
function given(input: string, lines: string[]): string {
  const workflow = ['jobs:', '  build:', '    steps:', '      - uses: acme/packer-ami-action@v1', '        with:', ...lines.map((line) => (line === '' ? '' : `          ${line}`)), '']
  return parse(workflow.join('\n')).jobs.build.steps[0].with[input]
}

/** The warnings with their titles, as the runner shows them. */
function warnings(result: ActionRun): Array<{ title?: string; message: string }> {
  return parseCommands(result.stdout, 'warning').map(({ message, properties }) => ({ title: properties.title, message }))
}

/** Whether `text` comes in the log before Packer is installed. */
function beforeInstall(result: ActionRun, text: string): boolean {
  const at = result.stdout.indexOf(text)
  return at >= 0 && at < result.stdout.indexOf('::group::Install Packer')
}

const foldedTags =
  'tags: the input is one line that holds another Key= after a space, so it makes one tag of all that follows ' +
  'its first =: probably lines that YAML folded into one (a `>` block, or lines under the key without `|`). ' +
  'Write `tags: |`, one Key=Value per line; if that one tag is meant, nothing needs to change.'

describe('tags given as one line that holds several Key=Value', () => {
  it('a folded block (tags: >): a warning before the install, and the build goes on with the one tag YAML made', async () => {
    // What YAML gives for `tags: >` over the lines Team=platform and Env=prod.
    const result = await run({ tags: 'Team=platform Env=prod\n' })
    expect(result.exitCode).toBe(0)
    expect(result.errors).toEqual([])
    expect(endpoint.tagsOf('us-east-1', amiId)).toEqual({ Team: 'platform Env=prod' })
    expect(warnings(result)).toEqual([{ title: 'Lines folded into one', message: foldedTags }])
    expect(beforeInstall(result, foldedTags)).toBe(true)
    expect(result.summary).toContain('tags: the input is one line that holds another Key= after a space')
  })

  it('quotes nothing of the input, which may be one secret that the runner masks only whole', async () => {
    const secret = 'Owner=ops Token=hunter2'
    const result = await run({ tags: `${secret}\n` })
    expect(result.exitCode).toBe(0)
    expect(warnings(result).map(({ message }) => message)).toEqual([foldedTags])
    const shown = asTheRunnerShowsIt(result, [secret])
    for (const part of ['Owner', 'ops', 'Token', 'hunter2']) {
      expect(shown.log).not.toContain(part)
      expect(shown.summary).not.toContain(part)
    }
  })

  it('a folded block that begins with a # line is one comment: the warning says no tag is set', async () => {
    const result = await run({ tags: '# owners Team=platform Env=prod\n' })
    expect(result.exitCode).toBe(0)
    expect(warnings(result).map(({ message }) => message)).toEqual([
      'tags: the input is one line that begins with # and holds Key=, so it is skipped as a comment and no tag is ' +
        'set: probably lines that YAML folded into one (a `>` block, or lines under the key without `|`). Write ' +
        '`tags: |`, one Key=Value per line.'
    ])
    expect(endpoint.tagsOf('us-east-1', amiId)).toEqual({})
  })

  it('a | block of the same lines: each its own tag, and no warning', async () => {
    const tags = given('tags', ['tags: |', '  Team=platform', '  # Owner=ops', '  Env=prod'])
    const result = await run({ tags })
    expect(result.exitCode).toBe(0)
    expect(warnings(result)).toEqual([])
    expect(endpoint.tagsOf('us-east-1', amiId)).toEqual({ Team: 'platform', Env: 'prod' })
  })

  it('a folded block with a blank line inside: several lines, and a warning that names the one folded', async () => {
    const tags = given('tags', ['tags: >', '  Team=platform', '  Env=prod', '', '  Owner=ops'])
    expect(tags).toBe('Team=platform Env=prod\nOwner=ops\n')
    const result = await run({ tags })
    expect(result.exitCode).toBe(0)
    const message =
      'tags: line 1 of the input holds another Key= after a space, so it makes one tag of all that follows its first =: ' +
      'probably lines that YAML folded into one (a `>` block, or lines under the key without `|`, which keep a line ' +
      'break only where a blank line is). Write `tags: |`, one Key=Value per line; if that tag is meant, nothing needs to change.'
    expect(warnings(result)).toEqual([{ title: 'Lines folded into one', message }])
    expect(beforeInstall(result, message)).toBe(true)
    expect(endpoint.tagsOf('us-east-1', amiId)).toEqual({ Team: 'platform Env=prod', Owner: 'ops' })
  })

  it('lines under the key with blank lines between runs of them: the warning names each line folded', async () => {
    const tags = given('tags', ['tags:', '  Team=platform', '  Env=prod', '', '  Owner=ops', '', '  Cost=42', '  Tier=web'])
    expect(tags).toBe('Team=platform Env=prod\nOwner=ops\nCost=42 Tier=web')
    const result = await run({ tags })
    expect(result.exitCode).toBe(0)
    expect(warnings(result).map(({ message }) => message)).toEqual([
      expect.stringMatching(/^tags: lines 1 and 3 of the input hold another Key= after a space, so each makes one tag of all that follows its own first =: .*; if those tags are meant, nothing needs to change\.$/)
    ])
  })

  it('a folded value over 256 characters: the error says the input looks folded, and nothing is installed', async () => {
    const notes = 'n'.repeat(250)
    const tags = given('tags', ['tags: >', '  Team=platform', `  Notes=${notes}`])
    const result = await run({ tags })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toContain(
      'tags: expected at most 256 characters in the value of "Team", found 265. The input looks folded: probably lines ' +
        'that YAML folded into one (a `>` block, or lines under the key without `|`). Write `tags: |`, one Key=Value per line.'
    )
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(readCalls(argsLog)).toEqual([])
  })

  it('a value with spaces but no Key= after them: no warning', async () => {
    const result = await run({ tags: 'Notes=built by CI = for prod, see #12\n' })
    expect(result.exitCode).toBe(0)
    expect(warnings(result)).toEqual([])
    expect(endpoint.tagsOf('us-east-1', amiId)).toEqual({ Notes: 'built by CI = for prod, see #12' })
  })
})

describe('variables given as one line that holds several NAME=VALUE', () => {
  it('command: validate: a warning before the install, and validate runs with the variable YAML made', async () => {
    const result = await run({ command: 'validate', variables: 'a=1 b=2\n' })
    expect(result.exitCode).toBe(0)
    const message =
      'variables: the input is one line that holds another NAME= after a space, so it makes one variable of all that ' +
      'follows its first =: probably lines that YAML folded into one (a `>` block, or lines under the key without ' +
      '`|`). Write `variables: |`, one NAME=VALUE per line; if that one variable is meant, nothing needs to change.'
    expect(warnings(result)).toContainEqual({ title: 'Lines folded into one', message })
    expect(beforeInstall(result, message)).toBe(true)
    expect(readCalls(argsLog).map(({ args }) => args.slice(0, 5))).toEqual([
      ['version', '-machine-readable'],
      ['validate', '-machine-readable', '-var-file=packer-vars.json', '-var', 'a=1 b=2']
    ])
    expect(result.summary).toContain('Template is valid')
  })

  it('a value with spaces and no NAME= after them: no warning of a fold', async () => {
    const result = await run({ command: 'validate', variables: 'a=web {{timestamp}} = b\n' })
    expect(result.exitCode).toBe(0)
    expect(warnings(result).filter(({ title }) => title === 'Lines folded into one')).toEqual([])
  })

  it('an HCL object or list as the value, its keys written NAME="VALUE": no warning of a fold, passed to Packer whole', async () => {
    const variables = 'platform={client="acme", environment="dev"}\nregions=["a=b", "c"] \ntags={Name="web", Env="say \\"x=y\\""}\n'
    const result = await run({ command: 'validate', variables })
    expect(result.exitCode).toBe(0)
    expect(warnings(result).filter(({ title }) => title === 'Lines folded into one')).toEqual([])
    expect(readCalls(argsLog)[1].args.filter((_, index, args) => args[index - 1] === '-var')).toEqual([
      'platform={client="acme", environment="dev"}',
      'regions=["a=b", "c"]',
      'tags={Name="web", Env="say \\"x=y\\""}'
    ])
  })
})

describe('foldedInput', () => {
  it('is a one-line input with a second NAME= after white space, whatever the keys hold', () => {
    expect(foldedInput('Team=platform Env=prod\n')).toBe('pairs')
    expect(foldedInput('Cost Center=platform kubernetes.io/cluster/prod=owned')).toBe('pairs')
    expect(foldedInput('  aws.region=us-east-1\tami_name=web\r\n')).toBe('pairs')
    expect(foldedInput('# owners Team=platform\n')).toBe('comment')
  })

  it('is the lines of an input given as several that hold a second NAME=, as a > block with blank lines gives', () => {
    expect(foldedInput('Team=platform Env=prod\r\nOwner=ops\n')).toEqual({ lines: [1] })
    expect(foldedInput('a=1\n\nb=2 c=3\nd=4 e=5\n')).toEqual({ lines: [3, 4] })
  })

  it('is not an input given as lines each of one NAME=, nor = that follows no name or follows another =', () => {
    expect(foldedInput('Team=platform\r\nEnv=prod\n')).toBeUndefined()
    expect(foldedInput('Team=platform\n# Owner=ops Env=prod\n')).toBeUndefined()
    expect(foldedInput('Query=a=b')).toBeUndefined()
    expect(foldedInput('Cost Center=platform')).toBeUndefined()
    expect(foldedInput('Notes=a = b, c ==d')).toBeUndefined()
    expect(foldedInput('# owners')).toBeUndefined()
    expect(foldedInput('')).toBeUndefined()
  })

  it('for variables, leaves out what HCL braces, brackets and quotes hold, and finds a NAME= after them', () => {
    expect(foldedInput('platform={client="acme", environment="dev"}', true)).toBeUndefined()
    expect(foldedInput('zones=[{name="a", size=1}, {name="b"}]\nnote="x=1 y=2"', true)).toBeUndefined()
    expect(foldedInput('platform={client="acme", environment="dev"}', false)).toBe('pairs')
    expect(foldedInput('platform={client="acme"} region=us-east-1', true)).toBe('pairs')
    expect(foldedInput('a=1\nnote="say \\"x=1\\"" b=2', true)).toEqual({ lines: [2] })
  })
})
