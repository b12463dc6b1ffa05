// A `tags` entry of one of the action's own keys (PackerBuild, ImageFamily, BuildFingerprint,
// BuildSet): through the bundled action run as the runner runs it, with the real Packer and the
// loopback EC2 endpoint. Workflows that tagged `PackerBuild=true` themselves keep doing so where
// the action writes the key as provenance alone; where reuse or keep-images goes by the key, the
// entry is refused before anything is installed.
import { expect, it } from '@jest/globals'
import type { ActionRun } from './support/action-process.js'
import { demoRuns, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

describeWithPacker("a tags entry of the action's own keys, through the bundled action", () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const { demoWith, run } = demoRuns(suite)

  /** The demo's HCL2 source with `PackerBuild = "from-the-template"` in its tags (Packer puts them on the snapshots too). */
  const withTemplatePackerBuild = (text: string): string => {
    const edited = text.replace('    SourceAMI = "{{ .SourceAMI }}"\n', '    SourceAMI = "{{ .SourceAMI }}"\n    PackerBuild = "from-the-template"\n')
    expect(edited).not.toBe(text)
    return edited
  }

  /** The AMIs of the run, each with its region, and its snapshots. */
  function amisOf(result: ActionRun): Array<{ region: string; amiId: string; snapshotIds: string[] }> {
    const amis = JSON.parse(result.outputs.artifacts) as Array<{ region: string; amiId: string }>
    return amis.map(({ region, amiId }) => {
      const image = suite.endpoint.images(region).find((one) => one.imageId === amiId)
      const snapshotIds = (image?.blockDeviceMappings ?? []).flatMap((device) => (device.snapshotId === undefined ? [] : [device.snapshotId]))
      return { region, amiId, snapshotIds }
    })
  }

  it('with the default inputs, PackerBuild=true and ImageFamily: built, and the entries\' values on every AMI and snapshot, not the action\'s nor the template\'s', async () => {
    const workspace = demoWith(withTemplatePackerBuild, 'hcl2')
    const result = await run(workspace, 'hcl2', { tags: 'PackerBuild=true\nImageFamily=web\nTeam=platform', variables: 'ami_name_prefix=tags-own-keys' })
    expect(result.errors).toEqual([])
    expect(result.warnings).toEqual([])
    expect(result.exitCode).toBe(0)
    const amis = amisOf(result)
    expect(amis.map(({ region }) => region).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    for (const { region, amiId, snapshotIds } of amis) {
      const tags = suite.endpoint.tagsOf(region, amiId)
      expect(tags).toMatchObject({ PackerBuild: 'true', ImageFamily: 'web', Team: 'platform', SourceRepository: 'acme/images' })
      // The fingerprint tags the entries leave to the action are its own, as provenance.
      expect(tags.BuildFingerprint).toMatch(/^[0-9a-f]{64}$/)
      expect(tags.BuildSet).toMatch(/ 3 eu-west-1,us-east-1,us-west-2$/)
      expect(snapshotIds.length).toBeGreaterThan(0)
      for (const snapshotId of snapshotIds) {
        expect(suite.endpoint.tagsOf(region, snapshotId)).toMatchObject({ PackerBuild: 'true', ImageFamily: 'web', BuildSet: tags.BuildSet })
      }
    }
    // No build's own tags besides the others, and nothing said to be kept of the template.
    expect(result.stdout).not.toContain("'s own tags (")
    expect(result.stdout).not.toContain("Kept the template's own tags")
    // 3 entries, 7 provenance tags, BuildFingerprint and BuildSet, among the AMI's 14 with the template's Name and SourceAMI.
    expect(result.stdout).toMatch(/^us-east-1: tagged ami-\w+ and 1 snapshot with 12 tags\.$/m)
    const row = result.summary.split('\n').find((line) => line.startsWith('| us-east-1 | [`'))
    expect(row).toMatch(/\| 12 added, 14 in all \|$/)
  })

  it("a set whose PackerBuild a tags entry gave is not reused once reuse is turned on: its AMIs do not say which build made them, and the run builds", async () => {
    const workspace = demoWith((text) => text, 'hcl2')
    const inputs = { variables: 'ami_name_prefix=tags-own-keys-reuse' }
    const first = await run(workspace, 'hcl2', { ...inputs, tags: 'PackerBuild=true' })
    expect(first.errors).toEqual([])
    expect(suite.endpoint.tagsOf('us-east-1', first.outputs['ami-id'])).toMatchObject({ PackerBuild: 'true', BuildSet: expect.any(String) })

    const second = await run(workspace, 'hcl2', { ...inputs, reuse: 'true' })
    expect(second.errors).toEqual([])
    expect(second.exitCode).toBe(0)
    expect(second.summary).not.toContain('reused')
    expect(second.outputs['run-uuid']).not.toBe(first.outputs['run-uuid'])
    expect(Object.keys(JSON.parse(second.outputs.builds) as object)).toEqual(['amazon-ebs.demo'])
    expect(suite.endpoint.tagsOf('us-east-1', second.outputs['ami-id'])).toMatchObject({ PackerBuild: 'amazon-ebs amazon-ebs.demo' })
    const given = (JSON.parse(first.outputs.artifacts) as Array<{ region: string; amiId: string }>)
      .map(({ region, amiId }) => `${amiId} in ${region}`)
      .sort()
    expect(second.stdout).toContain(
      `Building: the AMIs built by Packer run ${first.outputs['run-uuid']} do not say which build made them ` +
        `(their PackerBuild is not the action's on ${given.join(', ')}: a tags entry or the template gave them their own).`
    )
  })

  /** `<AMI ID> in <region>` of each AMI of a run, sorted, as the look-up's messages list them. */
  const listed = (result: ActionRun): string =>
    (JSON.parse(result.outputs.artifacts) as Array<{ region: string; amiId: string }>)
      .map(({ region, amiId }) => `${amiId} in ${region}`)
      .sort()
      .join(', ')

  /** The AMI IDs that CreateTags calls of the running test named, from its `from`th call on. */
  const tagged = (from: number): string[] =>
    suite.calls
      .slice(from)
      .filter((call) => call.action === 'CreateTags').flatMap((call) => Object.entries(call.params).filter(([key]) => key.startsWith('ResourceId.')).map(([, id]) => id))

  it("a set whose PackerBuild a tags entry gave in the action's shape, naming no build of the template, is not reused: the run builds, and says why", async () => {
    const workspace = demoWith((text) => text, 'hcl2')
    const inputs = { variables: 'ami_name_prefix=tags-own-keys-shaped' }
    const first = await run(workspace, 'hcl2', { ...inputs, tags: 'PackerBuild=amazon-ebs web' })
    expect(first.errors).toEqual([])
    expect(suite.endpoint.tagsOf('us-east-1', first.outputs['ami-id'])).toMatchObject({ PackerBuild: 'amazon-ebs web', BuildSet: expect.any(String) })
    const firstSet = (JSON.parse(first.outputs.artifacts) as Array<{ amiId: string }>).map(({ amiId }) => amiId)

    const before = suite.calls.length
    const second = await run(workspace, 'hcl2', { ...inputs, reuse: 'true' })
    expect(second.errors).toEqual([])
    expect(second.warnings).toEqual([])
    expect(second.exitCode).toBe(0)
    expect(second.summary).not.toContain('reused')
    expect(second.outputs['run-uuid']).not.toBe(first.outputs['run-uuid'])
    expect(Object.keys(JSON.parse(second.outputs.builds) as object)).toEqual(['amazon-ebs.demo'])
    expect(firstSet).not.toContain(second.outputs['ami-id'])
    expect(suite.endpoint.tagsOf('us-east-1', second.outputs['ami-id'])).toMatchObject({ PackerBuild: 'amazon-ebs amazon-ebs.demo' })
    expect(suite.calls.slice(before).some((call) => call.action === 'RunInstances')).toBe(true)
    expect(tagged(before).filter((id) => firstSet.includes(id))).toEqual([])
    expect(second.stdout).toContain(
      `Building: the AMIs built by Packer run ${first.outputs['run-uuid']} are not this run's builds' (amazon-ebs.demo): ` +
        `their PackerBuild names none of these builds ("amazon-ebs web" on ${listed(first)}: a tags entry or the template gave them their own).`
    )
  })

  it("a set whose every PackerBuild a tags entry gave as one of two builds is not reused: no build makes two AMIs in one region, and the run builds", async () => {
    const twoBuilds = (text: string): string => {
      const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
      const [builder] = template.builders
      template.builders = ['web', 'api'].map((name) => ({ ...builder, name, ami_name: '{{user `ami_name_prefix`}}-{{build_name}}-{{timestamp}}' }))
      return JSON.stringify(template, null, 2)
    }
    const workspace = demoWith(twoBuilds, 'json')
    const inputs = { variables: 'ami_name_prefix=tags-own-keys-two' }
    const first = await run(workspace, 'json', { ...inputs, tags: 'PackerBuild=amazon-ebs web' })
    expect(first.errors).toEqual([])
    expect(Object.keys(JSON.parse(first.outputs.builds) as object)).toEqual(['web', 'api'])
    const firstAmis = JSON.parse(first.outputs.artifacts) as Array<{ region: string; amiId: string }>
    const firstSet = firstAmis.map(({ amiId }) => amiId)
    for (const { region, amiId } of firstAmis) expect(suite.endpoint.tagsOf(region, amiId)).toMatchObject({ PackerBuild: 'amazon-ebs web' })

    const before = suite.calls.length
    const second = await run(workspace, 'json', { ...inputs, reuse: 'true' })
    expect(second.errors).toEqual([])
    expect(second.exitCode).toBe(0)
    expect(second.summary).not.toContain('reused')
    expect(second.outputs['run-uuid']).not.toBe(first.outputs['run-uuid'])
    const builds = JSON.parse(second.outputs.builds) as Record<string, Record<string, string>>
    expect(Object.keys(builds)).toEqual(['web', 'api'])
    expect(firstSet).not.toContain(builds.api['us-east-1'])
    expect(suite.endpoint.tagsOf('us-east-1', builds.api['us-east-1'])).toMatchObject({ PackerBuild: 'amazon-ebs api' })
    expect(suite.calls.slice(before).some((call) => call.action === 'RunInstances')).toBe(true)
    expect(tagged(before).filter((id) => firstSet.includes(id))).toEqual([])
    expect(second.stdout).toContain(
      `Building: the AMIs built by Packer run ${first.outputs['run-uuid']} are not this run's builds' (web, api): ` +
        `their PackerBuild gives one build two AMIs in one region, which no build makes ("amazon-ebs web" on ${listed(first)}: ` +
        'a tags entry or the template gave them their own).'
    )

    // A set the action tagged itself is reused, each AMI as its own build's.
    const beforeThird = suite.calls.length
    const third = await run(workspace, 'json', { ...inputs, reuse: 'true' })
    expect(third.errors).toEqual([])
    expect(third.outputs['run-uuid']).toBe(second.outputs['run-uuid'])
    expect(JSON.parse(third.outputs.builds)).toEqual(builds)
    expect(suite.calls.slice(beforeThird).some((call) => call.action === 'RunInstances')).toBe(false)
  })

  it('with reuse: a PackerBuild entry is refused before Packer is installed, naming reuse', async () => {
    const workspace = demoWith((text) => text, 'hcl2')
    const result = await run(workspace, 'hcl2', { tags: 'PackerBuild=true', reuse: 'true' })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([
      "tags: PackerBuild is the action's own, which reuse goes by; remove the tags entry, or set reuse: false to write it yourself"
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it('with keep-images: an ImageFamily entry is refused before Packer is installed, naming keep-images; a PackerBuild entry is not', async () => {
    const workspace = demoWith((text) => text, 'hcl2')
    const result = await run(workspace, 'hcl2', { tags: 'ImageFamily=web\nPackerBuild=true', 'keep-images': '2' })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([
      "tags: ImageFamily is the action's own tag, which keep-images goes by; set image-family: web instead of the tags entry"
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })
})
