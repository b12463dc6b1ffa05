// A JSON template's variables may take their values from the environment (`{{env `X`}}`): a base
// image, an instance type, the accounts to share with, set by an earlier step or the workflow's
// `env:`. Those values go into the image as much as the variables input does, so reuse must build
// when one changes, and reuse when none does, whatever the credentials the template passes on.
// Through the bundled action, with the real Packer and the loopback EC2 endpoint.
import { expect, it } from '@jest/globals'
import type { ActionRun } from './support/action-process.js'
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
