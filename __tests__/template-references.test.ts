// The files a template names as inputs of its build, found as Packer reads them, and what the
// fingerprint makes of them: those in the workspace are hashed, those it cannot see are told.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { globLiteral } from '../src/common/paths.js'
import { computeFingerprint, fingerprintFiles } from '../src/inputs/fingerprint.js'
import { settingPosition } from '../src/inputs/hcl-parser.js'
import { readHclTemplate, withHclTemplate } from '../src/inputs/hcl.js'
import { readInputs, type Inputs } from '../src/inputs/index.js'
import { forgetAnnotationsMade } from '../src/report/annotation.js'
import { reportUnseenReferences } from '../src/report/references.js'
import { actionDefaults, parseCommands } from './support/action-process.js'
import { stdoutDuring } from './support/workflow-commands.js'

let workspace: string
beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'template-references-'))
  // Each case is a step of its own, with the runner's ten warnings of its own.
  forgetAnnotationsMade()
})
afterEach(() => rmSync(workspace, { recursive: true, force: true }))

function write(path: string, text = 'x\n'): void {
  mkdirSync(dirname(join(workspace, path)), { recursive: true })
  writeFileSync(join(workspace, path), text)
}

async function read(inputs: Record<string, string>): Promise<Inputs> {
  const all: Record<string, string> = { ...actionDefaults(), 'aws-region': 'us-east-1', ...inputs }
  const read = await readInputs((name) => all[name] ?? '', { GITHUB_WORKSPACE: workspace })
  return read.templateKind === 'hcl' ? withHclTemplate(read, await readHclTemplate(read, {})) : read
}

/** Paths relative to the workspace, as a user reads them. */
const shown = (paths: string[]) => paths.map((path) => (path.startsWith(`${workspace}/`) ? path.slice(workspace.length + 1) : path))
/** Each reference the fingerprint cannot see: its setting, why, and what it names. */
const unseen = (inputs: Inputs) =>
  inputs.unseenReferences.map(({ setting, why, path, written }) => ({ setting, why, ...(path ? { path } : { written }) }))

