// Builds that reach their instance through Session Manager (`ssh_interface = "session_manager"`),
// through the bundled action with the real Packer and the loopback endpoint, which answers SSM's
// StartSession and TerminateSession. Packer runs AWS's session-manager-plugin on the runner: with
// none on PATH, Packer 1.6.6 launches the instance and fails only once the SSH timeout has passed,
// so the run is refused before the install, on the build's ssh_interface. With the plugin there (a
// stand-in), Packer's own refusal of such a build with no instance profile is on ssh_interface too,
// and a cancel leaves neither the plugin, the session nor the temporary instance profile.
import { afterAll, beforeAll, expect, it } from '@jest/globals'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { loopbackEnvironment, pushToMain, runAction, type ActionRun } from './support/action-process.js'
import { demoRuns, demoTemplates, loopbackSuite, type DemoKind } from './support/loopback-suite.js'
import { describeWithPacker, packerVersion, until } from './support/runtimes.js'

/** The runner's PATH without any folder that holds a session-manager-plugin: the runner this is about. */
function pathWithoutPlugin(): string {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((folder) => folder !== '' && !existsSync(join(folder, 'session-manager-plugin')))
    .join(delimiter)
}

describeWithPacker('a build that connects through Session Manager, through the bundled action', () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const { demoWith, run } = demoRuns(suite)
  let standIn = ''

  beforeAll(() => {
    // Stands in for AWS's plugin: says what the real one says once its port is open, tells which
    // process it is, and holds the port-forward open until it is stopped.
    standIn = mkdtempSync(join(tmpdir(), 'session-manager-plugin-'))
    const plugin = join(standIn, 'session-manager-plugin')
    writeFileSync(plugin, '#!/bin/sh\necho $$ > "$SESSION_PLUGIN_PID_FILE"\necho "Waiting for connections..."\nexec sleep 600\n')
    chmodSync(plugin, 0o755)
  })
  afterAll(() => rmSync(standIn, { recursive: true, force: true }))

  const withoutPlugin = { PATH: pathWithoutPlugin() }
  const withPlugin = (): Record<string, string> => ({ PATH: `${standIn}${delimiter}${pathWithoutPlugin()}` })

  /** Where `text` is in the file: its line and column, as the annotation gives them. */
  function placeIn(file: string, text: string): { line: string; col: string } {
    const lines = readFileSync(file, 'utf8').split('\n')
    const found = lines.findIndex((line) => line.includes(text))
    return { line: String(found + 1), col: String(lines[found].indexOf(text) + 1) }
  }

  /** The demo's HCL2 template with `settings` in place of its source block's communicator. */
  const hclWith = (settings: string) => (text: string): string => text.replace('  communicator           = "none"\n', settings)

  /** The demo's JSON template with `settings` added to its builder, `variables` to its variables. */
  const jsonWith =
    (settings: Record<string, unknown>, variables: Record<string, string> = {}) =>
    (text: string): string => {
      const template = JSON.parse(text) as { variables: Record<string, string>; builders: Array<Record<string, unknown>> }
      return JSON.stringify({ ...template, variables: { ...template.variables, ...variables }, builders: [{ ...template.builders[0], ...settings }] }, null, 2)
    }

  const sshThroughSsm = { communicator: 'ssh', ssh_username: 'ec2-user', ssh_interface: 'session_manager', iam_instance_profile: 'packer-build' }
  const hclSsh = (profile = '  iam_instance_profile   = "packer-build"\n'): string =>
    `  communicator           = "ssh"\n  ssh_username           = "ec2-user"\n  ssh_interface          = "session_manager"\n${profile}`

  /** Refused before the install, with the error on ssh_interface: nothing installed, nothing sent to AWS. */
  function expectRefused(result: ActionRun, workspace: string, kind: DemoKind, callsBefore: number, build: string, on: string): void {
    const template = demoTemplates[kind]
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message:
          `template: ${template}: build ${build} (builder amazon-ebs) connects through Session Manager (ssh_interface "session_manager"), ` +
          'and the runner has no session-manager-plugin on its PATH: Packer would launch the instance, fail to start the plugin ' +
          '(opening SSM session after SSM session meanwhile), and fail only once the SSH timeout (5 minutes unless ssh_timeout says ' +
          'otherwise) has passed, with "Timeout waiting for SSH.". Install the plugin in a step before this one (AWS\'s guide: ' +
          '"Install the Session Manager plugin for the AWS CLI"); GitHub-hosted runner images have it.',
        properties: { title: 'Invalid input', file: template, ...placeIn(join(workspace, template), on) }
      },
      {
        message: 'The template connects through Session Manager, and the runner has no session-manager-plugin (see the errors above); nothing was installed or built.',
        properties: {}
      }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.endpoint.calls.length).toBe(callsBefore)
  }

  it('JSON: ssh_interface "session_manager" given by the variables input, no plugin on PATH: refused on ssh_interface before the install', async () => {
    // As a public EKS template has it: the interface is a variable, empty by default.
    const workspace = demoWith(jsonWith({ ...sshThroughSsm, ssh_interface: '{{user `ssh_interface`}}' }, { ssh_interface: '' }), 'json')
    const before = suite.endpoint.calls.length
    const result = await suite.run(workspace, { template: demoTemplates.json, variables: 'ssh_interface=session_manager' }, withoutPlugin)
    expectRefused(result, workspace, 'json', before, 'amazon-ebs', '"ssh_interface": "{{user')
  })

  it('HCL2: the same, written in the source block', async () => {
    const workspace = demoWith(hclWith(hclSsh()), 'hcl2')
    const before = suite.endpoint.calls.length
    const result = await suite.run(workspace, { template: demoTemplates.hcl2, 'var-file': 'loopback.pkrvars.hcl' }, withoutPlugin)
    expectRefused(result, workspace, 'hcl2', before, 'amazon-ebs.demo', 'ssh_interface')
  })

  it('HCL2: a communicator from a variable left at its null default is unset, so SSH, as Packer takes it: refused the same', async () => {
    const declared = 'variable "communicator" {\n  type    = string\n  default = null\n}\n\n'
    const settings = hclSsh().replace('"ssh"', 'var.communicator')
    const workspace = demoWith((text) => `${declared}${hclWith(settings)(text)}`, 'hcl2')
    const before = suite.endpoint.calls.length
    const result = await suite.run(workspace, { template: demoTemplates.hcl2, 'var-file': 'loopback.pkrvars.hcl' }, withoutPlugin)
    expectRefused(result, workspace, 'hcl2', before, 'amazon-ebs.demo', 'ssh_interface')
  })

  it('JSON: a build that only leaves out connects through Session Manager: the other builds, as before', async () => {
    const workspace = demoWith((text) => {
      const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
      const [demo] = template.builders
      const ssm = { ...demo, ...sshThroughSsm, name: 'private' }
      return JSON.stringify({ ...template, builders: [{ ...demo, name: 'public' }, ssm] }, null, 2)
    }, 'json')
    const result = await suite.run(workspace, { template: demoTemplates.json, only: 'public' }, withoutPlugin)
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(Object.keys(JSON.parse(result.outputs.builds) as object)).toEqual(['public'])
  })

  it('HCL2: a variable that leaves ssh_interface empty: not refused, built as before', async () => {
    const declared = 'variable "ssh_interface" {\n  type    = string\n  default = ""\n}\n\n'
    const workspace = demoWith((text) => declared + hclWith('  ssh_interface          = var.ssh_interface\n  communicator           = "none"\n')(text), 'hcl2')
    const result = await run(workspace, 'hcl2')
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
  })

  it("JSON: with the plugin on PATH and no instance profile, Packer's refusal is on ssh_interface", async () => {
    const workspace = demoWith(jsonWith({ ...sshThroughSsm, iam_instance_profile: undefined }), 'json')
    const result = await suite.run(workspace, { template: demoTemplates.json }, withPlugin())
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^Build "amazon-ebs": no iam_instance_profile defined; session_manager connectivity requires a valid\s+instance profile/),
      properties: { title: 'Packer', file: demoTemplates.json, ...placeIn(join(workspace, demoTemplates.json), '"ssh_interface"') }
    })
  })

  it("HCL2: the same, on the source block's ssh_interface", async () => {
    const workspace = demoWith(hclWith(hclSsh('')), 'hcl2')
    const result = await suite.run(workspace, { template: demoTemplates.hcl2, 'var-file': 'loopback.pkrvars.hcl' }, withPlugin())
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^no iam_instance_profile defined; session_manager connectivity requires a valid instance profile/),
      properties: { title: 'Packer', file: demoTemplates.hcl2, ...placeIn(join(workspace, demoTemplates.hcl2), 'ssh_interface') }
    })
  })

  it('JSON: a cancel while the session is open: the plugin stopped, the session ended, the temporary instance profile and role removed', async () => {
    const document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ssm:UpdateInstanceInformation'], Resource: ['*'] }] }
    const workspace = demoWith(jsonWith({ ...sshThroughSsm, iam_instance_profile: undefined, temporary_iam_instance_profile_policy_document: document }), 'json')
    const pidFile = join(workspace, 'plugin.pid')
    const sessionsBefore = suite.endpoint.sessions('us-east-1').length
    const result = await runAction({
      workspace,
      inputs: { 'packer-version': packerVersion(), template: demoTemplates.json },
      env: { ...pushToMain, ...loopbackEnvironment(suite.endpoint.url, workspace), ...withPlugin(), SESSION_PLUGIN_PID_FILE: pidFile },
      onStart: (child, stdoutSoFar) => {
        void until(() => stdoutSoFar().includes('Waiting for connections...'), 'the plugin to hold the port open', 60_000).then(() => child.kill('SIGINT'))
      }
    })
    expect(result.exitCode).toBe(1)
    expect(result.errors.at(-1)?.message).toMatch(/^The build was cancelled before Packer made an AMI/)
    const pid = Number(readFileSync(pidFile, 'utf8'))
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }))
    const sessions = suite.endpoint.sessions('us-east-1').slice(sessionsBefore)
    expect(sessions).toEqual([expect.objectContaining({ documentName: 'AWS-StartPortForwardingSession', parameters: expect.objectContaining({ portNumber: ['22'] }), terminated: true })])
    expect(suite.endpoint.iamInstanceProfiles()).toEqual([])
    expect(suite.endpoint.iamRoles()).toEqual([])
  }, 120_000)
})
