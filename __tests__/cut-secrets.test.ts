// Text the action cuts short never shows part of a secret. The runner masks a secret only where it
// shows whole, so each cut here (an annotation's, the summary's, a long log line's, a quoted name)
// is tested through the bundled action, with the log and summary as the runner shows them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { standInOnPath } from '../test-support/packer-stand-in/index.js'
import { asTheRunnerShowsIt, projectRoot, pushToMain, runAction, type ActionRun } from './support/action-process.js'
import { packerVersion } from './support/runtimes.js'

// A token the runner knows from the workflow's secrets: long, no white space.
const token = `R7nnerKnows${'x9'.repeat(150)}`
// A passphrase the runner knows: words, so that a cut at white space alone would split it.
const passphrase = `Correct horse ${Array.from({ length: 200 }, (_, i) => `battery${i}`).join(' ')} staple`

let scratch: string
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'cut-secrets-'))
})
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

let cases = 0
function workspace(): string {
  const folder = join(scratch, `case-${cases++}`)
  cpSync(join(projectRoot, 'demo'), folder, { recursive: true })
  return folder
}

function shown(result: ActionRun, secret: string): { log: string; summary: string } {
  return asTheRunnerShowsIt(result, [secret])
}

describe('an input problem about a line holding a secret', () => {
  it('an HCL2 variables line that is a secret alone, with base64 padding, is named by its line', async () => {
    const secret = 'dG9rZW4/Zm9yLXRoZS1kZXBsb3ktYm90LXRoYXQtbXVzdC1ub3QtbGVhaw=='
    const result = await runAction({
      workspace: workspace(),
      inputs: { 'working-directory': 'hcl2', template: 'ami.pkr.hcl', variables: `# the bot's token\naws_region=us-east-1\n${secret}` },
      env: pushToMain
    })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([
      'variables: expected NAME=VALUE with a variable name, found line 3 with a name an HCL2 template cannot declare ' +
        '(a letter or _, then letters, digits, _ or -) before its first ='
    ])
    expect(shown(result, secret).log).not.toContain(secret.slice(0, 11))
  })

  it('an HCL2 variables line that is a secret alone, whose first part passes for a name, is named by its line', async () => {
    // Letters and digits before the padding: a name an HCL2 template could declare, but does not.
    const secret = 'dG9rZW5mb3J0aGVkZXBsb3lib3R0aGF0bXVzdG5vdGxlYWs=='
    const result = await runAction({
      workspace: workspace(),
      inputs: { 'working-directory': 'hcl2', template: 'ami.pkr.hcl', variables: `aws_region=us-east-1\n${secret}` },
      env: pushToMain
    })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([
      expect.stringMatching(/^variables: the name on line 2 \(its value is empty or only =\) is not a variable of ami\.pkr\.hcl: expected one it declares \(/)
    ])
    expect(shown(result, secret).log).not.toContain(secret.slice(0, 11))
  })

  it('a JSON template warns of such a line, as of any variable it does not use, by its line', async () => {
    const secret = 'dG9rZW5mb3J0aGVkZXBsb3lib3R0aGF0bXVzdG5vdGxlYWs='
    const result = await runAction({
      workspace: workspace(),
      inputs: { 'working-directory': 'json', command: 'validate', 'packer-version': packerVersion(), variables: `${secret}\nunused=1` },
      env: pushToMain
    })
    expect(result.exitCode).toBe(0)
    expect(result.warnings).toEqual([
      "variables: the name on line 1 (its value is empty or only =) is neither declared nor used by packer-template.json: Packer ignores it, and the template's own value stays",
      'variables: "unused" is neither declared nor used by packer-template.json: Packer ignores it, and the template\'s own value stays'
    ])
    expect(shown(result, secret).log).not.toContain(secret.slice(0, 11))
  })

  it('the annotation that lists the problems past the tenth shows no part of a secret', async () => {
    const lines = [...Array.from({ length: 10 }, (_, i) => `missing_equals_${i}`), token]
    const result = await runAction({ workspace: workspace(), inputs: { 'working-directory': 'json', variables: lines.join('\n') }, env: pushToMain })
    expect(result.exitCode).toBe(1)
    const marker = result.errors.find(({ properties }) => properties.title === '2 more errors')
    expect(marker?.message).toContain('missing_equals_9')
    expect(shown(result, token).log).not.toContain(token.slice(0, 11))
  })
})

describe('errors past the tenth, listed in the annotation that names them', () => {
  /**
   * Packer fails with twelve errors, the last quoting `secret`, a value given to the step: the
   * annotation that lists those past the tenth must hold it whole, as the runner masks it.
   */
  async function listsWhole(secret: string): Promise<void> {
    const failing = (line: number, why: string): string =>
      `Error: Failed to prepare build "amazon-ebs.web"\n\n  on ami.pkr.hcl line ${line}:\n  (source code not available)\n\n${why}`
    const errors = [
      ...Array.from({ length: 11 }, (_, i) => failing(i + 1, "error initializing builder 'amazon-ebs': plugin exited before we could connect")),
      failing(20, `the AMI name '${secret}-1' is taken: choose another ami_name_prefix`)
    ]
    const result = await runAction({
      workspace: workspace(),
      inputs: { 'working-directory': 'hcl2', template: 'ami.pkr.hcl', command: 'validate', 'packer-version': '1.6.6', variables: `ami_name_prefix=${secret}` },
      env: {
        ...pushToMain,
        ...standInOnPath(),
        STANDIN_FAIL: 'validate',
        STANDIN_ERRORS: JSON.stringify(errors)
      }
    })
    expect(result.exitCode).toBe(1)
    const marker = result.errors.find(({ properties }) => properties.title === '4 more errors')
    expect(marker?.message).toContain(`the AMI name '${secret}-1' is taken:`)
    const { log, summary } = shown(result, secret)
    expect(log).not.toMatch(/s3cr3t|v4lue/)
    expect(summary).not.toMatch(/s3cr3t|v4lue/)
  }

  it('keep the white space of a secret as it is, so that the runner masks it', async () => {
    // The runner masks "s3cr3t  v4lue" only as it is, two spaces and all.
    await listsWhole('s3cr3t  v4lue')
  })

  it('are not cut to their first sentence inside a secret that holds a sentence end', async () => {
    // Each is kept to its first ". " or ": ": here that falls inside the secret, whose first
    // part would then show alone, which the runner does not mask.
    await listsWhole('s3cr3t: v4lue')
  })
})

describe("a long line of Packer's", () => {
  const template = { builders: [{ type: 'amazon-ebs', name: 'web' }], 'post-processors': [{ type: 'manifest' }] }
  const built = { STANDIN_AMIS: JSON.stringify([{ build: 'web', regions: { 'us-east-1': 'ami-0aaa1' } }]) }

  async function printing(say: string, env: Record<string, string>): Promise<ActionRun> {
    const folder = workspace()
    writeFileSync(join(folder, 'packer-template.json'), JSON.stringify(template))
    writeFileSync(join(folder, 'packer-vars.json'), '{}')
    return runAction({
      workspace: folder,
      inputs: { 'packer-version': '1.6.6', 'provenance-tags': 'false' },
      // A build step has AWS credentials: without them, the build is refused before the install.
      env: { ...standInOnPath(), AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDSTANDIN', AWS_SECRET_ACCESS_KEY: 'standin-secret', ...built, STANDIN_SAY: say, ...env }
    })
  }

  it.each([
    ['a token', token],
    ['a passphrase', passphrase]
  ])('cut past 64 KiB, shows no part of %s the runner knows', async (_, secret) => {
    // The secret begins some 250 bytes before the cut, after words of a script's output.
    const result = await printing(`${'word '.repeat(13040)}${secret} and more`, { DEPLOY_SECRET: secret })
    expect(result.exitCode).toBe(0)
    const log = shown(result, secret).log
    expect(log).toMatch(/\n\(Packer's line above went on for \d+ more bytes, not shown\)\n/)
    expect(log).not.toContain(secret.slice(0, 11))
  })
})
