// An AMI of the run that someone else deregisters after Packer reported it and before the action
// tags it, through the bundled action with the real Packer against the loopback EC2 endpoint:
// EC2 answers a DescribeImages naming a recently deregistered AMI with it `deregistered`, then
// leaves it out, so the action knows at once that it is gone; it does not wait for it.
import { afterEach, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SOURCE_AMI_ID, startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { loopbackEnvironment, parseCommands, pushToMain, runAction } from './support/action-process.js'
import { describeWithPacker, packerVersion } from './support/runtimes.js'

const template = `
variable "ec2_endpoint" {
  type    = string
  default = env("AWS_ENDPOINT_URL_EC2")
}

source "amazon-ebs" "web" {
  custom_endpoint_ec2    = var.ec2_endpoint
  skip_region_validation = true
  communicator           = "none"
  region                 = "us-east-1"
  ami_regions            = ["eu-west-1"]
  source_ami             = "${SOURCE_AMI_ID}"
  instance_type          = "t3.micro"
  ami_name               = "gone-{{timestamp}}"
}

build {
  sources = ["source.amazon-ebs.web"]

  post-processor "manifest" {
    output = "manifest.json"
  }
}
`

describeWithPacker('an AMI deregistered by someone else between the build and the tagging', () => {
  let endpoint: Ec2Endpoint | undefined
  const workspaces: string[] = []

  afterEach(async () => {
    await endpoint?.close()
    for (const workspace of workspaces.splice(0)) rmSync(workspace, { recursive: true, force: true })
  })

  const cases = [
    // Packer deletes its key pair once every AMI is available, just before its post-processors run.
    { when: 'after Packer', tagSnapshots: 'false', describes: 1, seen: [{ action: 'DescribeImages', error: undefined }] },
    // EC2 shows a deregistered AMI as such for a short interval only, then leaves it out.
    { when: 'after Packer', tagSnapshots: 'true', describes: 0, seen: [{ action: 'DescribeImages', error: undefined }] },
    {
      when: "between the action's DescribeImages and CreateTags",
      tagSnapshots: 'true',
      describes: 1,
      seen: [
        { action: 'CreateTags', error: 'InvalidAMIID.NotFound' },
        { action: 'DescribeImages', error: undefined }
      ]
    }
  ]
  for (const { when, tagSnapshots, describes, seen } of cases) {
    it(`is named in a warning, left out of the outputs, and not waited for: deregistered ${when} (tag-snapshots: ${tagSnapshots}, shown deregistered by ${describes} describes)`, async () => {
      let gone: string | undefined
      let callsBefore = 0
      let packerDone = false
      const started = await startEc2Endpoint({
        regions: ['us-east-1', 'eu-west-1'],
        autoAdvance: { describes },
        onCall: (call) => {
          if (gone !== undefined) return
          if (call.action === 'DeleteKeyPair') packerDone = true
          const now = when === 'after Packer' ? call.action === 'DeleteKeyPair' : packerDone && call.action === 'DescribeImages' && call.region === 'us-east-1'
          if (!now) return
          gone = started.images('us-east-1').find((image) => image.imageId !== SOURCE_AMI_ID)?.imageId
          if (gone === undefined) return
          started.deregister('us-east-1', gone)
          callsBefore = started.calls.length
        }
      })
      endpoint = started
      const workspace = mkdtempSync(join(tmpdir(), 'deregistered-'))
      workspaces.push(workspace)
      writeFileSync(join(workspace, 'image.pkr.hcl'), template)
      const result = await runAction({
        workspace,
        inputs: { 'packer-version': packerVersion(), template: '.', 'tag-snapshots': tagSnapshots },
        env: { ...pushToMain, ...loopbackEnvironment(started.url, workspace) }
      })

      expect(gone).toMatch(/^ami-/)
      const [copy] = started.images('eu-west-1').filter((image) => image.imageId !== SOURCE_AMI_ID)
      // The copy is there, tagged, and the only AMI in the outputs.
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      expect(JSON.parse(result.outputs['ami-ids'])).toEqual({ 'eu-west-1': copy.imageId })
      expect(JSON.parse(result.outputs.builds)).toEqual({ 'amazon-ebs.web': { 'eu-west-1': copy.imageId } })
      expect(result.outputs['ami-id']).toBe(copy.imageId)
      expect(started.tagsOf('eu-west-1', copy.imageId)).toMatchObject({ SourceCommit: pushToMain.GITHUB_SHA })
      const warnings = parseCommands(result.stdout, 'warning').filter(({ properties }) => properties.title === 'AMIs not in the outputs')
      expect(warnings.map(({ message }) => message)).toEqual([
        expect.stringMatching(new RegExp(`^build amazon-ebs\\.web's ${gone} \\(us-east-1\\) was deregistered after Packer had made it`))
      ])
      expect(result.stdout).not.toMatch(/exist and are in the outputs/)
      expect(result.summary).toContain(`${gone} (us-east-1) was deregistered`)
      expect(result.summary).not.toContain(`[\`${gone}\`]`)
      // One look at the AMI told that it is gone: no call naming it was tried again.
      const naming = started.calls.slice(callsBefore).filter((call) => Object.values(call.params).includes(gone as string))
      expect(naming.map(({ action, region, error }) => ({ action, region, error }))).toEqual(seen.map((call) => ({ ...call, region: 'us-east-1' })))
    })
  }
})