describe('a JSON template', () => {
  const template = (definition: Record<string, unknown>) =>
    write('packer/template.json', JSON.stringify({ builders: [{ type: 'amazon-ebs' }], ...definition }, null, 2))

  it('names scripts, files and playbooks relative to the directory Packer runs in, or to {{template_dir}}', async () => {
    template({
      variables: { dir: 'ansible', region: 'us-east-1' },
      builders: [{ type: 'amazon-ebs', user_data_file: '{{template_dir}}/../boot/user-data.sh' }],
      provisioners: [
        { type: 'shell', script: 'scripts/relative-to-working-directory.sh' },
        { type: 'shell', scripts: ['{{template_dir}}/../scripts/a.sh', '{{pwd}}/scripts/b.sh'] },
        // Packer splits a string given for a list at its commas.
        { type: 'powershell', Scripts: 'win/a.ps1,win/b.ps1' },
        { type: 'windows-shell', inline: ['echo inline is not a file'] },
        { type: 'file', source: 'files/motd', destination: '/etc/motd' },
        { type: 'file', sources: ['files/a', 'files/b'], destination: '/tmp/' },
        { type: 'file', source: '/var/log/cloud-init.log', destination: 'logs/', direction: 'download' },
        { type: 'file', source: 'made/during/the/build', destination: '/tmp/x', generated: true },
        { type: 'ansible', playbook_file: '{{user `dir`}}/site.yml', galaxy_file: '{{user `dir`}}/requirements.yml', roles_path: 'installed/roles' },
        {
          type: 'ansible-local',
          playbook_file: 'ansible/local.yml',
          playbook_dir: 'ansible',
          role_paths: ['ansible/roles/web'],
          group_vars: 'ansible/group_vars',
          host_vars: 'ansible/host_vars',
          inventory_file: 'ansible/hosts'
        },
        { type: 'shell', inline: ['true'], override: { 'amazon-ebs': { script: 'scripts/ebs-only.sh' } } },
        { type: 'shell-local', script: '' }
      ],
      'post-processors': [[{ type: 'manifest' }, { type: 'shell-local', script: 'scripts/after.sh' }], 'compress']
    })
    const inputs = await read({ template: 'packer/template.json' })
    expect(shown(inputs.referencedPaths)).toEqual([
      'ansible',
      'ansible/group_vars',
      'ansible/host_vars',
      'ansible/hosts',
      'ansible/local.yml',
      'ansible/requirements.yml',
      'ansible/roles/web',
      'ansible/site.yml',
      'boot/user-data.sh',
      'files/a',
      'files/b',
      'files/motd',
      'scripts/a.sh',
      'scripts/after.sh',
      'scripts/b.sh',
      'scripts/ebs-only.sh',
      'scripts/relative-to-working-directory.sh',
      'win/a.ps1',
      'win/b.ps1'
    ])
    expect(inputs.unseenReferences).toEqual([])
  })

  it('tells which it cannot see: outside the workspace, or known only to Packer', async () => {
    template({
      provisioners: [
        { type: 'shell', scripts: ['/opt/shared/setup.sh', '{{template_dir}}/../../elsewhere.sh'] },
        { type: 'shell', script: 'scripts/{{timestamp}}.sh' },
        { type: 'file', source: 'files/a', destination: '/tmp/a', direction: '{{build_type}}' },
        { type: 'shell', script: 'https://example.com/setup.sh' }
      ]
    })
    const inputs = await read({ template: 'packer/template.json' })
    expect(inputs.referencedPaths).toEqual([])
    expect(unseen(inputs)).toEqual([
      { setting: 'provisioners[0].scripts[0]', why: 'outside-workspace', path: '/opt/shared/setup.sh' },
      { setting: 'provisioners[0].scripts[1]', why: 'outside-workspace', path: join(dirname(workspace), 'elsewhere.sh') },
      { setting: 'provisioners[1].script', why: 'unknown', written: 'scripts/{{timestamp}}.sh' },
      { setting: 'provisioners[2].source', why: 'unknown', written: 'files/a' }
    ])
    expect(inputs.unseenReferences[0]).toMatchObject({ file: join(workspace, 'packer/template.json'), at: ['provisioners', 0, 'scripts', 0] })
  })

  it('names nothing when it runs no script and uploads no file', async () => {
    template({ provisioners: [{ type: 'shell', inline: ['true'] }], 'post-processors': ['manifest'] })
    const inputs = await read({ template: 'packer/template.json' })
    expect(inputs.referencedPaths).toEqual([])
    expect(inputs.unseenReferences).toEqual([])
  })
})

describe('a JSON template written to be run from its own directory', () => {
  it('has each path that is there only beside it as a problem on its value, the script on its entry of the list', async () => {
    write('packer/template.json', JSON.stringify({ builders: [{ type: 'amazon-ebs', user_data_file: 'boot.sh' }], provisioners: [{ type: 'shell-local', scripts: ['setup.sh'] }] }))
    write('packer/boot.sh')
    write('packer/setup.sh')
    const inputs = await read({ template: 'packer/template.json' })
    expect(inputs.jsonMisplacedReferenceProblems?.map(({ message, location }) => [message.split(', which')[0], location])).toEqual([
      [
        'template: packer/template.json: builders[0].user_data_file names "boot.sh"',
        { file: 'packer/template.json', value: { path: join(workspace, 'packer/template.json'), at: ['builders', 0, 'user_data_file'] } }
      ],
      [
        'template: packer/template.json: provisioners[0].scripts[0] names "setup.sh"',
        { file: 'packer/template.json', value: { path: join(workspace, 'packer/template.json'), at: ['provisioners', 0, 'scripts', 0] } }
      ]
    ])
  })

  it('has none for a path written from {{template_dir}}, which Packer reads from the template wherever it runs, even one that is not there', async () => {
    write('packer/template.json', JSON.stringify({ builders: [{ type: 'amazon-ebs' }], provisioners: [{ type: 'shell-local', script: '{{ template_dir }}/setup.sh' }] }))
    // Where the path Packer would read, named from working-directory (packer/setup.sh), is found from the template's directory.
    write('packer/packer/setup.sh')
    const inputs = await read({ template: 'packer/template.json' })
    expect(inputs.jsonMisplacedReferenceProblems).toEqual([])
  })
})

