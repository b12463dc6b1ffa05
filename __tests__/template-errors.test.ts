// Packer's errors about a JSON template, placed in it: each case is a template with one kind of
// mistake, validated by the real Packer (-machine-readable, as the action runs it), and each
// problem must point at the line that holds what it names.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, relative } from 'node:path'
import { promisify } from 'node:util'
import { parseEventLine, RunRecord } from '../src/packer/machine-readable.js'
import {
  locateDuplicateVariable,
  locateFailedBuild,
  locateHclFailedBuild,
  locateHclRefusedFilter,
  locateHclRefusedSetting,
  locateHclBlockErrors,
  locateHclComponentErrors,
  locateHclWarning,
  locateTemplateErrors,
  locateUndeclaredVariable,
  locateRefusedFilter,
  locateRefusedSetting,
  locateRefusedValue,
  locateUnclosed,
  locateUnknownReference,
  locateUnknownSource,
  locateUnsetVariable,
  locateVariableError,
  type TemplateError
} from '../src/packer/template-errors.js'
import { userVariables } from '../src/inputs/template.js'
import { describeWithPacker, packer } from './support/runtimes.js'

/** An amazon-ebs source block named web, valid for Packer 1.6.6, with `settings` added at its end. */
function webSource(settings = ''): string {
  return (
    'source "amazon-ebs" "web" {\n  region        = "us-east-1"\n  source_ami    = "ami-0123456789abcdef0"\n' +
    '  instance_type = "t3.micro"\n  ssh_username  = "ubuntu"\n  ami_name      = "web-image"\n' +
    settings +
    '}\n'
  )
}

const run = promisify(execFile)

const builder = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'amazon-ebs',
  region: 'us-east-1',
  source_ami: 'ami-0123456789abcdef0',
  instance_type: 't3.micro',
  ssh_username: 'ubuntu',
  ami_name: 'web-image',
  ...extra
})

interface Case {
  name: string
  template: Record<string, unknown>
  /**
   * Each problem: what its message says, and the text on the line it must point at (and, for
   * an object's opening brace, on the line after it).
   */
  expected: Array<[RegExp, string | undefined] | [RegExp, string, string]>
  buildNames?: string[]
  /** The template as written, where JSON.stringify cannot write it (a key twice). */
  text?: string
}

/** A template with `key` written twice: in the builder with `inBuilder`, else at its root. */
function writtenTwice(key: string, inBuilder: boolean): string {
  const lines = JSON.stringify({ _comment: 'images', builders: [builder()] }, null, 2).split('\n')
  const at = lines.findIndex((line) => line.includes(inBuilder ? '"region"' : '"_comment"'))
  lines.splice(at + 1, 0, lines[at].replace(/"[^"]+": "[^"]*"/, `"${key}": "again"`))
  return lines.join('\n')
}

