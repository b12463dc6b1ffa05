// A template's variables may take their values from the environment (JSON: `{{env `X`}}`; HCL2:
// `env("X")` in a default, `PKR_VAR_<name>`): a base image, an instance type, the accounts to share
// with, set by an earlier step or the workflow's `env:`. Those values go into the image as much as the variables input does, so reuse must build
// when one changes, and reuse when none does, whatever the credentials the template passes on.
// Through the bundled action, with the real Packer and the loopback EC2 endpoint.
import { expect, it } from '@jest/globals'
import { asTheRunnerShowsIt, type ActionRun } from './support/action-process.js'
import { demoRuns, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

describeWithPacker("the environment a JSON template's variables read, in reuse's fingerprint, through the bundled action", () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const { demoWith } = demoRuns(suite)

  /** The demo's JSON template, its instance type and the session token it passes on taken from the environment. */
  const fromEnvironment = (text: string): string => {
    const edited = text.replace(
      '"instance_type": "t3.micro",',
      '"instance_type": "{{env `BUILD_INSTANCE_TYPE`}}",\n    "session_token": "{{env `AWS_SESSION_TOKEN`}}",'
    )
    expect(edited).toContain('BUILD_INSTANCE_TYPE')
    return edited
  }

  const launchedTypes = (): string[] => suite.calls.filter((call) => call.action === 'RunInstances').map((call) => call.params.InstanceType)
  const fingerprintOf = (result: ActionRun): string => /^Fingerprint of the build's inputs \(\d+ files\): ([0-9a-f]{64})$/m.exec(result.stdout)?.[1] ?? ''

  it('builds again when a value the variables read from the environment changes, and reuses when only the session token does', async () => {
    const workspace = demoWith(fromEnvironment, 'json')
    const withEnvironment = (type: string, token: string) => (inputs: Record<string, string>) =>
      suite.run(workspace, { template: 'packer-template.json', ...inputs }, { BUILD_INSTANCE_TYPE: type, AWS_SESSION_TOKEN: token })

    const first = await withEnvironment('t3.micro', 'session-one')({ reuse: 'true' })
    expect(first.errors).toEqual([])
    expect(first.exitCode).toBe(0)
    expect(launchedTypes()).toEqual(['t3.micro'])

    const sameType = await withEnvironment('t3.micro', 'session-two')({ reuse: 'true' })
    expect(sameType.errors).toEqual([])
    expect(sameType.exitCode).toBe(0)
    expect(launchedTypes()).toEqual(['t3.micro'])
    expect(fingerprintOf(sameType)).toBe(fingerprintOf(first))
    expect(sameType.summary).toContain('reused, built by')
    expect(sameType.outputs['ami-ids']).toBe(first.outputs['ami-ids'])

    const otherType = await withEnvironment('t3.large', 'session-two')({ reuse: 'true' })
    expect(otherType.errors).toEqual([])
    expect(otherType.exitCode).toBe(0)
    expect(launchedTypes()).toEqual(['t3.micro', 't3.large'])
    expect(fingerprintOf(otherType)).not.toBe(fingerprintOf(first))
    expect(otherType.summary).not.toContain('reused, built by')
    const [firstIds, otherIds] = [first, otherType].map((result) => JSON.parse(result.outputs['ami-ids']) as Record<string, string>)
    expect(Object.keys(otherIds).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    for (const region of Object.keys(otherIds)) expect(otherIds[region]).not.toBe(firstIds[region])
    // The log says which environment variables the fingerprint covers; the token's value is a
    // credential, neither in the log nor in what the fingerprint hashes.
    expect(otherType.stdout).toContain(
      "Fingerprinted too, as the template's variables read them: environment variables AWS_ENDPOINT_URL_EC2, AWS_SESSION_TOKEN, BUILD_INSTANCE_TYPE"
    )
    expect(otherType.stdout).not.toContain('session-two')
  })
})

// An HCL2 template's variables read the environment in two ways: a default written `env("X")`,
// and `PKR_VAR_<name>` in the step's environment, which sets a variable the template declares.
describeWithPacker("the environment an HCL2 template's variables read, in reuse's fingerprint, through the bundled action", () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const { demoWith } = demoRuns(suite)
  const inputs = { template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', reuse: 'true' }

  /** The demo's HCL2 template, its instance_type's default `instanceType`, and two sensitive variables, one reading the session token. */
  const withVariables = (instanceType: string) => (text: string): string => {
    const declared = 'variable "instance_type" {\n  type    = string\n  default = "t3.micro"\n}'
    const edited = text.replace(
      declared,
      `variable "instance_type" {\n  type    = string\n  default = ${instanceType}\n}\n\n` +
        'variable "session_token" {\n  type      = string\n  sensitive = true\n  default   = env("AWS_SESSION_TOKEN")\n}\n\n' +
        'variable "api_key" {\n  type      = string\n  sensitive = true\n  default   = ""\n}'
    )
    expect(edited).toContain('session_token')
    return edited
  }

  const launchedTypes = (): string[] => suite.calls.filter((call) => call.action === 'RunInstances').map((call) => call.params.InstanceType)
  const fingerprintOf = (result: ActionRun): string => /^Fingerprint of the build's inputs \(\d+ files\): ([0-9a-f]{64})$/m.exec(result.stdout)?.[1] ?? ''
  const idsOf = (result: ActionRun): Record<string, string> => JSON.parse(result.outputs['ami-ids']) as Record<string, string>

  /** A run that reused `earlier`'s AMIs. */
  const expectReused = (result: ActionRun, earlier: ActionRun): void => {
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(fingerprintOf(result)).toBe(fingerprintOf(earlier))
    expect(result.summary).toContain('reused, built by')
    expect(result.outputs['ami-ids']).toBe(earlier.outputs['ami-ids'])
  }

  /** A run that built AMIs of its own, in each region, rather than reuse `earlier`'s. */
  const expectBuilt = (result: ActionRun, earlier: ActionRun): void => {
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(fingerprintOf(result)).not.toBe(fingerprintOf(earlier))
    expect(result.summary).not.toContain('reused, built by')
    const [earlierIds, ids] = [idsOf(earlier), idsOf(result)]
    expect(Object.keys(ids).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    for (const region of Object.keys(ids)) expect(ids[region]).not.toBe(earlierIds[region])
  }

  it('builds again when the environment a default reads with env() changes, and reuses when only the session token does', async () => {
    const workspace = demoWith(withVariables('env("BUILD_INSTANCE_TYPE")'), 'hcl2')
    const withEnvironment = (type: string, token: string) =>
      suite.run(workspace, inputs, { BUILD_INSTANCE_TYPE: type, AWS_SESSION_TOKEN: token })

    const first = await withEnvironment('t3.micro', 'session-one')
    expect(first.errors).toEqual([])
    expect(first.exitCode).toBe(0)
    expect(launchedTypes()).toEqual(['t3.micro'])

    expectReused(await withEnvironment('t3.micro', 'session-two'), first)
    expect(launchedTypes()).toEqual(['t3.micro'])

    const otherType = await withEnvironment('t3.large', 'session-two')
    expectBuilt(otherType, first)
    expect(launchedTypes()).toEqual(['t3.micro', 't3.large'])
    // The token's value is a credential, and the variable that reads it sensitive: neither in the log nor in what the fingerprint hashes.
    expect(otherType.stdout).toContain(
      "Fingerprinted too, as the template's variables read them: environment variables AWS_ENDPOINT_URL_EC2, AWS_SESSION_TOKEN, BUILD_INSTANCE_TYPE"
    )
    expect(asTheRunnerShowsIt(otherType).log).not.toContain('session-two')
  })

  it('builds again when a PKR_VAR_ variable that sets a variable changes, and reuses when one of a sensitive variable, of an undeclared one or of one a variables file sets does', async () => {
    const workspace = demoWith(withVariables('"t3.micro"'), 'hcl2')
    const given = { PKR_VAR_instance_type: 't3.micro', PKR_VAR_api_key: 'key-one', PKR_VAR_source_ami: 'ami-00000000000000001', PKR_VAR_unrelated: 'one' }
    const withEnvironment = (changed: Record<string, string>) =>
      suite.run(workspace, inputs, { ...given, ...changed })

    const first = await withEnvironment({})
    expect(first.errors).toEqual([])
    expect(first.exitCode).toBe(0)
    expect(launchedTypes()).toEqual(['t3.micro'])

    // The API key's value is a secret; the variables file sets source_ami over PKR_VAR_source_ami;
    // the template declares no variable `unrelated`: Packer builds the same image.
    const same = await withEnvironment({ PKR_VAR_api_key: 'key-two', PKR_VAR_source_ami: 'ami-00000000000000002', PKR_VAR_unrelated: 'two' })
    expectReused(same, first)
    expect(launchedTypes()).toEqual(['t3.micro'])

    const otherType = await withEnvironment({ PKR_VAR_instance_type: 't3.large' })
    expectBuilt(otherType, first)
    expect(launchedTypes()).toEqual(['t3.micro', 't3.large'])
    expect(otherType.stdout).toContain(
      "Fingerprinted too, as the template's variables read them: environment variables AWS_ENDPOINT_URL_EC2, AWS_SESSION_TOKEN, PKR_VAR_api_key, PKR_VAR_instance_type"
    )
    expect(asTheRunnerShowsIt(otherType).log).not.toContain('key-one')
  })
})