describe('a path the template names that is not there at all', () => {
  it("is a JSON template's problem on its value, named from working-directory, but not one found beside the template", async () => {
    write(
      'packer/template.json',
      JSON.stringify({
        builders: [{ type: 'amazon-ebs', communicator: 'none' }],
        provisioners: [
          { type: 'file', source: 'files/app.conf', destination: '/tmp/app.conf' },
          { type: 'shell-local', scripts: ['{{template_dir}}/a.sh', '{{template_dir}}/missing.sh', 'beside.sh'] },
          { type: 'file', source: 'made/during/the/build', destination: '/tmp/x', generated: true }
        ]
      })
    )
    write('packer/a.sh')
    write('packer/beside.sh')
    const inputs = await read({ template: 'packer/template.json' })
    // Each with the builds that read it, for the only and except inputs to choose among.
    const builds = [{ name: 'amazon-ebs', skippedBy: [] }]
    expect(inputs.jsonMissingReferenceProblems).toEqual([
      {
        builds,
        message:
          'template: packer/template.json: provisioners[0].source names "files/app.conf", which is not there (Packer reads it relative to ' +
          'working-directory, .): packer validate refuses the template for it. Add it, or name a path that is there.',
        location: { file: 'packer/template.json', value: { path: join(workspace, 'packer/template.json'), at: ['provisioners', 0, 'source'] } }
      },
      {
        builds,
        message: expect.stringMatching(/^template: packer\/template\.json: provisioners\[1\]\.scripts\[1\] names "packer\/missing\.sh" \("\{\{template_dir\}\}\/missing\.sh"\), which is not there /),
        location: { file: 'packer/template.json', value: { path: join(workspace, 'packer/template.json'), at: ['provisioners', 1, 'scripts', 1] } }
      }
    ])
    // beside.sh is told as misplaced, not again as missing.
    expect(inputs.jsonMisplacedReferenceProblems?.map(({ message }) => message.split(', which')[0])).toEqual(['template: packer/template.json: provisioners[1].scripts[2] names "beside.sh"'])
  })

  it("is an HCL2 template's problem on its entry of a list, written from path.root", async () => {
    const line = '    scripts = ["${path.root}/a.sh", "${path.root}/missing.sh"]'
    write('packer/ami.pkr.hcl', `build {\n  sources = ["source.null.n"]\n  provisioner "shell-local" {\n${line}\n  }\n}\n`)
    write('packer/a.sh')
    const template = await readHclTemplate(await read({ 'working-directory': 'packer', template: 'ami.pkr.hcl' }), {})
    expect(template.missingReferenceProblems).toEqual([
      {
        builds: [{ name: 'null.n', skippedBy: [] }],
        message:
          'template: packer/ami.pkr.hcl: provisioner "shell-local" scripts[1] names "missing.sh" ("${path.root}/missing.sh"), which is not there ' +
          '(Packer reads it relative to working-directory, packer): packer validate refuses the template for it. Add it, or name a path that is there.',
        location: { file: 'packer/ami.pkr.hcl', line: 4, column: line.indexOf('"${path.root}/missing.sh"') + 1 }
      }
    ])
  })
})

