// A Windows AMI's templates (fixtures/templates/windows-hcl and windows-json: WinRM with a
// sensitive password, a <powershell> user data file, powershell with elevated users, their own
// execute commands and Windows paths, windows-restart, windows-shell, file uploads to C:\…),
// through the bundled action with the real Packer and the loopback EC2 endpoint. Nothing valid
// is refused; a mistake Packer 1.6.6 finds only on the instance is refused before Packer is
// installed; a build that cannot reach WinRM fails on its source, leaves no instance running and
// shows no password.
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SOURCE_AMI_ID, SOURCE_SNAPSHOT_ID, startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { loopbackEnvironment, projectRoot, pushToMain, runAction, type ActionRun } from './support/action-process.js'
import { describeWithPacker, packerVersion } from './support/runtimes.js'

const fixtures = join(projectRoot, '__tests__', 'fixtures', 'templates')
const password = 'Sup3r-S3cret-WinRM!'

describeWithPacker('a Windows AMI template, through the bundled action', () => {
  let endpoint: Ec2Endpoint
  let mark = 0
  const workspaces: string[] = []

  beforeAll(async () => {
    // The source AMI as Amazon names its Windows images, for the templates' source_ami_filter.
    const name = 'Windows_Server-2022-English-Full-Base-2024.01.10'
    endpoint = await startEc2Endpoint({ autoAdvance: { describes: 0 }, seedImages: [{ imageId: SOURCE_AMI_ID, name, snapshotId: SOURCE_SNAPSHOT_ID }] })
  })
  beforeEach(() => {
    mark = endpoint.calls.length
  })
  afterAll(async () => {
    await endpoint.close()
    for (const workspace of workspaces) rmSync(workspace, { recursive: true, force: true })
  })

  const calls = () => endpoint.calls.slice(mark)

  /** A copy of the fixture, with `edit` made to the text of its template. */
  function workspaceOf(fixture: 'windows-hcl' | 'windows-json', edit: (text: string) => string = (text) => text): string {
    const workspace = mkdtempSync(join(tmpdir(), 'windows-'))
    workspaces.push(workspace)
    cpSync(join(fixtures, fixture), workspace, { recursive: true })
    const template = join(workspace, templateOf(fixture))
    writeFileSync(template, edit(readFileSync(template, 'utf8')))
    return workspace
  }

  const templateOf = (fixture: string) => (fixture === 'windows-hcl' ? 'windows.pkr.hcl' : 'windows.json')

  function run(workspace: string, fixture: 'windows-hcl' | 'windows-json', inputs: Record<string, string> = {}): Promise<ActionRun> {
    const template = fixture === 'windows-hcl' ? { template: 'windows.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' } : { template: 'windows.json', 'var-file': 'vars.json' }
    return runAction({
      workspace,
      inputs: { 'packer-version': packerVersion(), ...template, ...inputs },
      env: { ...pushToMain, ...loopbackEnvironment(endpoint.url, workspace) }
    })
  }

  /** Where `text` is in the workspace's template, as an annotation gives it. */
  function placeOf(workspace: string, fixture: string, text: string): { line: string; col: string } {
    const lines = readFileSync(join(workspace, templateOf(fixture)), 'utf8').split('\n')
    const found = lines.findIndex((line) => line.includes(text))
    return { line: String(found + 1), col: String(lines[found].indexOf(text) + 1) }
  }

  /** Where provisioner `index` of the workspace's JSON template (as JSON.stringify writes it) opens. */
  function provisionerPlace(workspace: string, index: number): { line: string; col: string } {
    const lines = readFileSync(join(workspace, 'windows.json'), 'utf8').split('\n')
    const start = lines.findIndex((line) => line.includes('"provisioners"'))
    const opens = lines.flatMap((line, at) => (at > start && line === '    {' ? [at] : []))
    return { line: String(opens[index] + 1), col: '5' }
  }

  /** The step's log, summary and outputs, less the lines that register masks (the runner hides what they name). */
  const shown = (result: ActionRun): string =>
    [result.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::')).join('\n'), result.stderr, result.summary, JSON.stringify(result.outputs)].join('\n')

  for (const fixture of ['windows-hcl', 'windows-json'] as const) {
    it(`${fixture}: validate passes, with no error or warning, and sends nothing to EC2`, async () => {
      const result = await run(workspaceOf(fixture), fixture, { command: 'validate' })
      expect(result.errors).toEqual([])
      expect(result.warnings).toEqual([])
      expect(result.exitCode).toBe(0)
      expect(result.stdout).toContain(`packer validate: ${templateOf(fixture)} is valid.`)
      expect(calls()).toEqual([])
    })
  }

  it('windows-hcl: a build WinRM cannot reach fails on the winrm_timeout it waited, its instance terminated, its key pair and group deleted, no password shown', async () => {
    const workspace = workspaceOf('windows-hcl', (text) => text.replace('winrm_timeout  = "20s"', 'winrm_timeout  = "5s"'))
    const result = await run(workspace, 'windows-hcl')
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      { message: 'amazon-ebs.win2022: Timeout waiting for WinRM.', properties: { title: 'Packer', file: 'windows.pkr.hcl', ...placeOf(workspace, 'windows-hcl', 'winrm_timeout') } },
      { message: 'packer build failed (exit code 1); no AMI was built.', properties: {} }
    ])
    expect(result.outputs['ami-id']).toBe('')
    const launched = calls().filter(({ action }) => action === 'RunInstances')
    expect(launched).toHaveLength(1)
    expect(endpoint.instances('us-east-1').filter(({ state }) => state !== 'terminated')).toEqual([])
    expect(endpoint.keyPairs('us-east-1')).toEqual([])
    expect(endpoint.securityGroups('us-east-1').map(({ groupName }) => groupName)).toEqual(['default'])
    expect(result.stdout).toContain(`::add-mask::${password}`)
    expect(shown(result)).not.toContain(password)
  }, 120_000)

  it('windows-json: a build WinRM cannot reach fails on the builder\'s winrm_timeout, its instance terminated', async () => {
    const workspace = workspaceOf('windows-json', (text) => text.replace('"winrm_timeout": "20s"', '"winrm_timeout": "5s"'))
    const result = await run(workspace, 'windows-json')
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      { message: 'win2022: Timeout waiting for WinRM.', properties: { title: 'Packer', file: 'windows.json', ...placeOf(workspace, 'windows-json', '"winrm_timeout"') } },
      { message: 'packer build failed (exit code 1); no AMI was built.', properties: {} }
    ])
    expect(calls().filter(({ action }) => action === 'RunInstances')).toHaveLength(1)
    expect(endpoint.instances('us-east-1').filter(({ state }) => state !== 'terminated')).toEqual([])
  }, 120_000)

  // Packer 1.6.6 names only the build for these: each on the one provisioner of several
  // powershell ones that could say it, before anything is sent to EC2.
  const refusedProvisioners = [
    {
      name: 'a powershell provisioner with both script and scripts: on that provisioner',
      edit: (provisioners: Array<Record<string, unknown>>) => {
        provisioners[5].scripts = ['scripts/configure.ps1']
      },
      says: 'Build "win2022": Only one of script or scripts can be specified.',
      on: 5
    },
    {
      name: "a powershell provisioner's elevated_password with no elevated_user: on that password",
      edit: (provisioners: Array<Record<string, unknown>>) => {
        provisioners[0].elevated_password = '{{build `Password`}}'
      },
      says: "Build \"win2022\": Must supply an 'elevated_user' if 'elevated_password' provided",
      on: '"elevated_password": "{{build `Password`}}"'
    }
  ]
  for (const { name, edit, says, on } of refusedProvisioners) {
    it(`windows-json: ${name}`, async () => {
      const workspace = workspaceOf('windows-json', (text) => {
        const template = JSON.parse(text) as { provisioners: Array<Record<string, unknown>> }
        edit(template.provisioners)
        return JSON.stringify(template, null, 2)
      })
      const result = await run(workspace, 'windows-json', { command: 'validate' })
      expect(result.exitCode).toBe(1)
      const where = typeof on === 'string' ? placeOf(workspace, 'windows-json', on) : provisionerPlace(workspace, on)
      expect(result.errors).toEqual([
        { message: says, properties: { title: 'Packer', file: 'windows.json', ...where } },
        { message: 'packer validate found problems in windows.json (see the errors above); nothing was built.', properties: {} }
      ])
      expect(calls()).toEqual([])
    })
  }

  it('windows-json: a WinRM communicator with no winrm_username: on the communicator, though provisioners follow', async () => {
    const workspace = workspaceOf('windows-json', (text) => text.replace('      "winrm_username": "Administrator",\n', ''))
    const result = await run(workspace, 'windows-json', { command: 'validate' })
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      { message: 'Build "win2022": winrm_username must be specified.', properties: { title: 'Packer', file: 'windows.json', ...placeOf(workspace, 'windows-json', '"communicator": "winrm"') } },
      { message: 'packer validate found problems in windows.json (see the errors above); nothing was built.', properties: {} }
    ])
    expect(calls()).toEqual([])
  })

  it('windows-hcl: a windows-restart restart_timeout with no unit: on that attribute, not the whole block', async () => {
    const workspace = workspaceOf('windows-hcl', (text) => text.replace('restart_timeout       = "15m"', 'restart_timeout       = "15"'))
    const result = await run(workspace, 'windows-hcl', { command: 'validate' })
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message: 'error decoding \'restart_timeout\': time: missing unit in duration "15"',
        properties: { title: 'Packer', file: 'windows.pkr.hcl', ...placeOf(workspace, 'windows-hcl', 'restart_timeout') }
      },
      { message: 'packer validate found problems in windows.pkr.hcl (see the errors above); nothing was built.', properties: {} }
    ])
    expect(calls()).toEqual([])
  })

  it('windows-json: commands that read template data Packer 1.6.6 does not give them, which it runs or fails on only on the instance: each refused on its string before Packer is installed', async () => {
    const commands = {
      execute: "powershell -executionpolicy bypass \"& { . {{.Vars}}; &'{{.Paht}}'; exit $LastExitCode }\"",
      elevated: "powershell \"& { . {{.Vars}}; &'{{.Script}}' }\"",
      windowsShell: '{{.Vars}} cmd /c "{{.Path}}" {{.SourceAMI}}'
    }
    const workspace = workspaceOf('windows-json', (text) => {
      const template = JSON.parse(text) as { provisioners: Array<Record<string, unknown>> }
      const [, , scripts, , windowsShell, system] = template.provisioners
      scripts.execute_command = commands.execute
      system.elevated_execute_command = commands.elevated
      windowsShell.execute_command = commands.windowsShell
      return JSON.stringify(template, null, 2)
    })
    const result = await run(workspace, 'windows-json')
    const on = (value: string) => ({ title: 'Invalid input', file: 'windows.json', ...placeOf(workspace, 'windows-json', JSON.stringify(value)) })
    const powershellData = "Its data are {{.Vars}}, {{.Path}}, and the build's: {{.SourceAMI}}, {{.BuildRegion}}, {{.ID}}, {{.Host}}..."
    expect(result.errors).toEqual([
      {
        message:
          'template: windows.json: execute_command of provisioner "powershell" reads {{.Paht}}, template data Packer does not give execute_command: packer ' +
          'validate accepts it, but Packer runs the command on the instance with the text "<no value>" in its place, once Packer has launched the instance. ' +
          powershellData,
        properties: on(commands.execute)
      },
      {
        message:
          'template: windows.json: execute_command of provisioner "windows-shell" reads {{.SourceAMI}}, template data Packer does not give execute_command: ' +
          'packer validate accepts it, but the build fails once Packer has launched the instance ("can\'t evaluate field SourceAMI in type ' +
          "*shell.ExecuteCommandTemplate\"). Its data are {{.Vars}}, {{.Path}} alone, not the build's ({{.SourceAMI}}, {{.ID}}...).",
        properties: on(commands.windowsShell)
      },
      {
        message:
          'template: windows.json: elevated_execute_command of provisioner "powershell" reads {{.Script}}, template data Packer does not give ' +
          'elevated_execute_command: packer validate accepts it, but Packer runs the command on the instance with the text "<no value>" in its place, once ' +
          `Packer has launched the instance. ${powershellData}`,
        properties: on(commands.elevated)
      }
    ])
    expect(result.exitCode).toBe(1)
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(calls()).toEqual([])
  })
})
