// An AMI of the run that someone else deregisters after Packer reported it and before the action
// tags it, through the bundled action with the real Packer against the loopback EC2 endpoint:
// EC2 answers a DescribeImages naming a recently deregistered AMI with it `deregistered`, then
// leaves it out, so the action knows at once that it is gone; it does not wait for it.
import { expect, it } from '@jest/globals'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SOURCE_AMI_ID, startEc2Endpoint, type Ec2Call, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { loopbackEnvironment, parseCommands, pushToMain, runAction, type ActionRun, type RunActionOptions } from './support/action-process.js'
import { endedAfterEach } from './support/fixture-builds.js'
import { describeWithPacker, packerVersion, until } from './support/runtimes.js'
import { renderedText } from './support/markdown.js'

/** An HCL2 template of one amazon-ebs source per entry: its name, its region and any more settings. */
function templateOf(sources: Array<{ name: string; region: string; more?: string }>): string {
  const blocks = sources.map(
    ({ name, region, more = '' }) => `
source "amazon-ebs" "${name}" {
  custom_endpoint_ec2    = var.ec2_endpoint
  skip_region_validation = true
  communicator           = "none"
  region                 = "${region}"
  source_ami             = "${SOURCE_AMI_ID}"
  instance_type          = "t3.micro"
  ami_name               = "${name}-{{timestamp}}"
  ${more}
}
`
  )
  return `
variable "ec2_endpoint" {
  type    = string
  default = env("AWS_ENDPOINT_URL_EC2")
}
${blocks.join('')}
build {
  sources = [${sources.map(({ name }) => `"source.amazon-ebs.${name}"`).join(', ')}]

  post-processor "manifest" {
    output = "manifest.json"
  }
}
`
}

const template = templateOf([{ name: 'web', region: 'us-east-1', more: 'ami_regions = ["eu-west-1"]' }])

const made = endedAfterEach()

/** The workflow run that built the set, as its BuildRunUrl tag names it. */
const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT } = pushToMain
const builtBy = `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}/attempts/${GITHUB_RUN_ATTEMPT}`

/** The AMI name ends in {{timestamp}}: a build in the same second would find it taken. */
const aSecondLater = () => new Promise((resolve) => setTimeout(resolve, 1000))

/**
 * Two builds: the first makes its AMI in eu-west-1 only, so ami-id is not from the home region
 * (us-east-1), which only the second's is in, and a notice says so.
 */
const twoBuilds = templateOf([
  { name: 'eu', region: 'eu-west-1' },
  { name: 'us', region: 'us-east-1' }
])

/**
 * A workspace with `text` as its template; each call runs the action there against `started`, with
 * `inputs` (and `onStart`, told of the action's process once it runs).
 */
function actionRuns(
  started: Ec2Endpoint,
  prefix: string,
  text = template
): (inputs: Record<string, string>, onStart?: RunActionOptions['onStart'], nodeArgs?: string[]) => ReturnType<typeof runAction> {
  made.endpoint = started
  const workspace = mkdtempSync(join(tmpdir(), prefix))
  made.workspaces.push(workspace)
  writeFileSync(join(workspace, 'image.pkr.hcl'), text)
  return (inputs, onStart, nodeArgs) =>
    runAction({
      workspace,
      inputs: { 'packer-version': packerVersion(), template: '.', ...inputs },
      env: { ...pushToMain, ...loopbackEnvironment(started.url, workspace) },
      onStart,
      ...(nodeArgs ? { nodeArgs } : {})
    })
}

/** The endpoint's calls from the `from`th on that name `id`, as action, region and error. */
function callsNaming(started: Ec2Endpoint, from: number, id: string | undefined): Array<Pick<Ec2Call, 'action' | 'region' | 'error'>> {
  const naming = started.calls.slice(from).filter((call) => Object.values(call.params).includes(id as string))
  return naming.map(({ action, region, error }) => ({ action, region, error }))
}

