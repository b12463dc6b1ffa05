// Mistakes in a template as users make them, through the bundled action run as the runner runs
// it, with the real Packer and the loopback EC2 endpoint: each must fail with an error on the
// file and line of the mistake, saying what is wrong, once, and build nothing.
import { afterAll, beforeAll, expect, it } from '@jest/globals'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { loopbackEnvironment, projectRoot, pushToMain, runAction, type ActionRun } from './support/action-process.js'
import { describeWithPacker, nodeRuntimes, packerVersion } from './support/runtimes.js'

describeWithPacker('a mistake in an HCL2 template, through the bundled action', () => {
  let version = ''
  // The runtime action.yml names: Node 24 where the machine's Node is another.
  let node = ''
  let endpoint: Ec2Endpoint
  const workspaces: string[] = []

  beforeAll(async () => {
    version = packerVersion()
    node = (nodeRuntimes().at(-1) as { path: string }).path
    endpoint = await startEc2Endpoint({ regions: ['us-east-1', 'eu-west-1', 'us-west-2'], autoAdvance: { describes: 0 } })
  })
  afterAll(async () => {
    await endpoint.close()
    for (const workspace of workspaces) rmSync(workspace, { recursive: true, force: true })
  })

  /** The demo's HCL2 template, with `edit` made to its text. */
  function demoWith(edit: (text: string) => string): string {
    const workspace = mkdtempSync(join(tmpdir(), 'template-mistakes-'))
    workspaces.push(workspace)
    cpSync(join(projectRoot, 'demo', 'hcl2'), workspace, { recursive: true })
    const template = join(workspace, 'ami.pkr.hcl')
    writeFileSync(template, edit(readFileSync(template, 'utf8')))
    return workspace
  }

  function run(workspace: string, inputs: Record<string, string> = {}): Promise<ActionRun> {
    return runAction({
      workspace,
      node,
      inputs: { 'packer-version': version, template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', ...inputs },
      env: { ...pushToMain, ...loopbackEnvironment(endpoint.url, workspace) }
    })
  }

  const lineOf = (workspace: string, text: string): string =>
    String(readFileSync(join(workspace, 'ami.pkr.hcl'), 'utf8').split('\n').findIndex((line) => line.includes(text)) + 1)

  const withProvisioner = (settings: string) => (text: string): string =>
    text.replace('  post-processor "manifest" {}', `  provisioner "shell-local" {\n    inline = ["echo hi"]\n${settings}  }\n\n  post-processor "manifest" {}`)

  it("a provisioner's pause_before without a unit, which Packer 1.6.6 crashes on: on the setting, saying what a duration is", async () => {
    const workspace = demoWith(withProvisioner('    pause_before = "10"\n    timeout      = "5m"\n'))
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message:
          'template: ami.pkr.hcl: pause_before of provisioner "shell-local" expected a duration, a number and a unit ' +
          '(ns, us, ms, s, m, h) such as "30s", "5m" or "1h30m", found "10"',
        properties: { title: 'Invalid input', file: 'ami.pkr.hcl', line: lineOf(workspace, 'pause_before'), col: '5' }
      },
      { message: 'packer validate found problems in ami.pkr.hcl (see the errors above); nothing was built.', properties: {} }
    ])
    expect(endpoint.calls).toEqual([])
  })
})
