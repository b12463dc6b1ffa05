// A variable set or used under a name one small edit away from one the template declares: Packer
// takes the template anyway and builds with the declared one left at its default. The bundled
// action, run as the runner runs it with the real Packer against the loopback EC2 endpoint, says
// which name was probably meant, where the name is written, and lets the run go on.
import { expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseCommands, projectRoot, type ActionRun } from './support/action-process.js'
import { loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

const fixtures = join(projectRoot, '__tests__', 'fixtures', 'templates')

describeWithPacker('a misspelt variable name, through the bundled action', () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1'])
  const workspaceFrom = (fixture: string): string => suite.workspaceFrom(join(fixtures, fixture))
  const run = (workspace: string, inputs: Record<string, string>): Promise<ActionRun> => suite.run(workspace, inputs)

  const lineOf = (path: string, text: string): string =>
    String(readFileSync(path, 'utf8').split('\n').findIndex((line) => line.includes(text)) + 1)

  it('JSON: a variables file key, an input and a {{user}} one letter off a declared name are warnings that name it, before the build, which goes on', async () => {
    const workspace = workspaceFrom('json-variable-typos')
    const result = await run(workspace, { template: 'image.json', 'var-file': 'image.vars.json', variables: 'Team_Name=images' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const warnings = parseCommands(result.stdout, 'warning')
    const varFile = join(workspace, 'image.vars.json')
    const ignored = (name: string, meant: string): unknown => ({
      message:
        `var-file: image.vars.json sets "${name}", which image.json does not declare: did you mean "${meant}"? ` +
        `Packer ignores it, and the template's own value of ${meant} stays`,
      properties: { title: 'Unused variable', file: 'image.vars.json', line: lineOf(varFile, `"${name}"`), col: '3' }
    })
    expect(warnings).toContainEqual(ignored('aws_regoin', 'aws_region'))
    expect(warnings).toContainEqual(ignored('db_pasword', 'db_password'))
    expect(warnings).toContainEqual({
      message:
        'variables: "Team_Name" is neither declared nor used by image.json (did you mean "team_name"?): Packer ignores it, ' +
        "and the template's own value stays",
      properties: { title: 'Unused variable' }
    })
    const template = join(workspace, 'image.json')
    expect(warnings).toContainEqual({
      message:
        '{{user `team_nmae`}} in builders[0].tags.Team: image.json does not declare "team_nmae", and no variables file or input ' +
        'sets it, so Packer puts an empty string there. Did you mean "team_name"?',
      properties: { title: 'Undeclared variable', file: 'image.json', line: lineOf(template, '"Team"'), col: '9' }
    })
    // Nothing declared is near `owner`, nor near the keys another template of the same file reads.
    expect(warnings).toContainEqual({
      message:
        '{{user `owner`}} in builders[0].tags.Owner: image.json does not declare "owner", and no variables file or input ' +
        'sets it, so Packer puts an empty string there.',
      properties: expect.objectContaining({ title: 'Undeclared variable', file: 'image.json' })
    })
    expect(warnings.filter(({ message }) => /source-ami|vpc_id/.test(message))).toEqual([])
    expect(warnings).toHaveLength(5)
    // Said before Packer is installed; names only, never a value of the file.
    const install = result.stdout.indexOf('::group::Install Packer')
    expect(result.stdout.indexOf('did you mean "aws_region"')).toBeLessThan(install)
    expect(result.stdout).not.toContain('N0tQuotedAnywhere')
    // What Packer did with them: the build ran in the default region, and the tag is empty.
    const amiIds = JSON.parse(result.outputs['ami-ids']) as Record<string, string>
    expect(Object.keys(amiIds)).toEqual(['us-east-1'])
    expect(suite.endpoint.tagsOf('us-east-1', amiIds['us-east-1'])).toMatchObject({ Team: '', Owner: '' })
  })

  it('HCL2: Packer\'s warning of a variables file key it does not know says which declared name is near, on the key\'s line', async () => {
    const workspace = workspaceFrom('hcl-variable-typos')
    const result = await run(workspace, { template: 'image.pkr.hcl', 'var-file': 'image.pkrvars.hcl', command: 'validate' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const varFile = join(workspace, 'image.pkrvars.hcl')
    const warnings = parseCommands(result.stdout, 'warning')
    // Packer warns of them in no set order.
    expect(warnings).toHaveLength(2)
    expect(warnings).toEqual(expect.arrayContaining([
      {
        message: expect.stringMatching(/^Undefined variable\n\nA "source-ami" variable was set but was\s+not\s+found[^]*variables\.pkr\.hcl$/),
        properties: { title: 'Packer', file: 'image.pkrvars.hcl', line: lineOf(varFile, 'source-ami'), col: '1' }
      },
      {
        message: expect.stringMatching(/^Undefined variable\n\nA "aws_regoin" variable was set[^]*variables\.pkr\.hcl\n\nDid you mean "aws_region"\?$/),
        properties: { title: 'Packer', file: 'image.pkrvars.hcl', line: lineOf(varFile, 'aws_regoin'), col: '1' }
      }
    ]))
  })

  it('HCL2: an input variable the template does not declare is refused before anything is installed, with the declared name it is near', async () => {
    const workspace = workspaceFrom('hcl-variable-typos')
    const result = await run(workspace, { template: 'image.pkr.hcl', variables: 'aws-region=eu-west-1' })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([
      'variables: "aws-region" is not a variable of image.pkr.hcl (did you mean "aws_region"?): expected one it declares (aws_region, ec2_endpoint, source_ami_id)'
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
  })
})
