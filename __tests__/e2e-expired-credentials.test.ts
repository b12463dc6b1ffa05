// AWS credentials that expire while the run goes on (a configure-aws-credentials session lasts an
// hour by default, and its exported keys are static), through the bundled action with the real
// Packer and the loopback EC2 endpoint, which from a moment on refuses every call made with them
// as EC2 does (RequestExpired, "Request has expired."). What exists stays in the outputs; the
// failure says what happened and what to change; what is left is named with the command that
// removes or tags it; nothing asks again and again.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { CreateKeyPairCommand, CreateSecurityGroupCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startEc2Endpoint, SOURCE_AMI_ID, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { leftByABuild } from './support/endpoint-per-test.js'
import { loopbackEnvironment, pushToMain, runAction, runPostStep, type RunActionOptions } from './support/action-process.js'
import { demoWorkspace } from './support/demo.js'
import { describeWithPacker, packerVersion } from './support/runtimes.js'

const regions = ['us-east-1', 'eu-west-1', 'us-west-2']
const expired = /The AWS credentials expired during the run \(the step had run for about \d+ min\): .*role-duration-seconds, up to the role's MaxSessionDuration/

describeWithPacker('AWS credentials that expire during the run, through the bundled action', () => {
  let endpoint: Ec2Endpoint
  let workspace: string
  beforeEach(async () => {
    endpoint = await startEc2Endpoint({ regions, autoAdvance: { describes: 0 } })
    workspace = demoWorkspace('expired-credentials-')
  })
  afterEach(async () => {
    await endpoint.close()
    rmSync(workspace, { recursive: true, force: true })
  })

  function step(inputs: Record<string, string> = {}): RunActionOptions {
    return {
      workspace,
      inputs: { 'packer-version': packerVersion(), 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', ...inputs },
      env: { ...pushToMain, ...loopbackEnvironment(endpoint.url, workspace) }
    }
  }

  it('once Packer is done, before tagging: the AMIs are in the outputs, named untagged with their commands, and the failure says the credentials expired', async () => {
    // Packer's last call: its temporary key pair's deletion.
    endpoint.faults.expireCredentials({ after: 'DeleteKeyPair' })
    const result = await runAction(step())
    expect(result.exitCode).toBe(1)
    const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
    expect(Object.keys(amiIds).sort()).toEqual(regions.slice().sort())
    for (const [region, amiId] of Object.entries(amiIds)) expect(endpoint.images(region).map((image) => image.imageId)).toContain(amiId)
    const failure = result.errors.at(-1)?.message ?? ''
    expect(failure).toMatch(/^Tagging failed in eu-west-1, us-east-1, us-west-2; the AMIs exist and are in the outputs\./)
    expect(failure).toMatch(expired)
    expect(result.summary).toMatch(expired)
    for (const [region, amiId] of Object.entries(amiIds)) {
      expect(result.summary).toContain(`aws ec2 create-tags --region ${region} --resources ${amiId} `)
      expect(result.summary).toContain(`](https://${region}.console.aws.amazon.com/ec2/home?region=${region}#ImageDetails:imageId=${amiId})`)
    }
    // One refused call per region, none asked again: an expired session does not heal.
    const afterPacker = endpoint.calls.slice(endpoint.calls.findIndex((call) => call.action === 'DeleteKeyPair') + 1)
    expect(afterPacker.map((call) => [call.action, call.error])).toEqual(regions.map(() => ['DescribeImages', 'RequestExpired']))
    expect(result.stdout).not.toContain('loopback-secret')
  })

  it('reuse, with credentials already expired: the look-up\'s refusal fails the step, saying so, and no build starts', async () => {
    endpoint.faults.expireCredentials()
    const result = await runAction(step({ reuse: 'true' }))
    expect(result.exitCode).toBe(1)
    expect(result.errors.map((error) => error.message)).toEqual([expect.stringMatching(/^reuse: looking for AMIs to reuse failed; nothing was built\. The AWS credentials expired/)])
    expect(result.errors[0]?.message).toMatch(expired)
    expect(result.warnings).toEqual([])
    expect(result.stdout).not.toContain('packer build')
    expect(result.summary).toMatch(expired)
    expect(endpoint.calls.map((call) => [call.action, call.error])).toEqual([['DescribeImages', 'RequestExpired']])
    expect(result.stdout).not.toContain('loopback-secret')
  })

  it('in the post step: what Packer left is named with the commands that remove it, and the refused calls are not asked again', async () => {
    // What a build whose credentials expired while Packer waited leaves: its instance, key pair
    // and security group, which neither Packer nor the main step could remove.
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' }, maxAttempts: 1 })
    const keyName = 'packer_6b164ef8-e5c4-4c3e-69ff-feeac7e0c4a7'
    const groupName = 'packer_6b164ef8-a9b5-085f-4088-c1ddb4e9252b'
    const packerStarted = new Date(Date.now() - 60_000).toISOString()
    await ec2.send(new CreateKeyPairCommand({ KeyName: keyName }))
    const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ GroupName: groupName, Description: 'Temporary group for Packer' }))
    const launched = await ec2.send(new RunInstancesCommand({ ImageId: SOURCE_AMI_ID, MinCount: 1, MaxCount: 1, KeyName: keyName, SecurityGroupIds: [GroupId as string] }))
    ec2.destroy()
    const instanceId = launched.Instances?.[0]?.InstanceId as string
    const resources = { instanceIds: [instanceId], keyPairs: [keyName], securityGroups: [groupName], images: [], imageInstances: [], snapshotVolumes: [], launchTemplates: [], instanceProfiles: [], roles: [], copyRegions: [] }
    const state = { 'packer-leftovers': JSON.stringify({ regions: ['us-east-1'], buildRegions: { regions: ['us-east-1'] }, resources, packer: 'failed', packerStarted }) }
    endpoint.faults.expireCredentials()
    const before = endpoint.calls.length
    const post = await runPostStep({ state }, step())
    expect(post.exitCode).toBe(0)
    const said = post.warnings.find((warning) => warning.startsWith('The AWS credentials had expired by the post step'))
    expect(said).toContain(`aws ec2 terminate-instances --region us-east-1 --instance-ids ${instanceId}`)
    expect(said).toContain(`aws ec2 delete-key-pair --region us-east-1 --key-name ${keyName}`)
    expect(said).toContain(`--filters Name=group-name,Values=${groupName} `)
    expect(endpoint.instances('us-east-1').find((instance) => instance.instanceId === instanceId)?.state).not.toMatch(/shutting-down|terminated/)
    // Each of its look-ups refused once: no look-up is asked again, nor a region after another.
    const refused = endpoint.calls.slice(before)
    expect(refused.every((call) => call.error === 'RequestExpired')).toBe(true)
    expect(refused.length).toBeLessThanOrEqual(4)
  })

  it('in the post step, of a template that builds outside the home region: the commands name the region the build launched in', async () => {
    // The main step saves where the template's build launches (eu-west-1, the home region being
    // us-east-1); what it left is then made up as in the test before, there.
    const main = await runAction(step({ variables: 'aws_region=eu-west-1' }))
    expect(main.exitCode).toBe(0)
    const saved = JSON.parse(main.state['packer-leftovers']) as Record<string, unknown>
    const { instanceId, keyName, resources } = await leftByABuild(endpoint, 'eu-west-1')
    const state = { 'packer-leftovers': JSON.stringify({ ...saved, resources, packer: 'failed', amis: [], finished: [], manifests: [] }) }
    endpoint.faults.expireCredentials()
    const post = await runPostStep({ state }, step())
    expect(post.exitCode).toBe(0)
    const said = post.warnings.find((warning) => warning.startsWith('The AWS credentials had expired by the post step')) ?? ''
    expect(said).toContain('could not remove what Packer left in eu-west-1,')
    expect(said).toContain(`aws ec2 terminate-instances --region eu-west-1 --instance-ids ${instanceId}`)
    expect(said).toContain(`aws ec2 delete-key-pair --region eu-west-1 --key-name ${keyName}`)
    expect(said).not.toContain('us-east-1')
  })

  describe('in the post step, after a template whose two builds launch in two regions failed with on-error: abort', () => {
    // What the main step saved of a real run: Packer's log announced each build's instance, key
    // pair and security group, each in its build's region, and left them (on-error: abort).
    async function leftByTwoBuilds(): Promise<{ state: Record<string, string>; left: Record<string, { instanceId: string; keyPair: string; group: string }> }> {
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      const [builder] = template.builders
      template.builders = [
        { ...builder, name: 'web', ami_regions: '' },
        { ...builder, name: 'api', region: 'eu-west-1', ami_regions: '', ami_name: 'api-{{timestamp}}' }
      ]
      writeFileSync(path, JSON.stringify(template, null, 2))
      endpoint.faults.fail('CreateImage', { code: 'UnauthorizedOperation' })
      const main = await runAction(step({ 'working-directory': 'json', template: 'packer-template.json', 'var-file': 'packer-vars.json', 'on-error': 'abort' }))
      expect(main.exitCode).toBe(1)
      endpoint.faults.clear()
      const left = Object.fromEntries(
        ['us-east-1', 'eu-west-1'].map((region) => {
          const [instance] = endpoint.instances(region)
          const group = endpoint.securityGroups(region).find((one) => one.groupId === instance.securityGroupIds[0])
          return [region, { instanceId: instance.instanceId, keyPair: instance.keyName as string, group: group?.groupName as string }]
        })
      )
      return { state: { 'packer-leftovers': main.state['packer-leftovers'] }, left }
    }

    it('credentials expired: each thing is named in its own region, with the command that removes it there', async () => {
      const { state, left } = await leftByTwoBuilds()
      const saved = JSON.parse(state['packer-leftovers']) as Record<string, unknown>
      endpoint.faults.expireCredentials()
      const post = await runPostStep({ state: { 'packer-leftovers': JSON.stringify({ ...saved, keep: false }) } }, step())
      expect(post.exitCode).toBe(0)
      const said = post.warnings.find((warning) => warning.startsWith('The AWS credentials had expired by the post step')) ?? ''
      for (const [region, { instanceId, keyPair, group }] of Object.entries(left)) {
        expect(said).toContain(`${instanceId}, ${group}, ${keyPair} (in ${region})`)
        expect(said).toContain(`aws ec2 terminate-instances --region ${region} --instance-ids ${instanceId}`)
        expect(said).toContain(`aws ec2 delete-security-group --region ${region} --group-id $(aws ec2 describe-security-groups --region ${region} --filters Name=group-name,Values=${group} `)
        expect(said).toContain(`aws ec2 delete-key-pair --region ${region} --key-name ${keyPair}`)
      }
      expect(said).not.toContain('REGION')
    })

    it('on-error: abort: the note names each thing left in its own region, and the look-up for instances the log never named is in each', async () => {
      const { state, left } = await leftByTwoBuilds()
      const before = endpoint.calls.length
      const post = await runPostStep({ state }, step())
      expect(post.exitCode).toBe(0)
      expect(post.warnings).toHaveLength(1)
      for (const [region, { instanceId, keyPair, group }] of Object.entries(left)) {
        expect(post.warnings[0]).toContain(`${instanceId}, ${group}, ${keyPair} (in ${region})`)
        // Each region's look-up names that region's key pair and group, and only those.
        const asked = endpoint.calls.slice(before).filter((call) => call.region === region && call.action === 'DescribeSecurityGroups')
        expect(asked.map((call) => Object.entries(call.params).filter(([name]) => name.startsWith('Filter.1.Value')).map(([, value]) => value))).toEqual([[group]])
      }
      for (const region of Object.keys(left)) expect(endpoint.instances(region).map((instance) => instance.state)).toEqual(['stopped'])
    })

    it('on-error: abort, credentials expired: the look-up is refused once, and the commands that look are given, each in its region', async () => {
      const { state, left } = await leftByTwoBuilds()
      endpoint.faults.expireCredentials()
      const before = endpoint.calls.length
      const post = await runPostStep({ state }, step())
      expect(post.exitCode).toBe(0)
      expect(post.warnings[0]).toMatch(/^Packer's build failed, and on-error is abort, so what it made is left as it is: /)
      const said = post.warnings.find((warning) => warning.startsWith('The AWS credentials had expired by the post step')) ?? ''
      for (const [region, { keyPair, group }] of Object.entries(left)) {
        expect(said).toContain(`aws ec2 describe-instances --region ${region} --filters Name=key-name,Values=${keyPair} Name=instance-state-name,Values=pending,running,stopping,stopped`)
        expect(said).toContain(`aws ec2 describe-instances --region ${region} --filters Name=instance.group-name,Values=${group} `)
      }
      expect(post.warnings.filter((warning) => warning.includes('RequestExpired'))).toEqual([said])
      expect(endpoint.calls.slice(before).map((call) => call.error)).toEqual(['RequestExpired'])
    })
  })
})