const cases: Case[] = [
  {
    name: 'a key written twice in a builder, as a comment is sometimes kept',
    template: {},
    text: writtenTwice('region', true),
    expected: [[/^template has duplicate field: region$/, '"region": "again"']]
  },
  {
    name: 'a comment key written twice at the root',
    template: {},
    text: writtenTwice('_comment', false),
    expected: [[/^template has duplicate field: _comment$/, '"_comment": "again"']]
  },
  {
    name: 'an unknown key in a builder',
    template: { builders: [builder({ instance_typo: 't3.micro' })] },
    expected: [[/^Build "amazon-ebs": unknown configuration key: '"instance_typo"'$/, '"instance_typo": "t3.micro"']]
  },
  {
    name: 'an unknown key in the second of two named builders, and a bad value in the first',
    template: { builders: [builder({ ami_name: 'x' }), builder({ name: 'arm', volume_sise: 8 })] },
    expected: [
      [/^Build "amazon-ebs": ami_name must be between 3 and 128 characters long$/, '"ami_name": "x"'],
      [/^Build "arm": unknown configuration key: '"volume_sise"'$/, '"volume_sise": 8']
    ]
  },
  {
    name: 'a misspelt template function in a builder (one problem, not a list)',
    template: { builders: [builder({ ami_name: 'web-{{timestmp}}' })] },
    expected: [[/^Build "amazon-ebs": invalid 'ami_name': template: root:1: function "timestmp" not defined in:\nweb-\{\{timestmp\}\}$/, '"ami_name": "web-{{timestmp}}"']]
  },
  {
    name: 'a template that does not close in a provisioner, beside another build with a list of problems',
    template: {
      builders: [builder({ name: 'web' }), builder({ name: 'arm', volume_sise: 8 })],
      provisioners: [{ type: 'shell', inline: ['echo {{user `x`'] }]
    },
    expected: [
      [/^Build "arm": unknown configuration key: '"volume_sise"'$/, '"volume_sise": 8'],
      [/^Build "web": invalid 'inline': template: root:1: unclosed action in:\necho \{\{user `x`$/, '"inline": [']
    ]
  },
  {
    name: 'an unknown key in a provisioner',
    template: { builders: [builder()], provisioners: [{ type: 'shell', inline: ['echo hi'], scirpt: 'x.sh' }] },
    expected: [[/^Build "amazon-ebs": unknown configuration key: '"scirpt"'$/, '"scirpt": "x.sh"']]
  },
  {
    name: "an unknown key in a post-processor's chain",
    template: { builders: [builder()], 'post-processors': [[{ type: 'manifest', outptu: 'm.json' }]] },
    expected: [[/^Build "amazon-ebs": unknown configuration key: '"outptu"'$/, '"outptu": "m.json"']]
  },
  {
    name: 'a value of the wrong type',
    template: { builders: [builder({ launch_block_device_mappings: 'oops' })] },
    expected: [[/^Build "amazon-ebs": 'launch_block_device_mappings\[0\]' expected a map, got 'string'$/, '"launch_block_device_mappings": "oops"']]
  },
  {
    name: 'a value of the wrong type inside a block device mapping: on the setting inside it, not on the list',
    template: { builders: [builder({ launch_block_device_mappings: [{ device_name: '/dev/sda1', volume_size: 'eight', volume_type: 'gp2' }] })] },
    expected: [[/^Build "amazon-ebs": cannot parse 'launch_block_device_mappings\[0\]\.volume_size' as int:/, '"volume_size": "eight"']]
  },
  {
    name: 'a misspelt key in the second block device mapping: on that key, not on the list',
    template: {
      builders: [
        builder({
          launch_block_device_mappings: [
            { device_name: '/dev/xvda', volume_size: 8 },
            { device_name: '/dev/xvdb', volume_sise: 22 }
          ]
        })
      ]
    },
    expected: [[/^Build "amazon-ebs": unknown configuration key: '"launch_block_device_mappings\[1\]\.volume_sise"'$/, '"volume_sise": 22']]
  },
  {
    name: "a misspelt key in a statement of the temporary instance profile's policy: on that key",
    template: {
      builders: [
        builder({
          temporary_iam_instance_profile_policy_document: { Version: '2012-10-17', Statement: [{ Efect: 'Allow', Action: ['logs:*'], Resource: ['*'] }] }
        })
      ]
    },
    expected: [[/^Build "amazon-ebs": unknown configuration key:\s'"temporary_iam_instance_profile_policy_document\.Statement\[0\]\.Efect"'$/, '"Efect": "Allow"']]
  },
  {
    name: 'an AMI name with a character AWS refuses, beside a provisioner: on ami_name, which Packer calls AMIName',
    template: { builders: [builder({ ami_name: 'web=image' })], provisioners: [{ type: 'shell', inline: ['echo hi'] }] },
    expected: [[/^Build "amazon-ebs": AMIName should only contain alphanumeric characters, /, '"ami_name": "web=image"']]
  },
  {
    name: "a provisioner's problems: on the value they quote, else on the provisioner, which the other shows",
    template: { builders: [builder()], provisioners: [{ type: 'file', source: 'nope.txt' }] },
    expected: [
      [/^Build "amazon-ebs": Bad source 'nope.txt': /, '"source": "nope.txt"'],
      [/^Build "amazon-ebs": Destination must be specified\.$/, '{', '"type": "file"']
    ]
  },
  {
    name: "a provisioner's source under {{template_dir}}, which Packer quotes filled in",
    template: { builders: [builder()], provisioners: [{ type: 'file', source: '{{template_dir}}/modules/', destination: '/tmp' }] },
    expected: [[/^Build "amazon-ebs": Bad source\s'[^']+\/modules\/':\s/, '"source": "{{template_dir}}/modules/"']]
  },
  {
    name: "a provisioner's source that Packer quotes on a line of its own, its path being long",
    template: {
      builders: [builder()],
      provisioners: [{ type: 'file', source: '{{template_dir}}/../../terraform-modules/install-consul/', destination: '/tmp' }]
    },
    expected: [[/^Build "amazon-ebs": Bad source\s'[^']+\/install-consul\/':/, '"source": "{{template_dir}}/../../terraform-modules/install-consul/"']]
  },
  {
    name: "a provisioner's source from a variable, which Packer quotes filled in",
    template: {
      variables: { bundle: 'consul_1.7.2+ent_linux_amd64.zip' },
      builders: [builder()],
      provisioners: [{ type: 'file', source: '{{ user `bundle` }}', destination: '/tmp/consul.zip' }]
    },
    expected: [[/^Build "amazon-ebs": Bad source 'consul_1\.7\.2\+ent_linux_amd64\.zip': /, '"source": "{{ user `bundle` }}"']]
  },
  {
    name: "a provisioner's setting that a problem begins with: on that provisioner's key",
    template: { builders: [builder()], provisioners: [{ type: 'ansible-local', playbook_dir: 'ansible/', playbook_file: 'ansible/site.yml' }] },
    expected: [
      [/^Build "amazon-ebs": playbook_file: ansible\/site\.yml is invalid: stat /, '"playbook_file": "ansible/site.yml"'],
      [/^Build "amazon-ebs": playbook_dir: ansible\/ is invalid: stat /, '"playbook_dir": "ansible/"']
    ]
  },
  {
    name: "a provisioner's scripts that are not there: each on its entry of the list",
    template: { builders: [builder()], provisioners: [{ type: 'shell', scripts: ['one.sh', 'two.sh'] }] },
    expected: [
      [/^Build "amazon-ebs": Bad script 'one.sh': /, '"one.sh"'],
      [/^Build "amazon-ebs": Bad script 'two.sh': /, '"two.sh"']
    ]
  },
  {
    name: "a provisioner's problem that names nothing: on the one provisioner whose type says it and whose settings fit it",
    template: { builders: [builder()], provisioners: [{ inline: ['echo hi'], type: 'shell' }, { type: 'shell' }] },
    // The second's brace: the first's opens on its inline.
    expected: [[/^Build "amazon-ebs": Either a script file or inline script must be specified\.$/, '{', '"type": "shell"']]
  },
  {
    name: "a provisioner's problem that names nothing, of two provisioners that could each say it: nowhere",
    template: { builders: [builder()], provisioners: [{ type: 'shell' }, { type: 'powershell' }] },
    expected: [[/^Build "amazon-ebs": Either a script file or inline script must be specified\.$/, undefined]]
  },
  {
    name: 'a powershell provisioner with both script and scripts, beside one with scripts alone: on the one with both',
    template: {
      builders: [builder({ communicator: 'winrm', winrm_username: 'Administrator' })],
      provisioners: [
        { type: 'powershell', scripts: ['{{template_dir}}'] },
        { script: '{{template_dir}}', type: 'powershell', scripts: ['{{template_dir}}'] }
      ]
    },
    // The second's brace, which opens on its script.
    expected: [[/^Build "amazon-ebs": Only one of script or scripts can be specified\.$/, '{', '"script": "{{template_dir}}"']]
  },
  {
    name: "a powershell provisioner's elevated_password with no elevated_user, beside one run as SYSTEM: on that password",
    template: {
      builders: [builder({ communicator: 'winrm', winrm_username: 'Administrator' })],
      provisioners: [
        { type: 'powershell', inline: ['Write-Host one'], elevated_user: 'SYSTEM', elevated_password: '' },
        { type: 'powershell', inline: ['Write-Host two'], elevated_password: '{{build `Password`}}' }
      ]
    },
    expected: [[/^Build "amazon-ebs": Must supply an 'elevated_user' if 'elevated_password' provided$/, '"elevated_password": "{{build `Password`}}"']]
  },
  {
    name: 'a WinRM communicator with no winrm_username, beside a provisioner: on the communicator',
    template: { builders: [builder({ communicator: 'winrm', ssh_username: undefined })], provisioners: [{ type: 'powershell', inline: ['Write-Host hi'] }] },
    expected: [[/^Build "amazon-ebs": winrm_username must be specified\.$/, '"communicator": "winrm"']]
  },
  {
    name: 'an SSH communicator, the default, with no ssh_username, beside a provisioner: on the builder',
    template: { builders: [builder({ ssh_username: undefined })], provisioners: [{ type: 'shell', inline: ['echo hi'] }] },
    expected: [[/^Build "amazon-ebs": An ssh_username must be specified\n/, '{', '"type": "amazon-ebs"']]
  },
  {
    name: 'a setting whose variable was given no value, beside a provisioner: on the setting the problem mentions',
    template: {
      variables: { ami: '' },
      builders: [{ ...builder(), source_ami: '{{user `ami`}}' }],
      provisioners: [{ type: 'shell', inline: ['echo hi'] }]
    },
    expected: [
      [/^Build "amazon-ebs": A source_ami or source_ami_filter must be specified$/, '"source_ami": "{{user `ami`}}"'],
      [/^Build "amazon-ebs": For security reasons, your source AMI filter must declare an owner\.$/, '{', '"type": "amazon-ebs"']
    ]
  },
  {
    name: 'a source AMI filter without owners, beside a provisioner: on the filter, which the problem names in words',
    template: {
      builders: [{ ...builder(), source_ami: undefined, source_ami_filter: { filters: { name: 'ubuntu/*' }, most_recent: true } }],
      provisioners: [{ type: 'shell', inline: ['echo hi'] }]
    },
    expected: [[/^Build "amazon-ebs": For security reasons, your source AMI filter must declare an owner\.$/, '"source_ami_filter": {']]
  },
  {
    name: "a builder's problem that names no key, beside a manifest post-processor, which never refuses without naming its setting",
    template: { builders: [{ ...builder(), source_ami: undefined }], 'post-processors': [{ type: 'manifest', output: 'manifest.json' }] },
    expected: [
      [/^Build "amazon-ebs": A source_ami or source_ami_filter must be specified$/, '{', '"type": "amazon-ebs"'],
      [/^Build "amazon-ebs": For security reasons, your source AMI filter must declare an owner\.$/, '{', '"type": "amazon-ebs"']
    ]
  },
  {
    name: "a builder's problem that names no key, in a template with nothing but builders",
    template: { builders: [{ ...builder(), source_ami: undefined }] },
    expected: [
      [/^Build "amazon-ebs": A source_ami or source_ami_filter must be specified$/, '{', '"type": "amazon-ebs"'],
      [/^Build "amazon-ebs": For security reasons, your source AMI filter must declare an owner\.$/, '{', '"type": "amazon-ebs"']
    ]
  },
  {
    name: 'a min_packer_version the Packer that runs does not meet',
    template: { min_packer_version: '99.0.0', builders: [builder()] },
    expected: [[/^This template requires Packer version 99\.0\.0 or higher; using \d+\.\d+\.\d+$/, '"min_packer_version": "99.0.0"']]
  },
  {
    name: 'a min_packer_version the Packer that runs does not meet, its root keys written in another case, as Packer reads them',
    template: { Min_Packer_Version: '99.0.0', Builders: [builder()] },
    expected: [[/^This template requires Packer version 99\.0\.0 or higher; using \d+\.\d+\.\d+$/, '"Min_Packer_Version": "99.0.0"']]
  },
  {
    name: 'a min_packer_version that is not a version',
    template: { min_packer_version: 'soon', builders: [builder()] },
    expected: [[/^min_version is invalid: Malformed version: soon$/, '"min_packer_version": "soon"']]
  },
  {
    name: 'a misspelt root key',
    template: { builders: [builder()], provisoners: [] },
    expected: [[/^Unknown root level key in template: 'provisoners'$/, '"provisoners": []']]
  },
  {
    name: 'builders and provisioners without a type, by number',
    template: { builders: [builder(), { region: 'eu-west-1' }], provisioners: [{ inline: ['x'] }] },
    expected: [
      [/^builder 2: missing 'type'$/, '{', '"region": "eu-west-1"'],
      [/^provisioner 1: Provisioner missing 'type'$/, '{', '"inline": [']
    ]
  },
  {
    name: 'a post-processor without a type, in a chain',
    template: { builders: [builder()], 'post-processors': ['manifest', [{ type: 'manifest' }, { output: 'x' }]] },
    expected: [[/^post-processor 2\.2: type is required$/, '{', '"output": "x"']]
  },
  {
    name: 'an unknown builder type',
    template: { builders: [builder({ type: 'amazon-ebz' })] },
    expected: [[/^Build "amazon-ebz": error initializing builder 'amazon-ebz': Unknown builder amazon-ebz$/, '"type": "amazon-ebz"']]
  },
  {
    name: 'an unknown provisioner type',
    template: { builders: [builder()], provisioners: [{ type: 'shell', inline: ['x'] }, { type: 'shel', inline: ['x'] }] },
    expected: [[/^Build "amazon-ebs": error initializing provisioner 'shel': Unknown provisioner shel$/, '"type": "shel"']]
  },
  {
    name: 'an unknown post-processor type',
    template: { builders: [builder()], 'post-processors': [{ type: 'manifset' }] },
    expected: [[/^Build "amazon-ebs": error initializing post-processor 'manifset': Unknown post-processor manifset$/, '"type": "manifset"']]
  },
  {
    name: 'only naming a builder that does not exist',
    template: { builders: [builder()], provisioners: [{ type: 'shell', inline: ['x'], only: ['nope'] }] },
    expected: [[/^provisioner 1: 'only' specified builder 'nope' not found$/, '"only": [']]
  },
  {
    name: 'an override for a builder that does not exist',
    template: { builders: [builder()], provisioners: [{ type: 'shell', inline: ['x'], override: { nope: {} } }] },
    expected: [[/^provisioner 1: override 'nope' doesn't exist$/, '"nope": {}']]
  },
  {
    name: 'a required variable without a value',
    template: { variables: { region: null, size: '8' }, builders: [builder({ region: '{{user `region`}}' })] },
    expected: [[/^required variable not set: region$/, '"region": null']]
  },
  {
    name: 'a variable whose default is not a string',
    template: { variables: { region: 'us-east-1', volume_size: 20 }, builders: [builder({ tags: { Size: '{{user `volume_size`}}' } })] },
    expected: [[/^variable volume_size: '' expected type 'string', got unconvertible type 'float64'/, '"volume_size": 20']]
  },
  {
    name: "a provisioner's pause_before and timeout that are not durations: each on its setting, once",
    template: { builders: [builder()], provisioners: [{ type: 'shell', inline: ['x'] }, { type: 'shell', inline: ['x'], pause_before: '10', timeout: '5 minutes' }] },
    expected: [
      [/^provisioner 2: error decoding 'pause_before': time: missing unit in duration "10"$/, '"pause_before": "10"'],
      [/^provisioner 2: error decoding 'timeout': time: unknown unit " minutes" in duration "5 minutes"$/, '"timeout": "5 minutes"']
    ]
  },
  {
    name: "settings Packer names by their Go field (Only, Name) that it could not decode: on the setting, in the builder or chain's post-processor",
    template: { builders: [builder({ name: ['web'] })], 'post-processors': [[{ type: 'manifest', only: 5 }]] },
    expected: [
      [/^builder 1: 'Name' expected type 'string', got unconvertible type/, '"name": ['],
      [/^post-processor 1\.1: 'Only': source data must be an array or slice, got float64$/, '"only": 5']
    ]
  },
  {
    name: 'a post-processor that is neither a type, an object nor a chain: on it',
    template: { builders: [builder()], 'post-processors': ['manifest', 5] },
    expected: [[/^post-processor 2: bad format$/, '5']]
  },
  {
    name: 'an unknown key in a builder whose name comes from a variable',
    template: { variables: { role: 'web' }, builders: [builder({ name: 'first' }), builder({ name: '{{user `role`}}', ami_nmae: 'x' })] },
    buildNames: ['first', 'web'],
    expected: [[/^Build "web": unknown configuration key: '"ami_nmae"'$/, '"ami_nmae": "x"']]
  }
]

/** Packer's errors about `file`, as the action reads them from -machine-readable validate. */
async function validationErrors(file: string, cwd: string): Promise<string[]> {
  return (await validation(file, cwd)).errors
}

/**
 * What Packer's -machine-readable validate of `file` (with `options`, such as `-var-file`) leaves
 * in the action's record.
 */
async function validation(file: string, cwd: string, options: string[] = [], env = process.env): Promise<RunRecord> {
  const validated = await run(packer as string, ['validate', '-machine-readable', ...options, file], { cwd, env }).then(
    (passed) => passed,
    (error: { stdout: string }) => error
  )
  const record = new RunRecord()
  for (const line of validated.stdout.split('\n')) {
    const event = parseEventLine(line)
    if (event) record.observe(event)
  }
  return record
}

/**
 * A folder of the describe block's own, with `files` (name → text) written in it before its
 * tests, and removed after them.
 */
function scratchFolder(prefix: string, files: Record<string, string> = {}): { readonly path: string } {
  let path = ''
  beforeAll(() => {
    path = mkdtempSync(join(tmpdir(), prefix))
    for (const [name, text] of Object.entries(files)) writeFileSync(join(path, name), text)
  })
  afterAll(() => rmSync(path, { recursive: true, force: true }))
  return {
    get path() {
      return path
    }
  }
}

describeWithPacker('JSON template errors, placed where Packer says they are', () => {
  const folder = scratchFolder('template-errors-')

  for (const { name, template, expected, buildNames, text: written } of cases) {
    it(name, async () => {
      const text = written ?? JSON.stringify(template, null, 2)
      const file = join(folder.path, `${name.replace(/\W+/g, '-')}.json`)
      writeFileSync(file, text)
      const errors = await validationErrors(file, folder.path)
      expect(errors).not.toEqual([])
      const variables = userVariables(JSON.parse(text), [], [])
      const problems = errors.flatMap((error) => locateTemplateErrors(error, text, buildNames, { templateDir: folder.path, pwd: folder.path, variables }))
      const lines = text.split('\n')
      expect(
        problems.map(({ message, line }, index) => [
          message,
          line === undefined ? undefined : lines[line - 1].trim(),
          ...(expected[index]?.[2] === undefined || line === undefined ? [] : [lines[line].trim()])
        ])
      ).toEqual(
        expected.map(([message, line, after]) => [
          expect.stringMatching(message),
          line === undefined ? undefined : expect.stringContaining(line),
          ...(after === undefined ? [] : [expect.stringContaining(after)])
        ])
      )
    })
  }
})

describeWithPacker('HCL2 source blocks a builder refused: each problem on its attribute', () => {
  const folder = scratchFolder('hcl-block-errors-')

  const build = '\nbuild {\n  sources = ["source.amazon-ebs.web"]\n}\n'
  /** Where the problems of the one error Packer gives for `text`, as file `name`, are placed. */
  async function placed(name: string, text: string): Promise<TemplateError[] | undefined> {
    writeFileSync(join(folder.path, name), text + build)
    const [error, ...others] = await validationErrors(name, folder.path)
    expect(others).toEqual([])
    return locateHclBlockErrors(error, folder.path, join(folder.path, name))
  }

  it('places each problem on the attribute it names, else on the block; a problem of several lines stays whole', async () => {
    const text = 'source "amazon-ebs" "web" {\n  region        = "us-east-1"\n  instance_type = "t3.micro"\n  ami_name      = "x"\n}\n'
    expect(await placed('several.pkr.hcl', text)).toEqual([
      { message: 'ami_name must be between 3 and 128 characters long', file: 'several.pkr.hcl', line: 4, column: 3 },
      {
        message: expect.stringMatching(/^An ssh_username must be specified\n\s+Note: /),
        file: 'several.pkr.hcl',
        line: 1
      },
      { message: 'A source_ami or source_ami_filter must be specified', file: 'several.pkr.hcl', line: 1 },
      { message: expect.stringContaining('your source AMI filter must declare an owner'), file: 'several.pkr.hcl', line: 1 }
    ])
  })

  it('places a problem on a setting it mentions, when that setting is there but its variable is empty', async () => {
    const text =
      'variable "ami" {\n  default = ""\n}\n\nsource "amazon-ebs" "web" {\n  region        = "us-east-1"\n' +
      '  source_ami    = var.ami\n  instance_type = "t3.micro"\n  ssh_username  = "ubuntu"\n  ami_name      = "web-image"\n}\n'
    expect(await placed('mentioned.pkr.hcl', text)).toEqual([
      { message: 'A source_ami or source_ami_filter must be specified', file: 'mentioned.pkr.hcl', line: 7, column: 3 },
      { message: expect.stringContaining('your source AMI filter must declare an owner'), file: 'mentioned.pkr.hcl', line: 5 }
    ])
  })

  it('places a problem that names a setting in words on that setting, written as a block', async () => {
    const text =
      'source "amazon-ebs" "web" {\n  region        = "us-east-1"\n  instance_type = "t3.micro"\n' +
      '  ssh_username  = "ubuntu"\n  ami_name      = "web-image"\n\n  source_ami_filter {\n' +
      '    filters     = { name = "ubuntu/*" }\n    most_recent = true\n  }\n}\n'
    expect(await placed('prose.pkr.hcl', text)).toEqual([
      { message: 'For security reasons, your source AMI filter must declare an owner.', file: 'prose.pkr.hcl', line: 7, column: 3 }
    ])
  })

  it('places a problem that names the setting as its Go field does (AMIName) on its attribute', async () => {
    const text =
      'source "amazon-ebs" "web" {\n  region        = "us-east-1"\n  source_ami    = "ami-0123456789abcdef0"\n' +
      '  instance_type = "t3.micro"\n  ssh_username  = "ubuntu"\n  ami_name      = "web=image"\n}\n'
    expect(await placed('go-field.pkr.hcl', text)).toEqual([
      { message: expect.stringMatching(/^AMIName should only contain alphanumeric characters, /), file: 'go-field.pkr.hcl', line: 6, column: 3 }
    ])
  })

  it("places a problem with a setting a build's source block sets on that setting, not on the source it overrides", async () => {
    const text =
      'source "amazon-ebs" "web" {\n  region        = "us-east-1"\n  source_ami    = "ami-0123456789abcdef0"\n' +
      '  instance_type = "t3.micro"\n  ssh_username  = "ubuntu"\n}\n\nbuild {\n  source "amazon-ebs.web" {\n' +
      '    ami_name    = "web-image"\n    ssh_timeout = "soon"\n  }\n}\n'
    writeFileSync(join(folder.path, 'override.pkr.hcl'), text)
    const [error, ...others] = await validationErrors('override.pkr.hcl', folder.path)
    expect(others).toEqual([])
    // Packer 1.6.6 names the source block's first line, line 1.
    expect(error).toMatch(/\n {2}on override\.pkr\.hcl line 1:\n/)
    expect(await locateHclBlockErrors(error, folder.path, join(folder.path, 'override.pkr.hcl'))).toEqual([
      { message: expect.stringMatching(/^error decoding 'ssh_timeout': /), file: 'override.pkr.hcl', line: 11, column: 5 }
    ])
  })

  it('leaves a problem on the source block when the setting is set both there and in a build that overrides it', async () => {
    const text =
      'source "amazon-ebs" "web" {\n  region        = "us-east-1"\n  source_ami    = "ami-0123456789abcdef0"\n' +
      '  instance_type = "t3.micro"\n  ssh_username  = "ubuntu"\n  ami_name      = "web-image"\n}\n\n' +
      'build {\n  source "amazon-ebs.web" {\n    ami_name = "x"\n  }\n}\n'
    // Packer 1.6.6 refuses the setting written twice; from 1.7 on the build's wins, and the
    // builder's problem names the source block as before (1.16.0 hcl2template/types.source.go:
    // warningErrorsToDiags(cfg.Sources[source.SourceRef].block, …)).
    writeFileSync(join(folder.path, 'both.pkr.hcl'), text)
    const error = 'Error: 1 error(s) occurred:\n\n* ami_name must be between 3 and 128 characters long\n\n  on both.pkr.hcl line 1:\n  (source code not available)\n'
    expect(await locateHclBlockErrors(error, folder.path, join(folder.path, 'both.pkr.hcl'))).toEqual([
      { message: 'ami_name must be between 3 and 128 characters long', file: 'both.pkr.hcl', line: 1 }
    ])
  })

  /** A source with these block device mappings, each `[kind, settings]`, and the one build of it. */
  const withMappings = (mappings: Array<[string, string]>, build = '\nbuild {\n  sources = ["source.amazon-ebs.web"]\n}\n'): string =>
    'source "amazon-ebs" "web" {\n  region        = "us-east-1"\n  source_ami    = "ami-0123456789abcdef0"\n' +
    '  instance_type = "t3.micro"\n  ssh_username  = "ubuntu"\n  ami_name      = "web-image"\n' +
    mappings.map(([kind, settings]) => `  ${kind} {\n${settings}  }\n`).join('') +
    '}\n' +
    build

  it("places each problem of a block device mapping on its mapping, in Packer's order: the AMI mappings, then the launch ones", async () => {
    const text = withMappings([
      ['launch_block_device_mappings', '    device_name = "/dev/xvda"\n    volume_type = "io1"\n    volume_size = 8\n    iops        = 1000\n'],
      ['launch_block_device_mappings', '    volume_type = "gp2"\n'],
      ['ami_block_device_mappings', '    device_name = "/dev/xvda"\n    volume_type = "gp3"\n']
    ])
    expect(await placed('devices.pkr.hcl', text)).toEqual([
      { message: 'Throughput must be between 125 and 1000 for device /dev/xvda', file: 'devices.pkr.hcl', line: 16, column: 3 },
      { message: '/dev/xvda: the maximum ratio of provisioned IOPS to requested volume size (in GiB) is 50:1 for io1 volumes', file: 'devices.pkr.hcl', line: 7, column: 3 },
      { message: 'The `device_name` must be specified for every device in the block device mapping.', file: 'devices.pkr.hcl', line: 13, column: 3 }
    ])
  })

  it("leaves them on the source block where a build's source block adds mappings, or more mappings of a device than problems", async () => {
    const gp3 = (device: string): [string, string] => ['launch_block_device_mappings', `    device_name = "${device}"\n    volume_type = "gp3"\n`]
    const error = (file: string): string =>
      'Error: 1 error(s) occurred:\n\n* Throughput must be between 125 and 1000 for device /dev/xvda\n\n' + `  on ${file} line 1:\n  (source code not available)\n`
    const overridden = withMappings([gp3('/dev/xvda')], '\nbuild {\n  source "amazon-ebs.web" {\n    launch_block_device_mappings {\n      device_name = "/dev/xvdb"\n    }\n  }\n}\n')
    writeFileSync(join(folder.path, 'overridden.pkr.hcl'), overridden)
    expect(await locateHclBlockErrors(error('overridden.pkr.hcl'), folder.path, join(folder.path, 'overridden.pkr.hcl'))).toEqual([
      { message: 'Throughput must be between 125 and 1000 for device /dev/xvda', file: 'overridden.pkr.hcl', line: 1 }
    ])
    writeFileSync(join(folder.path, 'more.pkr.hcl'), withMappings([gp3('/dev/xvda'), ['ami_block_device_mappings', '    device_name = "/dev/xvda"\n']]))
    expect(await locateHclBlockErrors(error('more.pkr.hcl'), folder.path, join(folder.path, 'more.pkr.hcl'))).toEqual([
      { message: 'Throughput must be between 125 and 1000 for device /dev/xvda', file: 'more.pkr.hcl', line: 1 }
    ])
  })

  it('places a value that cannot be decoded on its attribute, in a block further down the file', async () => {
    const text =
      'variable "x" {\n  default = 1e3\n}\n\nsource "amazon-ebs" "web" {\n  region        = "us-east-1"\n' +
      '  source_ami    = "ami-0123456789abcdef0"\n  instance_type = "t3.micro"\n  ssh_username  = "ubuntu"\n' +
      '  ami_name      = "web-image"\n  ssh_timeout   = "soon"\n}\n'
    expect(await placed('decoding.pkr.hcl', text)).toEqual([
      { message: expect.stringMatching(/^error decoding 'ssh_timeout': /), file: 'decoding.pkr.hcl', line: 11, column: 3 }
    ])
  })
})

describeWithPacker("Packer's warnings about a template, placed on what they name", () => {
  const folder = scratchFolder('template-warnings-')

  it("places each build's warning on the key it begins with, in that build's builder", async () => {
    const deprecated = { spot_price_auto_product: 'Linux/UNIX' }
    const text = JSON.stringify({ builders: [builder(deprecated), builder({ name: 'arm', ...deprecated })] }, null, 2)
    writeFileSync(join(folder.path, 'warned.json'), text)
    const record = await validation('warned.json', folder.path)
    expect(record.errors).toEqual([])
    const placed = record.warnings.flatMap((warning) => locateTemplateErrors(warning, text))
    const lines = text.split('\n')
    const keyLines = lines.flatMap((line, index) => (line.includes('"spot_price_auto_product"') ? [index + 1] : []))
    expect(placed).toEqual(
      ['amazon-ebs', 'arm'].map((build, index) => ({
        message: expect.stringMatching(new RegExp(`^Build "${build}": spot_price_auto_product is deprecated and no longer necessary for Packer builds\\.\nIn future`)),
        line: keyLines[index],
        column: 7,
        warning: true
      }))
    )
  })

  it("places an HCL2 source block's warning on its attribute", async () => {
    const text = webSource('  spot_price_auto_product = "Linux/UNIX"\n') + '\nbuild {\n  sources = ["source.amazon-ebs.web"]\n}\n'
    writeFileSync(join(folder.path, 'warned.pkr.hcl'), text)
    const [warning, ...others] = (await validation('warned.pkr.hcl', folder.path)).warnings
    expect(others).toEqual([])
    expect(await locateHclWarning(warning, folder.path, folder.path)).toEqual([
      { message: expect.stringMatching(/^spot_price_auto_product is deprecated .*Spot instances\.$/), file: 'warned.pkr.hcl', line: 7, column: 3, warning: true }
    ])
  })
})

describeWithPacker("A JSON template's variable Packer cannot work out, placed where its value is set", () => {
  const folder = scratchFolder('variable-errors-')
  // No Vault answers, and no token is given: Packer's vault call fails at once.
  const env: NodeJS.ProcessEnv = { ...process.env, VAULT_ADDR: 'http://127.0.0.1:1' }
  delete env.VAULT_TOKEN
  const withVariables = (variables: Record<string, string | null>): string =>
    JSON.stringify({ variables, builders: [builder({ ami_name: 'web-{{user `role`}}' })] }, null, 2)

  /** Where the problem of the one error Packer gives is placed, and the text of its line. */
  async function placed(
    text: string,
    varFiles: Record<string, string> = {},
    given: Array<{ name: string; value: string }> = []
  ): Promise<Array<TemplateError & { text?: string }>> {
    writeFileSync(join(folder.path, 'template.json'), text)
    for (const [name, content] of Object.entries(varFiles)) writeFileSync(join(folder.path, name), content)
    const options = [...Object.keys(varFiles).flatMap((name) => ['-var-file', name]), ...given.flatMap(({ name, value }) => ['-var', `${name}=${value}`])]
    const [error, ...others] = (await validation('template.json', folder.path, options, env)).errors
    expect(others).toEqual([])
    const files = Object.entries(varFiles).map(([file, content]) => ({ file, text: content }))
    return (locateVariableError(error, text, files, given) ?? []).map((problem) => ({
      ...problem,
      text: problem.line === undefined ? undefined : (problem.file === undefined ? text : varFiles[problem.file]).split('\n')[problem.line - 1].trim()
    }))
  }

  it('a function Packer does not know, or a {{ left open: on the value of the variable it names', async () => {
    expect(await placed(withVariables({ role: 'web', owner: '{{ uuid `x` }}-{{ nosuchfunc }}' }))).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^error interpolating default value for 'owner': .*nosuchfunc/s), line: 4, column: 14 })
    ])
    expect(await placed(withVariables({ role: '{{user `owner`' }))).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^error interpolating default value for 'role': template: root:1: unclosed action$/), text: '"role": "{{user `owner`"' })
    ])
  })

  it('a variable that uses one not set: on its value', async () => {
    expect(await placed(withVariables({ role: 'web-{{user `tier`}}', size: '8' }))).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^Failed to interpolate "role": /), text: '"role": "web-{{user `tier`}}",' })
    ])
  })

  it('a secret Vault did not give: on the variable whose value makes the call, where Packer took it from', async () => {
    const vault = '{{ vault `secret/data/ci`   `token` }}'
    // The template's own value.
    expect(await placed(withVariables({ role: 'web', token: vault }))).toEqual([
      {
        message: expect.stringMatching(/^Variable "token": template: root:1:3: executing "root" at <vault `secret\/data\/ci` `token`>: error\s+calling vault: /),
        line: 4,
        column: 14,
        text: `"token": "${vault}"`
      }
    ])
    // A variables file's value, over the template's; the last file's over the first's.
    const first = JSON.stringify({ token: vault }, null, 2)
    const last = `{\n  "role": "web",\n\n  "token": "${vault.replace('token', 'ci')}"\n}\n`
    expect(await placed(withVariables({ role: 'x', token: 'none' }), { 'first.json': first, 'last.json': last })).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^Variable "token": .* at <vault `secret\/data\/ci` `ci`>/), file: 'last.json', line: 4, column: 12 })
    ])
    // The input variables' value, over them all: named, and in no file.
    expect(await placed(withVariables({ role: 'x', token: 'none' }), { 'last.json': last }, [{ name: 'token', value: '{{vault `a/b` `c`}}' }])).toEqual([
      { message: expect.stringMatching(/^Variable "token" \(input variables\): .* at <vault `a\/b` `c`>/), text: undefined }
    ])
  })
})

