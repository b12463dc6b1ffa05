// A file a template names that is not there, through the bundled action with the real Packer
// and the loopback EC2 endpoint: Packer's refusal in validate is on the value that names it,
// entry of a list included, however it is written (`${path.root}/…`, `${var.dir}/…`, `{{template_dir}}/…`); and
// where the job refuses the template before Packer runs for something else (a provisioner that
// needs a communicator, in a build with communicator "none"), the file is named with it, each on
// its line, so that a fix of the one does not end in a failure on the other; so too where the
// inputs are refused, as far as the files and builds are known for sure.
import { expect, it } from '@jest/globals'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { asTheRunnerShowsIt } from './support/action-process.js'
import { demoRuns, demoTemplates, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

/** Where `text` is in the file: its line and column, as the annotation gives them. */
function placeIn(file: string, text: string): { line: string; col: string } {
  const lines = readFileSync(file, 'utf8').split('\n')
  const found = lines.findIndex((line) => line.includes(text))
  return { line: String(found + 1), col: String(lines[found].indexOf(text) + 1) }
}

describeWithPacker('a file the template names that is not there, through the bundled action', () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const { demoWith, run } = demoRuns(suite)

  /** The demo's HCL2 template with `block` (lines of HCL) added to its build block. */
  const hclWith = (block: string) => (text: string): string => text.replace('  post-processor "manifest" {}', `${block}\n  post-processor "manifest" {}`)

  /** The demo's JSON template with `provisioners`. */
  const jsonWith = (provisioners: unknown[]) => (text: string): string => JSON.stringify({ ...JSON.parse(text), provisioners }, null, 2)

  /** scripts/a.sh in the workspace: the first entry of the lists, which is there. */
  function withScript(workspace: string): string {
    mkdirSync(join(workspace, 'scripts'))
    writeFileSync(join(workspace, 'scripts', 'a.sh'), 'true\n')
    return workspace
  }

  /**
   * Runs `workspace` with its file provisioner's source, files/app.conf, there: the job is refused
   * for the communicator alone, naming no file.
   */
  async function refusedForTheCommunicatorAlone(workspace: string, kind: 'hcl2' | 'json'): Promise<void> {
    mkdirSync(join(workspace, 'files'))
    writeFileSync(join(workspace, 'files', 'app.conf'), 'x = 1\n')
    const result = await run(workspace, kind)
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message.split(' (')[0])).toEqual([
      'provisioner "file" runs on the instance through a communicator, and its build connects none',
      'Packer would start the build for provisioners or post-processors that cannot work on a runner'
    ])
  }

  it('HCL2: a scripts entry written from ${path.root} that is not there: Packer\'s error on that entry, not on the provisioner', async () => {
    const provisioner = '  provisioner "shell-local" {\n    scripts = ["${path.root}/scripts/a.sh", "${path.root}/scripts/missing.sh"]\n  }\n'
    const workspace = withScript(demoWith(hclWith(provisioner), 'hcl2'))
    const result = await run(workspace, 'hcl2')
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message: expect.stringMatching(/^Bad script '\.\/scripts\/missing\.sh': stat \.\/scripts\/missing\.sh: no such file or\s+directory$/),
        properties: { title: 'Packer', file: demoTemplates.hcl2, ...placeIn(join(workspace, demoTemplates.hcl2), '"${path.root}/scripts/missing.sh"') }
      },
      { message: 'packer validate found problems in ami.pkr.hcl (see the errors above); nothing was built.', properties: {} }
    ])
    expect(suite.calls).toEqual([])
  })

  it('JSON: a scripts entry written from {{template_dir}} that is not there: on that entry too', async () => {
    const workspace = withScript(demoWith(jsonWith([{ type: 'shell-local', scripts: ['{{template_dir}}/scripts/a.sh', '{{template_dir}}/scripts/missing.sh'] }]), 'json'))
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^Build "amazon-ebs": Bad script\s+'[^']*\/scripts\/missing\.sh':/),
      properties: { title: 'Packer', file: demoTemplates.json, ...placeIn(join(workspace, demoTemplates.json), '"{{template_dir}}/scripts/missing.sh"') }
    })
    expect(suite.calls).toEqual([])
  })

  it('HCL2: a file provisioner whose source is not there, in a build with communicator "none": both refused at once, each on its line', async () => {
    const provisioner = '  provisioner "file" {\n    source      = "files/app.conf"\n    destination = "/tmp/app.conf"\n  }\n'
    const workspace = demoWith(hclWith(provisioner), 'hcl2')
    const result = await run(workspace, 'hcl2')
    const template = join(workspace, demoTemplates.hcl2)
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message: expect.stringMatching(/^provisioner "file" runs on the instance through a communicator, and its build connects none \(amazon-ebs\.demo has communicator = "none"\)/),
        properties: { title: 'Invalid input', file: demoTemplates.hcl2, ...placeIn(template, 'provisioner "file"') }
      },
      {
        message:
          'template: ami.pkr.hcl: provisioner "file" source names "files/app.conf", which is not there (Packer reads it relative to ' +
          'working-directory, .): packer validate refuses the template for it. Add it, or name a path that is there.',
        properties: { title: 'Invalid input', file: demoTemplates.hcl2, ...placeIn(template, 'source      =') }
      },
      {
        message:
          'Packer would start the build for provisioners or post-processors that cannot work on a runner, and the template names ' +
          'files that are not there (see the errors above); nothing was built.',
        properties: {}
      }
    ])
    expect(suite.calls).toEqual([])
  })

  it('JSON: the same with "communicator": "none": both refused at once, each on its line', async () => {
    const workspace = demoWith(jsonWith([{ type: 'file', source: 'files/app.conf', destination: '/tmp/app.conf' }]), 'json')
    const result = await run(workspace, 'json')
    const template = join(workspace, demoTemplates.json)
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message: expect.stringMatching(/^provisioner "file" runs on the instance through a communicator, and its build connects none \(amazon-ebs has "communicator": "none"\)/),
        properties: { title: 'Invalid input', file: demoTemplates.json, ...placeIn(template, '"type": "file"') }
      },
      {
        message: expect.stringMatching(/^template: packer-template\.json: provisioners\[0\]\.source names "files\/app\.conf", which is not there /),
        properties: { title: 'Invalid input', file: demoTemplates.json, ...placeIn(template, '"source"') }
      },
      expect.objectContaining({ message: expect.stringContaining(', and the template names files that are not there (see the errors above)') })
    ])
    expect(suite.calls).toEqual([])
  })

  it('the provisioner alone, its source there: refused for the communicator only, as before', async () => {
    const provisioner = '  provisioner "file" {\n    source      = "files/app.conf"\n    destination = "/tmp/app.conf"\n  }\n'
    const workspace = demoWith(hclWith(provisioner), 'hcl2')
    await refusedForTheCommunicatorAlone(workspace, 'hcl2')
  })

  /** The demo's HCL2 template with `variables` (lines of HCL) declared and `block` added to its build block. */
  const hclDeclaring = (variables: string, block: string) => (text: string): string => `${hclWith(block)(text)}\n${variables}`

  it('HCL2: a scripts entry built from a variable the input variables set, not there: Packer\'s error on that entry', async () => {
    const variable = 'variable "scripts_dir" {\n  type    = string\n  default = "elsewhere"\n}\n'
    const provisioner = '  provisioner "shell-local" {\n    scripts = ["${var.scripts_dir}/a.sh", "${var.scripts_dir}/missing.sh"]\n  }\n'
    const workspace = withScript(demoWith(hclDeclaring(variable, provisioner), 'hcl2'))
    const result = await run(workspace, 'hcl2', { variables: 'scripts_dir=scripts' })
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message: expect.stringMatching(/^Bad script 'scripts\/missing\.sh': stat scripts\/missing\.sh: no such file or\s+directory$/),
        properties: { title: 'Packer', file: demoTemplates.hcl2, ...placeIn(join(workspace, demoTemplates.hcl2), '"${var.scripts_dir}/missing.sh"') }
      },
      { message: 'packer validate found problems in ami.pkr.hcl (see the errors above); nothing was built.', properties: {} }
    ])
    expect(suite.calls).toEqual([])
  })

  it('HCL2: the same with the value from PKR_VAR_ and a variables file: on the entry of each', async () => {
    const variable = 'variable "scripts_dir" {\n  type    = string\n  default = "elsewhere"\n}\nvariable "files_dir" {\n  type = string\n}\n'
    const provisioners =
      '  provisioner "shell-local" {\n    scripts = ["${var.scripts_dir}/a.sh", "${var.scripts_dir}/missing.sh"]\n  }\n' +
      '  provisioner "shell-local" {\n    script = "${var.files_dir}/gone.sh"\n  }\n'
    const workspace = withScript(demoWith(hclDeclaring(variable, provisioners), 'hcl2'))
    writeFileSync(join(workspace, 'loopback.pkrvars.hcl'), `${readFileSync(join(workspace, 'loopback.pkrvars.hcl'), 'utf8')}files_dir = "files"\n`)
    const result = await suite.run(workspace, { template: demoTemplates.hcl2, 'var-file': 'loopback.pkrvars.hcl' }, { PKR_VAR_scripts_dir: 'scripts' })
    const template = join(workspace, demoTemplates.hcl2)
    expect(result.exitCode).toBe(1)
    expect(result.errors.slice(0, 2)).toEqual([
      { message: expect.stringMatching(/^Bad script 'scripts\/missing\.sh'/), properties: { title: 'Packer', file: demoTemplates.hcl2, ...placeIn(template, '"${var.scripts_dir}/missing.sh"') } },
      { message: expect.stringMatching(/^Bad script 'files\/gone\.sh'/), properties: { title: 'Packer', file: demoTemplates.hcl2, ...placeIn(template, '"${var.files_dir}/gone.sh"') } }
    ])
  })

  it('HCL2: a script built from a sensitive variable, not there: on the setting, its value *** in the log', async () => {
    const variable = 'variable "private_dir" {\n  type      = string\n  default   = "private-5ec7e7ed"\n  sensitive = true\n}\n'
    const provisioner = '  provisioner "shell-local" {\n    script = "${var.private_dir}/setup.sh"\n  }\n'
    const workspace = demoWith(hclDeclaring(variable, provisioner), 'hcl2')
    const result = await run(workspace, 'hcl2')
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^Bad script '[^']*\/setup\.sh': /),
      properties: { title: 'Packer', file: demoTemplates.hcl2, ...placeIn(join(workspace, demoTemplates.hcl2), '"${var.private_dir}/setup.sh"') }
    })
    const { log } = asTheRunnerShowsIt(result)
    expect(log).toContain("Bad script '***/setup.sh'")
    expect(log).not.toContain('5ec7e7ed')
  })

  it('HCL2: a provisioner whose own except leaves out every build: its missing script is not named with the refusal, as Packer never reads it', async () => {
    const provisioners =
      '  provisioner "file" {\n    source      = "files/app.conf"\n    destination = "/tmp/app.conf"\n  }\n' +
      '  provisioner "shell-local" {\n    except = ["amazon-ebs.demo"]\n    script = "scripts/elsewhere.sh"\n  }\n'
    const workspace = demoWith(hclWith(provisioners), 'hcl2')
    await refusedForTheCommunicatorAlone(workspace, 'hcl2')
    expect(suite.calls).toEqual([])
  })

  it('JSON: a provisioner whose own except leaves out every build: its missing script is not named either', async () => {
    const workspace = demoWith(
      jsonWith([
        { type: 'file', source: 'files/app.conf', destination: '/tmp/app.conf' },
        { type: 'shell-local', script: 'scripts/elsewhere.sh', except: ['amazon-ebs'] }
      ]),
      'json'
    )
    await refusedForTheCommunicatorAlone(workspace, 'json')
    expect(suite.calls).toEqual([])
  })

  it('HCL2: a script that is a variable alone, and a scripts list that is one, not there: Packer\'s errors on the variable each is', async () => {
    const variables =
      'variable "setup" {\n  type    = string\n  default = "scripts/a.sh"\n}\n' +
      'variable "steps" {\n  type    = list(string)\n  default = ["scripts/a.sh", "scripts/missing.sh"]\n}\n'
    const provisioners = '  provisioner "shell-local" {\n    script = var.setup\n  }\n' + '  provisioner "shell-local" {\n    scripts = var.steps\n  }\n'
    const workspace = withScript(demoWith(hclDeclaring(variables, provisioners), 'hcl2'))
    const result = await run(workspace, 'hcl2', { variables: 'setup=scripts/gone.sh' })
    const template = join(workspace, demoTemplates.hcl2)
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      { message: expect.stringMatching(/^Bad script 'scripts\/gone\.sh'/), properties: { title: 'Packer', file: demoTemplates.hcl2, ...placeIn(template, 'var.setup') } },
      { message: expect.stringMatching(/^Bad script 'scripts\/missing\.sh'/), properties: { title: 'Packer', file: demoTemplates.hcl2, ...placeIn(template, 'var.steps') } },
      { message: 'packer validate found problems in ami.pkr.hcl (see the errors above); nothing was built.', properties: {} }
    ])
    expect(suite.calls).toEqual([])
  })

  it('HCL2: paths built from locals made of a variable, a list local among them: on the entry of each', async () => {
    const variables =
      'variable "scripts_dir" {\n  type    = string\n  default = "elsewhere"\n}\n' +
      'locals {\n  dir   = var.scripts_dir\n  steps = ["${var.scripts_dir}/a.sh", "${local.dir}/later.sh"]\n}\n'
    const provisioners =
      '  provisioner "shell-local" {\n    script = "${local.dir}/first.sh"\n  }\n' +
      '  provisioner "shell-local" {\n    scripts = local.steps\n  }\n' +
      '  provisioner "shell-local" {\n    scripts = ["${local.dir}/a.sh", "${local.dir}/last.sh"]\n  }\n'
    const workspace = withScript(demoWith(hclDeclaring(variables, provisioners), 'hcl2'))
    const result = await run(workspace, 'hcl2', { variables: 'scripts_dir=scripts' })
    const template = join(workspace, demoTemplates.hcl2)
    expect(result.exitCode).toBe(1)
    expect(result.errors.slice(0, 3)).toEqual([
      { message: expect.stringMatching(/^Bad script 'scripts\/first\.sh'/), properties: { title: 'Packer', file: demoTemplates.hcl2, ...placeIn(template, '"${local.dir}/first.sh"') } },
      { message: expect.stringMatching(/^Bad script 'scripts\/later\.sh'/), properties: { title: 'Packer', file: demoTemplates.hcl2, ...placeIn(template, 'local.steps') } },
      { message: expect.stringMatching(/^Bad script 'scripts\/last\.sh'/), properties: { title: 'Packer', file: demoTemplates.hcl2, ...placeIn(template, '"${local.dir}/last.sh"') } }
    ])
    expect(suite.calls).toEqual([])
  })

  it('HCL2: a script built from a local made of a sensitive variable, not there: on the setting, its value *** in the log', async () => {
    const variables =
      'variable "private_dir" {\n  type      = string\n  default   = "private-5ec7e7ed"\n  sensitive = true\n}\n' +
      'locals {\n  private = "${var.private_dir}/inner"\n}\n'
    const provisioner = '  provisioner "shell-local" {\n    script = "${local.private}/setup.sh"\n  }\n'
    const workspace = demoWith(hclDeclaring(variables, provisioner), 'hcl2')
    const result = await run(workspace, 'hcl2')
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^Bad script '[^']*\/inner\/setup\.sh': /),
      properties: { title: 'Packer', file: demoTemplates.hcl2, ...placeIn(join(workspace, demoTemplates.hcl2), '"${local.private}/setup.sh"') }
    })
    const { log } = asTheRunnerShowsIt(result)
    expect(log).toContain("Bad script '***/inner/setup.sh'")
    expect(log).not.toContain('5ec7e7ed')
  })

  it('HCL2: a script that is an entry of an object local, in a conditional, not there: Packer\'s error on that entry in the locals, not on the provisioner', async () => {
    const variables =
      'variable "os" {\n  type    = string\n  default = "linux"\n}\n' +
      'locals {\n  scripts = {\n    linux = "scripts/setup-linux.sh"\n    win   = "scripts/setup.ps1"\n  }\n}\n'
    const provisioner = '  provisioner "shell-local" {\n    script = var.os == "linux" ? local.scripts.linux : local.scripts.win\n  }\n'
    const workspace = demoWith(hclDeclaring(variables, provisioner), 'hcl2')
    const result = await run(workspace, 'hcl2')
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message: expect.stringMatching(/^Bad script 'scripts\/setup-linux\.sh': stat scripts\/setup-linux\.sh: no such\s+file\s+or\s+directory$/),
        properties: { title: 'Packer', file: demoTemplates.hcl2, ...placeIn(join(workspace, demoTemplates.hcl2), '"scripts/setup-linux.sh"') }
      },
      { message: 'packer validate found problems in ami.pkr.hcl (see the errors above); nothing was built.', properties: {} }
    ])
    expect(suite.calls).toEqual([])
  })

  it('HCL2: refused before the install, files given by a list variable, a local alone and a heredoc: each named as written, on its line', async () => {
    const variables =
      'variable "steps" {\n  type    = list(string)\n  default = ["scripts/first.sh", "scripts/second.sh"]\n}\n' +
      'locals {\n  setup = "scripts/setup.sh"\n}\n'
    const provisioners =
      '  provisioner "file" {\n    source      = "files/app.conf"\n    destination = "/tmp/app.conf"\n  }\n' +
      '  provisioner "shell-local" {\n    scripts = var.steps\n  }\n' +
      '  provisioner "shell-local" {\n    script = local.setup\n  }\n' +
      '  provisioner "shell-local" {\n    execute_command = ["/bin/sh", "-c", "{{.Vars}} \'{{.Script}}\'"]\n    script = <<EOF\nscripts/heredoc.sh\nEOF\n  }\n'
    const workspace = withSource(demoWith(hclDeclaring(variables, provisioners), 'hcl2'))
    const template = join(workspace, demoTemplates.hcl2)
    const result = await run(workspace, 'hcl2')
    expect(result.exitCode).toBe(1)
    const missing = (setting: string, named: string): string =>
      `template: ami.pkr.hcl: provisioner "shell-local" ${setting} names ${named}, which is not there (Packer reads it relative to ` +
      'working-directory, .): packer validate refuses the template for it. Add it, or name a path that is there.'
    expect(result.errors.slice(1, -1)).toEqual([
      { message: missing('scripts', '"scripts/first.sh" (var.steps[0])'), properties: { title: 'Invalid input', file: demoTemplates.hcl2, ...placeIn(template, 'scripts = var.steps') } },
      { message: missing('scripts', '"scripts/second.sh" (var.steps[1])'), properties: { title: 'Invalid input', file: demoTemplates.hcl2, ...placeIn(template, 'scripts = var.steps') } },
      { message: missing('script', '"scripts/setup.sh" (local.setup)'), properties: { title: 'Invalid input', file: demoTemplates.hcl2, ...placeIn(template, 'script = local.setup') } },
      // A heredoc's value ends with its line break, which Packer reads as part of the path.
      { message: missing('script', '"scripts/heredoc.sh\\n"'), properties: { title: 'Invalid input', file: demoTemplates.hcl2, ...placeIn(template, 'script = <<EOF') } }
    ])
    expect(suite.calls).toEqual([])
  })

  /** files/app.conf in the workspace: the file provisioner's source, there, which is refused for the communicator alone. */
  function withSource(workspace: string): string {
    mkdirSync(join(workspace, 'files'))
    writeFileSync(join(workspace, 'files', 'app.conf'), 'x = 1\n')
    return workspace
  }

  it('HCL2: with the only input, the files of the builds it leaves in are named with the refusal, and not those of a build it leaves out', async () => {
    const blocks =
      '  source "source.amazon-ebs.demo" {\n    name     = "second"\n    ami_name = "second-${local.build_stamp}"\n  }\n' +
      '  provisioner "file" {\n    source      = "files/app.conf"\n    destination = "/tmp/app.conf"\n  }\n' +
      '  provisioner "shell-local" {\n    only   = ["amazon-ebs.demo"]\n    script = "scripts/demo-only.sh"\n  }\n' +
      '  provisioner "shell-local" {\n    only   = ["amazon-ebs.second"]\n    script = "scripts/second-only.sh"\n  }\n' +
      '  post-processor "shell-local" {\n    name   = "after"\n    script = "scripts/after.sh"\n  }\n'
    const workspace = withSource(demoWith(hclWith(blocks), 'hcl2'))
    const template = join(workspace, demoTemplates.hcl2)
    const result = await run(workspace, 'hcl2', { only: 'amazon-ebs.demo' })
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message: expect.stringMatching(/^provisioner "file" runs on the instance through a communicator, and its build connects none \(amazon-ebs\.demo has communicator = "none"\)/),
        properties: { title: 'Invalid input', file: demoTemplates.hcl2, ...placeIn(template, 'provisioner "file"') }
      },
      {
        message: expect.stringMatching(/^template: ami\.pkr\.hcl: provisioner "shell-local" script names "scripts\/demo-only\.sh", which is not there /),
        properties: { title: 'Invalid input', file: demoTemplates.hcl2, ...placeIn(template, 'script = "scripts/demo-only.sh"') }
      },
      {
        message: expect.stringMatching(/^template: ami\.pkr\.hcl: post-processor "shell-local" script names "scripts\/after\.sh", which is not there /),
        properties: { title: 'Invalid input', file: demoTemplates.hcl2, ...placeIn(template, 'script = "scripts/after.sh"') }
      },
      expect.objectContaining({ message: expect.stringContaining(', and the template names files that are not there (see the errors above)') })
    ])
    expect(suite.calls).toEqual([])
    // except leaves the post-processor out by its name, and the build its provisioner runs in.
    const excepted = await run(workspace, 'hcl2', { except: 'amazon-ebs.demo\nafter' })
    expect(excepted.errors.map(({ message }) => message.split(', which')[0])).toEqual([
      expect.stringMatching(/^provisioner "file" runs on the instance through a communicator, and its build connects none \(amazon-ebs\.second has/),
      'template: ami.pkr.hcl: provisioner "shell-local" script names "scripts/second-only.sh"',
      expect.stringContaining(', and the template names files that are not there (see the errors above)')
    ])
    expect(suite.calls).toEqual([])
  })

  it('JSON: with the only input, the files of the builds it leaves in alone', async () => {
    const workspace = withSource(
      demoWith((text) => {
        const template = JSON.parse(text)
        const [builder] = template.builders
        return JSON.stringify(
          {
            ...template,
            builders: [builder, { ...builder, name: 'second', ami_name: 'second-{{timestamp}}' }],
            provisioners: [
              { type: 'file', source: 'files/app.conf', destination: '/tmp/app.conf' },
              { type: 'shell-local', only: ['amazon-ebs'], script: 'scripts/first-only.sh' },
              { type: 'shell-local', only: ['second'], script: 'scripts/second-only.sh' }
            ]
          },
          null,
          2
        )
      }, 'json')
    )
    const result = await run(workspace, 'json', { only: 'second' })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message.split(', which')[0])).toEqual([
      expect.stringMatching(/^provisioner "file" runs on the instance through a communicator, and its build connects none \(second has/),
      'template: packer-template.json: provisioners[2].script names "scripts/second-only.sh"',
      expect.stringContaining(', and the template names files that are not there (see the errors above)')
    ])
    expect(result.errors[1].properties).toEqual({ title: 'Invalid input', file: demoTemplates.json, ...placeIn(join(workspace, demoTemplates.json), '"script": "scripts/second-only.sh"') })
    expect(suite.calls).toEqual([])
  })

  it('HCL2: refused before the install for another reason too (a region with a space): its problems, the provisioners\' and the missing files, all in one run', async () => {
    const blocks =
      '  provisioner "file" {\n    source      = "files/app.conf"\n    destination = "/tmp/app.conf"\n  }\n' +
      '  provisioner "shell-local" {\n    script = "scripts/missing.sh"\n  }\n'
    const workspace = demoWith((text) => hclWith(blocks)(text).replace('ami_regions            = var.ami_regions', 'ami_regions            = ["eu-west-1", "us-west-2 "]'), 'hcl2')
    const template = join(workspace, demoTemplates.hcl2)
    const result = await run(workspace, 'hcl2')
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/us-west-2 /), properties: expect.objectContaining({ file: demoTemplates.hcl2, line: placeIn(template, '"us-west-2 "').line }) }),
      {
        message: expect.stringMatching(/^provisioner "file" runs on the instance through a communicator, and its build connects none/),
        properties: { title: 'Invalid input', file: demoTemplates.hcl2, ...placeIn(template, 'provisioner "file"') }
      },
      {
        message: expect.stringMatching(/^template: ami\.pkr\.hcl: provisioner "file" source names "files\/app\.conf", which is not there /),
        properties: { title: 'Invalid input', file: demoTemplates.hcl2, ...placeIn(template, 'source      =') }
      },
      {
        message: expect.stringMatching(/^template: ami\.pkr\.hcl: provisioner "shell-local" script names "scripts\/missing\.sh", which is not there /),
        properties: { title: 'Invalid input', file: demoTemplates.hcl2, ...placeIn(template, 'script = "scripts/missing.sh"') }
      },
      {
        message:
          'The template names regions with spaces in them, and Packer would start the build for provisioners or post-processors that cannot ' +
          'work on a runner, and the template names files that are not there (see the errors above); nothing was installed or built.',
        properties: {}
      }
    ])
    expect(suite.calls).toEqual([])
  })

  it('HCL2: refused before the install for another reason, with files not there but no provisioner refused: the files named with it', async () => {
    const blocks = '  provisioner "shell-local" {\n    scripts = ["scripts/a.sh", "scripts/missing.sh"]\n  }\n'
    const workspace = withScript(demoWith((text) => hclWith(blocks)(text).replace('ami_regions            = var.ami_regions', 'ami_regions            = ["eu-west-1", "us-west-2 "]'), 'hcl2'))
    const template = join(workspace, demoTemplates.hcl2)
    const result = await run(workspace, 'hcl2')
    expect(result.exitCode).toBe(1)
    expect(result.errors.slice(1)).toEqual([
      {
        message: expect.stringMatching(/^template: ami\.pkr\.hcl: provisioner "shell-local" scripts\[1\] names "scripts\/missing\.sh", which is not there /),
        properties: { title: 'Invalid input', file: demoTemplates.hcl2, ...placeIn(template, '"scripts/missing.sh"') }
      },
      {
        message: 'The template names regions with spaces in them, and the template names files that are not there (see the errors above); nothing was installed or built.',
        properties: {}
      }
    ])
    expect(suite.calls).toEqual([])
  })
})

