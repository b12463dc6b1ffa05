// A build that launches its instance in a security group the account already has, picked by its
// tags (security_group_filter), as users run it: the bundled action and the real Packer against
// the loopback EC2 endpoint, whose seeded groups carry the tags the user gives them, or those
// CreateTags puts on them, as EC2's do.
import { expect, it } from '@jest/globals'
import { CreateTagsCommand, EC2Client } from '@aws-sdk/client-ec2'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Ec2Endpoint, SeedNetwork } from '../test-support/ec2-endpoint/index.js'
import { expectOneTaggedAmi, fixtureBuilds } from './support/fixture-builds.js'
import { loopbackClientConfig } from './support/endpoint-per-test.js'
import { describeWithPacker } from './support/runtimes.js'

const packersGroup = 'sg-0e10000000000000a'

/**
 * The build VPC, with the group tagged Class = packer (tagged as `seeded`, or by CreateTags
 * before the run), beside a group tagged otherwise; and another VPC whose group has the same tag.
 */
function networks(seeded: boolean): SeedNetwork[] {
  return [
    {
      vpcId: 'vpc-0e10000000000000a',
      tags: seeded ? { Name: 'build-vpc' } : {},
      subnets: [{ subnetId: 'subnet-0e10000000000000a', tags: seeded ? { Tier: 'build' } : {} }],
      securityGroups: [
        { groupId: 'sg-0e1000000000000a0', groupName: 'web', tags: { Class: 'web' } },
        { groupId: packersGroup, groupName: 'packer-builds', tags: seeded ? { Class: 'packer' } : {} }
      ]
    },
    {
      vpcId: 'vpc-0e20000000000000a',
      tags: { Name: 'other-vpc' },
      subnetId: 'subnet-0e20000000000000a',
      securityGroups: [{ groupId: 'sg-0e20000000000000a', tags: { Class: 'packer' } }]
    }
  ]
}

/** What the user did before the run: tagged the VPC, its subnet and the group with the AWS CLI (CreateTags). */
async function tagByHand(endpoint: Ec2Endpoint): Promise<void> {
  const ec2 = new EC2Client(loopbackClientConfig(endpoint, 'us-east-1'))
  const tag = (id: string, Key: string, Value: string) => ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key, Value }] }))
  await tag('vpc-0e10000000000000a', 'Name', 'build-vpc')
  await tag('subnet-0e10000000000000a', 'Tier', 'build')
  await tag(packersGroup, 'Class', 'packer')
  ec2.destroy()
}

/** A call's filters, name to value (Packer sends them in no fixed order). */
function filtersOf(params: Record<string, string>): Record<string, string> {
  const names = Object.keys(params).flatMap((key) => /^Filter\.(\d+)\.Name$/.exec(key)?.[1] ?? [])
  return Object.fromEntries(names.map((n) => [params[`Filter.${n}.Name`], params[`Filter.${n}.Value.1`]]))
}

describeWithPacker('a security group picked by its tags, through the bundled action', () => {
  const build = fixtureBuilds()

  it.each([
    ['seeded with its tags', true],
    ['tagged with CreateTags before the run', false]
  ])("launches the instance in the build VPC's group that security_group_filter picks: %s", async (_how, seeded) => {
    const run = await build('hcl-security-group-filter', { seedNetworks: networks(seeded) }, {}, seeded ? undefined : tagByHand)
    const { loopback } = run

    expectOneTaggedAmi(run, 'tagged-group')
    // Packer asked EC2 with the template's filter, in the VPC vpc_filter found.
    const queries = loopback.callsOf('DescribeSecurityGroups')
    expect(queries.map((call) => filtersOf(call.params))).toEqual([{ 'tag:Class': 'packer', 'vpc-id': 'vpc-0e10000000000000a' }])
    expect(run.result.stdout).toContain(`Found Security Group(s): ${packersGroup}`)
    expect(loopback.callsOf('RunInstances').map((call) => call.params['SecurityGroupId.1'])).toEqual([packersGroup])
    expect(loopback.instances('us-east-1')).toEqual([expect.objectContaining({ securityGroupIds: [packersGroup], subnetId: 'subnet-0e10000000000000a' })])
    // The account's group is used, not made: Packer made none, and deleted none.
    expect(loopback.callsOf('CreateSecurityGroup')).toEqual([])
    expect(loopback.callsOf('DeleteSecurityGroup')).toEqual([])
    expect(loopback.securityGroups('us-east-1').find((group) => group.groupId === packersGroup)?.tags).toEqual({ Class: 'packer' })
  })

  it("fails the build with EC2's refusal on the filter's name when security_group_filter names a filter EC2 does not have", async () => {
    // `tag-Class` for `tag:Class`: EC2 refuses a filter name it does not know, as an error, not as no match.
    const misspell = async (_endpoint: Ec2Endpoint, workspace: string) => {
      const file = join(workspace, 'build.pkr.hcl')
      writeFileSync(file, readFileSync(file, 'utf8').replace('"tag:Class"', '"tag-Class"'))
    }
    const { result, loopback } = await build('hcl-security-group-filter', { seedNetworks: networks(true) }, {}, misspell)

    expect(result.exitCode).toBe(1)
    expect(loopback.callsOf('DescribeSecurityGroups').map((call) => call.error)).toEqual(['InvalidParameterValue'])
    const refusal = "Couldn't find security groups for filter: InvalidParameterValue: The filter 'tag-Class' is invalid"
    expect(result.stdout).toContain(refusal)
    const text = readFileSync(join('__tests__', 'fixtures', 'templates', 'hcl-security-group-filter', 'build.pkr.hcl'), 'utf8')
    const line = text.split('\n').findIndex((written) => written.includes('"tag:Class"')) + 1
    expect(result.errors.filter((error) => error.message.includes(refusal)).map((error) => [error.properties.file, error.properties.line])).toEqual([
      ['build.pkr.hcl', String(line)]
    ])
    expect(loopback.callsOf('RunInstances')).toEqual([])
  })
})
