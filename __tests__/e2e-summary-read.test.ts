// The job summary and the log as a user reads them after a run, through the bundled action with
// the real Packer and the loopback EC2 endpoint: the summary rendered as GitHub renders it, the
// log as the runner shows it. The first lines say whether the run succeeded and, when it failed,
// what failed; each fact is told once; a count reads as a count of one or of many.
import { afterEach, expect, it } from '@jest/globals'
import { demoRuns, loopbackSuite } from './support/loopback-suite.js'
import { renderedText, tableRows } from './support/markdown.js'
import { describeWithPacker } from './support/runtimes.js'
import type { ActionRun } from './support/action-process.js'

describeWithPacker('the summary and the log, read after each kind of run, through the bundled action', () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  afterEach(() => suite.endpoint.faults.clear())
  const { demoWith, run } = demoRuns(suite)

  /** The first lines of the summary a reader sees: the headline, the template's line, and what comes next. */
  const firstLines = (result: ActionRun) => renderedText(result.summary).split('\n').filter(Boolean).slice(0, 3)

  /** The demo's JSON template with a builder for each of `builds`: the demo's, with those settings. */
  const withBuilds = (builds: Array<Record<string, string>>) => (text: string) => {
    const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
    const [builder] = template.builders
    return JSON.stringify({ ...template, builders: builds.map((build) => ({ ...builder, ami_name: `${build.name}-{{timestamp}}`, ...build })) }, null, 2)
  }

  it('tagging refused in one region: the failure is the line under the headline, and its error is told once, under Problems', async () => {
    suite.endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation', region: 'eu-west-1', userAgent: 'aws-sdk-js' })
    const result = await run(demoWith((text) => text, 'json'), 'json')
    expect(result.exitCode).toBe(1)
    const [headline, , failure] = firstLines(result)
    expect(headline).toBe('Packer AMI build: :x: Failed')
    expect(failure).toBe('Tagging failed in eu-west-1; the AMIs exist and are in the outputs.')
    const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
    const rows = tableRows(result.summary, ['Region', 'AMI', 'Snapshots', 'Tags'])
    expect(rows.find(([region]) => region === 'eu-west-1')?.[3]).toBe('failed: see Problems below')
    expect(rows.find(([region]) => region === 'us-east-1')?.[3]).toMatch(/^\d+ added, \d+ in all$/)
    const [error] = result.errors.filter(({ properties }) => properties.title === 'Tagging').map(({ message }) => message)
    expect(error).toMatch(new RegExp(`^Tagging in eu-west-1 failed for ${amiIds['eu-west-1']}, snap-\\w+: UnauthorizedOperation`))
    expect(renderedText(result.summary).split(error)).toHaveLength(2)
    expect(result.stdout).toContain(`\nus-east-1: tagged ${amiIds['us-east-1']} and 1 snapshot with `)
  })

  it('one of two builds fails: the line under the headline says so, and that the other\'s AMI is in the outputs', async () => {
    suite.endpoint.faults.fail('RunInstances', { code: 'UnauthorizedOperation', region: 'us-west-2', userAgent: 'aws-sdk-go' })
    const workspace = demoWith(withBuilds([{ name: 'east', ami_regions: '' }, { name: 'west', region: 'us-west-2', ami_regions: '' }]), 'json')
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    const line = 'packer build failed (exit code 1), after building 1 AMI that is in the outputs.'
    expect(result.errors.at(-1)?.message).toBe(line)
    expect(firstLines(result)).toEqual(['Packer AMI build: :x: Failed', expect.stringMatching(/^Template packer-template\.json · Packer /), line])
    expect(result.stdout).toContain(`\nBuilt 1 AMI: us-east-1 ${result.outputs['ami-id']}\n`)
  })

  it('a template Packer refuses: the line under the headline says nothing was built and where to look, once', async () => {
    const workspace = demoWith(withBuilds([{ name: 'web', instance_typo: 't3.micro' }]), 'json')
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    expect(firstLines(result)[2]).toBe('packer validate found problems in packer-template.json (see the errors below); nothing was built.')
    expect(renderedText(result.summary)).not.toMatch(/no AMI was built/i)
    expect(renderedText(result.summary)).toContain("unknown configuration key: '\"instance_typo\"'")
  })

  it('three builds in two regions: the log names each AMI\'s build, and counts read as counts', async () => {
    const names = ['web', 'api', 'worker']
    const workspace = demoWith(withBuilds(names.map((name) => ({ name, ami_regions: 'eu-west-1' }))), 'json')
    const result = await run(workspace, 'json', { 'keep-images': '1' })
    expect(result.exitCode).toBe(0)
    expect(firstLines(result)[0]).toBe('Packer AMI build: :white_check_mark: AMIs built and tagged')
    const builds = JSON.parse(result.outputs.builds) as Record<string, Record<string, string>>
    const listed = names.map((name) => `${name}: eu-west-1 ${builds[name]['eu-west-1']}, us-east-1 ${builds[name]['us-east-1']}`).join('; ')
    expect(result.stdout).toContain(`\nBuilt 6 AMIs: ${listed}\n`)
    expect(result.stdout).toMatch(/^us-east-1: tagged ami-\w+, ami-\w+, ami-\w+ and 3 snapshots with \d+ tags\.$/m)
    expect(renderedText(result.summary)).toContain('Retention: the newest AMI of each image family is kept\n')
    // Which build's AMI ami-id is, read before the builds' tables, not after them.
    const text = renderedText(result.summary)
    const note = text.indexOf("ami-id and ami-ids are build web's: the first, in the template's order, of the builds that made AMIs (web, api, worker).")
    expect(note).toBeGreaterThan(0)
    expect(note).toBeLessThan(text.indexOf('web (amazon-ebs)'))
  })
})