describe('a path of a provisioner or post-processor that runs in no build', () => {
  it("is not a JSON template's missing or misplaced path: its own only/except leave every build out, and Packer does not read it", async () => {
    write(
      'packer/template.json',
      JSON.stringify({
        builders: [{ type: 'amazon-ebs', communicator: 'none' }, { type: 'amazon-ebs', name: 'web', communicator: 'none' }],
        provisioners: [
          { type: 'shell-local', script: 'nowhere.sh', except: ['amazon-ebs', 'web'] },
          { type: 'shell-local', script: 'beside.sh', only: ['db'] },
          { type: 'shell-local', script: 'web-only.sh', only: ['web'] }
        ],
        'post-processors': [{ type: 'shell-local', script: 'after.sh', except: ['amazon-ebs', 'web'] }]
      })
    )
    write('packer/beside.sh')
    const inputs = await read({ template: 'packer/template.json' })
    expect(inputs.jsonMissingReferenceProblems?.map(({ message }) => message.split(', which')[0])).toEqual(['template: packer/template.json: provisioners[2].script names "web-only.sh"'])
    expect(inputs.jsonMisplacedReferenceProblems).toEqual([])
  })

  it("is not an HCL2 template's: as Packer names the builds there (TYPE.NAME, renamed by the build block's source block)", async () => {
    const sources = 'source "null" "a" {\n  communicator = "none"\n}\nsource "null" "b" {\n  communicator = "none"\n}\n'
    const build =
      'build {\n  sources = ["source.null.a"]\n  source "source.null.b" {\n    name = "c"\n  }\n' +
      '  provisioner "shell-local" {\n    except = ["null.a", "null.c"]\n    script = "nowhere.sh"\n  }\n' +
      '  provisioner "shell-local" {\n    only = ["null.b"]\n    script = "beside.sh"\n  }\n' +
      '  provisioner "shell-local" {\n    only = ["null.c"]\n    script = "c-only.sh"\n  }\n' +
      '  post-processor "shell-local" {\n    only = ["null.b"]\n    script = "after.sh"\n  }\n}\n'
    write('packer/ami.pkr.hcl', sources + build)
    write('packer/beside.sh')
    const template = await readHclTemplate(await read({ template: 'packer/ami.pkr.hcl' }), {})
    expect(template.missingReferenceProblems.map(({ message }) => message.split(', which')[0])).toEqual(['template: packer/ami.pkr.hcl: provisioner "shell-local" script names "c-only.sh"'])
    expect(template.misplacedReferenceProblems).toEqual([])
  })
})

describe('the builds that read a path that is not there', () => {
  it("are a JSON template's builds its block runs in, by its own only/except, and for a post-processor what except skips it by", async () => {
    write(
      'packer/template.json',
      JSON.stringify({
        builders: [{ type: 'amazon-ebs', communicator: 'none' }, { type: 'amazon-ebs', name: 'web', communicator: 'none', user_data_file: 'web.txt' }],
        provisioners: [
          { type: 'shell-local', script: 'web-only.sh', only: ['web'] },
          { type: 'shell-local', script: 'both.sh', override: { web: { script: 'web-override.sh' } } }
        ],
        'post-processors': [[{ type: 'manifest' }, { type: 'shell-local', name: 'after', script: 'after.sh' }]]
      })
    )
    const inputs = await read({ template: 'packer/template.json' })
    expect(inputs.jsonMissingReferenceProblems?.map(({ message, builds }) => [message.split(' names ')[0], builds])).toEqual([
      ['template: packer/template.json: builders[1].user_data_file', [{ name: 'web', skippedBy: [] }]],
      ['template: packer/template.json: provisioners[0].script', [{ name: 'web', skippedBy: [] }]],
      ['template: packer/template.json: provisioners[1].script', [{ name: 'amazon-ebs', skippedBy: [] }, { name: 'web', skippedBy: [] }]],
      ['template: packer/template.json: provisioners[1].override.web.script', [{ name: 'web', skippedBy: [] }]],
      [
        'template: packer/template.json: post-processors[0][1].script',
        [
          { name: 'amazon-ebs', skippedBy: ['manifest', 'after'] },
          { name: 'web', skippedBy: ['manifest', 'after'] }
        ]
      ]
    ])
    const { missingFilesRead } = await import('../src/inputs/build-variables.js')
    const read_ = (only: string[], except: string[]): string[] =>
      missingFilesRead(inputs.jsonMissingReferenceProblems ?? [], { only, except }).map(({ message }) => /names "([^"]+)"/.exec(message)?.[1] ?? '')
    expect(read_([], [])).toEqual(['web.txt', 'web-only.sh', 'both.sh', 'web-override.sh', 'after.sh'])
    expect(read_(['amazon-ebs'], [])).toEqual(['both.sh', 'after.sh'])
    expect(read_([], ['web', 'manifest'])).toEqual(['both.sh'])
  })

  it("are an HCL2 template's as -only names them, a source's too; none known for a build only Packer names, which only or except leave to Packer", async () => {
    const sources = 'source "null" "a" {\n  user_data_file = "a.txt"\n}\n'
    const build =
      'build {\n  name    = "${var.n}"\n  sources = ["source.null.a"]\n}\n' +
      'build {\n  sources = ["source.null.a"]\n  source "source.null.a" {\n    name = "b"\n  }\n' +
      '  provisioner "shell-local" {\n    except = ["null.a"]\n    script = "b-only.sh"\n  }\n}\n'
    write('packer/ami.pkr.hcl', sources + build + 'variable "n" {\n  default = "x"\n}\n')
    const template = await readHclTemplate(await read({ template: 'packer/ami.pkr.hcl' }), {})
    expect(template.missingReferenceProblems.map(({ message, builds }) => [message.split(' names ')[0], builds])).toEqual([
      // Build null.b is source a renamed: it reads a's user_data_file too.
      ['template: packer/ami.pkr.hcl: source "null" "a" user_data_file', [{ skippedBy: [] }, { name: 'null.a', skippedBy: [] }, { name: 'null.b', skippedBy: [] }]],
      ['template: packer/ami.pkr.hcl: provisioner "shell-local" script', [{ name: 'null.b', skippedBy: [] }]]
    ])
    const { missingFilesRead } = await import('../src/inputs/build-variables.js')
    const named = (only: string[], except: string[]): string[] =>
      missingFilesRead(template.missingReferenceProblems, { only, except }).map(({ message }) => /names "([^"]+)"/.exec(message)?.[1] ?? '')
    expect(named(['null.b'], [])).toEqual(['a.txt', 'b-only.sh'])
    expect(named(['null.a'], [])).toEqual(['a.txt'])
    // The build named by a variable may still read a.txt: Packer says.
    expect(named([], ['null.a', 'null.b'])).toEqual([])
  })
})

