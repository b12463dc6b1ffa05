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

  /** The demo's HCL2 template with the sensitive variables `names`, and a `default` for each of `defaults` (as written). */
  const hclWithSecrets =
    (names: string[], defaults: Record<string, string> = {}) =>
    (text: string): string =>
      text.replace(
        'variable "aws_region" {',
        names.map((name) => `variable "${name}" {\n  type      = string\n  sensitive = true\n${name in defaults ? `  default   = ${defaults[name]}\n` : ''}}\n\n`).join('') +
          'variable "aws_region" {'
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

  // HCL writes a string many ways: each of these gives the variable `pre${SECRET}` and the like,
  // and the text of the file holds the secret in none of the forms a search for it would find.
  const hclForms = (secret: string): Record<string, string> => ({
    dollar: `"pre$\${${secret}}"`,
    percent: `"pre%%{${secret}}"`,
    accented: `"\\u00e9${secret}"`,
    emoji: `"\\U0001F600${secret}"`,
    quote: `"\\"${secret}\\\\"`,
    newline: `"${secret}\\nline"`,
    tab: `"\\t${secret}"`,
    heredoc: `<<EOF\n${secret}\nmore\nEOF`,
    indented: `<<-EOF\n    ${secret}\n    more\n  EOF`,
    split: `"${secret.slice(0, 3)}\${"${secret.slice(3)}"}x"`
  })

  it('HCL2, sensitive values written with escapes, heredocs or an interpolated literal in a variables file: none changes the fingerprint', async () => {
    const names = Object.keys(hclForms(''))
    const workspace = demoWith(hclWithSecrets(names), 'hcl2')
    const runs = (at: string): Promise<ActionRun> => run(at, 'hcl2', { 'var-file': 'loopback.pkrvars.hcl\nsecrets.pkrvars.hcl' })
    const file = (secret: string): string => Object.entries(hclForms(secret)).map(([name, written]) => `${name} = ${written}\n`).join('')
    const first = await fingerprintWith(workspace, 'secrets.pkrvars.hcl', file('hunter2'), runs, 'hunter2')
    expect(first).toHaveLength(1)
    expect(await fingerprintWith(workspace, 'secrets.pkrvars.hcl', file('swordfish'), runs, 'swordfish')).toEqual(first)
  })

  it("HCL2, the same forms as the sensitive variables' defaults in the template: none changes the fingerprint", async () => {
    const runs = (at: string): Promise<ActionRun> => run(at, 'hcl2')
    // Packer 1.6.6 refuses `$${` in a variable's default ("Variables not allowed").
    const defaults = (secret: string): Record<string, string> => Object.fromEntries(Object.entries(hclForms(secret)).filter(([name]) => name !== 'dollar'))
    const names = Object.keys(defaults(''))
    const first = fingerprintsOf(await runs(demoWith(hclWithSecrets(names, defaults('hunter2')), 'hcl2')))
    expect(first).toHaveLength(1)
    expect(fingerprintsOf(await runs(demoWith(hclWithSecrets(names, defaults('swordfish')), 'hcl2')))).toEqual(first)
  })

  it('HCL2, a one-character sensitive value: the fingerprint is the same whichever character, and changes with the text around it', async () => {
    const workspace = demoWith(hclWithSensitive, 'hcl2')
    const runs = (at: string): Promise<ActionRun> => run(at, 'hcl2', { 'var-file': 'loopback.pkrvars.hcl\nsecrets.pkrvars.hcl' })
    const file = (password: string, user: string): string => `db_user     = "${user}"\ndb_password = "${password}"\n`
    const first = await fingerprintWith(workspace, 'secrets.pkrvars.hcl', file('a', 'app'), runs, 'hunter2')
    expect(await fingerprintWith(workspace, 'secrets.pkrvars.hcl', file('e', 'app'), runs, 'hunter2')).toEqual(first)
    // `a` and `p` swapped: the same bytes but for where `a` is.
    expect(await fingerprintWith(workspace, 'secrets.pkrvars.hcl', file('a', 'pap'), runs, 'hunter2')).not.toEqual(first)
  })

  it('HCL2, a *.auto.pkrvars.hcl beside a template file, which Packer does not read: its sensitive value does not change the fingerprint', async () => {
    const workspace = demoWith(hclWithSensitive, 'hcl2')
    const runs = (at: string): Promise<ActionRun> => run(at, 'hcl2', { variables: 'db_user=app\ndb_password=given' })
    const file = (password: string): string => `db_password = "${password}"\n`
    const first = await fingerprintWith(workspace, 'secrets.auto.pkrvars.hcl', file('hunter2'), runs, 'hunter2')
    expect(first).toHaveLength(1)
    expect(await fingerprintWith(workspace, 'secrets.auto.pkrvars.hcl', file('swordfish'), runs, 'swordfish')).toEqual(first)
  })

  it('HCL2, a *.auto.pkrvars.json in a template directory with JSON escapes: the sensitive value does not change the fingerprint', async () => {
    const workspace = demoWith(hclWithSensitive, 'hcl2')
    const runs = (at: string): Promise<ActionRun> => run(at, 'hcl2', { template: '.' })
    const file = (escaped: string): string => `{"db_user": "app", "db_password": "${escaped}"}\n`
    const first = await fingerprintWith(workspace, 'secrets.auto.pkrvars.json', file('\\u0068unter\\/2'), runs, 'hunter/2')
    expect(first).toHaveLength(1)
    expect(await fingerprintWith(workspace, 'secrets.auto.pkrvars.json', file('\\u0073wordfish\\/3'), runs, 'swordfish/3')).toEqual(first)
  })

  it("JSON, sensitive values with \\u escapes and \\/ in a variables file and in the template's variables: they do not change the fingerprint", async () => {
    const withDefault =
      (escaped: string) =>
      (text: string): string => {
        const template = JSON.parse(text) as { variables: Record<string, string> } & Record<string, unknown>
        const variables = { ...template.variables, db_password: '', db_user: '', db_token: 'TOKEN' }
        const written = JSON.stringify({ ...template, variables, 'sensitive-variables': ['db_password', 'db_token'] }, null, 2)
        return written.replace('"TOKEN"', `"${escaped}"`)
      }
    const runs = (at: string): Promise<ActionRun> => run(at, 'json', { 'var-file': 'packer-vars.json\nsecrets.json' })
    const file = (escaped: string): string => `{"db_user": "app", "db_password": "${escaped}"}`
    const first = await fingerprintWith(demoWith(withDefault('\\u0074oken\\/1'), 'json'), 'secrets.json', file('\\u0068unter\\/2'), runs, 'hunter/2')
    expect(first).toHaveLength(1)
    expect(await fingerprintWith(demoWith(withDefault('\\u0074oken\\/9'), 'json'), 'secrets.json', file('\\u0073wordfish\\/3'), runs, 'swordfish/3')).toEqual(first)
  })
})
