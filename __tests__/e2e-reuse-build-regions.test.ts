// Reuse hands a set on only where each of its AMIs is in a region its build makes, and each
// build's every region has its AMI: through the bundled action, with the real Packer and the
// loopback EC2 endpoint. The fingerprint covers the template and the variables, so the regions
// they write are the same from run to run; it covers neither the PackerBuild tags a tags entry
// gives while reuse is off nor a region the environment gives, and neither tells such a set apart.
import { expect, it } from '@jest/globals'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ActionRun } from './support/action-process.js'
import { demoRuns, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

describeWithPacker("reuse of a set only where its builds make their AMIs, through the bundled action", () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const { demoWith, run } = demoRuns(suite)

  /** `<AMI ID> in <region>` of each AMI of a run in `regions`, sorted, as the look-up's messages list them. */
  const listed = (result: ActionRun, regions: string[]): string =>
    (JSON.parse(result.outputs.artifacts) as Array<{ region: string; amiId: string }>)
      .filter(({ region }) => regions.includes(region))
      .map(({ amiId, region }) => `${amiId} in ${region}`)
      .sort()
      .join(', ')

  /** The AMI IDs of a run. */
  const amiIds = (result: ActionRun): string[] => (JSON.parse(result.outputs.artifacts) as Array<{ amiId: string }>).map(({ amiId }) => amiId)

  /** The AMI IDs that CreateTags calls of the running test named, from its `from`th call on. */
  const tagged = (from: number): string[] =>
    suite.calls
      .slice(from)
      .filter((call) => call.action === 'CreateTags')
      .flatMap((call) => Object.entries(call.params).filter(([key]) => key.startsWith('ResourceId.')).map(([, id]) => id))

  const launched = (from: number): boolean => suite.calls.slice(from).some((call) => call.action === 'RunInstances')

  /** A run that built, not reused: a new Packer run, no CreateTags on the earlier set's AMIs. */
  function expectBuilt(result: ActionRun, earlier: ActionRun, from: number): void {
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.summary).not.toContain('reused')
    expect(result.outputs['run-uuid']).not.toBe(earlier.outputs['run-uuid'])
    expect(launched(from)).toBe(true)
    expect(amiIds(result).filter((id) => amiIds(earlier).includes(id))).toEqual([])
    expect(tagged(from).filter((id) => amiIds(earlier).includes(id))).toEqual([])
  }

  /** A run that reused `earlier`'s set as it was built: the same builds and AMIs, nothing launched. */
  function expectReused(result: ActionRun, earlier: ActionRun, from: number): void {
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.summary).toContain('reused, built by')
    expect(result.outputs['run-uuid']).toBe(earlier.outputs['run-uuid'])
    expect(JSON.parse(result.outputs.builds)).toEqual(JSON.parse(earlier.outputs.builds))
    expect(launched(from)).toBe(false)
  }

  it("JSON: a set whose every PackerBuild a tags entry gave as build web, on AMIs in web's regions and api's, is not reused: the run builds; the set it tags is", async () => {
    // web: us-east-1 (the variables file's aws_region) and its copy in us-west-2; api: eu-west-1 alone.
    const twoBuilds = (text: string): string => {
      const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
      const [builder] = template.builders
      const named = (name: string) => ({ ...builder, name, ami_name: '{{user `ami_name_prefix`}}-{{build_name}}-{{timestamp}}' })
      const api: Record<string, unknown> = { ...named('api'), region: 'eu-west-1' }
      delete api.ami_regions
      template.builders = [{ ...named('web'), ami_regions: 'us-west-2' }, api]
      return JSON.stringify(template, null, 2)
    }
    const workspace = demoWith(twoBuilds, 'json')
    const inputs = { variables: 'ami_name_prefix=reuse-build-regions' }
    const first = await run(workspace, 'json', { ...inputs, tags: 'PackerBuild=amazon-ebs web' })
    expect(first.errors).toEqual([])
    const firstBuilds = JSON.parse(first.outputs.builds) as Record<string, Record<string, string>>
    expect(Object.keys(firstBuilds.web).sort()).toEqual(['us-east-1', 'us-west-2'])
    expect(Object.keys(firstBuilds.api)).toEqual(['eu-west-1'])
    expect(suite.endpoint.tagsOf('eu-west-1', firstBuilds.api['eu-west-1'])).toMatchObject({ PackerBuild: 'amazon-ebs web' })

    const before = suite.calls.length
    const second = await run(workspace, 'json', { ...inputs, reuse: 'true' })
    expectBuilt(second, first, before)
    const builds = JSON.parse(second.outputs.builds) as Record<string, Record<string, string>>
    expect(Object.keys(builds)).toEqual(['web', 'api'])
    expect(suite.endpoint.tagsOf('eu-west-1', builds.api['eu-west-1'])).toMatchObject({ PackerBuild: 'amazon-ebs api' })
    const found = `"amazon-ebs web" on ${listed(first, ['eu-west-1'])}`
    expect(second.stdout).toContain(
      `Building: the AMIs built by Packer run ${first.outputs['run-uuid']} are not where this run's builds make theirs ` +
        `(build web makes AMIs in us-east-1, us-west-2 only, and PackerBuild gives it ${found}; build api makes one in eu-west-1, where the set has ${found}): ` +
        'a tags entry or the template gave them their own PackerBuild, or the environment gave that run other regions.'
    )

    // A set the action tagged itself, in three regions, of two builds, is reused.
    const beforeThird = suite.calls.length
    const third = await run(workspace, 'json', { ...inputs, reuse: 'true' })
    expectReused(third, second, beforeThird)
  })

  it('HCL2: a set whose every PackerBuild a tags entry gave as one source, on AMIs in its region and the other source\'s, is not reused: the run builds', async () => {
    // amazon-ebs.demo: us-east-1 and us-west-2 (the variables file); amazon-ebs.api: eu-west-1 alone.
    const twoSources = (text: string): string => {
      const api = 'source "amazon-ebs" "api" {\n  custom_endpoint_ec2    = var.ec2_endpoint\n  skip_region_validation = true\n  region                 = "eu-west-1"\n' +
        '  source_ami             = var.source_ami\n  instance_type          = var.instance_type\n  ami_name               = "${var.ami_name_prefix}-api-${local.build_stamp}"\n' +
        '  communicator           = "none"\n}\n\nbuild {\n'
      const edited = text.replace('build {\n', api).replace('sources = ["source.amazon-ebs.demo"]', 'sources = ["source.amazon-ebs.demo", "source.amazon-ebs.api"]')
      expect(edited).toContain('"source.amazon-ebs.api"]')
      return edited
    }
    const workspace = demoWith(twoSources, 'hcl2')
    writeFileSync(
      join(workspace, 'loopback.pkrvars.hcl'),
      'aws_region = "us-east-1"\nami_regions = ["us-west-2"]\nsource_ami = "ami-0abcdef1234567890"\nami_name_prefix = "reuse-build-regions-hcl"\n'
    )
    const first = await run(workspace, 'hcl2', { tags: 'PackerBuild=amazon-ebs amazon-ebs.demo' })
    expect(first.errors).toEqual([])
    const firstBuilds = JSON.parse(first.outputs.builds) as Record<string, Record<string, string>>
    expect(Object.keys(firstBuilds).sort()).toEqual(['amazon-ebs.api', 'amazon-ebs.demo'])
    expect(Object.keys(firstBuilds['amazon-ebs.api'])).toEqual(['eu-west-1'])

    const before = suite.calls.length
    const second = await run(workspace, 'hcl2', { reuse: 'true' })
    expectBuilt(second, first, before)
    const found = `"amazon-ebs amazon-ebs.demo" on ${listed(first, ['eu-west-1'])}`
    expect(second.stdout).toContain(
      `Building: the AMIs built by Packer run ${first.outputs['run-uuid']} are not where this run's builds make theirs ` +
        `(build amazon-ebs.demo makes AMIs in us-east-1, us-west-2 only, and PackerBuild gives it ${found}; ` +
        `build amazon-ebs.api makes one in eu-west-1, where the set has ${found}): `
    )

    const beforeThird = suite.calls.length
    const third = await run(workspace, 'hcl2', { reuse: 'true' })
    expectReused(third, second, beforeThird)
  })

  it('JSON: a set made where the environment gave its build fewer regions than it gives this run is not reused: the run builds in each', async () => {
    // ami_regions from a variable whose default the environment gives: the fingerprint covers the environment's value.
    const fromEnvironment = (text: string): string => {
      const template = JSON.parse(text) as { variables: Record<string, string>; builders: Array<Record<string, unknown>> }
      template.variables.copy_regions = '{{env `COPY_REGIONS`}}'
      template.builders[0].ami_regions = '{{user `copy_regions`}}'
      return JSON.stringify(template, null, 2)
    }
    const workspace = demoWith(fromEnvironment, 'json')
    const inputs = { variables: 'ami_name_prefix=reuse-build-regions-env', reuse: 'true' }
    const first = await suite.run(workspace, { template: 'packer-template.json', ...inputs }, { COPY_REGIONS: 'us-west-2' })
    expect(first.errors).toEqual([])
    expect(Object.keys((JSON.parse(first.outputs.builds) as Record<string, Record<string, string>>)['amazon-ebs']).sort()).toEqual(['us-east-1', 'us-west-2'])

    // The same environment: the set is reused.
    const beforeSecond = suite.calls.length
    const second = await suite.run(workspace, { template: 'packer-template.json', ...inputs }, { COPY_REGIONS: 'us-west-2' })
    expectReused(second, first, beforeSecond)

    const before = suite.calls.length
    const third = await suite.run(workspace, { template: 'packer-template.json', ...inputs }, { COPY_REGIONS: 'us-west-2,eu-west-1' })
    expectBuilt(third, first, before)
    expect(Object.keys((JSON.parse(third.outputs.builds) as Record<string, Record<string, string>>)['amazon-ebs']).sort()).toEqual([
      'eu-west-1',
      'us-east-1',
      'us-west-2'
    ])
    const fingerprint = /^Fingerprint of the build's inputs \(\d+ files\): ([0-9a-f]{64})$/m.exec(third.stdout)?.[1]
    expect(fingerprint).not.toBe(/^Fingerprint of the build's inputs \(\d+ files\): ([0-9a-f]{64})$/m.exec(first.stdout)?.[1])
    expect(third.stdout).toContain(`Building: no AMI in us-east-1 has fingerprint ${fingerprint}.`)
  })
})