describe('an HCL2 template', () => {
  it('names them with path.root, path.cwd, variables and locals, in every file of a template directory', async () => {
    write(
      'packer/ami.pkr.hcl',
      `variable "scripts" {
  type    = list(string)
  default = ["scripts/one.sh", "scripts/two.sh"]
}
variable "playbooks" {
  type = string
}
locals {
  files = "\${path.root}/../files"
}
source "amazon-ebs" "web" {
  user_data_file = "\${path.root}/../boot/user-data.sh"
}
build {
  sources = ["source.amazon-ebs.web"]
  source "amazon-ebs.web" {
    user_data_file = "\${path.cwd}/boot/web.sh"
  }
  provisioner "shell" {
    scripts = var.scripts
  }
  provisioner "file" {
    source      = "\${local.files}/motd"
    destination = "/etc/motd"
  }
  provisioner "file" {
    source      = "/var/log/cloud-init.log"
    destination = "logs/"
    direction   = "download"
  }
  provisioner "ansible" {
    playbook_file = "\${var.playbooks}/site.yml"
  }
  provisioner "shell" {
    inline = ["true"]
    override = {
      "amazon-ebs.web" = { script = "scripts/web-only.sh" }
    }
  }
  post-processors {
    post-processor "manifest" {}
    post-processor "shell-local" {
      scripts = ["\${path.root}/after.sh", "/opt/outside.sh", "\${build.ID}.sh"]
    }
  }
}
`
    )
    write('packer/more.pkr.hcl', 'build {\n  provisioner "shell-local" {\n    script = "${path.root}/../scripts/local.sh"\n  }\n}\n')
    write('packer/prod.pkrvars.hcl', 'playbooks = "ansible"\n')
    const inputs = await read({ template: 'packer', 'var-file': 'packer/prod.pkrvars.hcl' })
    expect(shown(inputs.referencedPaths)).toEqual([
      'ansible/site.yml',
      'boot/user-data.sh',
      'boot/web.sh',
      'files/motd',
      'packer/after.sh',
      'scripts/local.sh',
      'scripts/one.sh',
      'scripts/two.sh',
      'scripts/web-only.sh'
    ])
    expect(unseen(inputs)).toEqual([
      { setting: 'post-processor "shell-local" scripts[1]', why: 'outside-workspace', path: '/opt/outside.sh' },
      { setting: 'post-processor "shell-local" scripts[2]', why: 'unknown', written: '${build.ID}.sh' }
    ])
    expect(inputs.unseenReferences[1]).toMatchObject({
      file: join(workspace, 'packer/ami.pkr.hcl'),
      at: ['build', 0, 'post-processors', 0, 'post-processor', 'shell-local', 0, 'scripts', 2]
    })
  })

  it('places a setting on its line, inside the blocks that hold it', async () => {
    const source = `build {
  provisioner "shell" {
    inline = ["true"]
  }
  provisioner "shell" {
    # the second
      scripts = ["a.sh", "b.sh"]
  }
}
`
    expect(await settingPosition('a.pkr.hcl', source, ['build', 0, 'provisioner', 'shell', 1, 'scripts'])).toEqual({ line: 7, column: 7 })
    expect(await settingPosition('a.pkr.hcl', source, ['build', 0, 'provisioner', 'shell', 2, 'scripts'])).toBeUndefined()
  })

  it("places an entry of a list written as such on the entry, as Packer places its own error about one; else on the setting", async () => {
    const source = `build {
  provisioner "shell" {
    scripts = [
      "a.sh",
      "\${path.root}/b.sh", "c.sh",
    ]
  }
  provisioner "shell" {
    scripts = concat(["a.sh"], var.more)
  }
}
`
    const place = (at: Array<string | number>) => settingPosition('a.pkr.hcl', source, ['build', 0, 'provisioner', 'shell', ...at])
    expect(await place([0, 'scripts', 0])).toEqual({ line: 4, column: 7 })
    expect(await place([0, 'scripts', 1])).toEqual({ line: 5, column: 7 })
    expect(await place([0, 'scripts', 2])).toEqual({ line: 5, column: 28 })
    expect(await place([0, 'scripts', 3])).toEqual({ line: 3, column: 5 })
    expect(await place([1, 'scripts', 0])).toEqual({ line: 9, column: 5 })
  })
})

