// A template's demand on Packer's version (`packer { required_version }`, `min_packer_version`)
// against the release packer-version names: refused with the other inputs, at its line, where
// Packer would refuse it once installed; and read as Packer reads it, checked against Packer.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InputError, readInputs, type InputProblem } from '../src/inputs/index.js'
import { meetsMinimum, meetsRequiredVersion } from '../src/inputs/packer-version.js'
import { actionDefaults } from './support/action-process.js'
import { describeWithPacker, packer, packerVersion } from './support/runtimes.js'

const defaults: Record<string, string> = actionDefaults()

let workspace: string
beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'required-version-'))
})
afterEach(() => rmSync(workspace, { recursive: true, force: true }))

// A build that makes an AMI, so that the version's refusal is the only one (a null build makes none: refused with it).
const amiSource = 'source "amazon-ebs" "x" {\n  ami_name      = "x-{{timestamp}}"\n  instance_type = "t3.micro"\n  region        = "us-east-1"\n  source_ami    = "ami-0123456789abcdef0"\n  ssh_username  = "ec2-user"\n}\n'
const hclTemplate = (constraint: string): string =>
  `packer {\n  required_version = ${JSON.stringify(constraint)}\n}\n\n${amiSource}\nbuild {\n  sources = ["source.amazon-ebs.x"]\n}\n`

async function problemsOf(inputs: Record<string, string>): Promise<InputProblem[]> {
  const all = { ...defaults, ...inputs }
  try {
    await readInputs((name) => all[name] ?? '', { GITHUB_WORKSPACE: workspace })
  } catch (error) {
    if (error instanceof InputError) return error.problems
    throw error
  }
  return []
}

describe('the release packer-version names, against what the template asks of it', () => {
  it("refuses an HCL2 template's required_version that excludes it, at the attribute's line", async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), `# An image.\n${hclTemplate('>= 1.11.0')}`)
    expect(await problemsOf({ template: 'ami.pkr.hcl', 'packer-version': '1.10.3' })).toEqual([
      {
        message:
          'packer-version: expected a Packer that meets ">= 1.11.0", as required_version in ami.pkr.hcl asks, found "1.10.3": Packer 1.10.3 refuses the template',
        location: { file: 'ami.pkr.hcl', line: 3, column: 3 }
      }
    ])
  })

  it('reads each file of a template directory, .pkr.json files included', async () => {
    mkdirSync(join(workspace, 'images'))
    writeFileSync(join(workspace, 'images/build.pkr.hcl'), `${amiSource}build {\n  sources = ["source.amazon-ebs.x"]\n}\n`)
    writeFileSync(join(workspace, 'images/versions.pkr.json'), '{\n  "packer": {\n    "required_version": "~> 1.11.0"\n  }\n}\n')
    const [problem, ...more] = await problemsOf({ template: 'images', 'packer-version': '1.12.0' })
    expect(more).toEqual([])
    expect(problem.message).toMatch(/^packer-version: expected a Packer that meets "~> 1\.11\.0", as required_version in images\/versions\.pkr\.json asks, found "1\.12\.0"/)
    expect(problem.location).toEqual({ file: 'images/versions.pkr.json', value: { path: join(workspace, 'images/versions.pkr.json'), at: ['packer', 'required_version'] } })
  })

  it("refuses a JSON template's min_packer_version above it", async () => {
    writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify({ min_packer_version: '1.11.0', builders: [{ type: 'null', communicator: 'none' }] }))
    const [problem] = await problemsOf({ 'packer-version': '1.10.3' })
    expect(problem.message).toMatch(/^packer-version: expected Packer 1\.11\.0 or later, as min_packer_version in packer-template\.json asks, found "1\.10\.3"/)
    expect(problem.location).toMatchObject({ file: 'packer-template.json', value: { at: ['min_packer_version'] } })
  })

  it('leaves to Packer what only it can tell: a range or latest, a constraint that is not literal text, a Packer that does not check it', async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), hclTemplate('>= 1.11.0'))
    for (const version of ['latest', '~1.10', '1.12.0-beta1', '1.6.0']) {
      expect(await problemsOf({ template: 'ami.pkr.hcl', 'packer-version': version })).toEqual([])
    }
    writeFileSync(join(workspace, 'ami.pkr.hcl'), 'variable "v" {\n  default = "1.11"\n}\npacker {\n  required_version = ">= ${var.v}"\n}\n')
    expect(await problemsOf({ template: 'ami.pkr.hcl', 'packer-version': '1.10.3' })).toEqual([])
  })

  it('takes a template whose required_version the release meets', async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), hclTemplate('>= 1.9, < 2'))
    expect(await problemsOf({ template: 'ami.pkr.hcl', 'packer-version': '1.10.3' })).toEqual([])
  })
})

describe("go-version's constraints, as Packer checks them", () => {
  it.each([
    ['~> 1.10', '1.11.2', true],
    ['~> 1.10', '2.0.0', false],
    ['~> 1.10.0', '1.11.2', false],
    ['~> 1.10.0', '1.10.5', true],
    ['~> 1', '1.99.0', true],
    ['1.11', '1.11.0', true],
    ['= v1.11.2', '1.11.2', true],
    ['!= 1.11.2', '1.11.2', false],
    ['>=1.9,<1.11', '1.11.0', false],
    ['>= 1.9.0-beta', '1.11.0', undefined],
    ['>= 1.9.0.1', '1.11.0', undefined],
    ['=> 1.9', '1.11.0', undefined],
    ['', '1.11.0', undefined]
  ])('%s with %s', (constraint, version, meets) => {
    expect(meetsRequiredVersion(version, constraint)).toBe(meets)
  })

  it('reads min_packer_version as a version only', () => {
    expect(meetsMinimum('1.10.3', '1.11')).toBe(false)
    expect(meetsMinimum('1.11.0', '1.11')).toBe(true)
    expect(meetsMinimum('1.10.3', '>= 1.11')).toBeUndefined()
  })
})

describeWithPacker('the real Packer agrees', () => {
  const version = packer ? packerVersion() : ''
  /** Whether the real Packer refuses the template for its version. */
  const refuses = (file: string): boolean => {
    try {
      execFileSync(packer as string, ['validate', file], { cwd: workspace, env: { PATH: process.env.PATH, CHECKPOINT_DISABLE: '1' }, encoding: 'utf8' })
      return false
    } catch (error) {
      const said = String((error as { stdout?: string }).stdout)
      return /Unsupported Packer Core version|requires Packer version/.test(said)
    }
  }

  it.each(['>= 1.7.0', '< 1.6.6', '> 1.6.6', '<= 1.6.6', '!= 1.6.6', '~> 1.6', '~> 1.6.0', '~> 1.5.0', '~> 1.6.7', '~> 1', '1.6', 'v1.6.6', '>= 1.5, < 1.7', '>= 1.5, < 1.6'])(
    'required_version %s',
    (constraint) => {
      writeFileSync(join(workspace, 'a.pkr.hcl'), hclTemplate(constraint))
      expect(meetsRequiredVersion(version, constraint)).toBe(!refuses('a.pkr.hcl'))
    }
  )

  it.each(['1.5', '1.6.6', '1.6.7', '1.7', 'v2'])('min_packer_version %s', (minimum) => {
    writeFileSync(join(workspace, 't.json'), JSON.stringify({ min_packer_version: minimum, builders: [{ type: 'null', communicator: 'none' }] }))
    expect(meetsMinimum(version, minimum)).toBe(!refuses('t.json'))
  })
})
