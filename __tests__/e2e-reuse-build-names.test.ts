// Reuse hands a set on only as the run's builds' (their PackerBuild tags): through the bundled
// action, with the real Packer and the loopback EC2 endpoint, sets the action tagged itself are
// reused however Packer names their builds in its manifest (an HCL2 build a build block renames,
// which Packer 1.6.6's manifest names by its source block; a named build block; build blocks with
// no name that build one source, which Packer names alike).
import { expect, it } from '@jest/globals'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot } from './support/action-process.js'
import { demoRuns, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

describeWithPacker("reuse of the run's builds' sets, however Packer names them, through the bundled action", () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const { demoWith, run: runDemo } = demoRuns(suite)

  /** A copy of the fixture with its endpoint, `edit` made to its template. */
  function fixture(name: string, edit: (text: string) => string = (text) => text): string {
    const workspace = suite.workspaceFrom(join(projectRoot, '__tests__', 'fixtures', 'templates', name))
    const template = join(workspace, 'image.pkr.hcl')
    writeFileSync(template, edit(readFileSync(template, 'utf8').replaceAll('@MOCK_URL@', suite.endpoint.url)))
    return workspace
  }

  /** Built with reuse, then reused as it was built: the same builds and AMIs, nothing launched. */
  async function expectReused(build: (inputs: Record<string, string>) => ReturnType<typeof suite.run>, names: string[]): Promise<void> {
    const first = await build({ reuse: 'true' })
    expect(first.errors).toEqual([])
    expect(first.exitCode).toBe(0)
    expect(Object.keys(JSON.parse(first.outputs.builds) as object)).toEqual(names)
    const before = suite.calls.length
    const second = await build({ reuse: 'true' })
    expect(second.errors).toEqual([])
    expect(second.exitCode).toBe(0)
    expect(second.outputs['run-uuid']).toBe(first.outputs['run-uuid'])
    expect(JSON.parse(second.outputs.builds)).toEqual(JSON.parse(first.outputs.builds))
    expect(second.summary).toContain('reused, built by')
    expect(suite.calls.slice(before).some((call) => call.action === 'RunInstances')).toBe(false)
  }

  it('HCL2: builds a build block renames, whose manifest entries Packer 1.6.6 names by their source block, are reused', async () => {
    const workspace = fixture('hcl-named-sources')
    await expectReused((inputs) => suite.run(workspace, { template: '.', variables: 'suffix=-renamed', ...inputs }), ['amazon-ebs.noble', 'amazon-ebs.jammy'])
  })

  it('HCL2: the builds of a named build block are reused', async () => {
    const workspace = fixture('hcl-named-sources', (text) => text.replace('build {\n', 'build {\n  name = "release"\n'))
    await expectReused((inputs) => suite.run(workspace, { template: '.', variables: 'suffix=-named', ...inputs }), [
      'release.amazon-ebs.noble',
      'release.amazon-ebs.jammy'
    ])
  })

  it('HCL2: two build blocks with no name that build one source, which Packer names alike, are reused', async () => {
    const twoBlocks = (text: string): string => {
      const block = (which: string) =>
        `build {\n  source "amazon-ebs.demo" {\n    ami_name = "\${var.ami_name_prefix}-${which}-\${local.build_stamp}"\n  }\n\n  post-processor "manifest" {}\n}\n`
      const edited = text
        .replace(/ {2}ami_name {15}= .*\n/u, '')
        .replace(/build \{[\s\S]*$/u, `${block('a')}\n${block('b')}`)
      expect(edited).not.toContain('  ami_name               =')
      return edited
    }
    const workspace = demoWith(twoBlocks, 'hcl2')
    await expectReused((inputs) => runDemo(workspace, 'hcl2', { variables: 'ami_name_prefix=reuse-alike', ...inputs }), ['amazon-ebs.demo', 'amazon-ebs.demo#2'])
  })
})