describe('the warning about a reference reuse cannot see', () => {
  /** The workflow commands written while `during` runs, kept rather than printed. */
  async function warningsWritten(during: () => Promise<unknown>): Promise<ReturnType<typeof parseCommands>> {
    return parseCommands(await stdoutDuring(during), 'warning')
  }

  it("is on the line of an HCL2 file's setting, naming it and what was written", async () => {
    write('packer/ami.pkr.hcl', 'source "amazon-ebs" "web" {}\nbuild {\n  sources = ["source.amazon-ebs.web"]\n  provisioner "shell" {\n    script = "${build.ID}.sh"\n  }\n}\n')
    const inputs = await read({ template: 'packer/ami.pkr.hcl' })
    const warnings = await warningsWritten(() => reportUnseenReferences(inputs))
    expect(warnings).toEqual([
      {
        message:
          'provisioner "shell" script is "${build.ID}.sh", a path the action cannot work out before Packer runs: reuse does not ' +
          'see changes to it, so a changed file would reuse AMIs built from the old one. List the files it names in fingerprint-paths.',
        properties: { title: 'Not fingerprinted', file: 'packer/ami.pkr.hcl', line: '5', col: '5' }
      }
    ])
  })
})

describe("the warning about a reference reuse cannot see, in an HCL2 template's JSON syntax", () => {
  const warningsOf = async (template: string) => {
    const inputs = await read({ template })
    return parseCommands(await stdoutDuring(() => reportUnseenReferences(inputs)), 'warning').map(({ message, properties }) => ({
      setting: message.slice(0, message.indexOf(' is "')),
      ...properties
    }))
  }
  const warning = (setting: string, line: number, col: number) => ({
    setting,
    title: 'Not fingerprinted',
    file: 'packer/ami.pkr.json',
    line: String(line),
    col: String(col)
  })

  it('is on the line of a setting in a block of a top-level array, and of every block of a name given twice', async () => {
    write(
      'packer/ami.pkr.json',
      `[
  { "source": { "amazon-ebs": { "web": { "user_data_file": "\${build.ID}.txt" } } } },
  {
    "build": {
      "sources": ["source.amazon-ebs.web"],
      "provisioner": { "shell": { "script": "\${build.ID}-a.sh" } },
      "provisioner": [
        { "shell": [{ "inline": ["true"] }, { "scripts": ["setup.sh", "\${build.ID}-b.sh"] }] },
        { "file": { "source": "\${build.ID}.conf", "destination": "/tmp/c" } }
      ]
    }
  },
  { "build": { "provisioner": { "shell": { "script": "\${build.ID}-c.sh" } } } },
  { "build": [{}, { "post-processors": [{ "post-processor": { "shell-local": { "script": "\${build.ID}-d.sh" } } }] }] }
]
`
    )
    expect(await warningsOf('packer/ami.pkr.json')).toEqual([
      warning('source "amazon-ebs" "web" user_data_file', 2, 42),
      warning('provisioner "shell" script', 6, 35),
      warning('provisioner "shell" scripts[1]', 8, 71),
      warning('provisioner "file" source', 9, 21),
      warning('provisioner "shell" script', 13, 44),
      warning('post-processor "shell-local" script', 14, 80)
    ])
  })

  it('is on the line of each of the same blocks given twice, not twice on the first', async () => {
    write(
      'packer/ami.pkr.json',
      `{
  "build": { "provisioner": { "shell": { "script": "\${build.ID}-a.sh" } } },
  "build": { "provisioner": { "shell": { "script": "\${build.ID}-b.sh" } } }
}
`
    )
    expect(await warningsOf('packer/ami.pkr.json')).toEqual([
      warning('provisioner "shell" script', 2, 42),
      warning('provisioner "shell" script', 3, 42)
    ])
  })

  it('leaves no script of a block given twice out of the fingerprint', async () => {
    write(
      'packer/ami.pkr.json',
      JSON.stringify({ build: { provisioner: { shell: { script: '${path.root}/../scripts/a.sh' } } } }).replace(
        /}$/,
        ', "build": { "provisioner": { "shell": { "script": "${path.root}/../scripts/b.sh" } } } }'
      )
    )
    write('scripts/a.sh')
    write('scripts/b.sh')
    const inputs = await read({ template: 'packer/ami.pkr.json' })
    expect(shown(inputs.referencedPaths)).toEqual(['scripts/a.sh', 'scripts/b.sh'])
    const before = (await computeFingerprint(inputs, '1.6.6')).fingerprint
    write('scripts/a.sh', 'changed\n')
    expect((await computeFingerprint(inputs, '1.6.6')).fingerprint).not.toBe(before)
  })
})

