// Builds that pick their network by tags (vpc_filter, subnet_filter) and spot builds with no
// communicator, as users run them: the bundled action and the real Packer against the loopback
// EC2 endpoint, which steps its instances on as a client looks at them (its default pace, as
// `npm run endpoint` and `npm run demo` run it).
import { expect, it } from '@jest/globals'
import { SOURCE_AMI_ID, type SeedNetwork } from '../test-support/ec2-endpoint/index.js'
import { expectOneTaggedAmi, fixtureBuilds } from './support/fixture-builds.js'
import { describeWithPacker } from './support/runtimes.js'

// The VPC the template's vpc_filter names, beside a decoy with the same subnet tags, and
// another VPC whose tag differs only in case.
const networks: SeedNetwork[] = [
  {
    vpcId: 'vpc-0b10000000000000a',
    cidrBlock: '10.1.0.0/16',
    tags: { Name: 'build-vpc' },
    subnets: [
      { subnetId: 'subnet-0b10000000000000a', zone: 'a', cidrBlock: '10.1.0.0/24', tags: { Tier: 'build' } },
      { subnetId: 'subnet-0b10000000000000b', zone: 'b', cidrBlock: '10.1.16.0/20', tags: { Tier: 'build' } },
      { subnetId: 'subnet-0b10000000000000c', zone: 'a', cidrBlock: '10.1.64.0/18', tags: { Tier: 'public' } }
    ]
  },
  {
    vpcId: 'vpc-0b20000000000000a',
    cidrBlock: '10.2.0.0/16',
    tags: { Name: 'Build-VPC' },
    subnets: [{ subnetId: 'subnet-0b20000000000000a', cidrBlock: '10.2.0.0/16', tags: { Tier: 'build' } }]
  }
]

describeWithPacker('networks picked by tags, and spot builds, through the bundled action', () => {
  const build = fixtureBuilds()

  it('launches the instance in the subnet that vpc_filter and subnet_filter pick by tags', async () => {
    const run = await build('hcl-network-filters', { seedNetworks: networks })
    const { loopback } = run

    expectOneTaggedAmi(run, 'tagged-network')
    // Packer asked EC2 with the template's filters, and EC2 matched the tag's value exactly.
    const [vpcs] = loopback.callsOf('DescribeVpcs')
    expect(vpcs.params).toMatchObject({ 'Filter.1.Name': expect.any(String) })
    expect(Object.entries(vpcs.params)).toEqual(
      expect.arrayContaining([
        [expect.stringMatching(/^Filter\.\d\.Name$/), 'tag:Name'],
        [expect.stringMatching(/^Filter\.\d\.Value\.1$/), 'build-vpc']
      ])
    )
    const subnetQuery = loopback.callsOf('DescribeSubnets')[0].params
    expect(Object.values(subnetQuery)).toEqual(expect.arrayContaining(['tag:Tier', 'vpc-id', 'vpc-0b10000000000000a']))
    // Of the VPC's two build subnets, the /20 has the most free addresses.
    expect(loopback.callsOf('RunInstances').map((call) => call.params.SubnetId)).toEqual(['subnet-0b10000000000000b'])
    expect(loopback.instances('us-east-1')).toEqual([
      expect.objectContaining({ subnetId: 'subnet-0b10000000000000b', vpcId: 'vpc-0b10000000000000a', availabilityZone: 'us-east-1b', state: 'terminated' })
    ])
    expect(loopback.callsOf('CreateSecurityGroup').map((call) => call.params.VpcId)).toEqual(['vpc-0b10000000000000a'])
  })

  // Only the VPC whose Name differs in case; then the build VPC with no subnet tagged Tier = build.
  const noVpc = networks.slice(1)
  const noSubnet: SeedNetwork[] = [{ ...networks[0], subnets: networks[0].subnets?.filter((subnet) => subnet.tags?.Tier !== 'build') }]
  it.each([
    ['vpc_filter matches no VPC', noVpc, "Exactly one VPC should match the filter, but 0 VPC's was found matching filters"],
    ['subnet_filter matches no subnet', noSubnet, 'No Subnets was found matching filters']
  ])('fails the build, as on EC2, when %s', async (_case, seeded, message) => {
    const { result, loopback } = await build('hcl-network-filters', { seedNetworks: seeded })

    expect(result.exitCode).toBe(1)
    expect(loopback.callsOf('DescribeVpcs')).toHaveLength(1)
    expect(result.stdout).toContain(message)
    expect(result.errors.map((error) => error.message)).toContainEqual(expect.stringContaining(message))
    expect(loopback.callsOf('RunInstances')).toEqual([])
    expect(loopback.images('us-east-1').map((image) => image.imageId)).toEqual([SOURCE_AMI_ID])
  })

  it('images a spot instance with no communicator once it runs', async () => {
    const run = await build('json-spot-no-communicator')
    const { loopback } = run

    expectOneTaggedAmi(run, 'spot-no-communicator')
    expect(loopback.callsOf('CreateFleet')).toHaveLength(1)
    expect(loopback.callsOf('RunInstances')).toEqual([])
    // Packer images it without waiting: EC2 refuses while it is pending, and Packer retries.
    expect(loopback.callsOf('CreateImage').map((call) => call.error ?? 'ok')).toEqual(['InvalidParameterValue', 'ok'])
    expect(loopback.instances('us-east-1').map((instance) => instance.state)).toEqual(['terminated'])
    expect(loopback.launchTemplates('us-east-1')).toEqual([])
  })
})