describeWithPacker('an AMI deregistered by someone else between the build and the tagging', () => {
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
      const result = await actionRuns(started, 'deregistered-')({ 'tag-snapshots': tagSnapshots })

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
      expect(callsNaming(started, callsBefore, gone)).toEqual(seen.map((call) => ({ ...call, region: 'us-east-1' })))
    })
  }
})

/**
 * Two runs with `inputs`: the first builds a set, the second finds it, and once `now` is true of a
 * call of the second, its AMI in `region` is deregistered, as another user of the account would
 * (or, with `change: 'disable'`, disabled, as its owner would). `callsBefore`: how many calls the
 * endpoint had answered by then.
 */
async function reusedButDeregistered(
  prefix: string,
  inputs: Record<string, string>,
  region: string,
  now: (call: Ec2Call) => boolean,
  {
    text = template,
    prepare,
    change = 'deregister'
  }: { text?: string; prepare?: (started: Ec2Endpoint) => void; change?: 'deregister' | 'disable' } = {}
) {
  let armed = false
  let gone: string | undefined
  let callsBefore = 0
  const started = await startEc2Endpoint({
    regions: ['us-east-1', 'eu-west-1'],
    autoAdvance: { describes: 1 },
    onCall: (call) => {
      if (!armed || gone !== undefined || !now(call)) return
      gone = started.images(region).find((image) => image.imageId !== SOURCE_AMI_ID)?.imageId
      started[change](region, gone as string)
      callsBefore = started.calls.length
    }
  })
  const run = actionRuns(started, prefix, text)
  const first = await run(inputs)
  expect(first.errors).toEqual([])
  await aSecondLater()
  armed = true
  prepare?.(started)
  const second = await run(inputs)
  return { started, first, second, gone, callsBefore }
}

/** Each build's AMI by region, from output builds (ami-ids holds ami-id's build's only). */
function amisByRegion(result: ActionRun): Record<string, string> {
  const builds = JSON.parse(result.outputs.builds) as Record<string, Record<string, string>>
  return Object.assign({}, ...Object.values(builds))
}

/**
 * That the second run built a new set, in both regions, after `launches` instances in all, and
 * handed on none of the first's: the AMIs of each, by region.
 */
function expectBuiltAnew(started: Ec2Endpoint, first: ActionRun, second: ActionRun, launches: number) {
  expect(second.errors).toEqual([])
  expect(second.exitCode).toBe(0)
  expect(started.callsOf('RunInstances')).toHaveLength(launches)
  const firstAmis = amisByRegion(first)
  const secondAmis = amisByRegion(second)
  expect(Object.keys(secondAmis).sort()).toEqual(['eu-west-1', 'us-east-1'])
  for (const region of ['us-east-1', 'eu-west-1']) expect(secondAmis[region]).not.toBe(firstAmis[region])
  expect(second.outputs['run-uuid']).not.toBe(first.outputs['run-uuid'])
  return { firstAmis, secondAmis }
}

describeWithPacker('a reused AMI deregistered by someone else between the look-up and the re-tagging', () => {
  it('leaves the set that is no longer whole, says so, and builds, as when no whole set is found', async () => {
    // The re-tagging's DescribeImages names the AMIs; the look-up's filters by tag.
    const { started, first, second, gone, callsBefore } = await reusedButDeregistered(
      'reused-deregistered-',
      { reuse: 'true', tags: 'Team=web' },
      'us-east-1',
      (call) => call.action === 'DescribeImages' && call.region === 'us-east-1' && call.params['ImageId.1'] !== undefined
    )
    // The new set in the outputs, none of the old one.
    const { firstAmis, secondAmis } = expectBuiltAnew(started, first, second, 2)
    expect(gone).toBe(firstAmis['us-east-1'])
    expect(JSON.parse(second.outputs['ami-ids'])).toEqual(secondAmis)
    expect(started.tagsOf('us-east-1', secondAmis['us-east-1'])).toMatchObject({ Team: 'web', SourceCommit: pushToMain.GITHUB_SHA })
    const warnings = parseCommands(second.stdout, 'warning').filter(({ properties }) => properties.title === 'Reuse')
    expect(warnings.map(({ message }) => message)).toEqual([
      `reuse: build amazon-ebs.web's ${gone} (us-east-1), of the AMIs built by ${builtBy}, was deregistered after the look-up found it, ` +
        'so the set is no longer whole. Building instead, as when no whole set is found.'
    ])
    expect(second.stdout).not.toMatch(/exist and are in the outputs/)
    expect(second.summary).not.toContain('reused')
    expect(second.summary).not.toContain(firstAmis['eu-west-1'])
    expect(second.summary).toContain(secondAmis['us-east-1'])
    // One look at the AMI told that it is gone: no call naming it was tried again.
    expect(callsNaming(started, callsBefore, gone)).toEqual([
      { action: 'CreateTags', region: 'us-east-1', error: 'InvalidAMIID.NotFound' },
      { action: 'DescribeImages', region: 'us-east-1', error: undefined }
    ])
  })
})

