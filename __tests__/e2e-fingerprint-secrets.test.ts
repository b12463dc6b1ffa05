// The fingerprint of a build's inputs is public: the log shows it, and the AMIs carry it as their
// BuildFingerprint tag. A sensitive variable's value must not go into it, however the step gives
// the value: a guess could be hashed with the rest of the repository and checked against it. Through
// the bundled action with the real Packer and the loopback EC2 endpoint, a variables file written
// by an earlier step from a secret, as workflows do to keep it out of the repository.
import { expect, it } from '@jest/globals'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { asTheRunnerShowsIt, type ActionRun } from './support/action-process.js'
import { demoRuns, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

describeWithPacker("a sensitive value in a variables file, and the build's fingerprint, through the bundled action", () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const { demoWith, run } = demoRuns(suite)

  /** The demo's HCL2 template with a sensitive variable, and a variable that is not, both set by the variables file. */
  const hclWithSensitive = (text: string): string =>
    text.replace(
      'variable "aws_region" {',
      'variable "db_password" {\n  type      = string\n  sensitive = true\n}\n\nvariable "db_user" {\n  type = string\n}\n\nvariable "aws_region" {'
    )

  /** The demo's JSON template with the same two variables. */
  const jsonWithSensitive = (text: string): string => {
    const template = JSON.parse(text) as { variables: Record<string, string> } & Record<string, unknown>
    return JSON.stringify({ ...template, variables: { ...template.variables, db_password: '', db_user: '' }, 'sensitive-variables': ['db_password'] }, null, 2)
  }

  /** The fingerprint the log names, and the one on each AMI of the run (their BuildFingerprint tags), once each. */
  function fingerprintsOf(result: ActionRun): string[] {
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const logged = result.stdout.split('\n').flatMap((line) => /^Fingerprint of the build's inputs \(\d+ files\): ([0-9a-f]{64})$/.exec(line)?.[1] ?? [])
    const amis = JSON.parse(result.outputs.artifacts) as Array<{ region: string; amiId: string }>
    const tagged = amis.map(({ region, amiId }) => suite.endpoint.images(region).find((image) => image.imageId === amiId)?.tags.BuildFingerprint)
    return [...new Set([...logged, ...tagged])] as string[]
  }

  /** No sign of `secret` in what the run shows or leaves for a later job or step. */
  function expectNowhere(result: ActionRun, secret: string): void {
    const shown = asTheRunnerShowsIt(result)
    for (const text of [shown.log, shown.summary, result.stderr, JSON.stringify(result.outputs)]) expect(text).not.toContain(secret)
  }

  async function fingerprintWith(workspace: string, file: string, text: string, runs: (workspace: string) => Promise<ActionRun>, secret: string): Promise<string[]> {
    writeFileSync(join(workspace, file), text)
    const result = await runs(workspace)
    expectNowhere(result, secret)
    return fingerprintsOf(result)
  }

  it("HCL2, a variables file given by var-file: the sensitive value does not change the fingerprint, the other variable's does", async () => {
    const workspace = demoWith(hclWithSensitive, 'hcl2')
    const runs = (at: string): Promise<ActionRun> => run(at, 'hcl2', { 'var-file': 'loopback.pkrvars.hcl\nsecrets.pkrvars.hcl' })
    const file = (password: string, user: string): string => `db_user     = "${user}"\ndb_password = "${password}"\n`
    const first = await fingerprintWith(workspace, 'secrets.pkrvars.hcl', file('hunter2', 'app'), runs, 'hunter2')
    expect(first).toHaveLength(1)
    expect(await fingerprintWith(workspace, 'secrets.pkrvars.hcl', file('correct horse', 'app'), runs, 'correct horse')).toEqual(first)
    const otherUser = await fingerprintWith(workspace, 'secrets.pkrvars.hcl', file('hunter2', 'admin'), runs, 'hunter2')
    expect(otherUser).toHaveLength(1)
    expect(otherUser).not.toEqual(first)
  })

  it('HCL2, a value with a quote and a backslash, escaped in the file: left out as written', async () => {
    const workspace = demoWith(hclWithSensitive, 'hcl2')
    const runs = (at: string): Promise<ActionRun> => run(at, 'hcl2', { 'var-file': 'loopback.pkrvars.hcl\nsecrets.pkrvars.hcl' })
    const file = (escaped: string): string => `db_user     = "app"\ndb_password = "${escaped}"\n`
    const first = await fingerprintWith(workspace, 'secrets.pkrvars.hcl', file('pa\\"ss\\\\1'), runs, 'pa"ss\\1')
    expect(await fingerprintWith(workspace, 'secrets.pkrvars.hcl', file('pa\\"ss\\\\2'), runs, 'pa"ss\\2')).toEqual(first)
  })

  it('HCL2, a template directory with a *.auto.pkrvars.hcl that Packer reads of itself: the sensitive value does not change the fingerprint', async () => {
    const workspace = demoWith(hclWithSensitive, 'hcl2')
    const runs = (at: string): Promise<ActionRun> => run(at, 'hcl2', { template: '.' })
    const file = (password: string): string => `db_user     = "app"\ndb_password = "${password}"\n`
    const first = await fingerprintWith(workspace, 'secrets.auto.pkrvars.hcl', file('hunter2'), runs, 'hunter2')
    expect(first).toHaveLength(1)
    expect(await fingerprintWith(workspace, 'secrets.auto.pkrvars.hcl', file('correct horse'), runs, 'correct horse')).toEqual(first)
  })

  it('JSON, a variables file given by var-file: the sensitive value does not change the fingerprint, the other variable\'s does', async () => {
    const workspace = demoWith(jsonWithSensitive, 'json')
    const runs = (at: string): Promise<ActionRun> => run(at, 'json', { 'var-file': 'packer-vars.json\nsecrets.json' })
    const file = (password: string, user: string): string => JSON.stringify({ db_user: user, db_password: password }, null, 2)
    const first = await fingerprintWith(workspace, 'secrets.json', file('hunter2', 'app'), runs, 'hunter2')
    expect(first).toHaveLength(1)
    expect(await fingerprintWith(workspace, 'secrets.json', file('correct horse', 'app'), runs, 'correct horse')).toEqual(first)
    expect(await fingerprintWith(workspace, 'secrets.json', file('hunter2', 'admin'), runs, 'hunter2')).not.toEqual(first)
  })
})