describe('locateHclComponentErrors', () => {
  const folder = scratchFolder('hcl-component-errors-', {
    'p.pkr.hcl': 'build {\n  sources = ["source.null.n"]\n  provisioner "shell-local" {\n    inline = ["true"]\n    script = "b.sh"\n  }\n}\n'
  })

  it("keeps a problem whole that hcl wrapped onto lines of no indent, on the provisioner when it names no setting", async () => {
    // As Packer 1.6.6 writes it of the provisioner above.
    const error =
      'Error: Failed preparing provisioner-block "shell-local" ""\n\n  on p.pkr.hcl line 3:\n  (source code not available)\n\n' +
      '1 error(s) occurred:\n\n* You may only specify one of the following options: Command, Inline, Script or\nScripts. Please consolidate these options in your config.'
    expect(await locateHclComponentErrors(error, folder.path, join(folder.path, 'p.pkr.hcl'))).toEqual([
      { message: expect.stringMatching(/^You may only specify .* Script or\nScripts\. Please consolidate these options in your config\.$/), file: 'p.pkr.hcl', line: 3 }
    ])
  })

  it("places a value the plugin's decoder could not read (`1 error(s) decoding:`) on its setting", async () => {
    writeFileSync(join(folder.path, 'r.pkr.hcl'), 'build {\n  sources = ["source.null.n"]\n  provisioner "windows-restart" {\n    restart_timeout = "15"\n  }\n}\n')
    // As Packer 1.6.6 writes it of the provisioner above.
    const error =
      'Error: Failed preparing provisioner-block "windows-restart" ""\n\n  on r.pkr.hcl line 3:\n  (source code not available)\n\n' +
      '1 error(s) decoding:\n\n* error decoding \'restart_timeout\': time: missing unit in duration "15"\n\n'
    expect(await locateHclComponentErrors(error, folder.path, join(folder.path, 'r.pkr.hcl'))).toEqual([
      { message: 'error decoding \'restart_timeout\': time: missing unit in duration "15"', file: 'r.pkr.hcl', line: 4, column: 5 }
    ])
  })

  it('places a missing entry of a list written from ${path.root} on that entry, as Packer quotes it filled in', async () => {
    const line = '    scripts = ["${path.root}/a.sh", "${path.cwd}/../b.sh", "${path.root}/b.sh"]'
    writeFileSync(join(folder.path, 'q.pkr.hcl'), `build {\n  sources = ["source.null.n"]\n  provisioner "shell-local" {\n${line}\n  }\n}\n`)
    // As Packer 1.6.6 writes it, run from the folder above the template's: path.root is that folder's name.
    const root = basename(folder.path)
    const error =
      `Error: Failed preparing provisioner-block "shell-local" ""\n\n  on ${root}/q.pkr.hcl line 3:\n  (source code not available)\n\n` +
      `1 error(s) occurred:\n\n* Bad script '${root}/b.sh': stat ${root}/b.sh: no such file or\ndirectory`
    expect(await locateHclComponentErrors(error, dirname(folder.path), join(folder.path, 'q.pkr.hcl'))).toEqual([
      { message: expect.stringMatching(/^Bad script '[^']+\/b\.sh'/), file: `${root}/q.pkr.hcl`, line: 4, column: line.indexOf('"${path.root}/b.sh"') + 1 }
    ])
  })

  it('places a missing entry written from an input variable on that entry, with the value the run gives it', async () => {
    const line = '    scripts = ["${var.dir}/a.sh", "${var.dir}/b.sh", "${var.other}/b.sh"]'
    writeFileSync(join(folder.path, 'v.pkr.hcl'), `build {\n  sources = ["source.null.n"]\n  provisioner "shell-local" {\n${line}\n  }\n}\n`)
    const error =
      'Error: Failed preparing provisioner-block "shell-local" ""\n\n  on v.pkr.hcl line 3:\n  (source code not available)\n\n' +
      "1 error(s) occurred:\n\n* Bad script 'scripts/b.sh': stat scripts/b.sh: no such file or\ndirectory"
    const template = join(folder.path, 'v.pkr.hcl')
    expect(await locateHclComponentErrors(error, folder.path, template, { variables: { dir: 'scripts' }, locals: {} })).toEqual([
      { message: expect.stringMatching(/^Bad script 'scripts\/b\.sh'/), file: 'v.pkr.hcl', line: 4, column: line.indexOf('"${var.dir}/b.sh"') + 1 }
    ])
    // Without the values, on the block, as Packer says.
    expect(await locateHclComponentErrors(error, folder.path, template)).toEqual([{ message: expect.any(String), file: 'v.pkr.hcl', line: 3 }])
  })

  it('places a missing path that is a variable or local alone, or built from a local, on the value that names it', async () => {
    const lines = ['    script = var.setup', '    scripts = local.steps', '    scripts = ["a.sh", "${local.dir}/c.sh"]']
    const blocks = lines.map((line) => `  provisioner "shell-local" {\n${line}\n  }\n`).join('')
    writeFileSync(join(folder.path, 'w.pkr.hcl'), `build {\n  sources = ["source.null.n"]\n${blocks}}\n`)
    const template = join(folder.path, 'w.pkr.hcl')
    const error = (line: number, path: string): string =>
      `Error: Failed preparing provisioner-block "shell-local" ""\n\n  on w.pkr.hcl line ${line}:\n  (source code not available)\n\n` +
      `1 error(s) occurred:\n\n* Bad script '${path}': stat ${path}: no such file or directory`
    const values = { variables: { setup: 'scripts/a.sh' }, locals: { steps: ['a.sh', 'scripts/b.sh'], dir: 'scripts' } }
    expect(await locateHclComponentErrors(error(3, 'scripts/a.sh'), folder.path, template, values)).toEqual([
      { message: expect.any(String), file: 'w.pkr.hcl', line: 4, column: lines[0].indexOf('var.setup') + 1 }
    ])
    expect(await locateHclComponentErrors(error(6, 'scripts/b.sh'), folder.path, template, values)).toEqual([
      { message: expect.any(String), file: 'w.pkr.hcl', line: 7, column: lines[1].indexOf('local.steps') + 1 }
    ])
    expect(await locateHclComponentErrors(error(9, 'scripts/c.sh'), folder.path, template, values)).toEqual([
      { message: expect.any(String), file: 'w.pkr.hcl', line: 10, column: lines[2].indexOf('"${local.dir}/c.sh"') + 1 }
    ])
    // A path no value of theirs names: on the block, as Packer says.
    expect(await locateHclComponentErrors(error(6, 'scripts/z.sh'), folder.path, template, values)).toEqual([{ message: expect.any(String), file: 'w.pkr.hcl', line: 6 }])
  })

  it("leaves a plugin's HCL diagnostic inside Packer's to be annotated where it says", async () => {
    const error = 'Error: Failed preparing provisioner-block "shell" ""\n\n  on p.pkr.hcl line 3:\n\np.pkr.hcl:5,5-11: Unsupported argument; …'
    expect(await locateHclComponentErrors(error, folder.path, join(folder.path, 'p.pkr.hcl'))).toBeUndefined()
  })
})

describe('locateUndeclaredVariable', () => {
  const folder = scratchFolder('undeclared-', {
    'a.auto.pkrvars.hcl': 'region = "us-east-1"\n',
    'b.pkrvars.json': '{\n  "region": "eu-west-1",\n  "regoin": "eu-west-2"\n}\n',
    'c.pkrvars.hcl': '# prod\nregion = "us-west-2"\n\n  regoin = "us-west-1"\n',
    'region.pkr.hcl': 'variable "region" {\n  type = string\n}\n',
    'zone.pkr.json': '{"variable": {"zone": {"type": "string"}}}'
  })
  const files = (...names: string[]): string[] => names.map((name) => join(folder.path, name))
  const template = (): string => join(folder.path, 'region.pkr.hcl')

  it("places Packer 1.6's warning on the first variables file, in Packer's order, that sets the variable, with the declared name it is near", async () => {
    const message = 'Warning: Undefined variable\n\nA "regoin" variable was set but was not found in known variables.'
    expect(await locateUndeclaredVariable(message, folder.path, files('a.auto.pkrvars.hcl', 'c.pkrvars.hcl', 'b.pkrvars.json'), template())).toEqual([
      { message: `${message.slice('Warning: '.length)}\n\nDid you mean "region"?`, file: 'c.pkrvars.hcl', line: 4, column: 3, warning: true }
    ])
  })

  it("places later Packers' warning in a JSON variables file, with no declared name when none is near", async () => {
    const message = 'Warning: Undefined variable\n\nThe variable "regoin" was set but was not declared as an input variable.'
    const zone = join(folder.path, 'zone.pkr.json')
    expect(await locateUndeclaredVariable(message, folder.path, files('missing.pkrvars.hcl', 'b.pkrvars.json'), zone)).toEqual([
      { message: message.slice('Warning: '.length), file: 'b.pkrvars.json', line: 3, column: 3, warning: true }
    ])
  })

  it('leaves a variable that no file sets (given with -var), and any other warning, to be annotated whole', async () => {
    const message = 'Warning: Undefined variable\n\nThe variable "nowhere" was set but was not declared as an input variable.'
    expect(await locateUndeclaredVariable(message, folder.path, files('a.auto.pkrvars.hcl', 'b.pkrvars.json'), template())).toBeUndefined()
    expect(await locateUndeclaredVariable('Warning: something else', folder.path, files('b.pkrvars.json'), template())).toBeUndefined()
  })
})

describe('locateUnsetVariable', () => {
  const folder = scratchFolder('unset-', {
    'a.pkr.hcl': 'source "amazon-ebs" "x" {\n  region = var.region\n}\n',
    'b.pkr.hcl': '# what\nvariable "regions" {}\n\n  variable "region" {\n  type = string\n}\n',
    'c.pkr.json': '{\n  "variable": {\n    "owner": {\n      "type": "string"\n    }\n  }\n}\n',
    // HCL's JSON syntax as Packer 1.6.6 reads it too: a list of label objects, and a top-level array.
    'd.pkr.json': '{\n  "variable": [\n    { "zone": {} },\n    { "subnet": { "type": "string" } }\n  ]\n}\n',
    'e.pkr.json': '[\n  { "variable": { "vpc": {} } },\n  { "source": {} },\n  {\n    "variable": { "profile": {} }\n  }\n]\n'
  })
  const unset = (name: string): string =>
    `Error: Unset variable "${name}"\n\nA used variable must be set or have a default value; see\nhttps://packer.io/docs/templates/hcl_templates/syntax for details.`
  const told = (name: string): string =>
    `Unset variable "${name}": it has no default and was given no value. Set it in the input \`variables\`, in a file of the input \`var-file\`, or as PKR_VAR_${name} in the step's env.`

  it('places each on its variable block, in whichever file of the template declares it, HCL or JSON', async () => {
    expect(await locateUnsetVariable(unset('region'), folder.path, folder.path)).toEqual([{ message: told('region'), file: 'b.pkr.hcl', line: 4, column: 3 }])
    expect(await locateUnsetVariable(unset('owner'), folder.path, folder.path)).toEqual([{ message: told('owner'), file: 'c.pkr.json', line: 3, column: 5 }])
    expect(await locateUnsetVariable(unset('subnet'), folder.path, folder.path)).toEqual([{ message: told('subnet'), file: 'd.pkr.json', line: 4, column: 7 }])
    expect(await locateUnsetVariable(unset('profile'), folder.path, folder.path)).toEqual([{ message: told('profile'), file: 'e.pkr.json', line: 5, column: 19 }])
    expect(await locateUnsetVariable(unset('region'), tmpdir(), join(folder.path, 'b.pkr.hcl'))).toEqual([
      expect.objectContaining({ file: relative(tmpdir(), join(folder.path, 'b.pkr.hcl')), line: 4 })
    ])
  })

  it('leaves a variable that no file declares, and any other error, to be annotated whole', async () => {
    expect(await locateUnsetVariable(unset('nowhere'), folder.path, folder.path)).toBeUndefined()
    expect(await locateUnsetVariable(unset('region'), folder.path, join(folder.path, 'a.pkr.hcl'))).toBeUndefined()
    expect(await locateUnsetVariable('Error: Unsupported argument', folder.path, folder.path)).toBeUndefined()
  })
})

describe('locateDuplicateVariable', () => {
  // Packer reads a folder's `.pkr.hcl` files by name, then its `.pkr.json` files, each's blocks in order.
  const folder = scratchFolder('duplicate-', {
    'a.pkr.hcl': 'variables {\n  region = "us-east-1"\n}\n\nvariable "size" {}\n',
    'b.pkr.hcl': '# again\nvariable "region" {}\n\nvariable "size" {\n  type = number\n}\nvariables {\n  size = 3\n}\n\n  variable "size" {}\n',
    'c.pkr.json': '{\n  "variable": {\n    "owner": {}\n  }\n}\n',
    'd.pkr.json': '{\n  "variable": [\n    { "zone": {} },\n    { "owner": { "type": "string" } }\n  ]\n}\n',
    'e.pkr.json': '{\n  "variables": { "vpc": "a" },\n  "variable": { "vpc": {} }\n}\n',
    'f.pkr.hcl': 'variable "vpc" {}\n'
  })
  // As Packer 1.6.6 and 1.16.0 write it (hcl2template/types.variables.go, decodeVariableBlock).
  const duplicate = (name: string): string => `Error: Duplicate variable\n\nDuplicate ${name} variable definition found.`
  const told = (name: string, first: string): string => `Duplicate variable\n\nDuplicate ${name} variable definition found. Declared first at ${first}.`

  it('places it on each `variable` block after the first declaration, in the order Packer reads them, saying where the first is', async () => {
    expect(await locateDuplicateVariable(duplicate('region'), folder.path, folder.path)).toEqual([
      { message: told('region', 'a.pkr.hcl line 2'), file: 'b.pkr.hcl', line: 2, column: 1 }
    ])
    // The `variables` attribute between them is Packer's own error, which names its place.
    expect(await locateDuplicateVariable(duplicate('size'), folder.path, folder.path)).toEqual([
      { message: told('size', 'a.pkr.hcl line 5'), file: 'b.pkr.hcl', line: 4, column: 1 },
      { message: told('size', 'a.pkr.hcl line 5'), file: 'b.pkr.hcl', line: 11, column: 3 }
    ])
    expect(await locateDuplicateVariable(duplicate('owner'), folder.path, folder.path)).toEqual([
      { message: told('owner', 'c.pkr.json line 3'), file: 'd.pkr.json', line: 4, column: 7 }
    ])
  })

  it('leaves it whole where the order is not known for certain, and any other error', async () => {
    // A `.pkr.json` file that declares it in both a `variables` and a `variable` block.
    expect(await locateDuplicateVariable(duplicate('vpc'), folder.path, folder.path)).toBeUndefined()
    expect(await locateDuplicateVariable(duplicate('region'), folder.path, join(folder.path, 'a.pkr.hcl'))).toBeUndefined()
    expect(await locateDuplicateVariable(duplicate('nowhere'), folder.path, folder.path)).toBeUndefined()
    const placed = 'Error: Duplicate variable\n\n  on b.pkr.hcl line 8, in variables:\n   8:   size = 3\n\nDuplicate size variable definition found.'
    expect(await locateDuplicateVariable(placed, folder.path, folder.path)).toBeUndefined()
  })
})

describe('locateRefusedValue', () => {
  const folder = scratchFolder('refused-', {
    'a.pkr.hcl': 'source "amazon-ebs" "x" {\n  ami_regions = var.ami_regions\n}\n',
    'b.pkr.hcl': '# where\n\nvariable "ami_regions" {\n  type = list(string)\n}\n',
    'c.pkr.hcl': 'variable "source_ami_filter_owner_account_ids_list" {\n  type = list(string)\n}\n',
    'd.pkr.hcl': 'variable "ami_users" {\n  default = []\n}\n\nvariable "extra_tags" {\n  default = {}\n}\n'
  })
  // As Packer 1.6.6 refuses -var ami_regions=us-west-2, -var ami_regions=3 and the env's PKR_VAR_ami_regions=3.
  const fromArguments =
    'Error: Variables not allowed\n\n  on <value for var.ami_regions from arguments> line 1:\n  (source code not available)\n\nVariables may not be used here.'
  const fromEnv =
    'Error: Invalid value for variable\n\n  on <value for var.ami_regions from env> line 1:\n  (source code not available)\n\n' +
    "The value for ami_regions is not compatible with the variable's type constraint:\nlist of string required."
  const lineZero =
    'Error: Invalid argument value for -var variable\n\n  on  line 0:\n  (source code not available)\n\n' +
    "The received arg value for ami_regions is not compatible with the variable's\ntype constraint: list of string required."
  const onDeclaration = (given: string, message: string): unknown => [
    {
      message:
        `Packer refused the value given for "ami_regions" ${given}. Unless a variable is a string, Packer reads its value ` +
        `as HCL, as in a variables file: a number 20, a list ["a", "b"], a map {key = "value"}.\n\n${message}`,
      file: 'b.pkr.hcl',
      line: 3,
      column: 1
    }
  ]

  it("places Packer's error on the variable's declaration, saying where the value came from", async () => {
    expect(await locateRefusedValue(fromArguments, folder.path, folder.path)).toEqual(onDeclaration('in the input `variables`', fromArguments))
    expect(await locateRefusedValue(lineZero, folder.path, folder.path)).toEqual(onDeclaration('in the input `variables`', lineZero))
    expect(await locateRefusedValue(fromEnv, folder.path, folder.path)).toEqual(onDeclaration("as PKR_VAR_ami_regions in the step's env", fromEnv))
  })

  it("places later Packers' error, which names no place, on the declaration of a variable whose long name breaks Packer's line", async () => {
    // v1.16.0 hcl2template/types.variables.go (collectVariableValues): no Subject since 1.10, its
    // detail wrapped at 80 columns by hcl's diagnostic writer, as -var source_ami_filter_owner_account_ids_list=3 gives.
    const name = 'source_ami_filter_owner_account_ids_list'
    const wrapped =
      'Error: Invalid argument value for -var variable\n\n' +
      `The received arg value for ${name} is not\ncompatible with the variable's type constraint: list of string required.`
    expect(await locateRefusedValue(wrapped, folder.path, folder.path)).toEqual([
      {
        message: expect.stringMatching(new RegExp(`^Packer refused the value given for "${name}" in the input \`variables\`\\. `)),
        file: 'c.pkr.hcl',
        line: 1,
        column: 1
      }
    ])
  })

  it('says why a list is refused for a variable with no type whose default is an empty list, which no other list fits', async () => {
    // As Packer 1.6.6 refuses -var 'ami_users=["123456789012"]' for `variable "ami_users" { default = [] }`.
    const tuple =
      'Error: Invalid argument value for -var variable\n\n  on <value for var.ami_users from arguments> line 1:\n  (source code not available)\n\n' +
      "The received arg value for ami_users is not compatible with the variable's type\nconstraint: tuple required."
    expect(await locateRefusedValue(tuple, folder.path, folder.path)).toEqual([
      {
        message:
          'Packer refused the value given for "ami_users" in the input `variables`. "ami_users" has no type, so Packer gives it the type of ' +
          `its default, []: a list of nothing, which no other list fits. Declare its type (type = list(string)) to give it one.\n\n${tuple}`,
        file: 'd.pkr.hcl',
        line: 1,
        column: 1
      }
    ])
    // An empty map as the default takes any map: Packer refuses such a value for another reason.
    const object = tuple.replaceAll('ami_users', 'extra_tags')
    expect(await locateRefusedValue(object, folder.path, folder.path)).toEqual([expect.objectContaining({ message: expect.stringContaining('Unless a variable is a string'), line: 5 })])
  })

  it('leaves a variable that no file declares, and any other error, to be annotated whole', async () => {
    expect(await locateRefusedValue(fromArguments, folder.path, join(folder.path, 'a.pkr.hcl'))).toBeUndefined()
    expect(await locateRefusedValue('Error: Unsupported argument\n\n  on a.pkr.hcl line 2:', folder.path, folder.path)).toBeUndefined()
  })
})

describe('a build that uses a source Packer does not know: on the entry that names it', () => {
  const source = 'source "amazon-ebs" "web" {\n  region = "us-east-1"\n}\n'
  const builds =
    '# Two builds.\nbuild {\n  sources = ["source.amazon-ebs.web"]\n}\n\nbuild {\n  name = "second"\n  sources = [\n' +
    '    "source.amazon-ebs.web",\n    "source.amazon-ebs.nope",\n  ]\n\n  source "amazon-ebz.web" {\n    name = "typo"\n  }\n}\n'
  const folder = scratchFolder('unknown-source-', { 'source.pkr.hcl': source, 'builds.pkr.hcl': builds })
  /** Where `written` begins in builds.pkr.hcl. */
  const at = (written: string): { file: string; line: number; column: number } => {
    const lines = builds.split('\n')
    const index = lines.findIndex((line) => line.includes(written))
    return { file: 'builds.pkr.hcl', line: index + 1, column: lines[index].indexOf(written) + 1 }
  }

  // Packer 1.7 and later (v1.16.0 hcl2template/plugin.go, initializeBlocks) name the build block that
  // uses it, `&build.HCL2Ref.DefRange`; validate writes its diagnostics without their files' text.
  it("places later Packers' error on the entry of the build block Packer names", async () => {
    const typed =
      'Error: Unknown source type amazon-ebz\n\n  on builds.pkr.hcl line 6:\n  (source code not available)\n\nDid you mean to use "amazon-ebs"?'
    expect(await locateUnknownSource(typed, folder.path, folder.path)).toEqual([
      { message: 'Unknown source type amazon-ebz\n\nDid you mean to use "amazon-ebs"?', ...at('"amazon-ebz.web"') }
    ])
    const named =
      'Error: Unknown source amazon-ebs.nope\n\n  on builds.pkr.hcl line 6:\n  (source code not available)\n\nKnown: [amazon-ebs.web]'
    expect(await locateUnknownSource(named, folder.path, folder.path)).toEqual([
      { message: 'Unknown source amazon-ebs.nope\n\nKnown: [amazon-ebs.web]', ...at('"source.amazon-ebs.nope"') }
    ])
  })

  it('leaves an error on a source block (Packer 1.6.6 names the type there), and any other, to be annotated where Packer says', async () => {
    const onSourceBlock = 'Error: Unknown source type amazon-ebz\n\n  on source.pkr.hcl line 1:\n  (source code not available)\n\nknown builders: [amazon-ebs]'
    expect(await locateUnknownSource(onSourceBlock, folder.path, folder.path)).toBeUndefined()
    expect(await locateUnknownSource('Error: Unknown source amazon-ebs.other\n\n  on  line 0:\n', folder.path, folder.path)).toBeUndefined()
    expect(await locateUnknownSource('Error: Unsupported argument\n\n  on builds.pkr.hcl line 6:\n', folder.path, folder.path)).toBeUndefined()
  })
})

describeWithPacker('a build that uses no source of that name, as Packer 1.6.6 says it', () => {
  const folder = scratchFolder('unknown-source-packer-')

  it("places Packer's error, which names no place, on the entry that names the source", async () => {
    const text = webSource() + '\nbuild {\n  sources = [\n    "source.amazon-ebs.web",\n    "source.amazon-ebs.nope",\n  ]\n}\n'
    writeFileSync(join(folder.path, 'a.pkr.hcl'), text)
    const [error, ...others] = await validationErrors('a.pkr.hcl', folder.path)
    expect(others).toEqual([])
    expect(await locateUnknownSource(error, folder.path, join(folder.path, 'a.pkr.hcl'))).toEqual([
      { message: 'Unknown source amazon-ebs.nope\n\nKnown: [amazon-ebs.web]', file: 'a.pkr.hcl', line: 12, column: 5 }
    ])
  })

  it('lists the sources it knows by name, not as Go prints its map of them, with the one the name is near', async () => {
    const text =
      webSource() + webSource().replace('"web"', '"arm"') + webSource().replace('"web"', '"batch"') +
      '\nbuild {\n  sources = [\n    "source.amazon-ebs.web",\n    "source.amazon-ebs.armm",\n  ]\n}\n'
    writeFileSync(join(folder.path, 'b.pkr.hcl'), text)
    const [error] = await validationErrors('b.pkr.hcl', folder.path)
    expect(error).toMatch(/Known: map\[/)
    const [placed] = (await locateUnknownSource(error, folder.path, join(folder.path, 'b.pkr.hcl'))) ?? []
    expect(placed).toEqual({
      message: expect.stringMatching(/^Unknown source amazon-ebs\.armm\n\nKnown: \[(amazon-ebs\.(web|arm|batch) ?){3}\]\n\nDid you mean "amazon-ebs\.arm"\?$/),
      file: 'b.pkr.hcl',
      line: text.split('\n').findIndex((line) => line.includes('armm')) + 1,
      column: 5
    })
    expect(placed.message).not.toMatch(/0x[0-9a-f]+|<nil>/)
  })
})

describeWithPacker('a var. or local. reference to nothing the template declares, as Packer 1.6.6 says it', () => {
  const folder = scratchFolder('unknown-reference-')

  it('places it on the reference Packer names only by its line, saying what it names, with the declared name it is near', async () => {
    const variables = 'variable "ami_version" {\n  type    = string\n  default = "1"\n}\n'
    const locals = '\nlocals {\n  stamp = "2026"\n  name  = "web-${var.ami_versoin}-${local.stamp}"\n}\n'
    const text = variables + webSource('  ami_description = local.name\n') + locals + '\nbuild {\n  sources = ["source.amazon-ebs.web"]\n}\n'
    writeFileSync(join(folder.path, 'a.pkr.hcl'), text)
    const [error, ...others] = await validationErrors('a.pkr.hcl', folder.path)
    expect(others).toEqual([])
    expect(error).toMatch(/^Error: Unsupported attribute\n/)
    const lines = text.split('\n')
    const line = lines.findIndex((each) => each.includes('ami_versoin')) + 1
    expect(await locateUnknownReference(error, folder.path, join(folder.path, 'a.pkr.hcl'))).toEqual([
      {
        message: 'var.ami_versoin: the template declares no variable "ami_versoin" (no `variable "ami_versoin"` block) in any of its files. Did you mean "var.ami_version"?',
        file: 'a.pkr.hcl',
        line,
        column: lines[line - 1].indexOf('var.ami_versoin') + 1
      }
    ])
  })

  it('leaves a line with no such reference, and any other error, to be annotated where Packer says', async () => {
    writeFileSync(join(folder.path, 'b.pkr.hcl'), webSource())
    const said = 'Error: Unsupported attribute\n\n  on b.pkr.hcl line 2:\n  (source code not available)\n\nThis object does not have an attribute named "nope".\n'
    expect(await locateUnknownReference(said, folder.path, join(folder.path, 'b.pkr.hcl'))).toBeUndefined()
    expect(await locateUnknownReference('Error: Unsupported argument\n\n  on b.pkr.hcl line 2:\n', folder.path, join(folder.path, 'b.pkr.hcl'))).toBeUndefined()
  })

  it('never says a variable the template declares is not declared: that error is left as Packer says it', async () => {
    const text = 'variable "ami_version" {\n  type    = string\n  default = "1"\n}\n' + webSource('  ami_description = var.ami_version\n')
    writeFileSync(join(folder.path, 'c.pkr.hcl'), text)
    const line = text.split('\n').findIndex((each) => each.includes('= var.ami_version')) + 1
    const said = `Error: Unsupported attribute\n\n  on c.pkr.hcl line ${line}:\n  (source code not available)\n\nThis object does not have an attribute named "ami_version".\n`
    expect(await locateUnknownReference(said, folder.path, join(folder.path, 'c.pkr.hcl'))).toBeUndefined()
  })
})

describeWithPacker('a block, brace, bracket, parenthesis or heredoc left open, as Packer 1.6.6 says it', () => {
  const folder = scratchFolder('unclosed-')

  /** Packer's one error about `text` as `name`, and where the action places it. */
  async function placed(name: string, text: string, varFiles: Record<string, string> = {}): Promise<{ said: string; placed?: TemplateError[] }> {
    writeFileSync(join(folder.path, name), text)
    for (const [file, written] of Object.entries(varFiles)) writeFileSync(join(folder.path, file), written)
    const options = Object.keys(varFiles).flatMap((file) => ['-var-file', file])
    const [said, ...others] = (await validation(name, folder.path, options)).errors
    expect(others).toEqual([])
    return { said, placed: await locateUnclosed(said, folder.path, join(folder.path, name), Object.keys(varFiles)) }
  }

  it("places Packer's error at the end of the file on the block that is never closed, keeping Packer's words", async () => {
    const text = webSource().replace(/\}\n$/, '') + '\nbuild {\n  sources = ["source.amazon-ebs.web"]\n}\n'
    const { said, placed: found } = await placed('a.pkr.hcl', text)
    expect(said).toMatch(new RegExp(`^Error: Argument or block definition required\\n\\n  on a\\.pkr\\.hcl line ${text.split('\n').length}:`))
    expect(found).toEqual([
      {
        message: `${said}\nThis block is opened here and never closed: the } that ends it is missing, or a { inside it that is never closed takes it.`,
        file: 'a.pkr.hcl',
        line: 1,
        column: 1
      }
    ])
  })

  it('places it on the [ of a list, the ( of a call, the <<EOT of a heredoc', async () => {
    const list = await placed('b.pkr.hcl', webSource('  ami_regions = ["eu-west-1"\n  ami_description = "x"\n'))
    expect(list.said).toMatch(/^Error: Missing item separator\n\n {2}on b\.pkr\.hcl line 8,/)
    expect(list.placed).toEqual([{ message: `${list.said}\nThis [ is opened here and never closed: the ] that ends it is missing.`, file: 'b.pkr.hcl', line: 7, column: 17 }])
    const call = await placed('c.pkr.hcl', 'variable "home" {\n  default = env("HOME"\n}\n' + webSource())
    expect(call.said).toMatch(/^Error: Missing argument separator\n\n {2}on c\.pkr\.hcl line 3,/)
    expect(call.placed).toEqual([
      { message: `${call.said}\nThis ( is opened here and never closed: the ) that ends the function's arguments is missing.`, file: 'c.pkr.hcl', line: 2, column: 16 }
    ])
    const heredoc = await placed('d.pkr.hcl', webSource('  ami_description = <<EOT\nA web image\nEOF\n'))
    expect(heredoc.said).toMatch(/^Error: Unterminated template string\n\n {2}on d\.pkr\.hcl line 11:/)
    expect(heredoc.placed).toEqual([
      { message: `${heredoc.said}\nThis heredoc is opened here and never closed: no line holding only EOT (and spaces) ends it.`, file: 'd.pkr.hcl', line: 7, column: 21 }
    ])
  })

  it('places one in a variables file Packer is given', async () => {
    const { said, placed: found } = await placed('e.pkr.hcl', 'variable "regions" {\n  type = list(string)\n}\n', { 'e.pkrvars.hcl': 'regions = ["eu-west-1"\nother = 1\n' })
    expect(said).toMatch(/^Error: Missing item separator\n\n {2}on e\.pkrvars\.hcl line 2:/)
    expect(found).toEqual([{ message: `${said}\nThis [ is opened here and never closed: the ] that ends it is missing.`, file: 'e.pkrvars.hcl', line: 1, column: 11 }])
  })

  it("leaves Packer's place where the parser skipped text, or finds the closer wanted on another line, or reads the file", async () => {
    // A map left open at the end of a variables file: the parser skips it all, and tells no opener.
    const map = await placed('f.pkr.hcl', 'variable "tags" {\n  type = map(string)\n}\n', { 'f.pkrvars.hcl': 'tags = {\n  a = "b"\n' })
    expect(map.said).toMatch(/ on f\.pkrvars\.hcl line 3:/)
    expect(map.placed).toBeUndefined()
    writeFileSync(join(folder.path, 'g.pkr.hcl'), webSource().replace(/\}\n$/, ''))
    const elsewhere = 'Error: Argument or block definition required\n\n  on g.pkr.hcl line 3:\n\nAn argument or block definition is required here.'
    expect(await locateUnclosed(elsewhere, folder.path, join(folder.path, 'g.pkr.hcl'))).toBeUndefined()
    writeFileSync(join(folder.path, 'h.pkr.hcl'), webSource())
    const readable = 'Error: Argument or block definition required\n\n  on h.pkr.hcl line 8:\n\nAn argument or block definition is required here.'
    expect(await locateUnclosed(readable, folder.path, join(folder.path, 'h.pkr.hcl'))).toBeUndefined()
  })
})