describeWithPacker('a reused AMI deregistered by someone else after the look-up, with no tags to apply', () => {
  it('is noticed by one DescribeImages per region of the set: the set is not handed on, and the job builds, saying so', async () => {
    // The look-up asks the home region, then eu-west-1, by tag: once eu-west-1 has answered, it is done.
    const { started, first, second, gone, callsBefore } = await reusedButDeregistered(
      'reused-untagged-',
      { reuse: 'true' },
      'eu-west-1',
      (call) => call.action === 'DescribeImages' && call.region === 'eu-west-1' && call.params['Filter.1.Name'] !== undefined
    )
    // The new set in the outputs and the summary, none of the old one.
    const { firstAmis, secondAmis } = expectBuiltAnew(started, first, second, 2)
    expect(gone).toBe(firstAmis['eu-west-1'])
    expect(JSON.parse(second.outputs['ami-ids'])).toEqual(secondAmis)
    expect(second.outputs['ami-id']).toBe(secondAmis['us-east-1'])
    const warnings = parseCommands(second.stdout, 'warning').filter(({ properties }) => properties.title === 'Reuse')
    expect(warnings.map(({ message }) => message)).toEqual([
      `reuse: build amazon-ebs.web's ${gone} (eu-west-1), of the AMIs built by ${builtBy}, was deregistered after the look-up found it, ` +
        'so the set is no longer whole. Building instead, as when no whole set is found.'
    ])
    expect(second.summary).not.toContain('reused')
    for (const region of ['us-east-1', 'eu-west-1']) {
      expect(second.summary).not.toContain(firstAmis[region])
      expect(second.summary).toContain(secondAmis[region])
    }
    // After the look-up, one DescribeImages in each region of the set (at once) named its AMIs, and nothing else did.
    const namingTheSet = started.calls.slice(callsBefore).filter((call) => Object.values(call.params).some((value) => Object.values(firstAmis).includes(value)))
    const byRegion = (a: { region: string }, b: { region: string }) => a.region.localeCompare(b.region)
    expect(namingTheSet.map(({ action, region, params }) => ({ action, region, params })).sort(byRegion)).toEqual(
      ['eu-west-1', 'us-east-1'].map((region) => ({ action: 'DescribeImages', region, params: { 'ImageId.1': firstAmis[region], IncludeDisabled: 'true' } }))
    )
  })

  it('builds, with a warning that says why, when EC2 refuses that DescribeImages, as when it refuses the look-up', async () => {
    let armed = false
    const started = await startEc2Endpoint({
      regions: ['us-east-1', 'eu-west-1'],
      onCall: (call) => {
        // Once the look-up has asked eu-west-1, by tag, the next DescribeImages there is refused.
        if (!armed || call.action !== 'DescribeImages' || call.region !== 'eu-west-1' || call.params['Filter.1.Name'] === undefined) return
        armed = false
        started.faults.fail('DescribeImages', { code: 'UnauthorizedOperation', region: 'eu-west-1', firstCalls: 1 })
      }
    })
    const run = actionRuns(started, 'reused-unchecked-')
    const first = await run({ reuse: 'true' })
    expect(first.errors).toEqual([])
    await aSecondLater()
    armed = true
    const second = await run({ reuse: 'true' })

    const { secondAmis } = expectBuiltAnew(started, first, second, 2)
    expect(started.callsOf('DescribeImages').filter((call) => call.error === 'UnauthorizedOperation')).toHaveLength(1)
    expect(second.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^reuse: making sure that the AMIs built by ${builtBy.replace(/[.]/g, '\\.')} are all still there failed: ` +
            'UnauthorizedOperation — the credentials lack ec2:DescribeImages\\..* Building instead, as when no earlier build is found\\.$',
          's'
        )
      )
    ])
    expect(JSON.parse(second.outputs['ami-ids'])).toEqual(secondAmis)
    expect(second.summary).not.toContain('reused')
  })
})

describeWithPacker('a reuse that falls back to building, once re-tagging found an AMI of the set deregistered', () => {
  it("tells the build's ami-id and summary only: no notice of the old set's ami-id, no error of its tagging", async () => {
    const { started, first, second, gone } = await reusedButDeregistered(
      'reused-fallback-',
      { reuse: 'true', tags: 'Team=web' },
      'us-east-1',
      (call) => call.action === 'DescribeImages' && call.region === 'us-east-1' && call.params['ImageId.1'] !== undefined,
      {
        text: twoBuilds,
        // The old set's re-tagging in eu-west-1 is refused; the new set's is not.
        prepare: (endpoint) => endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation', region: 'eu-west-1', firstCalls: 1 })
      }
    )
    expect(first.outputs['ami-id']).toBe(amisByRegion(first)['eu-west-1'])
    const { firstAmis, secondAmis } = expectBuiltAnew(started, first, second, 4)
    expect(gone).toBe(firstAmis['us-east-1'])
    expect(started.callsOf('CreateTags').filter((call) => call.error === 'UnauthorizedOperation').map((call) => call.params['ResourceId.1'])).toEqual([
      firstAmis['eu-west-1']
    ])
    expect(second.outputs['ami-id']).toBe(secondAmis['eu-west-1'])
    // The fallback, said once; where ami-id is from, said once, of the new set.
    expect(second.warnings).toEqual([
      `reuse: build amazon-ebs.us's ${gone} (us-east-1), of the AMIs built by ${builtBy}, was deregistered after the look-up found it, ` +
        'so the set is no longer whole. Building instead, as when no whole set is found.'
    ])
    expect(parseCommands(second.stdout, 'notice').map(({ message }) => message)).toEqual([
      `ami-id is ${secondAmis['eu-west-1']} in eu-west-1, the region build amazon-ebs.eu made its AMI in (its region setting): ` +
        "it made no AMI in us-east-1, the home region. Output ami-ids has each region's."
    ])
    // The refusal is in the log, as what befell the set that is not reused, and nowhere else.
    expect(second.stdout).toMatch(/^Tagging in eu-west-1 failed for ami-\S+, snap-\S+: UnauthorizedOperation/m)
    expect(second.summary).not.toContain('UnauthorizedOperation')
    expect(second.summary).not.toContain('reused')
    for (const region of ['us-east-1', 'eu-west-1']) {
      expect(second.summary).not.toContain(firstAmis[region])
      expect(second.summary).toContain(secondAmis[region])
      expect(started.tagsOf(region, secondAmis[region])).toMatchObject({ Team: 'web' })
    }
  })
})

