// Which AMI ami-id is when the first build made none in the home region: the one in the region
// the build made its AMI in, of which the others are copies, as the bundled action run against
// the loopback EC2 endpoint hands it on.
import { expect, it } from '@jest/globals'
import { parseCommands, type ActionRun } from './support/action-process.js'
import { demoRuns, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

describeWithPacker('ami-id when the first build made no AMI in the home region', () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2', 'ap-southeast-2'])
  const { demoWith, run } = demoRuns(suite)
  const homeElsewhere = { 'aws-region': 'ap-south-1' }

  function expectAmiIdOfBuildRegion(result: ActionRun, build: string, buildRegion: string, copies: string[]): void {
    expect(result.exitCode).toBe(0)
    const calls = (action: string) => suite.calls.filter((call) => call.action === action)
    expect(calls('RunInstances').map(({ region }) => region)).toEqual([buildRegion])
    const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
    expect(Object.keys(amiIds).sort()).toEqual([buildRegion, ...copies].sort())
    // The AMI the build made, which each copy was made from, not the first region alphabetically.
    expect(result.outputs['ami-id']).toBe(amiIds[buildRegion])
    expect(calls('CopyImage').map(({ region, params }) => `${region} ${params.SourceImageId}`).sort()).toEqual(
      copies.map((region) => `${region} ${amiIds[buildRegion]}`).sort()
    )
    expect(parseCommands(result.stdout, 'notice').map(({ message }) => message)).toContainEqual(
      `ami-id is ${amiIds[buildRegion]} in ${buildRegion}, the region build ${build} made its AMI in (its region setting), of which its AMIs in its other regions are copies: ` +
        "it made no AMI in ap-south-1, the home region. Output ami-ids has each region's."
    )
  }

  it('a JSON template whose region a variable gives: the AMI of the region it builds in, not the first copy alphabetically', async () => {
    const workspace = demoWith((text) => text, 'json')
    const result = await run(workspace, 'json', { ...homeElsewhere, variables: 'aws_region=eu-west-1\nami_regions=us-east-1,ap-southeast-2' })
    expectAmiIdOfBuildRegion(result, 'amazon-ebs', 'eu-west-1', ['ap-southeast-2', 'us-east-1'])
  })

  it('an HCL2 template whose region its var file gives: the AMI of the region it builds in', async () => {
    const workspace = demoWith((text) => text, 'hcl2')
    const result = await run(workspace, 'hcl2', homeElsewhere)
    expectAmiIdOfBuildRegion(result, 'amazon-ebs.demo', 'us-east-1', ['eu-west-1', 'us-west-2'])
  })
})