describe('locateTemplateErrors', () => {
  const text = JSON.stringify({ builders: [builder()] }, null, 2)

  it('leaves a message that is not about the template whole, without a place', () => {
    const message = "Build 'amazon-ebs' errored after 2 seconds: UnauthorizedOperation: You are not authorized"
    expect(locateTemplateErrors(message, text)).toEqual([{ message }])
  })

  it('leaves a message with lines of its own whole, so that nothing of it is lost', () => {
    const message = 'Error: something a provisioner printed\n  * item one\nand more'
    expect(locateTemplateErrors(message, text)).toEqual([{ message }])
  })

  it('leaves the message without a place when the template is not JSON it can read', () => {
    const message = "Failed to parse template: 1 error occurred:\n\t* Unknown root level key in template: 'x'\n\n"
    expect(locateTemplateErrors(message, 'not json')).toEqual([{ message }])
  })

  it('leaves an HCL2 block error with a line of its own to be annotated whole', async () => {
    const message = 'Error: 1 error(s) occurred:\n\n* ami_name must be set\nsomething else\n\n  on a.pkr.hcl line 1:\n'
    expect(await locateHclBlockErrors(message, tmpdir(), tmpdir())).toBeUndefined()
  })

  it("keeps a build's warning a warning beside another build's error, as newer Packers write them in one", () => {
    const two = JSON.stringify({ builders: [builder({ name: 'web', instance_typo: 'x' }), builder({ name: 'arm', spot_price_auto_product: 'Linux/UNIX' })] }, null, 2)
    const message =
      'Error: Failed to prepare build: "web"\n\n1 error occurred:\n\t* unknown configuration key: \'"instance_typo"\'\n\n' +
      'Warning: Warning when preparing build: "arm"\n\nspot_price_auto_product is deprecated\n\n'
    const lineOf = (key: string): number => two.split('\n').findIndex((line) => line.includes(`"${key}"`)) + 1
    expect(locateTemplateErrors(message, two)).toEqual([
      { message: 'Build "web": unknown configuration key: \'"instance_typo"\'', line: lineOf('instance_typo'), column: 7 },
      { message: 'Build "arm": spot_price_auto_product is deprecated', line: lineOf('spot_price_auto_product'), column: 7, warning: true }
    ])
  })

  it('leaves an HCL2 warning that names no place to be annotated whole', async () => {
    expect(await locateHclWarning('Warning: Undefined variable\n\nA "regoin" variable was set.', tmpdir(), tmpdir())).toBeUndefined()
  })

  it('gives a problem no place when the template does not have what it names', () => {
    const message = 'Error: Failed to prepare build: "missing"\n\n1 error occurred:\n\t* unknown configuration key: \'"k"\'\n\n'
    expect(locateTemplateErrors(message, text)).toEqual([{ message: 'Build "missing": unknown configuration key: \'"k"\'' }])
  })
})

