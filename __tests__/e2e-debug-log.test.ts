// A failed run re-run with the runner's debug logging (RUNNER_DEBUG=1), or with PACKER_LOG set in
// the step's environment as Packer's docs say for debugging, through the bundled action with the
// real Packer and the loopback EC2 endpoint: Packer's debug log is in the step's log as text, the
// action says which Packer commands it runs, and no secret shows, in any form Packer writes it.
import { afterEach, describe, expect, it } from '@jest/globals'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { asTheRunnerShowsIt, loopbackEnvironment, pushToMain, runPostStep, type ActionRun } from './support/action-process.js'
import { leftByABuild } from './support/endpoint-per-test.js'
import { demoRuns, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker, packerVersion } from './support/runtimes.js'
import { commandsTheRunnerRuns, groupLines } from './support/workflow-commands.js'

describeWithPacker("Packer's debug log and the action's debug lines, through the bundled action", () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const { demoWith } = demoRuns(suite)

  // Each holds a comma, which Packer's machine-readable lines write as %!(PACKER_COMMA): its debug
  // log copies those lines as they are, and a runner masks a secret only as it was registered.
  // Each part after the comma holds a letter no hexadecimal ID (a request ID, an AMI's) can.
  const hclSecret = 'hcl-Secret,9f3q'
  const jsonSecret = 'json-Secret,47aw'
  /** Given to the step as `${{ secrets.X }}` would be: the runner knows it, the template does not declare it sensitive. */
  const runnerSecret = 'runner-Secret,c0dy'
  const secrets = [hclSecret, jsonSecret, runnerSecret]

  /** The demo's HCL2 template with a sensitive variable, given by a variables file, that one of the AMI's tags shows. */
  function hclWorkspace(): string {
    const workspace = demoWith(
      (text) =>
        text
          .replace('variable "aws_region" {', 'variable "db_password" {\n  type      = string\n  sensitive = true\n}\n\nvariable "aws_region" {')
          .replace('    SourceAMI = "{{ .SourceAMI }}"\n', '    SourceAMI = "{{ .SourceAMI }}"\n    Password  = var.db_password\n'),
      'hcl2'
    )
    writeFileSync(join(workspace, 'secret.pkrvars.hcl'), `db_password = "${hclSecret}"\n`)
    return workspace
  }
  const hclInputs = { template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl\nsecret.pkrvars.hcl' }

  /**
   * The demo's JSON template with a sensitive variable given by the variables input, and a
   * variable it does not declare sensitive, given a secret of the workflow's: tags show both.
   */
  function jsonWorkspace(): string {
    return demoWith((text) => {
      const template = JSON.parse(text) as { variables: Record<string, string>; builders: Array<{ tags: Record<string, string> }> } & Record<string, unknown>
      template.variables.db_password = ''
      template.variables.token = ''
      template['sensitive-variables'] = ['db_password']
      template.builders[0].tags.Password = '{{user `db_password`}}'
      template.builders[0].tags.Token = '{{user `token`}}'
      return JSON.stringify(template, null, 2)
    }, 'json')
  }
  const jsonInputs = { template: 'packer-template.json', 'var-file': 'packer-vars.json', variables: `db_password=${jsonSecret}\ntoken=${runnerSecret}` }

  /** No secret, whole or in part, in the log as the runner shows it, in the summary or on stderr. */
  function expectNoSecret(result: ActionRun): void {
    const shown = asTheRunnerShowsIt(result, [runnerSecret])
    for (const secret of secrets) {
      for (const part of secret.split(',')) {
        expect(shown.log).not.toContain(part)
        expect(shown.summary).not.toContain(part)
        expect(result.stderr).not.toContain(part)
      }
    }
  }

  /** The lines of Packer's own debug log in the group, as text (the runner reads no command in them). */
  function packerDebugLines(result: ActionRun, group: string): string[] {
    return (groupLines(result.stdout, group) ?? []).filter((line) => /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /.test(line))
  }

  /** The debug lines the runner shows (`::debug::`), as it reads them. */
  function debugLines(result: ActionRun): string[] {
    return commandsTheRunnerRuns(result.stdout).flatMap(({ name, line }) => (name === 'debug' ? [line.replace(/^::debug::/, '')] : []))
  }

  describe('PACKER_LOG=1 in the step\'s environment', () => {
    it("HCL2: Packer's debug log shows in Validate and Build, and a sensitive value with a comma is masked in its copy of Packer's lines", async () => {
      const result = await suite.run(hclWorkspace(), hclInputs, { PACKER_LOG: '1' })
      expect(result.exitCode).toBe(0)
      expect(result.outputs['ami-id']).toMatch(/^ami-/)
      for (const group of ['Validate', 'Build']) {
        expect(packerDebugLines(result, group)).toContainEqual(expect.stringMatching(/ \[INFO\] Packer version: 1\.6\.6 /))
      }
      // Packer's copy of its line, which printed the secret, is masked as the line itself is.
      const shown = asTheRunnerShowsIt(result).log.split('\n')
      expect(shown).toContainEqual(expect.stringMatching(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \d+,,ui,message, {4}amazon-ebs\.demo: Adding tag: "Password": "\*\*\*"$/))
      expect(shown).toContain('    amazon-ebs.demo: Adding tag: "Password": "***"')
      expectNoSecret(result)
    })

    it("JSON: a sensitive variable given by the variables input, and a workflow's secret the template does not declare sensitive, are masked too", async () => {
      const result = await suite.run(jsonWorkspace(), jsonInputs, { PACKER_LOG: '1' })
      expect(result.exitCode).toBe(0)
      expect(packerDebugLines(result, 'Build')).toContainEqual(expect.stringMatching(/ \[INFO\] Packer version: 1\.6\.6 /))
      const shown = asTheRunnerShowsIt(result, [runnerSecret]).log.split('\n')
      expect(shown).toContainEqual(expect.stringMatching(/ \d+,,ui,message, {4}amazon-ebs: Adding tag: "Token": "\*\*\*"$/))
      expect(shown).toContainEqual(expect.stringMatching(/ \d+,,ui,message, {4}amazon-ebs: Adding tag: "Password": "\*\*\*"$/))
      expectNoSecret(result)
    })
  })

  describe('a re-run with debug logging (RUNNER_DEBUG=1)', () => {
    it("HCL2: Packer runs with its debug log, shown as text, and a debug line names each Packer command, with no variable's value", async () => {
      const result = await suite.run(hclWorkspace(), { ...hclInputs, variables: 'instance_type=t3.small' }, { RUNNER_DEBUG: '1' })
      expect(result.exitCode).toBe(0)
      for (const group of ['Validate', 'Build']) {
        expect(packerDebugLines(result, group)).toContainEqual(expect.stringMatching(/ \[INFO\] Packer version: 1\.6\.6 /))
      }
      const running = debugLines(result).filter((line) => line.startsWith('Running '))
      const args = '-machine-readable -var-file=loopback.pkrvars.hcl -var-file=secret.pkrvars.hcl -var instance_type=… ami.pkr.hcl'
      expect(running).toEqual([
        expect.stringMatching(new RegExp(`^Running \\S*packer validate ${escaped(args)} in \\S+, with PACKER_LOG=1$`)),
        expect.stringMatching(new RegExp(`^Running \\S*packer build ${escaped(args.replace('-machine-readable', '-machine-readable -on-error=cleanup'))} in \\S+, with PACKER_LOG=1$`))
      ])
      expect(result.stdout).not.toContain('t3.small ')
      expectNoSecret(result)
    })

    it('JSON: the same, with the secrets masked in the debug log', async () => {
      const result = await suite.run(jsonWorkspace(), jsonInputs, { RUNNER_DEBUG: '1' })
      expect(result.exitCode).toBe(0)
      expect(packerDebugLines(result, 'Build').length).toBeGreaterThan(0)
      expectNoSecret(result)
    })

    it("PACKER_LOG=0 in the step's environment keeps Packer's debug log off; without RUNNER_DEBUG it is off too", async () => {
      const off = await suite.run(hclWorkspace(), hclInputs, { RUNNER_DEBUG: '1', PACKER_LOG: '0' })
      expect(off.exitCode).toBe(0)
      expect(packerDebugLines(off, 'Build')).toEqual([])
      expect(debugLines(off)).toContainEqual(expect.stringMatching(/^Running \S*packer build .* in \S+$/))
      const plain = await suite.run(hclWorkspace(), hclInputs)
      expect(plain.exitCode).toBe(0)
      expect(packerDebugLines(plain, 'Build')).toEqual([])
    })
  })

  describe("the action's own AWS calls in a re-run with debug logging", () => {
    afterEach(() => suite.endpoint.faults.clear())

    /** The debug lines of the action's AWS calls: `AWS <service> <operation> in <region> at <endpoint>: <outcome>, …`. */
    function awsCallLines(result: ActionRun): string[] {
      return debugLines(result).filter((line) => /^AWS \w+ \w+ /.test(line))
    }

    const sessionToken = 'session-Token-5e55'
    const credentials = { AWS_SESSION_TOKEN: sessionToken }

    it('a line names each tagging call per region with its outcome, a throttled call its attempts, and where the credentials came from; no secret', async () => {
      // The action's first two tagging calls in eu-west-1 are throttled; it tries again itself.
      suite.endpoint.faults.throttle('CreateTags', { firstCalls: 2, region: 'eu-west-1', userAgent: 'aws-sdk-js' })
      const result = await suite.run(hclWorkspace(), hclInputs, { RUNNER_DEBUG: '1', ...credentials })
      expect(result.exitCode).toBe(0)
      const lines = awsCallLines(result)
      const host = new URL(suite.endpoint.url).host
      for (const region of ['us-east-1', 'eu-west-1', 'us-west-2']) {
        const said = lines.filter((line) => line.startsWith(`AWS EC2 CreateTags in ${region} at ${host}: HTTP 200, request ID `))
        expect(said.length).toBeGreaterThan(0)
        // How many it tagged, never which, nor with what.
        for (const line of said) expect(line).toMatch(/, 1 attempt, \d+ ms, \d+ resources?, \d+ tags?$/)
      }
      const throttled = lines.filter((line) => line.startsWith(`AWS EC2 CreateTags in eu-west-1 at ${host}: RequestLimitExceeded (HTTP 503), request ID `))
      expect(throttled).toHaveLength(suite.calls.filter((call) => call.action === 'CreateTags' && call.error === 'RequestLimitExceeded').length)
      expect(throttled).toHaveLength(2)
      expect(lines).toContainEqual(expect.stringMatching(/^AWS EC2 DescribeImages in us-east-1 at \S+: HTTP 200, request ID \S+, \d+ attempts?, \d+ ms$/))
      expect(debugLines(result)).toContain('AWS credentials: from the environment (AWS_ACCESS_KEY_ID)')
      expectNoSecret(result)
      for (const secret of ['loopback-secret', sessionToken, 'AKIDLOOPBACK', 'Signature', 'Credential=']) expect(result.stdout).not.toContain(secret)
    })

    it('a call the SDK retries itself shows its attempts in one line', async () => {
      // SSM's first two answers in us-east-1 throttle; the SDK's third attempt is answered.
      suite.endpoint.faults.throttle('PutParameter', { firstCalls: 2, region: 'us-east-1' })
      const result = await suite.run(hclWorkspace(), { ...hclInputs, 'ssm-parameter': '/images/demo/latest' }, { RUNNER_DEBUG: '1', ...credentials })
      expect(result.exitCode).toBe(0)
      const put = awsCallLines(result).filter((line) => line.startsWith('AWS SSM PutParameter in '))
      expect(put).toContainEqual(expect.stringMatching(/^AWS SSM PutParameter in us-east-1 at \S+: HTTP 200, request ID \S+, 3 attempts, \d+ ms$/))
      expect(put).toHaveLength(3)
      expectNoSecret(result)
    })

    it("the post step's calls, cleaning up what a failed build left, have their lines too", async () => {
      const { endpoint } = suite
      const { resources } = await leftByABuild(endpoint, 'us-east-1')
      const packerStarted = new Date(Date.now() - 60_000).toISOString()
      const state = { 'packer-leftovers': JSON.stringify({ regions: ['us-east-1'], buildRegions: { regions: ['us-east-1'] }, resources, packer: 'failed', packerStarted }) }
      endpoint.faults.throttle('TerminateInstances', { firstCalls: 1, userAgent: 'aws-sdk-js' })
      const workspace = hclWorkspace()
      const post = await runPostStep(
        { state },
        {
          workspace,
          inputs: { 'packer-version': packerVersion(), ...hclInputs },
          env: { ...pushToMain, ...loopbackEnvironment(endpoint.url, workspace), RUNNER_DEBUG: '1', ...credentials }
        }
      )
      expect(post.exitCode).toBe(0)
      const lines = awsCallLines(post)
      expect(lines).toContainEqual(expect.stringMatching(/^AWS EC2 TerminateInstances in us-east-1 at \S+: HTTP 200, request ID \S+, 2 attempts, \d+ ms$/))
      expect(lines).toContainEqual(expect.stringMatching(/^AWS EC2 DeleteKeyPair in us-east-1 at \S+: HTTP 200, request ID \S+, \d+ attempts?, \d+ ms$/))
      for (const secret of ['loopback-secret', sessionToken]) expect(post.stdout).not.toContain(secret)
    })

    it('without debug logging, no such line', async () => {
      const result = await suite.run(hclWorkspace(), hclInputs, credentials)
      expect(result.exitCode).toBe(0)
      expect(result.stdout).not.toMatch(/^::debug::AWS /m)
    })
  })
})

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