describeWithPacker('a reused AMI disabled by its owner after the look-up', () => {
  /** The calls from the `from`th on that name an AMI of `amis`, as action, region and parameters, by region. */
  const namingTheSet = (started: Ec2Endpoint, from: number, amis: Record<string, string>) =>
    started.calls
      .slice(from)
      .filter((call) => Object.values(call.params).some((value) => Object.values(amis).includes(value)))
      .map(({ action, region, params }) => ({ action, region, params }))
      .sort((a, b) => a.region.localeCompare(b.region))
  const disabledWarning = (disabled: string | undefined, region: string) =>
    `reuse: build amazon-ebs.web's ${disabled} (${region}), of the AMIs built by ${builtBy}, was disabled after the look-up found it ` +
    '(a disabled AMI launches no instance), so the set is no longer whole. Building instead, as when no whole set is found.'

  it('is noticed without tags to apply by the DescribeImages per region: the set is not handed on, and the job builds, saying so', async () => {
    // Once the look-up has asked eu-west-1, by tag, the AMI there is disabled.
    const { started, first, second, gone, callsBefore } = await reusedButDeregistered(
      'reused-disabled-',
      { reuse: 'true' },
      'eu-west-1',
      (call) => call.action === 'DescribeImages' && call.region === 'eu-west-1' && call.params['Filter.1.Name'] !== undefined,
      { change: 'disable' }
    )
    const { firstAmis, secondAmis } = expectBuiltAnew(started, first, second, 2)
    expect(gone).toBe(firstAmis['eu-west-1'])
    expect(started.images('eu-west-1').find((image) => image.imageId === gone)?.state).toBe('disabled')
    expect(JSON.parse(second.outputs['ami-ids'])).toEqual(secondAmis)
    expect(second.outputs['ami-id']).toBe(secondAmis['us-east-1'])
    expect(second.warnings).toEqual([disabledWarning(gone, 'eu-west-1')])
    expect(second.summary).not.toContain('reused')
    for (const region of ['us-east-1', 'eu-west-1']) {
      expect(second.summary).not.toContain(firstAmis[region])
      expect(second.summary).toContain(secondAmis[region])
    }
    // The same one DescribeImages per region told it: nothing more was asked.
    expect(namingTheSet(started, callsBefore, firstAmis)).toEqual(
      ['eu-west-1', 'us-east-1'].map((region) => ({ action: 'DescribeImages', region, params: { 'ImageId.1': firstAmis[region], IncludeDisabled: 'true' } }))
    )
  })

  it("is noticed with tags too, though CreateTags tags it: one DescribeImages per region after the re-tagging, and the job builds", async () => {
    // Disabled once the re-tagging's DescribeImages has shown it available, before its CreateTags.
    let secondFrom = 0
    const { started, first, second, gone, callsBefore } = await reusedButDeregistered(
      'reused-disabled-tagged-',
      { reuse: 'true', tags: 'Team=web' },
      'us-east-1',
      (call) => call.action === 'DescribeImages' && call.region === 'us-east-1' && call.params['ImageId.1'] !== undefined,
      { change: 'disable', prepare: (endpoint) => (secondFrom = endpoint.calls.length) }
    )
    const { firstAmis, secondAmis } = expectBuiltAnew(started, first, second, 2)
    expect(gone).toBe(firstAmis['us-east-1'])
    expect(JSON.parse(second.outputs['ami-ids'])).toEqual(secondAmis)
    expect(second.outputs['ami-id']).toBe(secondAmis['us-east-1'])
    expect(second.warnings).toEqual([disabledWarning(gone, 'us-east-1')])
    expect(second.stdout).not.toMatch(/Input tags applied to the reused AMIs/)
    expect(second.summary).not.toContain('reused')
    expect(second.summary).not.toContain(firstAmis['us-east-1'])
    expect(started.tagsOf('us-east-1', secondAmis['us-east-1'])).toMatchObject({ Team: 'web' })
    // CreateTags went through on the disabled AMI; one DescribeImages after it, in each region, told.
    const inUsEast1 = namingTheSet(started, callsBefore, firstAmis).filter((call) => call.region === 'us-east-1')
    expect(inUsEast1.map(({ action }) => action)).toEqual(['CreateTags', 'DescribeImages'])
    expect(inUsEast1[1].params).toEqual({ 'ImageId.1': firstAmis['us-east-1'], IncludeDisabled: 'true' })
    // In each region, the second run named the set's AMI in two DescribeImages: the re-tagging's own, and the one after it.
    const described = (region: string) =>
      started.calls.slice(secondFrom).filter((call) => call.action === 'DescribeImages' && call.region === region && call.params['ImageId.1'] === firstAmis[region])
    for (const region of ['us-east-1', 'eu-west-1']) expect(described(region)).toHaveLength(2)
  })
})