describe("later Packers' words for a JSON template's errors, placed as 1.6.6's", () => {
  /** Where `text` holds `written`: its line, and the column of its first character. */
  const at = (text: string, written: string): { line: number; column: number } => {
    const lines = text.split('\n')
    const index = lines.findIndex((line) => line.includes(written))
    return { line: index + 1, column: lines[index].indexOf(written) + 1 }
  }
  // Packer 1.7.1 and later (command/meta.go GetConfigFromJSON) write this where 1.6.6 wrote `Failed to parse template: `.
  const parseFailed = (error: string): string =>
    'Failed to parse file as legacy JSON template: if you are using an HCL template, check your file extensions; they ' +
    'should be either *.pkr.hcl or *.pkr.json; see the docs for more details: https://www.packer.io/docs/templates/hcl_templates. \n' +
    `Original error: ${error}`

  it('places a key written twice, at the root or in a builder, and says only what is wrong', () => {
    for (const [key, inBuilder] of [['_comment', false], ['region', true]] as const) {
      const text = writtenTwice(key, inBuilder)
      const expected = [{ message: `template has duplicate field: ${key}`, ...at(text, `"${key}": "again"`) }]
      expect(locateTemplateErrors(`Failed to parse template: template has duplicate field: ${key}`, text)).toEqual(expected)
      expect(locateTemplateErrors(parseFailed(`template has duplicate field: ${key}`), text)).toEqual(expected)
    }
  })

  it('places a misspelt root key, and components without a type, by number', () => {
    const misspelt = JSON.stringify({ builders: [builder()], provisoners: [] }, null, 2)
    expect(locateTemplateErrors(parseFailed("1 error occurred:\n\t* Unknown root level key in template: 'provisoners'\n\n"), misspelt)).toEqual([
      { message: "Unknown root level key in template: 'provisoners'", ...at(misspelt, '"provisoners"') }
    ])
    const untyped = JSON.stringify(
      { builders: [builder(), { region: 'eu-west-1' }], provisioners: [{ inline: ['x'] }], 'post-processors': ['manifest', [{ type: 'manifest' }, { output: 'x' }]] },
      null,
      2
    )
    const braceBefore = (written: string): { line: number; column: number } => {
      const { line } = at(untyped, written)
      return { line: line - 1, column: untyped.split('\n')[line - 2].indexOf('{') + 1 }
    }
    const error =
      "3 errors occurred:\n\t* builder 2: missing 'type'\n\t* post-processor 2.2: type is required\n\t* provisioner 1: Provisioner missing 'type'\n\n"
    const expected = [
      { message: "builder 2: missing 'type'", ...braceBefore('"region": "eu-west-1"') },
      { message: 'post-processor 2.2: type is required', ...braceBefore('"output": "x"') },
      { message: "provisioner 1: Provisioner missing 'type'", ...braceBefore('"inline": [') }
    ]
    expect(locateTemplateErrors(`Failed to parse template: ${error}`, untyped)).toEqual(expected)
    expect(locateTemplateErrors(parseFailed(error), untyped)).toEqual(expected)
  })

  it("leaves the later wording of JSON Packer cannot read whole, with Packer's advice", () => {
    const message = parseFailed('Error parsing JSON: invalid character \'}\' looking for beginning of object key string\nAt line 3, column 1 (offset 30):')
    expect(locateTemplateErrors(message, '{\n  "builders": [],\n}\n')).toEqual([{ message }])
  })

  // Packer 1.11.0 and later (packer/core.go) for a type no plugin installed gives, its words wrapped at 80 columns.
  const initializing = (build: string, detail: string): string => `Error: Failed to initialize build "${build}"\n\n${detail}\n\n`
  /** Where the value of a component's `"type": "x"` is. */
  const typeValue = (text: string, type: string): { line: number; column: number } => {
    const { line, column } = at(text, `"type": "${type}"`)
    return { line, column: column + '"type": '.length }
  }
  const installPlugin = (filter: string): string =>
    'You may find the needed plugin along with installation instructions documented\non the Packer integrations page.\n\n' +
    `https://developer.hashicorp.com/packer/integrations?filter=${filter}`

  it("places a type Packer 1.11 and later know no plugin of on that component's type", () => {
    const text = JSON.stringify(
      { builders: [builder()], provisioners: [{ type: 'shell', inline: ['x'] }, { type: 'ansible', playbook_file: 'site.yml' }], 'post-processors': [{ type: 'amazon-import' }] },
      null,
      2
    )
    const unknown = [
      ['The builder amazon-ebs is unknown by Packer, and is likely part of a plugin that\nis not installed.', 'amazon', 'amazon-ebs'],
      ['The provisioner ansible is unknown by Packer, and is likely part of a plugin\nthat is not installed.', 'ansible', 'ansible'],
      ['The post-processor amazon-import is unknown by Packer, and is likely part of a\nplugin that is not installed.', 'amazon', 'amazon-import']
    ]
    for (const [said, filter, type] of unknown) {
      const detail = `${said}\n${installPlugin(filter)}`
      expect(locateTemplateErrors(initializing('amazon-ebs', detail), text)).toEqual([
        { message: `Build "amazon-ebs": ${detail.replace('\n\n', '\n')}`, ...typeValue(text, type) }
      ])
    }
  })

  it('places a type Packer suggests another for on the one component whose type is that close', () => {
    const text = JSON.stringify(
      {
        builders: [builder({ type: 'amazon-ebz' }), builder({ name: 'arm' })],
        provisioners: [{ type: 'shell', inline: ['x'] }, { type: 'shel', inline: ['x'] }],
        'post-processors': [[{ type: 'manifset' }]]
      },
      null,
      2
    )
    const suggested = (build: string, type: string): TemplateError[] =>
      locateTemplateErrors(initializing(build, `Did you mean to use "${type}"?`), text, ['amazon-ebz', 'arm'])
    expect(suggested('amazon-ebz', 'amazon-ebs')).toEqual([{ message: 'Build "amazon-ebz": Did you mean to use "amazon-ebs"?', ...typeValue(text, 'amazon-ebz') }])
    expect(suggested('arm', 'shell')).toEqual([{ message: 'Build "arm": Did you mean to use "shell"?', ...typeValue(text, 'shel') }])
    expect(suggested('arm', 'manifest')).toEqual([{ message: 'Build "arm": Did you mean to use "manifest"?', ...typeValue(text, 'manifset') }])
  })

  it('leaves a suggestion without a place when more than one component could be the one Packer means', () => {
    const text = JSON.stringify({ builders: [builder()], provisioners: [{ type: 'shel', inline: ['x'] }, { type: 'shelll', inline: ['x'] }] }, null, 2)
    expect(locateTemplateErrors(initializing('amazon-ebs', 'Did you mean to use "shell"?'), text)).toEqual([
      { message: 'Build "amazon-ebs": Did you mean to use "shell"?' }
    ])
  })

  it('places the AMI name Packer calls AMIName on ami_name, in a build beside a provisioner', () => {
    const text = JSON.stringify({ builders: [builder({ ami_name: 'web=image' })], provisioners: [{ type: 'shell', inline: ['x'] }] }, null, 2)
    // The amazon plugin's words (builder/common/ami_config.go), as Packer 1.16 wraps them.
    const refused =
      "AMIName should only contain alphanumeric characters, parentheses (()), square\nbrackets ([]), spaces ( ), periods (.), slashes (/), dashes (-), single quotes\n('), " +
      'at-signs (@), or underscores(_). You can use the `clean_resource_name`\ntemplate filter to automatically clean your ami name.'
    const message = `Error: Failed to prepare build: "amazon-ebs"\n\n1 error occurred:\n\t* ${refused}\n\n`
    expect(locateTemplateErrors(message, text)).toEqual([{ message: `Build "amazon-ebs": ${refused}`, ...at(text, '"ami_name"') }])
  })
})