describe('the fingerprint', () => {
  const relativeTo = (files: string[]) => files.map((file) => file.slice(workspace.length + 1))

  beforeEach(() => {
    write(
      'packer/template.json',
      JSON.stringify({
        builders: [{ type: 'amazon-ebs' }],
        provisioners: [
          { type: 'shell', scripts: ['{{template_dir}}/../scripts/setup.sh', '{{template_dir}}/local.sh'] },
          { type: 'ansible-local', playbook_file: 'ansible/site.yml', playbook_dir: '{{template_dir}}/../ansible' },
          { type: 'file', source: '{{template_dir}}/../files[1]/a', destination: '/tmp/a' }
        ]
      })
    )
    write('packer/local.sh')
    write('scripts/setup.sh')
    write('scripts/unused.sh')
    write('ansible/site.yml')
    write('ansible/roles/web/tasks/main.yml')
    write('ansible/README.md')
    write('ansible/.git/HEAD')
    write('files[1]/a')
    write('files1/a')
  })

  it('covers each file and directory the template names in the workspace, and says which it added', async () => {
    const inputs = await read({ template: 'packer/template.json', 'working-directory': '.' })
    expect(relativeTo(await fingerprintFiles(inputs))).toEqual([
      'ansible/README.md',
      'ansible/roles/web/tasks/main.yml',
      'ansible/site.yml',
      'files[1]/a',
      'packer/local.sh',
      'packer/template.json',
      'scripts/setup.sh'
    ])
    const fingerprint = await computeFingerprint(inputs, '1.6.6')
    // packer/local.sh is under the template's directory, ansible/site.yml under ansible: no addition.
    expect(relativeTo(fingerprint.referenced)).toEqual(['ansible', 'files[1]/a', 'scripts/setup.sh'])

    write('scripts/setup.sh', 'x!\n')
    expect((await computeFingerprint(inputs, '1.6.6')).fingerprint).not.toBe(fingerprint.fingerprint)
    write('scripts/unused.sh', 'changed, and named by nothing\n')
    write('files1/a', 'changed, and named by nothing\n')
    const unchanged = await computeFingerprint(inputs, '1.6.6')
    write('scripts/unused.sh', 'changed again\n')
    expect((await computeFingerprint(inputs, '1.6.6')).fingerprint).toBe(unchanged.fingerprint)
  })

  it("leaves out what fingerprint-paths' ! patterns exclude", async () => {
    const inputs = await read({ template: 'packer/template.json', 'fingerprint-paths': 'packer/**\n!ansible/README.md\n!scripts/**' })
    expect(relativeTo(await fingerprintFiles(inputs))).toEqual([
      'ansible/roles/web/tasks/main.yml',
      'ansible/site.yml',
      'files[1]/a',
      'packer/local.sh',
      'packer/template.json'
    ])
  })

  it('reads none of them to check the inputs, and warns of none of them there', async () => {
    rmSync(join(workspace, 'scripts'), { recursive: true })
    const inputs = await read({ template: 'packer/template.json' })
    expect(shown(inputs.referencedPaths)).toContain('scripts/setup.sh')
    // A path that is not there is Packer's to refuse: the fingerprint leaves it out.
    expect(relativeTo(await fingerprintFiles(inputs))).not.toContain('scripts/setup.sh')
  })
})