describeWithPacker('a run cancelled while it makes sure of a reused set', () => {
  const cases: Array<{ doing: string; inputs: Record<string, string>; hang: (started: Ec2Endpoint) => void; cutShort: string }> = [
    {
      doing: 'tagging the reused AMIs',
      inputs: { reuse: 'true', tags: 'Team=web' },
      // The re-tagging's CreateTags get no answer.
      hang: (started: Ec2Endpoint) => started.faults.hang('CreateTags', { userAgent: 'aws-sdk-js' }),
      cutShort: ', and before every tag was applied'
    },
    {
      doing: 'making sure that the reused AMIs are all still there',
      inputs: { reuse: 'true' },
      // The look-up's two DescribeImages are answered (the home region's, then eu-west-1's); those naming the set are not.
      hang: (started: Ec2Endpoint) => started.faults.hang('DescribeImages', { userAgent: 'aws-sdk-js', afterCalls: 2 }),
      cutShort: ''
    }
  ]
  for (const { doing, inputs, hang, cutShort } of cases) {
    it(`keeps the set in the outputs and the summary, with the notice of which build ami-id is from, and says so: cancelled while ${doing}`, async () => {
      const started = await startEc2Endpoint({ regions: ['us-east-1', 'eu-west-1'] })
      const run = actionRuns(started, 'reused-cancelled-', twoBuilds)
      const first = await run(inputs)
      expect(first.errors).toEqual([])
      await aSecondLater()
      hang(started)
      const callsBefore = started.calls.length
      const second = await run(inputs, (child) => {
        const unanswered = () => started.calls.slice(callsBefore).some((call) => call.error === 'NoAnswer')
        void until(unanswered, `the action to be ${doing}`).then(() => child.kill('SIGINT'))
      })
      started.faults.clear()

      expect(second.exitCode).toBe(1)
      expect(started.callsOf('RunInstances')).toHaveLength(2)
      const firstAmis = amisByRegion(first)
      // The set is in the outputs, as a build's AMIs are after a cancel once they exist, with the notice of its ami-id.
      expect(JSON.parse(second.outputs.builds)).toEqual(JSON.parse(first.outputs.builds))
      expect(second.outputs['ami-id']).toBe(firstAmis['eu-west-1'])
      expect(second.outputs['run-uuid']).toBe(first.outputs['run-uuid'])
      expect(parseCommands(second.stdout, 'notice').map(({ message }) => message)).toEqual([
        `ami-id is ${firstAmis['eu-west-1']} in eu-west-1, the region build amazon-ebs.eu made its AMI in (its region setting): ` +
          "it made no AMI in us-east-1, the home region. Output ami-ids has each region's."
      ])
      expect(second.errors.map(({ message }) => message)).toEqual([
        `The run was cancelled (SIGINT) while ${doing}: the set of 2 AMIs reused from ${builtBy} is in the outputs, ` +
          `but the run ended before it made sure that they are all still there${cutShort}.`
      ])
      expect(second.stdout).not.toMatch(/after the build/)
      expect(second.summary).toContain(':no_entry_sign: Cancelled')
      expect(renderedText(second.summary)).toContain(`\nThe run was cancelled (SIGINT) while ${doing}: the set of 2 AMIs reused from ${builtBy} is in the outputs`)
      expect(second.summary).not.toContain('Problems')
      for (const region of ['us-east-1', 'eu-west-1']) expect(second.summary).toContain(firstAmis[region])
    })
  }
})