describe('locateRefusedFilter', () => {
  const refused = (query: string, name: string, build = 'amazon-ebs'): string =>
    `${build}: ${query}: InvalidParameterValue: The filter '${name}' is invalid\n\tstatus code: 400, request id: 0f6e`
  const keyLine = (text: string, key: string, after = ''): { line: number; column: number } => {
    const lines = text.split('\n')
    const line = lines.findIndex((written, index) => index > lines.findIndex((first) => first.includes(after)) && written.includes(`"${key}"`))
    return { line: line + 1, column: lines[line].indexOf(`"${key}"`) + 1 }
  }
  const text = JSON.stringify(
    {
      builders: [
        { type: 'amazon-ebs', name: 'web', source_ami_filter: { filters: { 'tag-Class': 'base' } }, vpc_filter: { filters: { isDefault: 'true', 'tag-Class': 'build' } } },
        { type: 'amazon-ebs', name: 'db', security_group_filter: { filters: { 'tag-Class': 'packer' } } }
      ]
    },
    null,
    2
  )

  it("places EC2's refusal on the name in the filter of the build that Packer's words say was asked, where two filters write it", () => {
    expect(locateRefusedFilter(refused('Error querying AMI', 'tag-Class', 'web'), text)).toEqual([
      { message: refused('Error querying AMI', 'tag-Class', 'web'), ...keyLine(text, 'tag-Class', 'source_ami_filter') }
    ])
    expect(locateRefusedFilter(refused('Error querying VPCs', 'tag-Class', 'web'), text)).toEqual([
      { message: refused('Error querying VPCs', 'tag-Class', 'web'), ...keyLine(text, 'tag-Class', 'vpc_filter') }
    ])
    expect(locateRefusedFilter(refused("Couldn't find security groups for filter", 'tag-Class', 'db'), text)).toEqual([
      { message: refused("Couldn't find security groups for filter", 'tag-Class', 'db'), ...keyLine(text, 'tag-Class', 'security_group_filter') }
    ])
  })

  it('leaves the error as Packer said it when no filter of the build writes the name, or the message is another', () => {
    expect(locateRefusedFilter(refused('Error querying VPCs', 'isDefault', 'db'), text)).toBeUndefined()
    expect(locateRefusedFilter('web: Error querying VPCs: RequestLimitExceeded: Request limit exceeded.', text)).toBeUndefined()
  })
})

