// A template's own tags count with the action's against EC2's limit of 50 tags on an AMI: through
// the bundled action run as the runner runs it, with the real Packer and the loopback EC2
// endpoint, which keeps the limit. Over it, the run must stop before Packer is installed, on the
// template's `tags`; at exactly 50, it must build and tag as ever.
import { expect, it } from '@jest/globals'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot, pushToMain, type ActionRun } from './support/action-process.js'
import { demoRuns, demoTemplates, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

describeWithPacker("a template's tags with the action's, over EC2's 50, through the bundled action", () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])

  const templates = demoTemplates
  const { demoWith, run } = demoRuns(suite)

  const lineOf = (workspace: string, text: string, kind: keyof typeof templates): string =>
    String(readFileSync(join(workspace, templates[kind]), 'utf8').split('\n').findIndex((line) => line.includes(text)) + 1)

  /** `count` keys Team0, Team1, … */
  const teams = (count: number): string[] => Array.from({ length: count }, (_, i) => `Team${i}`)

  /**
   * The demo's JSON builder with these literal tag keys besides its Name and SourceAMI, and a key
   * Packer works out from a variable whose default is Team0: the same key as one written.
   */
  const jsonWithTags = (keys: string[]) => (text: string): string => {
    const template = JSON.parse(text) as { variables: Record<string, string>; builders: Array<Record<string, unknown>> }
    const [builder] = template.builders
    const tags = { ...(builder.tags as object), ...Object.fromEntries(keys.map((key) => [key, 'platform'])), '{{user `team_key`}}': 'computed' }
    return JSON.stringify({ ...template, variables: { ...template.variables, team_key: 'Team0' }, builders: [{ ...builder, tags }] }, null, 2)
  }

  /**
   * The demo's HCL2 source with these literal keys in its map besides Name and SourceAMI, a `tag`
   * block of each of `blocks`, a key that is an expression in the map and in a block (of a
   * variable whose default is Team0) and an empty `dynamic "tag"`.
   */
  const hclWithTags = (keys: string[], blocks: string[]) => (text: string): string => {
    const map = [...keys.map((key) => `    ${key} = "platform"`), '    (var.team_key) = "computed"'].join('\n')
    const tagBlocks = [...blocks.map((key) => `"${key}"`), 'var.team_key'].map((key) => `  tag {\n    key   = ${key}\n    value = "block"\n  }\n`).join('')
    const dynamic = '  dynamic "tag" {\n    for_each = {}\n    content {\n      key   = tag.key\n      value = tag.value\n    }\n  }\n'
    return text
      .replace('variable "source_ami" {', 'variable "team_key" {\n  type    = string\n  default = "Team0"\n}\n\nvariable "source_ami" {')
      .replace('    SourceAMI = "{{ .SourceAMI }}"\n  }\n', `    SourceAMI = "{{ .SourceAMI }}"\n${map}\n  }\n${tagBlocks}${dynamic}`)
  }

  /** With no tags input, the action adds 7 provenance tags, ImageFamily and the 3 fingerprint tags. */
  const actionAdds = 11
  const refusedStep = "The template's tags and the action's would be more than EC2 allows (see the errors above); nothing was installed or built."

  /** A run refused for the tags of its one build, `build`: the error on `place`, nothing installed or sent to EC2. */
  function expectRefused(result: ActionRun, file: string, build: string, template: number, place: { line: string; col: string }): void {
    expect(result.exitCode).toBe(1)
    const all = template + actionAdds
    expect(result.errors).toEqual([
      {
        message:
          `template: ${file}: build ${build} would get ${all} tags on its AMI, and EC2 allows at most 50: ${template} the template ` +
          `writes in its tags, ${actionAdds} the action adds (tags input, provenance tags and its own). EC2 would refuse the action's ` +
          `tags once the build is done. Drop ${all - 50} or more of the template's tags or of the tags input's, or set provenance-tags: false.`,
        properties: { title: 'Invalid input', file, ...place }
      },
      { message: refusedStep, properties: {} }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(result.stdout).not.toContain('packer validate')
    expect(suite.calls).toEqual([])
    expect(result.outputs['ami-id']).toBeUndefined()
  }

  /**
   * A run that built its AMI and gave it exactly 50 tags: the template's and the action's. A
   * `SourceCommit` the template gives (`templateCommit`) keeps the template's value, and is not
   * one the action added.
   */
  function expectTaggedFifty(result: ActionRun, templateCommit?: string): void {
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const amiId = result.outputs['ami-id']
    expect(amiId).toMatch(/^ami-/)
    const tags = suite.endpoint.tagsOf('us-east-1', amiId)
    expect(Object.keys(tags)).toHaveLength(50)
    expect(tags).toMatchObject({ Team0: expect.any(String), SourceCommit: templateCommit ?? pushToMain.GITHUB_SHA })
    // The summary says what the AMI has in all, not only the action's.
    const row = result.summary.split('\n').find((line) => line.startsWith(`| us-east-1 | [\`${amiId}\`]`))
    expect(row).toMatch(new RegExp(`\\| ${actionAdds - (templateCommit === undefined ? 0 : 1)} added, 50 in all \\|$`))
  }

  it('JSON: 45 tag keys written and one Packer works out: refused on its tags before Packer is installed or EC2 is called', async () => {
    // Name, SourceAMI and 43 more.
    const workspace = demoWith(jsonWithTags(teams(43)), 'json')
    const result = await run(workspace, 'json')
    expectRefused(result, 'packer-template.json', 'amazon-ebs', 45, { line: lineOf(workspace, '"tags": {', 'json'), col: '7' })
  })

  it('JSON: 40 keys written, one of them the action\'s SourceCommit, and one worked out to a written one: 50, built and tagged', async () => {
    const workspace = demoWith(jsonWithTags([...teams(37), 'SourceCommit']), 'json')
    expectTaggedFifty(await run(workspace, 'json'), 'platform')
  })

  it('HCL2: 45 keys in its tags map and tag blocks, and keys only Packer knows: refused on its tags', async () => {
    // Name, SourceAMI and 40 in the map, 3 in blocks.
    const workspace = demoWith(hclWithTags(teams(40), ['Block0', 'Block1', 'Block2']), 'hcl2')
    const result = await run(workspace, 'hcl2')
    expectRefused(result, 'ami.pkr.hcl', 'amazon-ebs.demo', 45, { line: lineOf(workspace, '  tags = {', 'hcl2'), col: '3' })
  })

  it('HCL2: 40 keys in the map and blocks, SourceCommit one of them, and keys only Packer knows: 50, built and tagged', async () => {
    // Name, SourceAMI and 34 in the map, 4 in blocks, SourceCommit: 39 keys the action does not write.
    const workspace = demoWith(hclWithTags(teams(34), ['Block0', 'Block1', 'Block2', 'SourceCommit']), 'hcl2')
    expectTaggedFifty(await run(workspace, 'hcl2'), 'block')
  })

  /**
   * The demo's JSON builder with these keys besides its Name and SourceAMI, each written as it is
   * or as `{{user \`x\`}}` of a variable `x` whose value is `key`, given by `from`: its default in
   * the template, the variables file, or the variables input (the returned `variables`).
   */
  function jsonWithUserKeys(workspace: string, keys: Array<{ key: string; from: 'written' | 'default' | 'var-file' | 'input' }>, extra: Record<string, string> = {}): Record<string, string> {
    const file = join(workspace, templates.json)
    const template = JSON.parse(readFileSync(file, 'utf8')) as { variables: Record<string, string>; builders: Array<Record<string, unknown>> }
    const varsFile = join(workspace, 'packer-vars.json')
    const varFile = JSON.parse(readFileSync(varsFile, 'utf8')) as Record<string, string>
    const tags: Record<string, string> = { ...(template.builders[0].tags as Record<string, string>) }
    const input: string[] = []
    for (const [index, { key, from }] of keys.entries()) {
      const name = `key_${index}`
      if (from === 'written') tags[key] = 'platform'
      else tags[`{{user \`${name}\`}}`] = 'platform'
      if (from !== 'written') template.variables[name] = from === 'default' ? key : ''
      if (from === 'var-file') varFile[name] = key
      if (from === 'input') input.push(`${name}=${key}`)
    }
    writeFileSync(file, JSON.stringify({ ...template, builders: [{ ...template.builders[0], tags: { ...tags, ...extra } }] }, null, 2))
    writeFileSync(varsFile, JSON.stringify(varFile, null, 2))
    return input.length > 0 ? { variables: input.join('\n') } : {}
  }

  /** The keys of `teams(count)`, each `from` where the index says: written, default, variables file, variables input, in turn. */
  const spread = (count: number) => teams(count).map((key, index) => ({ key, from: (['written', 'default', 'var-file', 'input'] as const)[index % 4] }))

  it('JSON: 45 keys, most of them {{user `x`}} of a default, the variables file or the variables input: refused before Packer is installed', async () => {
    const workspace = suite.workspaceFrom(join(projectRoot, 'demo', 'json'))
    const inputs = jsonWithUserKeys(workspace, spread(43))
    const result = await run(workspace, 'json', inputs)
    expectRefused(result, 'packer-template.json', 'amazon-ebs', 45, { line: lineOf(workspace, '"tags": {', 'json'), col: '7' })
  })

  it('JSON: 39 keys known with their variables and one only Packer works out, the same as one of them: 50, built and tagged', async () => {
    const workspace = suite.workspaceFrom(join(projectRoot, 'demo', 'json'))
    // The action does not evaluate Packer's functions (split): the key may be any, and here it is Team1 again.
    const inputs = jsonWithUserKeys(workspace, spread(37), { '{{ split (user `key_1`) "," 0 }}': 'worked out' })
    const result = await run(workspace, 'json', inputs)
    expectTaggedFifty(result)
  })

  /**
   * The demo's HCL2 source with its tags made of a local map and a map variable merged with its
   * own two (Name, SourceAMI), and `dynamic "tag"` blocks over a local map: `local` keys in the
   * local, `variable` in the variable (its value given by the variables input), `dynamic` in the
   * dynamic block's map; and `unknown`, a map of a function the action does not evaluate.
   */
  const hclWithMaps = (keys: { local: string[]; dynamic: string[]; unknown?: string }) => (text: string): string => {
    const map = (names: string[]) => `{\n${names.map((name) => `    ${name} = "platform"\n`).join('')}  }`
    const declarations =
      `locals {\n  common_tags = ${map(keys.local)}\n  block_tags = ${map(keys.dynamic)}\n}\n\n` +
      'variable "extra_tags" {\n  type    = map(string)\n  default = { Dropped = "by the variables input" }\n}\n\n'
    const unknown = keys.unknown === undefined ? '' : `, zipmap(["${keys.unknown}"], ["worked out"])`
    const dynamic = '  dynamic "tag" {\n    for_each = local.block_tags\n    iterator = each\n    content {\n      key   = each.key\n      value = each.value\n    }\n  }\n'
    return text
      .replace('variable "source_ami" {', `${declarations}variable "source_ami" {`)
      .replace('  tags = {\n', '  tags = merge(local.common_tags, var.extra_tags, {\n')
      .replace('    SourceAMI = "{{ .SourceAMI }}"\n  }\n', `    SourceAMI = "{{ .SourceAMI }}"\n  }${unknown})\n${dynamic}`)
  }

  /** The variables input giving extra_tags these keys. */
  const extraTags = (keys: string[]) => ({ variables: `extra_tags={ ${keys.map((key) => `${key} = "given"`).join(', ')} }` })

  it('HCL2: 45 keys from a local map, a map variable given by the variables input and a dynamic "tag" block: refused on its tags', async () => {
    const keys = teams(43)
    const workspace = demoWith(hclWithMaps({ local: keys.slice(0, 30), dynamic: keys.slice(40) }), 'hcl2')
    const result = await run(workspace, 'hcl2', extraTags(keys.slice(30, 40)))
    expectRefused(result, 'ami.pkr.hcl', 'amazon-ebs.demo', 45, { line: lineOf(workspace, '  tags = merge(', 'hcl2'), col: '3' })
  })

  it('HCL2: 39 keys from the local, the variable and the dynamic block, and one of a function only Packer knows: 50, built and tagged', async () => {
    const keys = teams(37)
    // zipmap's key may be any: here it is one of the local's, so the AMI gets 50.
    const workspace = demoWith(hclWithMaps({ local: keys.slice(0, 30), dynamic: keys.slice(34), unknown: 'Team0' }), 'hcl2')
    expectTaggedFifty(await run(workspace, 'hcl2', extraTags(keys.slice(30, 34))))
  })
})