describeWithPacker('a run cancelled or failing in a stage after it reused a set', () => {
  const crashOnSigusr2 = 'data:text/javascript,process.on("SIGUSR2",()=>{throw new Error("injected crash")})'
  const cases = [
    { how: 'cancelled', signal: 'SIGINT' as const, cause: 'The run was cancelled (SIGINT)', headline: ':no_entry_sign: Cancelled' },
    {
      how: 'crashing',
      signal: 'SIGUSR2' as const,
      cause: 'The action crashed (Error: injected crash)',
      headline: ':x: Failed',
      nodeArgs: ['--import', crashOnSigusr2]
    }
  ]
  for (const { how, signal, cause, headline, nodeArgs } of cases) {
    it(`names the reused set, not a build, when ${how} while publishing to SSM`, async () => {
      const started = await startEc2Endpoint({ regions: ['us-east-1', 'eu-west-1'] })
      const run = actionRuns(started, 'reused-rollout-')
      const first = await run({ reuse: 'true', tags: 'Team=web' })
      expect(first.errors).toEqual([])
      started.faults.hang('PutParameter', { userAgent: 'aws-sdk-js' })
      const callsBefore = started.calls.length
      const second = await run(
        { reuse: 'true', tags: 'Team=web', 'ssm-parameter': '/images/web' },
        (child) => {
          const unanswered = () => started.calls.slice(callsBefore).some((call) => call.action === 'PutParameter' && call.error === 'NoAnswer')
          void until(unanswered, 'the action to call PutParameter').then(() => child.kill(signal))
        },
        nodeArgs
      )
      started.faults.clear()

      expect(second.exitCode).toBe(1)
      expect(started.callsOf('RunInstances')).toHaveLength(1)
      expect(second.outputs['ami-ids']).toBe(first.outputs['ami-ids'])
      expect(second.errors.map(({ message }) => message)).toEqual([
        `${cause} while publishing the AMI IDs to SSM (ssm-parameter): the set of 2 AMIs reused from ${builtBy} ` +
          'has the input tags and is in the outputs; ssm-parameter did not finish (no answer yet in eu-west-1, us-east-1) ' +
          '(the summary shows what each step did).'
      ])
      expect(second.stdout).not.toMatch(/after the build/)
      expect(second.summary).toContain(headline)
      expect(second.summary).toContain(`Nothing changed since the last build: reused, built by ${builtBy}.`)
      expect(renderedText(second.summary)).toContain(`\n${cause} while publishing the AMI IDs to SSM (ssm-parameter): `)
      expect(second.summary).not.toMatch(/after the build|AMIs built/)
    })
  }
})