describe('locateHclRefusedFilter', () => {
  const folder = scratchFolder('refused-filter-', {
    'sources.pkr.hcl':
      'source "amazon-ebs" "web" {\n  source_ami_filter {\n    filters = { "virtulization-type" = "hvm", name = "base-*" }\n    owners  = ["self"]\n  }\n' +
      '  subnet_filter {\n    filters = {\n      "tag:Name"        = "build"\n      "virtulization-type" = "x"\n    }\n  }\n' +
      '  vpc_filter {\n    filters = { "tag:Note" = "not isDefault = true", isDefault = "true" }\n  }\n}\n',
    'build.pkr.hcl': 'build {\n  name    = "images"\n  sources = ["source.amazon-ebs.web"]\n}\n'
  })
  const refused = (build: string, query: string, name: string): string =>
    `${build}: ${query}: InvalidParameterValue: The filter '${name}' is invalid\n\tstatus code: 400, request id: 5e1d`

  it("places the name on its key in the source block's filter that Packer's words name, in a directory, for a named build too", async () => {
    const message = refused('images.amazon-ebs.web', 'Error querying AMI', 'virtulization-type')
    expect(await locateHclRefusedFilter(message, folder.path, folder.path)).toEqual([{ message, file: 'sources.pkr.hcl', line: 3, column: 17 }])
    const subnets = refused('amazon-ebs.web', 'Error querying Subnets', 'virtulization-type')
    expect(await locateHclRefusedFilter(subnets, folder.path, folder.path)).toEqual([{ message: subnets, file: 'sources.pkr.hcl', line: 9, column: 7 }])
  })

  it('places it on the key as the parser reads the object, not on text in a value that reads like it', async () => {
    const message = refused('amazon-ebs.web', 'Error querying VPCs', 'isDefault')
    expect(await locateHclRefusedFilter(message, folder.path, folder.path)).toEqual([{ message, file: 'sources.pkr.hcl', line: 13, column: 54 }])
  })

  it('leaves it as Packer said it for a source no block names, or a name its filters do not write', async () => {
    expect(await locateHclRefusedFilter(refused('amazon-ebs.api', 'Error querying AMI', 'virtulization-type'), folder.path, folder.path)).toBeUndefined()
    expect(await locateHclRefusedFilter(refused('amazon-ebs.web', 'Error querying VPCs', 'is-default'), folder.path, folder.path)).toBeUndefined()
  })
})

describe('locateHclRefusedSetting, of a setting that is one variable alone', () => {
  const folder = scratchFolder('refused-setting-', {
    'image.pkr.hcl':
      'variable "subnet" {\n  type    = string\n  default = "subnet-00000001"\n}\n\nvariable "zone" {\n  type    = string\n  default = env("ZONE")\n}\n\n' +
      'source "amazon-ebs" "web" {\n  subnet_id         = var.subnet\n  availability_zone = var.zone\n  vpc_id            = "vpc-${var.subnet}"\n}\n\n' +
      'build {\n  sources = ["source.amazon-ebs.web"]\n}\n',
    'first.pkrvars.hcl': 'subnet = "subnet-00000002"\n',
    'second.json': '{\n  "other": "x",\n  "subnet": "subnet-00000003"\n}\n',
    'json-syntax.pkr.json': JSON.stringify({ variable: { key_pair: { type: 'string', default: 'nope' } }, source: { 'amazon-ebs': { api: { ssh_keypair_name: '${var.key_pair}' } } } }, null, 2)
  })
  const subnet = 'amazon-ebs.web: Describing the subnet: subnet-0000dead returned error: InvalidSubnetID.NotFound: The subnet ID does not exist'
  const said = subnet.slice('amazon-ebs.web: '.length)
  const given = (values: { varFiles?: string[]; variables?: Array<{ name: string; value: string }>; env?: Record<string, string> }) => ({
    varFiles: (values.varFiles ?? []).map((file) => join(folder.path, file)),
    variables: values.variables ?? [],
    env: values.env ?? {}
  })
  const locate = (message: string, values: Parameters<typeof given>[0]) => locateHclRefusedSetting(message, folder.path, folder.path, given(values))

  it('places it on the last variables file that sets the variable, JSON or HCL, named so', async () => {
    expect(await locate(subnet, { varFiles: ['first.pkrvars.hcl', 'second.json'] })).toEqual([
      { message: `var-file: second.json: variable "subnet", which amazon-ebs.web takes for subnet_id: ${said}`, file: 'second.json', line: 3, column: 3 }
    ])
    expect(await locate(subnet, { varFiles: ['second.json', 'first.pkrvars.hcl'] })).toEqual([
      { message: `var-file: first.pkrvars.hcl: variable "subnet", which amazon-ebs.web takes for subnet_id: ${said}`, file: 'first.pkrvars.hcl', line: 1, column: 1 }
    ])
  })

  it('names the input variables, which win over the files, in no place; a file wins over PKR_VAR_', async () => {
    const variables = [{ name: 'subnet', value: 'subnet-0000dead' }]
    expect(await locate(subnet, { varFiles: ['first.pkrvars.hcl'], variables })).toEqual([
      { message: `variables: "subnet", which amazon-ebs.web takes for subnet_id: ${said}`, inInputs: true }
    ])
    expect(await locate(subnet, { varFiles: ['first.pkrvars.hcl'], env: { PKR_VAR_subnet: 'subnet-0000dead' } })).toEqual([expect.objectContaining({ file: 'first.pkrvars.hcl' })])
  })

  it("places it on the variable's default, in either syntax", async () => {
    expect(await locate(subnet, {})).toEqual([
      { message: `template: image.pkr.hcl: variable "subnet", which amazon-ebs.web takes for subnet_id: ${said}`, file: 'image.pkr.hcl', line: 3, column: 3 }
    ])
    const keyPair = "amazon-ebs.api: Error launching source instance: InvalidKeyPair.NotFound: The key pair 'nope' does not exist"
    expect(await locate(keyPair, {})).toEqual([
      {
        message: `template: json-syntax.pkr.json: variable "key_pair", which amazon-ebs.api takes for ssh_keypair_name: ${keyPair.slice('amazon-ebs.api: '.length)}`,
        file: 'json-syntax.pkr.json',
        line: 5,
        column: 7
      }
    ])
  })

  it('keeps it on the setting for a value PKR_VAR_ gives, a default from env(), or a value that mixes text and a variable', async () => {
    expect(await locate(subnet, { env: { PKR_VAR_subnet: 'subnet-0000dead' } })).toEqual([{ message: subnet, file: 'image.pkr.hcl', line: 12, column: 3 }])
    const zone = 'amazon-ebs.web: Error launching source instance: InvalidParameterValue: Invalid availability zone: [us-east-1q]'
    expect(await locate(zone, { env: { ZONE: 'us-east-1q' } })).toEqual([{ message: zone, file: 'image.pkr.hcl', line: 13, column: 3 }])
    const vpc = 'amazon-ebs.web: Error retrieving VPC information for vpc_id vpc-subnet-00000001: InvalidVpcID.NotFound: no such VPC'
    expect(await locate(vpc, {})).toEqual([{ message: vpc, file: 'image.pkr.hcl', line: 14, column: 3 }])
  })
})