describeWithPacker('a template refused while the inputs are read, through the bundled action: the provisioners\' problems and the files not there named with it', () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const { demoWith, run } = demoRuns(suite)

  /** The demo's JSON template, parsed, with `edit` made to it. */
  type DemoTemplate = { variables: Record<string, string>; builders: Array<Record<string, unknown>>; provisioners?: unknown[] }
  const jsonEdited = (edit: (template: DemoTemplate) => void) => (text: string): string => {
    const template = JSON.parse(text) as DemoTemplate
    edit(template)
    return JSON.stringify(template, null, 2)
  }

  const fileProvisioner = { type: 'file', source: 'files/app.conf', destination: '/tmp/app.conf' }

  it('JSON: a region with a space: its error, the provisioner\'s and the files not there, each on its line, in one run', async () => {
    const workspace = demoWith(
      jsonEdited((template) => {
        template.builders[0].ami_regions = ['eu-west-1', 'us-west-2 ']
        template.provisioners = [fileProvisioner, { type: 'shell-local', script: 'scripts/missing.sh' }]
      }),
      'json'
    )
    const template = join(workspace, demoTemplates.json)
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message: expect.stringMatching(/us-west-2 /),
        properties: { title: 'Invalid input', file: demoTemplates.json, ...placeIn(template, '"ami_regions": [') }
      },
      {
        message: expect.stringMatching(/^provisioner "file" runs on the instance through a communicator, and its build connects none \(amazon-ebs has "communicator": "none"\)/),
        properties: { title: 'Invalid input', file: demoTemplates.json, ...placeIn(template, '"type": "file"') }
      },
      {
        message: expect.stringMatching(/^template: packer-template\.json: provisioners\[0\]\.source names "files\/app\.conf", which is not there /),
        properties: { title: 'Invalid input', file: demoTemplates.json, ...placeIn(template, '"source"') }
      },
      {
        message: expect.stringMatching(/^template: packer-template\.json: provisioners\[1\]\.script names "scripts\/missing\.sh", which is not there /),
        properties: { title: 'Invalid input', file: demoTemplates.json, ...placeIn(template, '"script"') }
      }
    ])
    expect(suite.calls).toEqual([])
  })

  it('JSON: another input refused (aws-region): the provisioner\'s and the files not there named with it', async () => {
    const workspace = demoWith(jsonEdited((template) => (template.provisioners = [fileProvisioner])), 'json')
    const template = join(workspace, demoTemplates.json)
    const result = await run(workspace, 'json', { 'aws-region': 'nowhere' })
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      { message: 'aws-region: expected an AWS region such as us-east-1, found "nowhere"', properties: { title: 'Invalid input' } },
      expect.objectContaining({ message: expect.stringMatching(/^provisioner "file" runs on the instance/), properties: expect.objectContaining({ file: demoTemplates.json, line: placeIn(template, '"type": "file"').line }) }),
      expect.objectContaining({ message: expect.stringMatching(/^template: packer-template\.json: provisioners\[0\]\.source names "files\/app\.conf"/), properties: expect.objectContaining({ file: demoTemplates.json, line: placeIn(template, '"source"').line }) })
    ])
    expect(suite.calls).toEqual([])
  })

  it('JSON: a variables file that is not there: the provisioner and a path written as it is named with it, not a path worked out from a default, which the file may change', async () => {
    const workspace = demoWith(
      jsonEdited((template) => {
        template.variables.conf = 'files/app.conf'
        template.provisioners = [{ ...fileProvisioner, source: '{{user `conf`}}' }, { type: 'shell-local', script: 'scripts/missing.sh' }]
      }),
      'json'
    )
    const template = join(workspace, demoTemplates.json)
    const result = await run(workspace, 'json', { 'var-file': 'prod-vars.json' })
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      { message: 'var-file: expected a variables file at "prod-vars.json" in ".", found no such file', properties: { title: 'Invalid input' } },
      expect.objectContaining({ message: expect.stringMatching(/^provisioner "file" runs on the instance/), properties: expect.objectContaining({ file: demoTemplates.json, line: placeIn(template, '"type": "file"').line }) }),
      {
        message: expect.stringMatching(/^template: packer-template\.json: provisioners\[1\]\.script names "scripts\/missing\.sh", which is not there /),
        properties: { title: 'Invalid input', file: demoTemplates.json, ...placeIn(template, '"script"') }
      }
    ])
    expect(suite.calls).toEqual([])
  })

  it('HCL2: a variables file that is not there: the template is not read for them, as any value of it may be another', async () => {
    const workspace = demoWith(
      (text) => text.replace('  post-processor "manifest" {}', '  provisioner "file" {\n    source      = "files/app.conf"\n    destination = "/tmp/app.conf"\n  }\n\n  post-processor "manifest" {}'),
      'hcl2'
    )
    const result = await run(workspace, 'hcl2', { 'var-file': 'prod.pkrvars.hcl' })
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      { message: 'var-file: expected a variables file at "prod.pkrvars.hcl" in ".", found no such file', properties: { title: 'Invalid input' } }
    ])
    expect(suite.calls).toEqual([])
  })

  it('HCL2: another input refused (aws-region): the provisioner\'s and the files not there named with it', async () => {
    const workspace = demoWith(
      (text) => text.replace('  post-processor "manifest" {}', '  provisioner "file" {\n    source      = "files/app.conf"\n    destination = "/tmp/app.conf"\n  }\n\n  post-processor "manifest" {}'),
      'hcl2'
    )
    const template = join(workspace, demoTemplates.hcl2)
    const result = await run(workspace, 'hcl2', { 'aws-region': 'nowhere' })
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      { message: 'aws-region: expected an AWS region such as us-east-1, found "nowhere"', properties: { title: 'Invalid input' } },
      {
        message: expect.stringMatching(/^provisioner "file" runs on the instance through a communicator, and its build connects none/),
        properties: { title: 'Invalid input', file: demoTemplates.hcl2, ...placeIn(template, 'provisioner "file"') }
      },
      {
        message: expect.stringMatching(/^template: ami\.pkr\.hcl: provisioner "file" source names "files\/app\.conf", which is not there /),
        properties: { title: 'Invalid input', file: demoTemplates.hcl2, ...placeIn(template, 'source      =') }
      }
    ])
    expect(suite.calls).toEqual([])
  })
})