describeWithPacker('a stage after it reused a set that fails', () => {
  it('names the reused set, not a build, in the failure', async () => {
    const started = await startEc2Endpoint({ regions: ['us-east-1', 'eu-west-1'] })
    const run = actionRuns(started, 'reused-rollout-failed-')
    const first = await run({ reuse: 'true' })
    expect(first.errors).toEqual([])
    started.faults.fail('PutParameter', { code: 'AccessDeniedException', message: 'User: loopback is not authorized to perform: ssm:PutParameter', region: 'eu-west-1' })
    const second = await run({ reuse: 'true', 'ssm-parameter': 'web-ami' })
    started.faults.clear()

    expect(second.exitCode).toBe(1)
    expect(started.callsOf('RunInstances')).toHaveLength(1)
    expect(second.outputs['ami-ids']).toBe(first.outputs['ami-ids'])
    expect(second.errors.map(({ message }) => message)).toEqual([
      'SSM parameter web-ami in eu-west-1: AccessDeniedException — the credentials lack ssm:PutParameter. User: loopback is not authorized to perform: ssm:PutParameter',
      `ssm-parameter failed (see the errors above); the set of 2 AMIs reused from ${builtBy} is in the outputs.`
    ])
    expect(second.summary).not.toMatch(/after the build|AMIs built/)
  })
})

