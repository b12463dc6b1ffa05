// A provenance key the template writes itself keeps the template's value: through the bundled
// action run as the runner runs it, with the real Packer and the loopback EC2 endpoint. A template
// that stamps its AMIs `BuildTime = local.timestamp` in its own format must find that format on
// them after the action's tagging, with the action's other provenance tags beside it.
import { expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pushToMain, type ActionRun } from './support/action-process.js'
import { demoRuns, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

describeWithPacker("the template's own provenance keys, through the bundled action", () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  // Each run names its AMIs apart: runs within a second would otherwise name them alike.
  const { demoWith, run } = demoRuns(suite)

  /**
   * The demo's HCL2 source with `BuildTime` (a stamp only Packer works out), `SourceCommit` and an
   * empty `BuildActor` on its AMIs (Packer puts its `tags` on the snapshots too), and `BuildTime`
   * and `SourceRef` on its snapshots.
   */
  const hclWithProvenance = (text: string): string =>
    text.replace(
      '    SourceAMI = "{{ .SourceAMI }}"\n  }\n',
      '    SourceAMI = "{{ .SourceAMI }}"\n    BuildTime = local.build_stamp\n    SourceCommit = "template-commit"\n    BuildActor = ""\n  }\n' +
        '  snapshot_tags = {\n    BuildTime = local.build_stamp\n    SourceRef = "template-ref"\n  }\n'
    )

  /** The same in the JSON template, its stamp Packer's `{{timestamp}}`. */
  const jsonWithProvenance = (text: string): string => {
    const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
    const [builder] = template.builders
    const tags = { ...(builder.tags as object), BuildTime: '{{timestamp}}', SourceCommit: 'template-commit', BuildActor: '' }
    return JSON.stringify({ ...template, builders: [{ ...builder, tags, snapshot_tags: { BuildTime: '{{timestamp}}', SourceRef: 'template-ref' } }] }, null, 2)
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

  function expectKept(result: ActionRun, stamp: RegExp): void {
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const amis = amisOf(result)
    expect(amis.map(({ region }) => region).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    for (const { region, amiId, snapshotIds } of amis) {
      expect(suite.endpoint.tagsOf(region, amiId)).toMatchObject({
        BuildTime: expect.stringMatching(stamp),
        SourceCommit: 'template-commit',
        // Empty in the template: the action's.
        BuildActor: pushToMain.GITHUB_ACTOR,
        SourceRepository: pushToMain.GITHUB_REPOSITORY,
        // Only in the template's snapshot_tags: the action's.
        SourceRef: pushToMain.GITHUB_REF,
        BuildRunUrl: expect.stringContaining('/actions/runs/4242')
      })
      expect(snapshotIds.length).toBeGreaterThan(0)
      for (const snapshotId of snapshotIds) {
        expect(suite.endpoint.tagsOf(region, snapshotId)).toMatchObject({
          BuildTime: expect.stringMatching(stamp),
          SourceCommit: 'template-commit',
          SourceRef: 'template-ref',
          BuildActor: pushToMain.GITHUB_ACTOR
        })
      }
    }
    const kept = result.stdout.split('\n').filter((line) => line.startsWith('Kept the template'))
    expect(kept).toEqual(["Kept the template's own tags, which it writes itself: BuildTime on 3 AMIs and 3 snapshots, SourceCommit on 3 AMIs and 3 snapshots, SourceRef on 3 snapshots."])
    // The summary counts the tags the action added: the 7 provenance, ImageFamily and 3 fingerprint tags, less the 2 kept.
    const row = result.summary.split('\n').find((line) => line.startsWith(`| us-east-1 | [\``))
    expect(row).toMatch(/\| 9 added, 13 in all \|$/)
  }

  it('HCL2: BuildTime of local.timestamp, SourceCommit and snapshot_tags BuildTime keep the template\'s values', async () => {
    const workspace = demoWith(hclWithProvenance, 'hcl2')
    expectKept(await run(workspace, 'hcl2', { variables: 'ami_name_prefix=kept-hcl' }), /^\d{14}$/)
  })

  it('JSON: BuildTime of {{timestamp}}, SourceCommit and snapshot_tags BuildTime keep the template\'s values', async () => {
    const workspace = demoWith(jsonWithProvenance, 'json')
    expectKept(await run(workspace, 'json', { variables: 'ami_name_prefix=kept-json' }), /^\d{9,}$/)
  })

  it('a tags input entry of BuildTime still replaces the template\'s', async () => {
    const workspace = demoWith(hclWithProvenance, 'hcl2')
    const result = await run(workspace, 'hcl2', { tags: 'BuildTime=from-the-workflow', variables: 'ami_name_prefix=kept-input' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    for (const { region, amiId, snapshotIds } of amisOf(result)) {
      expect(suite.endpoint.tagsOf(region, amiId)).toMatchObject({ BuildTime: 'from-the-workflow', SourceCommit: 'template-commit' })
      for (const snapshotId of snapshotIds) expect(suite.endpoint.tagsOf(region, snapshotId)).toMatchObject({ BuildTime: 'from-the-workflow' })
    }
    expect(result.stdout.split('\n').filter((line) => line.startsWith('Kept the template'))).toEqual([
      "Kept the template's own tags, which it writes itself: SourceCommit on 3 AMIs and 3 snapshots, SourceRef on 3 snapshots."
    ])
  })

  it('a template with tags and no snapshot_tags: its snapshots keep what the AMI keeps, without reading their tags', async () => {
    const workspace = demoWith((text) => text.replace('    SourceAMI = "{{ .SourceAMI }}"\n', '    SourceAMI = "{{ .SourceAMI }}"\n    BuildTime = local.build_stamp\n'), 'hcl2')
    const result = await run(workspace, 'hcl2', { variables: 'ami_name_prefix=kept-tags-only' })
    expect(result.errors).toEqual([])
    for (const { region, amiId, snapshotIds } of amisOf(result)) {
      expect(suite.endpoint.tagsOf(region, amiId).BuildTime).toMatch(/^\d{14}$/)
      for (const snapshotId of snapshotIds) expect(suite.endpoint.tagsOf(region, snapshotId).BuildTime).toMatch(/^\d{14}$/)
    }
    expect(suite.calls.filter(({ action }) => action === 'DescribeSnapshots')).toEqual([])
    expect(result.stdout).toContain("Kept the template's own tags, which it writes itself: BuildTime on 3 AMIs and 3 snapshots.")
  })

  it("image-family and reuse, a template that gives its AMIs ImageFamily and BuildSet: refused before Packer is installed, on the template's tags", async () => {
    const workspace = demoWith(
      (text) => text.replace('    SourceAMI = "{{ .SourceAMI }}"\n', '    SourceAMI = "{{ .SourceAMI }}"\n    ImageFamily = "web"\n    BuildSet = "mine"\n'),
      'hcl2'
    )
    const result = await run(workspace, 'hcl2', { 'image-family': 'web', reuse: 'true' })
    expect(result.exitCode).toBe(1)
    const line = String(readFileSync(join(workspace, 'ami.pkr.hcl'), 'utf8').split('\n').findIndex((text) => text.includes('  tags = {')) + 1)
    expect(result.errors).toEqual([
      {
        message:
          'template: ami.pkr.hcl: build amazon-ebs.demo gives its AMI ImageFamily, BuildSet in its tags, which the action writes itself ' +
          "(keep-images goes by ImageFamily; reuse goes by BuildSet): the action's value would replace the template's. " +
          "Remove them from the template's tags, or set image-family to name the family, or set reuse: false to keep the template's BuildSet.",
        properties: { title: 'Invalid input', file: 'ami.pkr.hcl', line, col: '3' }
      },
      { message: 'The template gives tags that the action writes itself (see the errors above); nothing was installed or built.', properties: {} }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it('a template that gives its AMIs ImageFamily and PackerBuild, with neither keep-images, image-family nor reuse: built, and the template\'s values kept', async () => {
    const workspace = demoWith(
      (text) => text.replace('    SourceAMI = "{{ .SourceAMI }}"\n', '    SourceAMI = "{{ .SourceAMI }}"\n    ImageFamily = "web"\n    PackerBuild = "true"\n'),
      'hcl2'
    )
    const result = await run(workspace, 'hcl2', { variables: 'ami_name_prefix=own-keys-as-provenance' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const amis = amisOf(result)
    expect(amis).toHaveLength(3)
    for (const { region, amiId, snapshotIds } of amis) {
      const tags = suite.endpoint.tagsOf(region, amiId)
      expect(tags).toMatchObject({ ImageFamily: 'web', PackerBuild: 'true' })
      // The other fingerprint tags the template leaves to the action.
      expect(tags.BuildSet).toBeTruthy()
      for (const snapshotId of snapshotIds) expect(suite.endpoint.tagsOf(region, snapshotId)).toMatchObject({ ImageFamily: 'web', PackerBuild: 'true' })
    }
    expect(result.warnings.filter((warning) => warning.startsWith('The template gave'))).toEqual([])
    expect(result.stdout).toContain("Kept the template's own tags, which it writes itself: ImageFamily on 3 AMIs and 3 snapshots, PackerBuild on 3 AMIs and 3 snapshots.")
  })

  /** The demo's HCL2 `tags`, and `more` besides them: a map whose keys only Packer works out (a `for` expression). */
  const hclWithWorkedOutTags = (setting: 'tags' | 'snapshot_tags', keys: string[]) => (text: string): string => {
    const worked = `{ for key in ${JSON.stringify(keys)} : key => "from-the-template" }`
    const tags = '  tags = {\n    Name      = var.ami_name_prefix\n    SourceAMI = "{{ .SourceAMI }}"\n  }\n'
    const edited =
      setting === 'tags'
        ? text.replace(tags, `  tags = merge({\n    Name      = var.ami_name_prefix\n    SourceAMI = "{{ .SourceAMI }}"\n  }, ${worked})\n`)
        : text.replace(tags, `${tags}  snapshot_tags = ${worked}\n`)
    expect(edited).not.toBe(text)
    return edited
  }

  it("HCL2, image-family and reuse: ImageFamily and BuildSet that only Packer works out in the AMI's tags: built, the action's values on the AMIs, and a warning names them", async () => {
    const workspace = demoWith(hclWithWorkedOutTags('tags', ['ImageFamily', 'BuildSet', 'BuildTime']), 'hcl2')
    const result = await run(workspace, 'hcl2', { variables: 'ami_name_prefix=worked-out-keys', 'image-family': 'web', reuse: 'true' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const amis = amisOf(result)
    expect(amis).toHaveLength(3)
    const family = 'web'
    for (const { region, amiId, snapshotIds } of amis) {
      const tags = suite.endpoint.tagsOf(region, amiId)
      expect(tags).toMatchObject({ ImageFamily: family, BuildSet: expect.not.stringContaining('from-the-template'), BuildTime: 'from-the-template' })
      expect(tags.BuildSet).toBeTruthy()
      for (const snapshotId of snapshotIds) expect(suite.endpoint.tagsOf(region, snapshotId)).toMatchObject({ ImageFamily: family, BuildSet: tags.BuildSet })
    }
    const replaced = amis.map(({ region, amiId }) => `ImageFamily, BuildSet on ${amiId} (${region})`).join('; ')
    expect(result.warnings.filter((warning) => warning.startsWith('The template gave'))).toEqual([
      `The template gave its AMIs tags that the action writes itself, and the action's value replaced the template's: ${replaced}. ` +
        "keep-images goes by ImageFamily, reuse by BuildFingerprint, BuildSet and PackerBuild: remove them from the template's tags."
    ])
    // BuildTime, a provenance key, is the template's to keep.
    expect(result.stdout).toContain("Kept the template's own tags, which it writes itself: BuildTime on 3 AMIs and 3 snapshots.")
  })

  it("a template with snapshot_tags whose DescribeSnapshots is refused: built and tagged, a warning names the permission, and the snapshots keep what their AMI keeps", async () => {
    suite.endpoint.faults.fail('DescribeSnapshots', { code: 'UnauthorizedOperation', userAgent: 'aws-sdk-js' })
    try {
      const workspace = demoWith(hclWithProvenance, 'hcl2')
      const result = await run(workspace, 'hcl2', { variables: 'ami_name_prefix=snapshots-unread' })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      const amis = amisOf(result)
      expect(amis).toHaveLength(3)
      for (const { region, amiId, snapshotIds } of amis) {
        const amiTags = suite.endpoint.tagsOf(region, amiId)
        expect(amiTags).toMatchObject({ BuildTime: expect.stringMatching(/^\d{14}$/), SourceCommit: 'template-commit', SourceRef: pushToMain.GITHUB_REF })
        for (const snapshotId of snapshotIds) {
          // What the AMI keeps; SourceRef, only the snapshot_tags', gets the action's value.
          expect(suite.endpoint.tagsOf(region, snapshotId)).toMatchObject({ BuildTime: amiTags.BuildTime, SourceCommit: 'template-commit', SourceRef: pushToMain.GITHUB_REF })
        }
      }
      const unread = result.warnings.filter((warning) => warning.startsWith('Reading the tags the template gave'))
      expect(unread).toHaveLength(3)
      for (const { region, snapshotIds } of amis) {
        expect(unread).toContainEqual(
          expect.stringMatching(
            new RegExp(
              `^Reading the tags the template gave ${snapshotIds.join(', ')} in ${region} \\(snapshot_tags\\) failed: they keep the template's value of the provenance keys their AMI keeps, ` +
                "and get the action's of the others\\. UnauthorizedOperation — the credentials lack ec2:DescribeSnapshots\\."
            )
          )
        )
      }
      expect(result.stdout).toContain("Kept the template's own tags, which it writes itself: BuildTime on 3 AMIs and 3 snapshots, SourceCommit on 3 AMIs and 3 snapshots.")
    } finally {
      suite.endpoint.faults.clear()
    }
  })

  it('reuse: the AMIs a second run reuses keep the BuildTime the template gave them', async () => {
    const workspace = demoWith(hclWithProvenance, 'hcl2')
    const inputs = { variables: 'ami_name_prefix=kept-reuse', reuse: 'true', tags: 'Team=web' }
    const first = await run(workspace, 'hcl2', inputs)
    expect(first.errors).toEqual([])
    const amis = amisOf(first)
    const before = amis.map(({ region, amiId, snapshotIds }) => ({
      ami: suite.endpoint.tagsOf(region, amiId),
      snapshots: snapshotIds.map((snapshotId) => suite.endpoint.tagsOf(region, snapshotId))
    }))
    expect(before[0].ami.BuildTime).toMatch(/^\d{14}$/)

    const second = await run(workspace, 'hcl2', { ...inputs, tags: 'Team=api' })
    expect(second.errors).toEqual([])
    expect(second.exitCode).toBe(0)
    expect(second.summary).toContain(':white_check_mark: AMIs reused')
    expect(second.outputs['ami-id']).toBe(first.outputs['ami-id'])
    amis.forEach(({ region, amiId, snapshotIds }, index) => {
      // The tags input's entry is written again; every provenance tag is as the first run left it.
      expect(suite.endpoint.tagsOf(region, amiId)).toEqual({ ...before[index].ami, Team: 'api' })
      snapshotIds.forEach((snapshotId, at) => expect(suite.endpoint.tagsOf(region, snapshotId)).toEqual({ ...before[index].snapshots[at], Team: 'api' }))
    })
  })

  it("HCL2, image-family: ImageFamily that only Packer works out in the snapshot_tags: the action's value on the snapshots, and a warning names them", async () => {
    const workspace = demoWith(hclWithWorkedOutTags('snapshot_tags', ['ImageFamily']), 'hcl2')
    const result = await run(workspace, 'hcl2', { variables: 'ami_name_prefix=worked-out-snapshot-keys', 'image-family': 'web' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const family = 'web'
    const amis = amisOf(result)
    expect(amis).toHaveLength(3)
    for (const { region, snapshotIds } of amis) {
      for (const snapshotId of snapshotIds) expect(suite.endpoint.tagsOf(region, snapshotId)).toMatchObject({ ImageFamily: family })
    }
    const replaced = amis.flatMap(({ region, snapshotIds }) => snapshotIds.map((snapshotId) => `ImageFamily on ${snapshotId} (${region})`)).join('; ')
    expect(result.warnings).toEqual([
      `The template gave its snapshots tags that the action writes itself, and the action's value replaced the template's: ${replaced}. ` +
        "keep-images goes by ImageFamily, reuse by BuildFingerprint, BuildSet and PackerBuild: remove them from the template's snapshot_tags."
    ])
  })
  it("HCL2, provenance-tags false and reuse: BuildSet that only Packer works out in the snapshot_tags: the action's value on the snapshots, and a warning names them", async () => {
    const workspace = demoWith(hclWithWorkedOutTags('snapshot_tags', ['BuildSet']), 'hcl2')
    const result = await run(workspace, 'hcl2', { variables: 'ami_name_prefix=own-key-no-provenance', 'provenance-tags': 'false', reuse: 'true' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const amis = amisOf(result)
    expect(amis).toHaveLength(3)
    for (const { region, amiId, snapshotIds } of amis) {
      const { BuildSet } = suite.endpoint.tagsOf(region, amiId)
      expect(BuildSet).toBeTruthy()
      for (const snapshotId of snapshotIds) expect(suite.endpoint.tagsOf(region, snapshotId).BuildSet).toBe(BuildSet)
    }
    const replaced = amis.flatMap(({ region, snapshotIds }) => snapshotIds.map((snapshotId) => `BuildSet on ${snapshotId} (${region})`)).join('; ')
    expect(result.warnings).toEqual([
      `The template gave its snapshots tags that the action writes itself, and the action's value replaced the template's: ${replaced}. ` +
        "keep-images goes by ImageFamily, reuse by BuildFingerprint, BuildSet and PackerBuild: remove them from the template's snapshot_tags."
    ])
    // One read of the snapshots' tags in each region, after its DescribeImages.
    expect(suite.calls.filter(({ action }) => action === 'DescribeSnapshots').map(({ region }) => region).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
  })

  it("provenance-tags false and reuse, a template whose snapshot_tags are all written as they are: the snapshots' tags are never read", async () => {
    const literal = '  tags = {\n    Name      = var.ami_name_prefix\n    SourceAMI = "{{ .SourceAMI }}"\n  }\n'
    const workspace = demoWith((text) => text.replace(literal, `${literal}  snapshot_tags = {\n    Backup = "daily"\n  }\n`), 'hcl2')
    const result = await run(workspace, 'hcl2', { variables: 'ami_name_prefix=own-key-literal-snapshot-tags', 'provenance-tags': 'false', reuse: 'true' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.warnings).toEqual([])
    for (const { region, snapshotIds } of amisOf(result)) {
      for (const snapshotId of snapshotIds) expect(suite.endpoint.tagsOf(region, snapshotId)).toMatchObject({ Backup: 'daily', BuildSet: expect.any(String) })
    }
    // Only a key Packer works out could be one of the action's own: a literal one is refused before the build.
    expect(suite.calls.filter(({ action }) => action === 'DescribeSnapshots')).toEqual([])
  })

  /** The demo's JSON template with `more` in its builder's `tags` or `snapshot_tags`, and the variables `variables` declares. */
  const jsonWith =
    (setting: 'tags' | 'snapshot_tags', more: Record<string, string>, variables: Record<string, string> = {}) =>
    (text: string): string => {
      const template = JSON.parse(text) as { variables: Record<string, string>; builders: Array<Record<string, unknown>> }
      const [builder] = template.builders
      const edited = { ...builder, [setting]: { ...((builder[setting] as object | undefined) ?? {}), ...more } }
      return JSON.stringify({ ...template, variables: { ...template.variables, ...variables }, builders: [edited] }, null, 2)
    }

  it('JSON, image-family: a tags key written as a Go template that Packer renders ImageFamily: the action\'s value on the AMIs, and a warning names them', async () => {
    const workspace = demoWith(jsonWith('tags', { '{{ "ImageFamily" }}': 'from-the-template' }), 'json')
    const result = await run(workspace, 'json', { variables: 'ami_name_prefix=go-template-key', 'image-family': 'web' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const amis = amisOf(result)
    expect(amis).toHaveLength(3)
    const family = 'web'
    for (const { region, amiId } of amis) {
      const tags = suite.endpoint.tagsOf(region, amiId)
      expect(tags.ImageFamily).toBe(family)
      expect(Object.keys(tags).filter((key) => key.includes('{{'))).toEqual([])
    }
    const replaced = amis.map(({ region, amiId }) => `ImageFamily on ${amiId} (${region})`).join('; ')
    expect(result.warnings).toEqual([
      `The template gave its AMIs tags that the action writes itself, and the action's value replaced the template's: ${replaced}. ` +
        "keep-images goes by ImageFamily, reuse by BuildFingerprint, BuildSet and PackerBuild: remove them from the template's tags."
    ])
  })

  it('JSON, provenance-tags false and image-family: a snapshot_tags key written as a Go template that Packer renders ImageFamily: the action\'s value on the snapshots, and a warning names them', async () => {
    const workspace = demoWith(jsonWith('snapshot_tags', { '{{ "ImageFamily" }}': 'from-the-template' }), 'json')
    const result = await run(workspace, 'json', { variables: 'ami_name_prefix=go-template-snapshot-key', 'provenance-tags': 'false', 'image-family': 'web' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const amis = amisOf(result)
    expect(amis).toHaveLength(3)
    for (const { region, amiId, snapshotIds } of amis) {
      expect(suite.endpoint.tagsOf(region, amiId).ImageFamily).toBe('web')
      for (const snapshotId of snapshotIds) expect(suite.endpoint.tagsOf(region, snapshotId).ImageFamily).toBe('web')
    }
    const replaced = amis.flatMap(({ region, snapshotIds }) => snapshotIds.map((snapshotId) => `ImageFamily on ${snapshotId} (${region})`)).join('; ')
    expect(result.warnings).toEqual([
      `The template gave its snapshots tags that the action writes itself, and the action's value replaced the template's: ${replaced}. ` +
        "keep-images goes by ImageFamily, reuse by BuildFingerprint, BuildSet and PackerBuild: remove them from the template's snapshot_tags."
    ])
  })

  it("JSON, image-family: a tags key {{user `k`}} whose value is ImageFamily: refused before Packer is installed, on the template's tags", async () => {
    const workspace = demoWith(jsonWith('tags', { '{{user `family_key`}}': 'from-the-template' }, { family_key: 'ImageFamily' }), 'json')
    const result = await run(workspace, 'json', { 'image-family': 'web' })
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]?.message).toMatch(/^template: packer-template\.json: build amazon-ebs gives its AMI ImageFamily in its tags, which the action writes itself/)
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })
})
