// Reuse where the template builds in regions other than the home region (`aws-region`, here
// AWS_REGION us-east-1): configure-aws-credentials' region is often not the template's. Through
// the bundled action, with the real Packer and the loopback EC2 endpoint.
import { expect, it } from '@jest/globals'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ActionRun } from './support/action-process.js'
import { demoRuns, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

describeWithPacker('reuse of AMIs built outside the home region, through the bundled action', () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const { demoWith, run } = demoRuns(suite)

  const launched = (from: number): boolean => suite.calls.slice(from).some((call) => call.action === 'RunInstances')

  /** The regions of a run's AMIs, sorted. */
  const regionsOf = (result: ActionRun): string[] =>
    (JSON.parse(result.outputs.artifacts) as Array<{ region: string }>).map(({ region }) => region).sort()

  /** A run that reused `earlier`'s set: its outputs, nothing launched. */
  function expectReused(result: ActionRun, earlier: ActionRun, from: number): void {
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(launched(from)).toBe(false)
    expect(result.summary).toContain('reused, built by')
    for (const output of ['run-uuid', 'ami-id', 'ami-ids', 'builds']) expect(result.outputs[output]).toBe(earlier.outputs[output])
    expect(JSON.parse(result.outputs.artifacts)).toEqual(expect.arrayContaining(JSON.parse(earlier.outputs.artifacts) as unknown[]))
  }

  it('JSON: a build in eu-west-1 with a copy in us-west-2, none in the home region, is reused by the next run', async () => {
    const workspace = demoWith((text) => text, 'json')
    const inputs = { variables: 'aws_region=eu-west-1\nami_regions=us-west-2\nami_name_prefix=reuse-home-json', reuse: 'true' }
    const first = await run(workspace, 'json', inputs)
    expect(first.errors).toEqual([])
    expect(regionsOf(first)).toEqual(['eu-west-1', 'us-west-2'])

    const before = suite.calls.length
    const second = await run(workspace, 'json', inputs)
    expectReused(second, first, before)
    expect(second.stdout).not.toContain('Building:')
  })

  it('HCL2: a source whose region is written in the template ("eu-west-1"), none in the home region, is reused by the next run', async () => {
    // As a template often has it: `region = "us-west-1"` while the workflow's region is us-east-1.
    const inEuWest1 = (text: string): string => {
      const edited = text.replace('region                 = var.aws_region', 'region                 = "eu-west-1"')
      expect(edited).toContain('"eu-west-1"')
      return edited
    }
    const workspace = demoWith(inEuWest1, 'hcl2')
    writeFileSync(
      join(workspace, 'loopback.pkrvars.hcl'),
      'aws_region = "us-east-1"\nsource_ami = "ami-0abcdef1234567890"\nami_name_prefix = "reuse-home-hcl"\n'
    )
    const first = await run(workspace, 'hcl2', { reuse: 'true' })
    expect(first.errors).toEqual([])
    expect(regionsOf(first)).toEqual(['eu-west-1'])

    const before = suite.calls.length
    const second = await run(workspace, 'hcl2', { reuse: 'true' })
    expectReused(second, first, before)
  })

  it('JSON: a builder that names no region builds in the home region: the first run says no more than that none is there, the next reuses', async () => {
    // Packer is given the home region as AWS_REGION, where a builder with no `region` builds.
    const noRegion = (text: string): string => {
      const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
      delete template.builders[0].region
      return JSON.stringify(template, null, 2)
    }
    const workspace = demoWith(noRegion, 'json')
    const inputs = { variables: 'ami_regions=us-west-2\nami_name_prefix=reuse-no-region-json', reuse: 'true' }
    const first = await run(workspace, 'json', inputs)
    expect(first.errors).toEqual([])
    expect(regionsOf(first)).toEqual(['us-east-1', 'us-west-2'])
    expect(first.stdout).toMatch(/Building: no AMI in us-east-1 has fingerprint \w+\./u)
    expect(first.stdout).not.toContain('only Packer knows')

    const before = suite.calls.length
    const second = await run(workspace, 'json', inputs)
    expectReused(second, first, before)
  })

  it('HCL2: a source that names no region builds in the home region: the first run says no more than that none is there, the next reuses', async () => {
    const noRegion = (text: string): string => {
      const edited = text.replace('  region                 = var.aws_region\n', '')
      expect(edited).not.toContain('var.aws_region')
      return edited
    }
    const workspace = demoWith(noRegion, 'hcl2')
    writeFileSync(
      join(workspace, 'loopback.pkrvars.hcl'),
      'aws_region = "eu-west-1"\nsource_ami = "ami-0abcdef1234567890"\nami_name_prefix = "reuse-no-region-hcl"\n'
    )
    const first = await run(workspace, 'hcl2', { reuse: 'true' })
    expect(first.errors).toEqual([])
    expect(regionsOf(first)).toEqual(['us-east-1'])
    expect(first.stdout).toMatch(/Building: no AMI in us-east-1 has fingerprint \w+\./u)
    expect(first.stdout).not.toContain('only Packer knows')

    const before = suite.calls.length
    const second = await run(workspace, 'hcl2', { reuse: 'true' })
    expectReused(second, first, before)
  })

  it('JSON: where only Packer knows the region, a run that finds nothing in the home region says it looked there only, and what to set', async () => {
    // A template function the action does not work out before the build: the region is Packer's alone.
    const regionByFunction = (text: string): string => {
      const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
      template.builders[0].region = '{{lower `EU-WEST-1`}}'
      delete template.builders[0].ami_regions
      return JSON.stringify(template, null, 2)
    }
    const workspace = demoWith(regionByFunction, 'json')
    const inputs = { variables: 'ami_name_prefix=reuse-home-unknown', reuse: 'true' }
    const first = await run(workspace, 'json', inputs)
    expect(first.errors).toEqual([])
    expect(regionsOf(first)).toEqual(['eu-west-1'])

    const second = await run(workspace, 'json', inputs)
    expect(second.errors).toEqual([])
    expect(second.outputs['run-uuid']).not.toBe(first.outputs['run-uuid'])
    expect(second.stdout).toMatch(
      /Building: no AMI in us-east-1 has fingerprint \w+: where only Packer knows the regions the template builds in, reuse looks in the home region \(us-east-1\) only; if the template builds elsewhere, set aws-region to the region it builds in\./u
    )
  })
})