describeWithPacker('an AMI disabled by someone else between the build and the tagging', () => {
  /** Runs the action on `text` with `inputs`; once Packer has deleted its key pair, every AMI it made in `regions` is disabled. */
  async function disabledAfterPacker(prefix: string, text: string, regions: string[], inputs: Record<string, string>) {
    const disabled: Array<{ region: string; amiId: string }> = []
    const started = await startEc2Endpoint({
      regions: ['us-east-1', 'eu-west-1'],
      onCall: (call) => {
        if (call.action !== 'DeleteKeyPair' || disabled.length > 0) return
        for (const region of regions) {
          for (const image of started.images(region).filter((one) => one.imageId !== SOURCE_AMI_ID)) {
            started.disable(region, image.imageId)
            disabled.push({ region, amiId: image.imageId })
          }
        }
      }
    })
    const result = await actionRuns(started, prefix, text)(inputs)
    return { started, result, disabled }
  }
  const warningsOf = (result: ActionRun) => parseCommands(result.stdout, 'warning').filter(({ properties }) => properties.title === 'Disabled AMIs')

  it('stays in the outputs and the summary, tagged, with a warning that says it launches nothing and how to enable it; the roll-out leaves it out', async () => {
    const { started, result, disabled } = await disabledAfterPacker('disabled-', template, ['us-east-1'], { 'ssm-parameter': '/images/web' })

    expect(disabled).toHaveLength(1)
    const [{ amiId }] = disabled
    const [copy] = started.images('eu-west-1').filter((image) => image.imageId !== SOURCE_AMI_ID)
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    // Nothing is lost: the disabled AMI is still in EC2, so in the outputs and tagged.
    expect(JSON.parse(result.outputs['ami-ids'])).toEqual({ 'us-east-1': amiId, 'eu-west-1': copy.imageId })
    expect(result.outputs['ami-id']).toBe(amiId)
    expect(started.images('us-east-1').find((image) => image.imageId === amiId)?.state).toBe('disabled')
    expect(started.tagsOf('us-east-1', amiId)).toMatchObject({ SourceCommit: pushToMain.GITHUB_SHA })
    expect(started.tagsOf('eu-west-1', copy.imageId)).toMatchObject({ SourceCommit: pushToMain.GITHUB_SHA })
    const warning =
      `build amazon-ebs.web's ${amiId} (us-east-1) was disabled after Packer had made it, before it was tagged: EC2 shows it disabled, ` +
      'so something else with access to the account (another workflow, a cleanup job, a person) disabled it, and no instance can be launched from it. ' +
      'It is still in EC2 and in the outputs. ssm-parameter leaves it out. ' +
      `To launch from it, enable it again: aws ec2 enable-image --region us-east-1 --image-id ${amiId}.`
    expect(warningsOf(result).map(({ message }) => message)).toEqual([warning])
    expect(result.summary).toContain(amiId)
    expect(result.summary).toContain(`aws ec2 enable-image --region us-east-1 --image-id ${amiId}`)
    // The parameter names the copy, which launches; not the disabled AMI.
    expect(started.parameters('eu-west-1')['/images/web']).toMatchObject({ value: copy.imageId })
    expect(started.parameters('us-east-1')).toEqual({})
  })

  it('fails the job, as when every AMI was deregistered, when every AMI the build made is disabled; their IDs stay in the outputs', async () => {
    const { started, result, disabled } = await disabledAfterPacker('disabled-all-', template, ['us-east-1', 'eu-west-1'], {})

    expect(disabled.map(({ region }) => region)).toEqual(['us-east-1', 'eu-west-1'])
    const amiOf = (region: string) => disabled.find((one) => one.region === region)?.amiId
    expect(result.exitCode).toBe(1)
    expect(JSON.parse(result.outputs['ami-ids'])).toEqual({ 'us-east-1': amiOf('us-east-1'), 'eu-west-1': amiOf('eu-west-1') })
    // One warning names them both, as Packer's manifest lists them, each with the command that enables it.
    expect(warningsOf(result).map(({ message }) => message)).toEqual([
      expect.stringContaining(`aws ec2 enable-image --region eu-west-1 --image-id ${amiOf('eu-west-1')}; aws ec2 enable-image --region us-east-1 --image-id ${amiOf('us-east-1')}.`)
    ])
    expect(result.errors.map(({ message }) => message)).toEqual([
      'Every AMI the build made that is still in EC2 was disabled before it was tagged (see the warning above): none launches an instance. ' +
        'They are in the outputs; `aws ec2 enable-image` enables them again.'
    ])
    for (const { region, amiId } of disabled) expect(started.tagsOf(region, amiId)).toMatchObject({ SourceCommit: pushToMain.GITHUB_SHA })
  })
})