describe('locateRefusedSetting, of a setting that is one user variable alone', () => {
  const text = JSON.stringify(
    {
      variables: { subnet: 'subnet-00000001', zone: '{{env `ZONE`}}' },
      builders: [{ type: 'amazon-ebs', subnet_id: '{{user `subnet`}}', availability_zone: '{{user `zone`}}', vpc_id: 'vpc-{{user `subnet`}}' }]
    },
    null,
    2
  )
  const varFiles = [{ file: 'vars.json', text: '{\n  "subnet": "subnet-0000dead"\n}\n' }]
  const subnet = 'amazon-ebs: Describing the subnet: subnet-0000dead returned error: InvalidSubnetID.NotFound: The subnet ID does not exist'
  const said = subnet.slice('amazon-ebs: '.length)
  const lineOf = (written: string): number => text.split('\n').findIndex((line) => line.includes(written)) + 1

  it('places it on the value where it is given: the input variables (in no place), a variables file, the default', () => {
    const values = { template: 'image.json', varFiles, given: [] }
    expect(locateRefusedSetting(subnet, text, undefined, { ...values, given: [{ name: 'subnet', value: 'subnet-0000dead' }] })).toEqual([
      { message: `variables: "subnet", which amazon-ebs takes for subnet_id: ${said}`, inInputs: true }
    ])
    expect(locateRefusedSetting(subnet, text, undefined, values)).toEqual([
      { message: `var-file: vars.json: variable "subnet", which amazon-ebs takes for subnet_id: ${said}`, file: 'vars.json', line: 2, column: 13 }
    ])
    expect(locateRefusedSetting(subnet, text, undefined, { ...values, varFiles: [] })).toEqual([
      { message: `template: image.json: variable "subnet", which amazon-ebs takes for subnet_id: ${said}`, file: 'image.json', line: lineOf('"subnet": "subnet-00000001"'), column: 15 }
    ])
  })

  it('takes the last variables file that sets it, and of a key that one writes twice the last, as Packer 1.6.6 does', () => {
    const more = { file: 'more.json', text: '{\n  "subnet": "subnet-00000002",\n  "subnet": "subnet-0000dead"\n}\n' }
    expect(locateRefusedSetting(subnet, text, undefined, { template: 'image.json', varFiles: [...varFiles, more], given: [] })).toEqual([
      { message: `var-file: more.json: variable "subnet", which amazon-ebs takes for subnet_id: ${said}`, file: 'more.json', line: 3, column: 13 }
    ])
  })

  it('keeps it on the setting for a default from {{env}}, or a value that mixes text and a variable', () => {
    const values = { template: 'image.json', varFiles: [], given: [] }
    const zone = 'amazon-ebs: Error launching source instance: InvalidParameterValue: Invalid availability zone: [us-east-1q]'
    expect(locateRefusedSetting(zone, text, undefined, values)).toEqual([{ message: zone, line: lineOf('"availability_zone"'), column: 7 }])
    const vpc = 'amazon-ebs: Error retrieving VPC information for vpc_id vpc-x: InvalidVpcID.NotFound: no such VPC'
    expect(locateRefusedSetting(vpc, text, undefined, values)).toEqual([{ message: vpc, line: lineOf('"vpc_id"'), column: 7 }])
  })
})

describe("a build's timeout waiting for its communicator", () => {
  const winrmDefault =
    'The build sets no winrm_timeout, so Packer waited its default, 30 minutes, for WinRM to answer: winrm_timeout sets how long it waits.'
  const sshDefault = 'The build sets no ssh_timeout, so Packer waited its default, 5 minutes, for SSH to answer: ssh_timeout sets how long it waits.'

  describe('in a JSON template', () => {
    const text = JSON.stringify(
      {
        variables: { wait: '10m' },
        builders: [
          { type: 'amazon-ebs', name: 'set', communicator: 'winrm', winrm_timeout: '5s' },
          { type: 'amazon-ebs', name: 'unset', communicator: 'winrm' },
          { type: 'amazon-ebs', name: 'old-ssh', ssh_wait_timeout: '2m' },
          { type: 'amazon-ebs', name: 'ssh' },
          { type: 'amazon-ebs', name: 'from-variable', communicator: 'winrm', winrm_timeout: '{{user `wait`}}' }
        ]
      },
      null,
      2
    )
    const values = { template: 'win.json', varFiles: [], given: [] }
    const lineOf = (written: string, from = 0): number => text.split('\n').findIndex((line, at) => at >= from && line.includes(written)) + 1

    it('places it on winrm_timeout (ssh_timeout, or the ssh_wait_timeout it replaced) where the builder sets it', () => {
      const message = 'set: Timeout waiting for WinRM.'
      expect(locateRefusedSetting(message, text, undefined, values)).toEqual([{ message, line: lineOf('"winrm_timeout": "5s"'), column: 7 }])
      const ssh = 'old-ssh: Timeout waiting for SSH.'
      expect(locateRefusedSetting(ssh, text, undefined, values)).toEqual([{ message: ssh, line: lineOf('"ssh_wait_timeout"'), column: 7 }])
    })

    it('places it where a variable that is the whole setting is given its value', () => {
      expect(locateRefusedSetting('from-variable: Timeout waiting for WinRM.', text, undefined, values)).toEqual([
        {
          message: 'template: win.json: variable "wait", which from-variable takes for winrm_timeout: Timeout waiting for WinRM.',
          file: 'win.json',
          line: lineOf('"wait": "10m"'),
          column: 13
        }
      ])
    })

    it("says Packer's default and the setting that changes it where the builder sets none, left to the builder's place", () => {
      expect(locateRefusedSetting('unset: Timeout waiting for WinRM.', text, undefined, values)).toEqual([
        { message: `unset: Timeout waiting for WinRM.\n${winrmDefault}` }
      ])
      expect(locateRefusedSetting('ssh: Timeout waiting for SSH.', text, undefined, values)).toEqual([{ message: `ssh: Timeout waiting for SSH.\n${sshDefault}` }])
      expect(locateFailedBuild('unset', text)).toEqual({ line: lineOf('"name": "unset"') - 2, column: 5 })
    })

    it('leaves it to Packer for a build no builder is known to be', () => {
      expect(locateRefusedSetting('other: Timeout waiting for WinRM.', text, undefined, values)).toBeUndefined()
    })
  })

  describe('in an HCL2 template', () => {
    const folder = scratchFolder('communicator-timeout-', {
      'win.pkr.hcl':
        'source "amazon-ebs" "set" {\n  communicator  = "winrm"\n  winrm_timeout = "5s"\n}\n\n' +
        'source "amazon-ebs" "unset" {\n  communicator = "winrm"\n}\n\n' +
        'source "amazon-ebs" "overridden" {\n  communicator = "winrm"\n}\n\n' +
        'build {\n  sources = ["source.amazon-ebs.set", "source.amazon-ebs.unset"]\n\n' +
        '  source "amazon-ebs.overridden" {\n    winrm_timeout = "1m"\n  }\n}\n\n' +
        'source "amazon-ebs" "prefixed" {\n  communicator = "winrm"\n}\n\n' +
        'build {\n  source "sources.amazon-ebs.prefixed" {\n    winrm_timeout = "1m"\n  }\n}\n'
    })
    const locate = (message: string) => locateHclRefusedSetting(message, folder.path, folder.path, { varFiles: [], variables: [], env: {} })

    it('places it on the winrm_timeout the source block sets', async () => {
      const message = 'amazon-ebs.set: Timeout waiting for WinRM.'
      expect(await locate(message)).toEqual([{ message, file: 'win.pkr.hcl', line: 3, column: 3 }])
    })

    it("says Packer's default where no block sets it, left to the source block's place", async () => {
      expect(await locate('amazon-ebs.unset: Timeout waiting for WinRM.')).toEqual([{ message: `amazon-ebs.unset: Timeout waiting for WinRM.\n${winrmDefault}` }])
    })

    it("says no default where a build block's source block sets it, and leaves the place to Packer", async () => {
      expect(await locate('amazon-ebs.overridden: Timeout waiting for WinRM.')).toBeUndefined()
    })

    it("reads a build block's source block labelled sources.TYPE.NAME as Packer does: as TYPE.NAME", async () => {
      expect(await locate('amazon-ebs.prefixed: Timeout waiting for WinRM.')).toBeUndefined()
    })
  })
})

describe('locateFailedBuild', () => {
  const text = JSON.stringify(
    { builders: [{ type: 'amazon-ebs', name: 'east' }, { type: 'amazon-ebs', name: 'west-{{timestamp}}' }, { type: 'googlecompute', name: 'gce-{{user `zone`}}' }] },
    null,
    2
  )
  /** The line of the `{` of the builder of that name, two lines above its name. */
  const builderLine = (name: string): number => text.split('\n').findIndex((line) => line.includes(`"name": "${name}"`)) - 1

  it('places a build whose name only Packer works out on the one builder whose name has that shape', () => {
    expect(locateFailedBuild('west-1733482000', text)).toEqual({ line: builderLine('west-{{timestamp}}'), column: 5 })
    expect(locateFailedBuild('gce-us-central1-a', text)).toEqual({ line: builderLine('gce-{{user `zone`}}'), column: 5 })
    expect(locateFailedBuild('east', text)).toEqual({ line: builderLine('east'), column: 5 })
  })

  it('places none where no builder, or two, could give that name, or the names Packer resolved are known and none is it', () => {
    expect(locateFailedBuild('north', text)).toEqual({})
    const alike = JSON.stringify({ builders: [{ type: 'amazon-ebs', name: 'web-{{user `a`}}' }, { type: 'amazon-ebs', name: 'web-{{timestamp}}' }] })
    expect(locateFailedBuild('web-1', alike)).toEqual({})
    expect(locateFailedBuild('west-1733482000', text, ['east', 'west-1', 'gce-x'])).toEqual({})
  })

  it("tells builders apart by the user variables' values where it knows them, as Packer fills them in", () => {
    const text = JSON.stringify({ builders: [{ type: 'amazon-ebs', name: 'web-{{user `zone`}}' }, { type: 'amazon-ebs', name: 'web-{{timestamp}}' }] }, null, 2)
    const variables = new Map([['zone', 'a']])
    expect(locateFailedBuild('web-a', text, undefined, { variables })).toEqual({})
    expect(locateFailedBuild('web-b', text, undefined, { variables })).toEqual({ line: 7, column: 5 })
    expect(locateFailedBuild('web-b', text)).toEqual({})
  })
})

describe('locateHclFailedBuild', () => {
  const folder = scratchFolder('failed-build-', {
    'build.pkr.hcl':
      'variable "role" {\n  default = "web"\n}\n\nsource "null" "a" {\n  communicator = "none"\n}\n\nsource "null" "b" {\n  communicator = "none"\n}\n\n' +
      'build {\n  name = var.role\n  source "null.a" {\n    name = "x"\n  }\n}\n\nbuild {\n  name = "db"\n  source "null.b" {\n    name = "x"\n  }\n}\n',
    'prod.pkrvars.hcl': 'role = "prod"\n'
  })
  const first = { file: 'build.pkr.hcl', line: 15, column: 3 }

  it("reads a build block's name with the variables' values as Packer ranks them: default, PKR_VAR_, variables files, then variables", async () => {
    const locate = (build: string, given: Parameters<typeof locateHclFailedBuild>[3]) => locateHclFailedBuild(build, folder.path, join(folder.path, 'build.pkr.hcl'), given)
    expect(await locate('web.null.x', { env: {} })).toEqual(first)
    expect(await locate('db.null.x', { env: {} })).toEqual({ file: 'build.pkr.hcl', line: 22, column: 3 })
    expect(await locate('ci.null.x', { env: { PKR_VAR_role: 'ci' } })).toEqual(first)
    expect(await locate('prod.null.x', { env: { PKR_VAR_role: 'ci' }, varFiles: ['prod.pkrvars.hcl'] })).toEqual(first)
    expect(await locate('qa.null.x', { env: { PKR_VAR_role: 'ci' }, varFiles: ['prod.pkrvars.hcl'], variables: [{ name: 'role', value: 'qa' }] })).toEqual(first)
    // Given db, the first block's builds are named as the second's: either could have made it.
    expect(await locate('db.null.x', { env: { PKR_VAR_role: 'db' } })).toEqual({})
  })
})