describe('the fingerprint of a template in a folder whose name the glob library would read as a glob', () => {
  const relativeTo = (files: string[]) => files.map((file) => file.slice(workspace.length + 1))
  const fingerprintOf = async (inputs: Inputs) => (await computeFingerprint(inputs, '1.6.6')).fingerprint

  // Each folder, and a neighbour whose name the folder's would match as a glob.
  it.each([
    ['packer[1]', 'packer1'],
    ['packer*', 'packer-old'],
    ['pack?r', 'packer'],
    ['[prod]', 'p'],
    ['a\\b', 'ab'],
    ['packer ', 'packer']
  ])('covers every file of %j by default, and none of %j', async (folder, neighbour) => {
    write(`${folder}/template.json`, JSON.stringify({ builders: [{ type: 'amazon-ebs' }] }))
    write(`${folder}/scripts/setup.sh`)
    write(`${neighbour}/other.sh`)
    const inputs = await read({ template: `${folder}/template.json` })
    expect(relativeTo(await fingerprintFiles(inputs))).toEqual([`${folder}/scripts/setup.sh`, `${folder}/template.json`])

    const before = await fingerprintOf(inputs)
    write(`${neighbour}/other.sh`, 'changed, and outside the template folder\n')
    expect(await fingerprintOf(inputs)).toBe(before)
    write(`${folder}/scripts/setup.sh`, 'changed\n')
    expect(await fingerprintOf(inputs)).not.toBe(before)
  })

  it('covers a script the template names with white space at the end of its name, as Packer reads it', async () => {
    const script = '{{template_dir}}/../scripts/setup.sh '
    write('packer/template.json', JSON.stringify({ builders: [{ type: 'amazon-ebs' }], provisioners: [{ type: 'shell', script }] }))
    write('scripts/setup.sh ')
    write('scripts/setup.sh')
    const inputs = await read({ template: 'packer/template.json' })
    expect(unseen(inputs)).toEqual([])
    expect(relativeTo(await fingerprintFiles(inputs))).toEqual(['packer/template.json', 'scripts/setup.sh '])
  })

  it('reads fingerprint-paths relative to a working-directory whose name is a glob, as that folder', async () => {
    write('build[1]/template.json', JSON.stringify({ builders: [{ type: 'amazon-ebs' }] }))
    write('build[1]/scripts/setup.sh')
    write('build1/scripts/other.sh')
    const inputs = await read({ template: 'template.json', 'working-directory': 'build[1]', 'fingerprint-paths': 'scripts/**' })
    expect(relativeTo(await fingerprintFiles(inputs))).toEqual(['build[1]/scripts/setup.sh', 'build[1]/template.json'])
  })
})

describe('a path as a pattern of the glob library, on each runner OS', () => {
  // The library reads `\` as an escape on Linux and macOS, and as the separator on Windows.
  it('escapes a backslash on Linux and macOS, where it is part of a name', () => {
    expect(globLiteral('/home/runner/work/a\\b/packer[1]', 'linux')).toBe('/home/runner/work/a\\\\b/packer[[]1]')
    expect(globLiteral('/Users/runner/work/pack?r', 'darwin')).toBe('/Users/runner/work/pack[?]r')
  })

  it('keeps the separators of a Windows path, and escapes the rest', () => {
    expect(globLiteral('D:\\a\\repo\\packer[1]\\*', 'win32')).toBe('D:\\a\\repo\\packer[[]1]\\[*]')
  })
})
