// The launch template stage against the loopback EC2 endpoint, and what its report says of a
// region whose template already launches the AMI when a cancel cuts the stage short.
import { afterEach, beforeEach, expect, it } from '@jest/globals'
import { CreateLaunchTemplateCommand, EC2Client } from '@aws-sdk/client-ec2'
import { SOURCE_AMI_ID, startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { rollLaunchTemplates } from '../src/aws/launch-templates.js'
import { reportLaunchTemplatesCutShort } from '../src/report/launch-templates.js'
import type { SummaryModel } from '../src/report/index.js'

let endpoint: Ec2Endpoint
let ec2: EC2Client

beforeEach(async () => {
  endpoint = await startEc2Endpoint()
  ec2 = new EC2Client({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' }, maxAttempts: 1 })
})
afterEach(async () => {
  ec2.destroy()
  await endpoint.close()
})

it('a cancel after a region whose default already launches its AMI: the failure says so, and no version was made there', async () => {
  await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web', LaunchTemplateData: { ImageId: SOURCE_AMI_ID } }))
  const template = { name: 'web' }
  const finished = await rollLaunchTemplates({ template, amiIdsByRegion: { 'us-east-1': SOURCE_AMI_ID }, makeDefault: true, ec2For: () => ec2 })
  expect(endpoint.calls.map((call) => call.action)).toEqual(['CreateLaunchTemplate', 'DescribeLaunchTemplateVersions'])

  const summary: SummaryModel = { outcome: 'cancelled', template: 't.json', amis: [], problems: [], annotations: [], provenance: {} as SummaryModel['provenance'] }
  const byRegion = { 'us-east-1': SOURCE_AMI_ID, 'us-west-2': 'ami-0000000000000c002' }
  const said = reportLaunchTemplatesCutShort(template, byRegion, finished, 'cancelled', summary)
  expect(said).toBe('already launching its AMI in us-east-1; no answer yet in us-west-2')
  expect(summary.sections?.[0]).toContain(`| us-east-1 | \`${SOURCE_AMI_ID}\` | none: version 1, the default, already launches \`${SOURCE_AMI_ID}\` | yes |`)
  expect(summary.problems).toEqual([])
})
