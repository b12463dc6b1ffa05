// Mistakes in a template as users make them, through the bundled action run as the runner runs
// it, with the real Packer and the loopback EC2 endpoint: each must fail with an error on the
// file and line of the mistake, saying what is wrong, once, and build nothing.
import { expect, it } from '@jest/globals'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseCommands, projectRoot, type ActionRun } from './support/action-process.js'
import { loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

describeWithPacker('a mistake in a template, through the bundled action', () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])

  const templates = { hcl2: 'ami.pkr.hcl', json: 'packer-template.json' }

  /** The demo's template of that kind, with `edit` made to its text. */
  function demoWith(edit: (text: string) => string, kind: keyof typeof templates = 'hcl2'): string {
    const workspace = suite.workspaceFrom(join(projectRoot, 'demo', kind))
    const template = join(workspace, templates[kind])
    writeFileSync(template, edit(readFileSync(template, 'utf8')))
    return workspace
  }

  function run(workspace: string, kind: keyof typeof templates = 'hcl2'): Promise<ActionRun> {
    return suite.run(workspace, kind === 'hcl2' ? { template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' } : { template: 'packer-template.json' })
  }

  const lineOf = (workspace: string, text: string, kind: keyof typeof templates = 'hcl2'): string =>
    String(readFileSync(join(workspace, templates[kind]), 'utf8').split('\n').findIndex((line) => line.includes(text)) + 1)

  const refusedProvisioners = 'Packer would start the build for provisioners or post-processors that cannot work on a runner (see the errors above); nothing was built.'

  const breakpointMessage = (disable: string): string =>
    'provisioner "breakpoint" waits for someone to press Enter, which nobody can in a workflow: Packer builds with ' +
    '-machine-readable, which cannot ask, so packer validate accepts it but the build fails there ("machine-readable UI ' +
    `can't ask"). Remove the provisioner, or set ${disable}.`

  /** The error on a provisioner of `block` that uploads a script, in a build that connects none for `why`. */
  const uploadFails = (block: string, why: string, fails: string, give: string): string =>
    `${block} "shell" runs on the instance through a communicator, and its build connects none (${why}): packer validate accepts ` +
    `it, but ${fails}, after retrying its upload for 5 minutes. Give ${give}, or run the commands on the runner with a shell-local provisioner.`
  const launchFails = 'Packer launches the instance and the provisioner fails there'
  const jsonCommunicator = 'the builder a communicator ("communicator": "ssh", with "ssh_username")'

  /**
   * A run that a provisioner that cannot work on a runner failed before Packer was installed: one
   * error, `message`, on `place`, then the step's own; nothing sent to EC2 during the test.
   */
  function expectRefusedBeforeInstall(result: ActionRun, message: unknown, place: { file: string; line: string; col: string }): void {
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      { message, properties: { title: 'Invalid input', ...place } },
      { message: refusedProvisioners, properties: {} }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  }

  const withProvisioner = (settings: string) => (text: string): string =>
    text.replace('  post-processor "manifest" {}', `  provisioner "shell-local" {\n    inline = ["echo hi"]\n${settings}  }\n\n  post-processor "manifest" {}`)

  /** The error on a pause_before of "10" in `workspace`. */
  const pauseBeforeError = (workspace: string) => ({
    message:
      'template: ami.pkr.hcl: pause_before of provisioner "shell-local" expected a duration, a number and a unit ' +
      '(ns, us, ms, s, m, h) such as "30s", "5m" or "1h30m", found "10"',
    properties: { title: 'Invalid input', file: 'ami.pkr.hcl', line: lineOf(workspace, 'pause_before'), col: '5' }
  })

  /** The step's error after validate crashed on a mistake the action names, and where it says the crash report is. */
  const crashedOnTheMistake = new RegExp(
    '^packer validate found problems in ami\\.pkr\\.hcl \\(see the errors above\\); nothing was built\\. Packer crashed during packer validate ' +
      '\\(panic: runtime error: invalid memory address or nil pointer dereference\\) rather than name the mistake\\. ' +
      "Packer's crash report is at (/\\S+/crash\\.log) \\(moved out of the checkout, where Packer wrote it as crash\\.log\\)\\.$"
  )

  it("a provisioner's pause_before without a unit, which Packer 1.6.6 crashes on: on the setting, saying what a duration is and where Packer's crash report went", async () => {
    const workspace = demoWith(withProvisioner('    pause_before = "10"\n    timeout      = "5m"\n'))
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([pauseBeforeError(workspace), { message: expect.stringMatching(crashedOnTheMistake), properties: {} }])
    // Packer's crash report on it is not left in the checkout, but where the step says.
    const [, report] = crashedOnTheMistake.exec(result.errors[1].message) ?? []
    expect(readFileSync(report, 'utf8')).toContain('panic: runtime error: invalid memory address or nil pointer dereference')
    expect(existsSync(join(workspace, 'crash.log'))).toBe(false)
    expect(result.summary).toContain('rather than name the mistake')
    expect(suite.calls).toEqual([])
  })

  it('the same with only, for which packer inspect lists the builds first and crashes too: a warning says where its crash report went', async () => {
    const workspace = demoWith(withProvisioner('    pause_before = "10"\n'))
    const result = await suite.run(workspace, { template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', only: 'amazon-ebs.demo' })
    expect(result.exitCode).toBe(1)
    const inspectCrashed = new RegExp(
      '^Packer crashed during packer inspect \\(panic: runtime error: invalid memory address or nil pointer dereference\\): a bug in Packer, ' +
        "not in the template\\. Packer's crash report is at (/\\S+/crash\\.log) \\(moved out of the checkout, where Packer wrote it as crash\\.log\\); " +
        'please report the crash at https://github\\.com/hashicorp/packer/issues\\. The builds will be ordered as they finish\\.$'
    )
    expect(result.warnings).toEqual([expect.stringMatching(inspectCrashed)])
    expect(result.errors).toEqual([pauseBeforeError(workspace), { message: expect.stringMatching(crashedOnTheMistake), properties: {} }])
    const [, inspectReport] = inspectCrashed.exec(result.warnings[0]) ?? []
    const [, validateReport] = crashedOnTheMistake.exec(result.errors[1].message) ?? []
    expect(readFileSync(inspectReport, 'utf8')).toContain('printBuilds')
    expect(readFileSync(validateReport, 'utf8')).toContain('panic: runtime error')
    expect(inspectReport).not.toBe(validateReport)
    expect(existsSync(join(workspace, 'crash.log'))).toBe(false)
    expect(suite.calls).toEqual([])
  })

  it('HCL2: a shell provisioner in a build whose source has communicator = "none", which Packer launches the instance for: on it, before Packer is installed', async () => {
    const workspace = demoWith((text) => text.replace('  post-processor "manifest" {}', '  provisioner "shell" {\n    inline = ["uptime"]\n  }\n\n  post-processor "manifest" {}'))
    expectRefusedBeforeInstall(
      await run(workspace),
      uploadFails('provisioner', 'amazon-ebs.demo has communicator = "none"', launchFails, 'the source a communicator (communicator = "ssh", with ssh_username)'),
      { file: 'ami.pkr.hcl', line: lineOf(workspace, 'provisioner "shell"'), col: '3' }
    )
  })

  it('HCL2: the same in a named build block: the error names the build as Packer and the outputs do, BLOCK.TYPE.NAME', async () => {
    const workspace = demoWith((text) =>
      text
        .replace('build {\n', 'build {\n  name = "aws"\n')
        .replace('  post-processor "manifest" {}', '  provisioner "shell" {\n    inline = ["uptime"]\n  }\n\n  post-processor "manifest" {}')
    )
    expectRefusedBeforeInstall(
      await run(workspace),
      uploadFails('provisioner', 'aws.amazon-ebs.demo has communicator = "none"', launchFails, 'the source a communicator (communicator = "ssh", with ssh_username)'),
      { file: 'ami.pkr.hcl', line: lineOf(workspace, 'provisioner "shell"'), col: '3' }
    )
  })

  /** The demo's HCL2 template with a shell-local provisioner that fails, and an error-cleanup-provisioner "shell" after it. */
  const withShellCleanup = (text: string): string =>
    withProvisioner('')(text).replace('echo hi', 'exit 3').replace('  post-processor "manifest" {}', '  error-cleanup-provisioner "shell" {\n    inline = ["uptime"]\n  }\n\n  post-processor "manifest" {}')

  it('HCL2: a shell error-cleanup-provisioner in a build whose source has communicator = "none", for Packer 1.7.0 on: on it, before Packer is installed', async () => {
    const workspace = demoWith(withShellCleanup)
    const result = await suite.run(workspace, { template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', 'packer-version': '1.11.2' })
    expectRefusedBeforeInstall(
      result,
      uploadFails(
        'error-cleanup-provisioner',
        'amazon-ebs.demo has communicator = "none"',
        'once the build has failed, Packer runs it on the instance, where it fails too',
        'the source a communicator (communicator = "ssh", with ssh_username)'
      ),
      { file: 'ami.pkr.hcl', line: lineOf(workspace, 'error-cleanup-provisioner'), col: '3' }
    )
  })

  it("HCL2: an error-cleanup-provisioner under Packer 1.6.6, which refuses the block itself: left to Packer's error, on it", async () => {
    const workspace = demoWith(withShellCleanup)
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^Error: Unsupported block type\n.*"error-cleanup-provisioner" are not expected here/s),
      properties: expect.objectContaining({ file: 'ami.pkr.hcl', line: lineOf(workspace, 'error-cleanup-provisioner') })
    })
    expect(result.stdout).toContain('::group::Install Packer')
    expect(result.errors.map(({ message }) => message).join('\n')).not.toContain('through a communicator')
    expect(suite.calls).toEqual([])
  })

  it('HCL2: a build block that lists no source, which Packer 1.6.6 validates and builds nothing with: on the block, with the source to list, before Packer is installed', async () => {
    const workspace = demoWith((text) => text.replace('  sources = ["source.amazon-ebs.demo"]\n', ''))
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message:
          'template: ami.pkr.hcl: the build block builds no source (it has neither "sources" nor a "source" block): packer validate ' +
          'accepts it, but Packer has no build to run: Packer 1.6.6 succeeds without building anything, newer versions fail with ' +
          '"No builds to run". List the sources it builds: sources = ["source.amazon-ebs.demo"].',
        properties: { title: 'Invalid input', file: 'ami.pkr.hcl', line: lineOf(workspace, 'build {'), col: '1' }
      },
      { message: 'The template builds nothing (see the error above); nothing was installed or built.', properties: {} }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(JSON.parse(result.outputs.artifacts)).toEqual([])
  })

  it('HCL2: a breakpoint provisioner, which fails the build where nobody can press Enter: on it, before Packer is installed', async () => {
    const workspace = demoWith((text) => text.replace('  post-processor "manifest" {}', '  provisioner "breakpoint" {\n    note = "look"\n  }\n\n  post-processor "manifest" {}'))
    expectRefusedBeforeInstall(await run(workspace), breakpointMessage('disable = true'), {
      file: 'ami.pkr.hcl',
      line: lineOf(workspace, 'provisioner "breakpoint"'),
      col: '3'
    })
  })

  /**
   * A run of the HCL2 demo refused before Packer was installed: `message` on `setting` of the
   * source block, then the step's own `failure`; nothing sent to EC2 during the test.
   */
  function expectRefusedOnSetting(result: ActionRun, workspace: string, setting: string, message: string, failure: string): void {
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      { message, properties: { title: 'Invalid input', file: 'ami.pkr.hcl', line: lineOf(workspace, setting), col: '3' } },
      { message: failure, properties: {} }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  }

  /** The demo's JSON template whose builder takes `setting` from user variable `variable`, empty by default. */
  const jsonDemoTaking = (setting: string, variable: string): string =>
    demoWith((text) => {
      const template = JSON.parse(text)
      template.variables[variable] = ''
      template.builders[0][setting] = `{{user \`${variable}\`}}`
      return JSON.stringify(template, null, 2)
    }, 'json')

  /** A run refused before Packer was installed, first with `message` on the variables input; nothing sent to EC2. */
  function expectRefusedOnVariable(result: ActionRun, message: string): void {
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({ message, properties: { title: 'Invalid input' } })
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  }

  it('HCL2: ami_users = [var.users] of a string variable given a list, which EC2 refuses once the AMI is made: on ami_users, before Packer is installed', async () => {
    const workspace = demoWith(
      (text) =>
        `variable "users" {\n  type = string\n}\n\n${text.replace('  ami_name               =', '  ami_users              = [var.users]\n  ami_name               =')}`
    )
    const result = await suite.run(workspace, {
      template: 'ami.pkr.hcl',
      'var-file': 'loopback.pkrvars.hcl',
      variables: 'users=["123456789012", "210987654321"]'
    })
    expectRefusedOnSetting(
      result,
      workspace,
      'ami_users',
      'template: ami.pkr.hcl: ami_users of source "amazon-ebs.demo" expected AWS account IDs of 12 digits, found ' +
        '"[\\"123456789012\\", \\"210987654321\\"]": EC2 refuses it only once the AMI is made (InvalidAMIAttributeItemValue), and Packer ' +
        'deregisters the AMI. Give each account ID as its own entry of the list.',
      'The template shares its AMIs with accounts that are no account IDs (see the errors above); nothing was installed or built.'
    )
  })

  it('JSON: ami_users from a variable given "111,222", which Packer splits and EC2 refuses once the AMI is made: on the variables input, before Packer is installed', async () => {
    const result = await suite.run(jsonDemoTaking('ami_users', 'users'), { template: 'packer-template.json', variables: 'users=111,222' })
    expectRefusedOnVariable(
      result,
      'variables: "users", which builder "amazon-ebs" takes for ami_users, expected AWS account IDs of 12 digits, found "111", "222": EC2 ' +
        'refuses them only once the AMI is made (InvalidAMIAttributeItemValue), and Packer deregisters the AMI. Write each as the 12 digits of an account ID.'
    )
  })

  it('JSON: ami_users from a variable left empty, which Packer takes as no accounts: not refused', async () => {
    const result = await suite.run(jsonDemoTaking('ami_users', 'users'), { template: 'packer-template.json', command: 'validate' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
  })

  /**
   * The demo moved into packer/, its source reading user data from ../boot beside packer/, as a
   * template written to be run from its own directory does (`cd packer && packer build .`).
   */
  function demoInItsOwnDirectory(): string {
    const workspace = demoWith((text) =>
      text.replace('  ami_name               =', '  user_data_file         = "../boot/user-data.sh"\n  ami_name               =')
    )
    mkdirSync(join(workspace, 'packer'))
    for (const name of ['ami.pkr.hcl', 'loopback.pkrvars.hcl']) renameSync(join(workspace, name), join(workspace, 'packer', name))
    mkdirSync(join(workspace, 'boot'))
    writeFileSync(join(workspace, 'boot', 'user-data.sh'), '#!/bin/sh\necho ready\n')
    return workspace
  }

  it("HCL2: user_data_file relative to the template's directory, run from the workspace, which Packer refuses as not found: on it, with the working-directory that finds it, before Packer is installed", async () => {
    const workspace = demoInItsOwnDirectory()
    const result = await suite.run(workspace, { template: 'packer/ami.pkr.hcl', 'var-file': 'packer/loopback.pkrvars.hcl' })
    expect(result.exitCode).toBe(1)
    const line = String(readFileSync(join(workspace, 'packer', 'ami.pkr.hcl'), 'utf8').split('\n').findIndex((text) => text.includes('user_data_file')) + 1)
    expect(result.errors).toEqual([
      {
        message:
          'template: packer/ami.pkr.hcl: source "amazon-ebs" "demo" user_data_file names "../boot/user-data.sh", which is not there: Packer ' +
          "reads it relative to working-directory (.), not to the template. It is there relative to packer, the template's directory: set " +
          "working-directory: packer and template: ami.pkr.hcl, or name it from the template's directory (\"${path.root}/../boot/user-data.sh\").",
        properties: { title: 'Invalid input', file: 'packer/ami.pkr.hcl', line, col: '3' }
      },
      { message: 'The template names files that are not where Packer runs (see the errors above); nothing was installed or built.', properties: {} }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it("HCL2: a shell-local script relative to the template's parent directory, as a repository of several templates beside one scripts folder has it: on it, naming that directory", async () => {
    const workspace = demoWith(withProvisioner(''))
    const template = join(workspace, 'ami.pkr.hcl')
    writeFileSync(template, readFileSync(template, 'utf8').replace('    inline = ["echo hi"]\n', '    scripts = [\n      "scripts/setup.sh",\n    ]\n'))
    mkdirSync(join(workspace, 'images', 'web'), { recursive: true })
    for (const name of ['ami.pkr.hcl', 'loopback.pkrvars.hcl']) renameSync(join(workspace, name), join(workspace, 'images', 'web', name))
    mkdirSync(join(workspace, 'images', 'scripts'))
    writeFileSync(join(workspace, 'images', 'scripts', 'setup.sh'), '#!/bin/sh\necho set up\n', { mode: 0o755 })
    const result = await suite.run(workspace, { template: 'images/web/ami.pkr.hcl', 'var-file': 'images/web/loopback.pkrvars.hcl' })
    expect(result.exitCode).toBe(1)
    // On the entry, on its own line, as Packer places its own error about it.
    const line = String(readFileSync(join(workspace, 'images', 'web', 'ami.pkr.hcl'), 'utf8').split('\n').findIndex((text) => text.includes('"scripts/setup.sh"')) + 1)
    expect(result.errors).toEqual([
      {
        message:
          'template: images/web/ami.pkr.hcl: provisioner "shell-local" scripts[0] names "scripts/setup.sh", which is not there: Packer reads ' +
          'it relative to working-directory (.), not to the template. It is there relative to images: set working-directory: images and ' +
          'template: web/ami.pkr.hcl, or name it from the template\'s directory ("${path.root}/../scripts/setup.sh").',
        properties: { title: 'Invalid input', file: 'images/web/ami.pkr.hcl', line, col: '7' }
      },
      { message: 'The template names files that are not where Packer runs (see the errors above); nothing was installed or built.', properties: {} }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it('HCL2: the same template run with the working-directory the error names: builds', async () => {
    const workspace = demoInItsOwnDirectory()
    const result = await suite.run(workspace, { 'working-directory': 'packer', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.outputs['ami-id']).toMatch(/^ami-/)
  })

  /**
   * The JSON demo moved into packer/ with its variables file, its builder reading user data from
   * `userData` and a shell-local provisioner running `script`, both beside it, as a template written
   * to be run from its own directory (`cd packer && packer build packer-template.json`) has them.
   */
  function jsonDemoInItsOwnDirectory(script: string, userData: string): string {
    const workspace = suite.workspaceFrom(join(projectRoot, 'demo', 'json'))
    const template = JSON.parse(readFileSync(join(workspace, templates.json), 'utf8')) as { builders: Array<Record<string, unknown>> }
    template.builders[0].user_data_file = userData
    mkdirSync(join(workspace, 'packer', 'scripts'), { recursive: true })
    writeFileSync(join(workspace, 'packer', templates.json), JSON.stringify({ ...template, provisioners: [{ type: 'shell-local', scripts: [script] }] }, null, 2))
    renameSync(join(workspace, 'packer-vars.json'), join(workspace, 'packer', 'packer-vars.json'))
    rmSync(join(workspace, templates.json))
    writeFileSync(join(workspace, 'packer', 'scripts', 'setup.sh'), '#!/bin/sh\necho set up\n', { mode: 0o755 })
    writeFileSync(join(workspace, 'packer', 'user-data.sh'), '#!/bin/sh\necho ready\n')
    return workspace
  }

  it("JSON: a script and user_data_file relative to the template's directory, run from the workspace, which Packer refuses one at a time as not found: each on its value, with the working-directory that finds it, before Packer is installed", async () => {
    const workspace = jsonDemoInItsOwnDirectory('scripts/setup.sh', 'user-data.sh')
    const result = await suite.run(workspace, { template: 'packer/packer-template.json' })
    expect(result.exitCode).toBe(1)
    const lines = readFileSync(join(workspace, 'packer', templates.json), 'utf8').split('\n')
    const [userData, script] = ['"user_data_file"', '"scripts/setup.sh"'].map((text) => lines.findIndex((line) => line.includes(text)))
    const advice = (path: string): string =>
      "Packer reads it relative to working-directory (.), not to the template. It is there relative to packer, the template's directory: " +
      `set working-directory: packer and template: packer-template.json, or name it from the template's directory ("{{template_dir}}/${path}").`
    expect(result.errors).toEqual([
      {
        message: `template: packer/packer-template.json: builders[0].user_data_file names "user-data.sh", which is not there: ${advice('user-data.sh')}`,
        properties: { title: 'Invalid input', file: 'packer/packer-template.json', line: String(userData + 1), col: String(lines[userData].indexOf('"') + 1) }
      },
      {
        message: `template: packer/packer-template.json: provisioners[0].scripts[0] names "scripts/setup.sh", which is not there: ${advice('scripts/setup.sh')}`,
        // The entry, on its own line, as Packer places its own error about it.
        properties: { title: 'Invalid input', file: 'packer/packer-template.json', line: String(script + 1), col: String(lines[script].indexOf('"') + 1) }
      },
      { message: 'The template names files that are not where Packer runs (see the errors above); nothing was installed or built.', properties: {} }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it('JSON: the same template run with the working-directory the error names: builds, and runs the script', async () => {
    const result = await suite.run(jsonDemoInItsOwnDirectory('scripts/setup.sh', 'user-data.sh'), { 'working-directory': 'packer', template: 'packer-template.json' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.outputs['ami-id']).toMatch(/^ami-/)
    expect(result.stdout).toContain('amazon-ebs: set up')
  })

  it('JSON: the same paths written from {{template_dir}}, as the error says, run from the workspace: not refused, and builds', async () => {
    const workspace = jsonDemoInItsOwnDirectory('{{template_dir}}/scripts/setup.sh', '{{template_dir}}/user-data.sh')
    const result = await suite.run(workspace, { template: 'packer/packer-template.json' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.outputs['ami-id']).toMatch(/^ami-/)
    expect(result.stdout).toContain('amazon-ebs: set up')
  })

  it('HCL2: iam_instance_profile left as a placeholder with spaces, which IAM refuses once the build has started: on it, before Packer is installed', async () => {
    const workspace = demoWith((text) =>
      text.replace('  ami_name               =', '  iam_instance_profile   = "IAM INSTANCE PROFILE NAME"\n  ami_name               =')
    )
    expectRefusedOnSetting(
      await run(workspace),
      workspace,
      'iam_instance_profile',
      'template: ami.pkr.hcl: iam_instance_profile of source "amazon-ebs.demo" expected the name of an IAM instance profile (up to 128 ' +
        'letters, digits and +=,.@_-), found "IAM INSTANCE PROFILE NAME": IAM refuses it (ValidationError) when Packer looks the profile ' +
        'up, once the build has started. Write the name of an instance profile of the account.',
      'The template names an instance profile IAM would refuse (see the errors above); nothing was installed or built.'
    )
  })

  it('HCL2: a placeholder iam_instance_profile beside an ami_users entry that is no account ID: both told at once, the failure naming both', async () => {
    const workspace = demoWith((text) =>
      text.replace(
        '  ami_name               =',
        '  iam_instance_profile   = "IAM INSTANCE PROFILE NAME"\n  ami_users              = ["12345678901"]\n  ami_name               ='
      )
    )
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message, properties }) => [message.split(' expected ')[0], properties.line])).toEqual([
      ['template: ami.pkr.hcl: ami_users of source "amazon-ebs.demo"', lineOf(workspace, 'ami_users')],
      ['template: ami.pkr.hcl: iam_instance_profile of source "amazon-ebs.demo"', lineOf(workspace, 'iam_instance_profile')],
      [
        'The template shares its AMIs with accounts that are no account IDs, and names an instance profile IAM would refuse (see the errors above); ' +
          'nothing was installed or built.',
        undefined
      ]
    ])
    expect(suite.calls).toEqual([])
  })

  it('HCL2: iam_instance_profile with a {{timestamp}} that Packer fills in once the build starts: not refused', async () => {
    const workspace = demoWith((text) =>
      text.replace('  ami_name               =', '  iam_instance_profile   = "packer-{{timestamp}}"\n  ami_name               =')
    )
    const result = await suite.run(workspace, { template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', command: 'validate' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
  })

  it("JSON: iam_instance_profile from a variable given the profile's ARN, which IAM refuses as a name: on the variables input, before Packer is installed", async () => {
    const result = await suite.run(jsonDemoTaking('iam_instance_profile', 'profile'), {
      template: 'packer-template.json',
      variables: 'profile=arn:aws:iam::123456789012:instance-profile/packer-builder'
    })
    expectRefusedOnVariable(
      result,
      'variables: "profile", which builder "amazon-ebs" takes for iam_instance_profile, expected the name of an IAM instance profile (up ' +
        'to 128 letters, digits and +=,.@_-), found "arn:aws:iam::123456789012:instance-profile/packer-builder": IAM refuses it ' +
        '(ValidationError) when Packer looks the profile up, once the build has started. Give its name, "packer-builder", not its ARN.'
    )
  })

  /** The demo's JSON template with these provisioners and error-cleanup-provisioner. */
  const jsonWith = (added: Record<string, unknown>): string =>
    demoWith((text) => JSON.stringify({ ...JSON.parse(text), ...added }, null, 2), 'json')

  /** The line of the `type` of the provisioner whose settings hold `text`. */
  const typeLineOf = (workspace: string, text: string): string => {
    const lines = readFileSync(join(workspace, templates.json), 'utf8').split('\n')
    return String(lines.findIndex((line, index) => line.includes('"type"') && lines.slice(index, index + 4).some((near) => near.includes(text))) + 1)
  }

  it('JSON: a shell provisioner in a build with "communicator": "none", which Packer launches the instance for: on its type, before Packer is installed', async () => {
    const workspace = jsonWith({ provisioners: [{ type: 'shell-local', inline: ['echo on the runner'] }, { type: 'shell', inline: ['uptime'] }] })
    expectRefusedBeforeInstall(
      await run(workspace, 'json'),
      uploadFails('provisioner', 'amazon-ebs has "communicator": "none"', launchFails, jsonCommunicator),
      { file: 'packer-template.json', line: typeLineOf(workspace, 'uptime'), col: '7' }
    )
  })

  it('JSON: an ansible-local provisioner in such a build, which fails on the instance as it uploads its playbook: on its type, before Packer is installed', async () => {
    const workspace = jsonWith({ provisioners: [{ type: 'ansible-local', playbook_file: 'site.yml', playbook_dir: 'ansible' }] })
    // There, as Packer refuses a playbook that is not (e2e-missing-files).
    writeFileSync(join(workspace, 'site.yml'), '- hosts: all\n')
    mkdirSync(join(workspace, 'ansible'))
    expectRefusedBeforeInstall(
      await run(workspace, 'json'),
      'provisioner "ansible-local" runs on the instance through a communicator, and its build connects none (amazon-ebs has ' +
        `"communicator": "none"): packer validate accepts it, but ${launchFails}, as it uploads its playbook. Give ${jsonCommunicator}, ` +
        'or run the commands on the runner with a shell-local provisioner.',
      { file: 'packer-template.json', line: typeLineOf(workspace, 'site.yml'), col: '7' }
    )
  })

  it("JSON: a provisioner's inline entry calling a template function Packer does not have, which Packer names only by the build: on that entry", async () => {
    const workspace = jsonWith({
      provisioners: [
        { type: 'shell-local', inline: ['echo {{user `instance_type`}}'] },
        { type: 'shell-local', inline: ['echo first', 'echo {{pwdd}}/cookbooks'] }
      ]
    })
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^Build "amazon-ebs": Error decoding config: invalid 'inline': template: root:1: function "pwdd" not\s+defined in:\s+echo \{\{pwdd\}\}\/cookbooks$/),
      properties: { title: 'Packer', file: 'packer-template.json', line: lineOf(workspace, '{{pwdd}}', 'json'), col: '9' }
    })
    expect(suite.calls).toEqual([])
  })

  it('JSON: an ansible provisioner whose program the runner does not have, which Packer names only by the build: on its command', async () => {
    const workspace = jsonWith({ provisioners: [{ type: 'ansible', playbook_file: 'site.yml', command: 'ansible-playbook-9.9' }] })
    writeFileSync(join(workspace, 'site.yml'), '- hosts: all\n')
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^Build "amazon-ebs": Error running "ansible-playbook-9\.9 --version": exec: "ansible-playbook-9\.9":\s+executable file not found/),
      properties: { title: 'Packer', file: 'packer-template.json', line: lineOf(workspace, '"command"', 'json'), col: '7' }
    })
    expect(result.errors).toHaveLength(2)
    expect(suite.calls).toEqual([])
  })

  it('JSON: a shell error-cleanup-provisioner in such a build, which Packer runs on the instance once the build fails: on its type', async () => {
    const workspace = jsonWith({ provisioners: [{ type: 'shell-local', inline: ['exit 3'] }], 'error-cleanup-provisioner': { type: 'shell', inline: ['uptime'] } })
    expectRefusedBeforeInstall(
      await run(workspace, 'json'),
      uploadFails(
        'error-cleanup-provisioner',
        'amazon-ebs has "communicator": "none"',
        'once the build has failed, Packer runs it on the instance, where it fails too',
        jsonCommunicator
      ),
      { file: 'packer-template.json', line: typeLineOf(workspace, 'uptime'), col: '5' }
    )
  })

  it('JSON: a breakpoint provisioner that is not disabled: on its type; one with "disable": true builds', async () => {
    const workspace = jsonWith({ provisioners: [{ type: 'breakpoint', note: 'look' }] })
    expectRefusedBeforeInstall(await run(workspace, 'json'), breakpointMessage('"disable": true'), {
      file: 'packer-template.json',
      line: typeLineOf(workspace, 'look'),
      col: '7'
    })
    const disabled = await run(jsonWith({ provisioners: [{ type: 'breakpoint', note: 'look', disable: true }] }), 'json')
    expect(disabled.errors).toEqual([])
    expect(disabled.exitCode).toBe(0)
  })

  /** A shell-local provisioner and post-processor reading, through `provisioner` and `command`, values of the build. */
  const readingTheBuild = (provisioner: string, command: string): Record<string, unknown> => ({
    provisioners: [{ type: 'shell-local', inline: ['echo ready', `echo "instance ${provisioner}"`] }],
    'post-processors': [[{ type: 'manifest' }, { type: 'shell-local', inline: ['true'], execute_command: ['/bin/sh', '-c', `echo ${command}; {{.Vars}} {{.Script}}`] }]]
  })
  const readsTheConnection = readingTheBuild('{{ build `Host` }}', 'done {{.Host}}')

  it('JSON: a shell-local reading the connection\'s Host in a build with "communicator": "none", which Packer fills in as "<no value>": on each string, before Packer is installed', async () => {
    const workspace = jsonWith(readsTheConnection)
    const result = await run(workspace, 'json')
    const told = (setting: string, read: string, when: string, block: string, more = ''): string =>
      `${setting} of ${block} "shell-local" reads ${read}, which Packer has only from a communicator, and its build connects none ` +
      `(amazon-ebs has "communicator": "none"): packer validate accepts it, but Packer gives it the text "<no value>", ${when}, ` +
      `and the ${block} runs with that${more}. Give ${jsonCommunicator}, or do not read Host there: {{ build \`ID\` }} (the instance's ID), ` +
      "{{ build `PackerRunUUID` }} and the source AMI's data have values without one."
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message: told('inline', '{{ build `Host` }}', 'once it has launched the instance', 'provisioner'),
        properties: { title: 'Invalid input', file: 'packer-template.json', line: lineOf(workspace, 'echo \\"instance', 'json'), col: '9' }
      },
      {
        message: told('execute_command', '{{.Host}}', 'once it has made the AMIs', 'post-processor', ' (unquoted, a shell reads its < and > as redirections and fails)'),
        properties: { title: 'Invalid input', file: 'packer-template.json', line: lineOf(workspace, 'echo done', 'json'), col: '11' }
      },
      { message: refusedProvisioners, properties: {} }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it("JSON: the same reading the instance's ID, the run's UUID and the source AMI, which such a build has: builds, with their values", async () => {
    const result = await run(jsonWith(readingTheBuild('{{ build `ID` }} {{ build `PackerRunUUID` }} {{ build `SourceAMI` }}', 'done {{.ID}}')), 'json')
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toMatch(/amazon-ebs: instance i-\w+ [\da-f-]{36} ami-0abcdef1234567890\n/)
    expect(result.stdout).toMatch(/amazon-ebs \(shell-local\): done i-\w+\n/)
    expect(result.stdout).not.toContain('<no value>')
  })

  it('JSON: the Host reads in a build that connects over SSH: not refused, and packer validate accepts the template', async () => {
    const workspace = demoWith((text) => {
      const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
      template.builders[0] = { ...template.builders[0], communicator: 'ssh', ssh_username: 'ubuntu' }
      return JSON.stringify({ ...template, ...readsTheConnection }, null, 2)
    }, 'json')
    const result = await suite.run(workspace, { template: 'packer-template.json', command: 'validate' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain('packer validate: packer-template.json is valid.')
  })

  it('HCL2: a shell-local provisioner reading ${build.Host} in a build whose source has communicator = "none", which Packer fills in as "<unknown>": on the string, before Packer is installed', async () => {
    const workspace = demoWith(withProvisioner('    environment_vars = ["TARGET=${build.User}@${build.Host}", "IMAGE=${build.SourceAMI}"]\n'))
    expectRefusedBeforeInstall(
      await run(workspace),
      'environment_vars of provisioner "shell-local" reads build.User, which Packer has only from a communicator, and its build ' +
        'connects none (amazon-ebs.demo has communicator = "none"): packer validate accepts it, but Packer gives it the text ' +
        '"<unknown>", once it has launched the instance, and the provisioner runs with that. Give the source a communicator ' +
        '(communicator = "ssh", with ssh_username), or do not read User there: build.ID (the instance\'s ID), build.PackerRunUUID ' +
        "and the source AMI's data have values without one.",
      { file: 'ami.pkr.hcl', line: lineOf(workspace, 'TARGET='), col: '25' }
    )
  })

  /** `workspace` with an executable script at `path` that prints what it ran. */
  function withScript(workspace: string, path: string): string {
    mkdirSync(dirname(join(workspace, path)), { recursive: true })
    writeFileSync(join(workspace, path), '#!/bin/sh\necho "ran $0"\n', { mode: 0o755 })
    return workspace
  }

  /** A shell-local provisioner with `settings` and no inline, which Packer refuses beside a script. */
  const withScriptProvisioner = (settings: string) => (text: string): string => withProvisioner(settings)(text).replace('    inline = ["echo hi"]\n', '')

  /** The error on a shell-local's script at `path`, whose path holds a space, in a template of `kind`. */
  const unquotedScript = (block: string, path: string, workspace: string, when: string, kind: keyof typeof templates) =>
    `${block} "shell-local" runs the script "${path}" with Packer's default execute_command ["/bin/sh", "-c", "{{.Vars}} {{.Script}}"], ` +
    `which puts its path (${join(workspace, path)}) in the command unquoted, and the path holds a space, which the shell does not ` +
    `read as part of it: packer validate accepts it, but the script does not run and the build fails ${when}. Rename the file or ` +
    `its folder, or quote the path: set ${kind === 'json' ? '"execute_command": ' : 'execute_command = '}["/bin/sh", "-c", "{{.Vars}} '{{.Script}}'"].`

  it('HCL2: a shell-local provisioner whose script path holds a space, which /bin/sh splits after the instance is launched: on the script, before Packer is installed', async () => {
    const workspace = withScript(demoWith(withScriptProvisioner('    script = "scripts/set up.sh"\n')), 'scripts/set up.sh')
    const message = unquotedScript('provisioner', 'scripts/set up.sh', workspace, 'once Packer has launched the instance', 'hcl2')
    expectRefusedBeforeInstall(await run(workspace), message, { file: 'ami.pkr.hcl', line: lineOf(workspace, 'scripts/set up.sh'), col: '5' })
  })

  it('HCL2: the same script, with execute_command quoting the path as the error says: runs, and the build succeeds', async () => {
    const quoted = `    script = "scripts/set up.sh"\n    execute_command = ["/bin/sh", "-c", "{{.Vars}} '{{.Script}}'"]\n`
    const workspace = withScript(demoWith(withScriptProvisioner(quoted)), 'scripts/set up.sh')
    const result = await run(workspace)
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain(`ran ${join(workspace, 'scripts/set up.sh')}`)
  })

  it('JSON: a shell-local post-processor whose scripts hold a path with a space, which fails once the AMIs are made: on the script, before Packer is installed', async () => {
    const workspace = withScript(jsonWith({ 'post-processors': [[{ type: 'manifest' }, { type: 'shell-local', scripts: ['tidy up.sh'] }]] }), 'tidy up.sh')
    const lines = readFileSync(join(workspace, templates.json), 'utf8').split('\n')
    const line = lines.findIndex((text) => text.includes('"tidy up.sh"'))
    expectRefusedBeforeInstall(
      await run(workspace, 'json'),
      unquotedScript('post-processor', 'tidy up.sh', workspace, 'once Packer has made the AMIs', 'json'),
      { file: 'packer-template.json', line: String(line + 1), col: String(lines[line].indexOf('"tidy up.sh"') + 1) }
    )
    const quoted = { type: 'shell-local', scripts: ['tidy up.sh'], execute_command: ['/bin/sh', '-c', "{{.Vars}} '{{.Script}}'"] }
    const built = await run(withScript(jsonWith({ 'post-processors': [[{ type: 'manifest' }, quoted]] }), 'tidy up.sh'), 'json')
    expect(built.errors).toEqual([])
    expect(built.exitCode).toBe(0)
    expect(built.stdout).toContain('ran ')
  })

  /** The error of a run that Packer crashed in, during `command`, with the panic's first line as Packer 1.6.6 writes it there. */
  const crashedMessage = (command: string, after: string): RegExp =>
    new RegExp(
      `^Packer crashed during ${command} \\(panic: runtime error: invalid memory address or nil pointer dereference\\): a bug in Packer, not in the template\\. ` +
        "Packer's crash report is at (/\\S+/crash\\.log) \\(moved out of the checkout, where Packer wrote it as crash\\.log\\); " +
        `please report the crash at https://github\\.com/hashicorp/packer/issues\\. ${after}$`
    )

  it('the same in a template of two builds, for which packer inspect runs beside validate and crashes too: no crash.log is taken for the user\'s', async () => {
    const workspace = demoWith((text) =>
      withProvisioner('    pause_before = "10"\n')(text)
        .replace('sources = ["source.amazon-ebs.demo"]', 'sources = ["source.amazon-ebs.demo", "source.amazon-ebs.arm"]')
        .replace('build {', 'source "amazon-ebs" "arm" {\n  region        = var.aws_region\n  source_ami    = var.source_ami\n  instance_type = "t4g.micro"\n  ami_name      = "arm"\n  communicator  = "none"\n}\n\nbuild {')
    )
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual(pauseBeforeError(workspace))
    expect(result.errors[1].message).toMatch(/^packer validate found problems in ami\.pkr\.hcl \(see the errors above\); nothing was built\. Packer crashed during packer validate/)
    // Whichever of the two wrote crash.log first, the other does not take it for one that was there before the run.
    expect(result.errors[1].message).not.toContain('in the checkout (one was there before the run')
    expect(existsSync(join(workspace, 'crash.log'))).toBe(false)
  })

  it('HCL2: a duration only Packer works out, which Packer 1.6.6 crashes on: the step says Packer crashed, and moves its crash.log out of the checkout', async () => {
    const workspace = demoWith(withProvisioner('    pause_before = lower("10")\n'))
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([{ message: expect.stringMatching(crashedMessage('packer validate', 'Nothing was built\\.')), properties: {} }])
    const [, report] = crashedMessage('packer validate', 'Nothing was built\\.').exec(result.errors[0].message) ?? []
    // The report is Packer's, with the panic, and no longer where a later step would commit or upload it.
    expect(readFileSync(report, 'utf8')).toContain('panic: runtime error: invalid memory address or nil pointer dereference')
    expect(existsSync(join(workspace, 'crash.log'))).toBe(false)
    expect(result.summary).toContain(result.errors[0].message)
    // Packer's own banner and stack trace stay in the log, as text.
    expect(result.stdout).toContain('PACKER CRASH')
    expect(result.stdout).toContain('goroutine 1 [running]:')
    expect(suite.calls).toEqual([])
  })

  it('HCL2: Packer crashing where a crash.log was before the run: the step says so, and leaves that file where it is', async () => {
    const workspace = demoWith(withProvisioner('    pause_before = lower("10")\n'))
    writeFileSync(join(workspace, 'crash.log'), 'kept by the user\n')
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => message)).toEqual([
      "Packer crashed during packer validate (panic: runtime error: invalid memory address or nil pointer dereference): a bug in Packer, not in the template. " +
        "Packer's crash report is crash.log in the checkout (one was there before the run: left where it is); " +
        'please report the crash at https://github.com/hashicorp/packer/issues. Nothing was built.'
    ])
    expect(existsSync(join(workspace, 'crash.log'))).toBe(true)
  })

  it('HCL2: a misspelt var. reference: on it, with the variable it is near, though Packer names only the line', async () => {
    const workspace = demoWith((text) => text.replace('Name      = var.ami_name_prefix', 'Name      = var.ami_name_prefx'))
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    const line = lineOf(workspace, 'var.ami_name_prefx')
    expect(result.errors).toEqual([
      {
        message:
          'var.ami_name_prefx: the template declares no variable "ami_name_prefx" (no `variable "ami_name_prefx"` block) in any of its files. ' +
          'Did you mean "var.ami_name_prefix"?',
        properties: { title: 'Packer', file: 'ami.pkr.hcl', line, col: '17' }
      },
      { message: 'packer validate found problems in ami.pkr.hcl (see the errors above); nothing was built.', properties: {} }
    ])
  })

  /** The demo's source with these block device mappings (`[kind, device_name as written]`), each a gp3 volume with no throughput. */
  const withGp3Devices = (devices: Array<[string, string]>) => (text: string): string =>
    text.replace(
      '  communicator           = "none"\n',
      '  communicator           = "none"\n' +
        devices.map(([kind, device]) => `  ${kind} {\n    device_name = ${device}\n    volume_type = "gp3"\n    volume_size = 8\n  }\n`).join('')
    )
  const throughputError = (device: string): string => `Throughput must be between 125 and 1000 for device ${device}`
  const validateFailed = { message: 'packer validate found problems in ami.pkr.hcl (see the errors above); nothing was built.', properties: {} }

  /** The line of the `nth` (0-based) line of `workspace`'s template that holds `text`. */
  const nthLineOf = (workspace: string, text: string, nth: number): string =>
    String(
      readFileSync(join(workspace, templates.hcl2), 'utf8')
        .split('\n')
        .flatMap((line, index) => (line.includes(text) ? [index + 1] : []))[nth]
    )

  it("HCL2: gp3 block devices with no throughput, which Packer 1.6.6 refuses each on the source's first line: each on its own block device", async () => {
    const workspace = demoWith(
      withGp3Devices([
        ['launch_block_device_mappings', '"/dev/xvda"'],
        ['launch_block_device_mappings', '"/dev/xvdb"'],
        ['ami_block_device_mappings', '"/dev/xvda"']
      ])
    )
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    const on = (line: string) => ({ title: 'Packer', file: 'ami.pkr.hcl', line, col: '3' })
    // Packer says the same of /dev/xvda twice: of its AMI mappings first, then of its launch mappings.
    expect(result.errors).toEqual([
      { message: throughputError('/dev/xvda'), properties: on(nthLineOf(workspace, 'launch_block_device_mappings', 0)) },
      { message: throughputError('/dev/xvdb'), properties: on(nthLineOf(workspace, 'launch_block_device_mappings', 1)) },
      { message: throughputError('/dev/xvda'), properties: on(lineOf(workspace, 'ami_block_device_mappings')) },
      validateFailed
    ])
    expect(suite.calls).toEqual([])
  })

  it('HCL2: the same where the device is a variable, so that its block cannot be told: on the source, once', async () => {
    const workspace = demoWith((text) =>
      withGp3Devices([
        ['ami_block_device_mappings', 'var.root_device'],
        ['launch_block_device_mappings', 'var.root_device']
      ])(text).concat('\nvariable "root_device" {\n  default = "/dev/xvda"\n}\n')
    )
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      { message: throughputError('/dev/xvda'), properties: { title: 'Packer', file: 'ami.pkr.hcl', line: lineOf(workspace, 'source "amazon-ebs" "demo"') } },
      validateFailed
    ])
    expect(result.summary.split(throughputError('/dev/xvda'))).toHaveLength(2)
  })

  /** The line of `workspace`'s template where Packer 1.6.6 stops reading a file left open: the one after its last. */
  const endLine = (workspace: string): number => readFileSync(join(workspace, templates.hcl2), 'utf8').split('\n').length
  const blockNeverClosed = 'This block is opened here and never closed: the } that ends it is missing, or a { inside it that is never closed takes it.'
  const endOfBlocks = (line: number): string =>
    `Error: Argument or block definition required\n\n  on ami.pkr.hcl line ${line}:\n\nAn argument or block definition is required here.\n${blockNeverClosed}`

  it("HCL2: a source block's { never closed, which Packer 1.6.6 names at the file's end: on the block, saying it is never closed", async () => {
    const workspace = demoWith((text) => text.replace('    SourceAMI = "{{ .SourceAMI }}"\n  }\n}\n', '    SourceAMI = "{{ .SourceAMI }}"\n  }\n'))
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      { message: endOfBlocks(endLine(workspace)), properties: { title: 'Packer', file: 'ami.pkr.hcl', line: lineOf(workspace, 'source "amazon-ebs" "demo"'), col: '1' } },
      validateFailed
    ])
    expect(suite.calls).toEqual([])
  })

  it("HCL2: a tags = { never closed, which takes its block's } for its own: on the block that holds it, which HCL leaves open", async () => {
    const workspace = demoWith((text) => text.replace('    SourceAMI = "{{ .SourceAMI }}"\n  }\n', '    SourceAMI = "{{ .SourceAMI }}"\n'))
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      { message: endOfBlocks(endLine(workspace)), properties: { title: 'Packer', file: 'ami.pkr.hcl', line: lineOf(workspace, 'source "amazon-ebs" "demo"'), col: '1' } },
      validateFailed
    ])
    expect(suite.calls).toEqual([])
  })

  it('HCL2: a heredoc never ended, which Packer 1.6.6 names at the end of the file: on its <<EOT', async () => {
    const workspace = demoWith((text) => text.replace('"Built by packer-ami-action from ${var.source_ami}"', '<<EOT\nBuilt by packer-ami-action\n'))
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message: expect.stringMatching(
          new RegExp(
            `^Error: Unterminated template string\\n\\n  on ami\\.pkr\\.hcl line ${endLine(workspace)}:\\n[^]*\\nNo closing marker was found for the string\\.\\n` +
              'This heredoc is opened here and never closed: no line holding only EOT \\(and spaces\\) ends it\\.$'
          )
        ),
        properties: { title: 'Packer', file: 'ami.pkr.hcl', line: lineOf(workspace, '<<EOT'), col: '28' }
      },
      validateFailed
    ])
    expect(suite.calls).toEqual([])
  })

  it("HCL2: a build's sources = [ never closed, which Packer 1.6.6 names on the line after: on its [", async () => {
    const workspace = demoWith((text) => text.replace('  sources = ["source.amazon-ebs.demo"]', '  sources = ["source.amazon-ebs.demo"'))
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    const after = lineOf(workspace, 'post-processor "manifest"')
    expect(result.errors).toEqual([
      {
        message: expect.stringMatching(
          new RegExp(
            `^Error: Missing item separator\\n\\n  on ami\\.pkr\\.hcl line ${after}, in build:\\n[^]*\\nExpected a comma to mark the beginning of the next item\\.\\n` +
              'This \\[ is opened here and never closed: the \\] that ends it is missing\\.$'
          )
        ),
        properties: { title: 'Packer', file: 'ami.pkr.hcl', line: lineOf(workspace, 'sources = ['), col: '13' }
      },
      validateFailed
    ])
    expect(suite.calls).toEqual([])
  })

  /** Packer 1.6.6's error of a source block whose `setting` reads `reads`, as the action says it. */
  const unreadableSource = (setting: string, reads: string): string =>
    `${setting} reads ${reads}, which Packer before 1.7.7 does not know in a source block (it gives source.name and source.type ` +
    `only to a build's provisioners and post-processors), so it cannot read source "amazon-ebs" "demo": failed to read dynamic type ` +
    `descriptor value: invalid character ',' looking for beginning of value. Packer 1.7.7 and later allow them in a source block: ` +
    'set the input packer-version to ">=1.7.7", or write the value out.'
  /** That error, on the line of ami.pkr.hcl that holds `lineText`, at `col`. */
  const unreadableAt = (workspace: string, setting: string, reads: string, lineText: string, col = '3') => ({
    message: unreadableSource(setting, reads),
    properties: { title: 'Packer', file: 'ami.pkr.hcl', line: lineOf(workspace, lineText), col }
  })

  it("HCL2: source.name and source.type in a source block, which Packer 1.6.6 refuses on the block's first line: on each setting that reads one", async () => {
    const workspace = demoWith((text) =>
      text
        .replace('ami_description        = "Built by packer-ami-action from ${var.source_ami}"', 'ami_description        = "Built as ${source.name}"')
        .replace('    Name      = var.ami_name_prefix', '    Name      = "${var.ami_name_prefix}-${upper(source.type)}"')
    )
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      unreadableAt(workspace, 'ami_description', 'source.name', 'ami_description'),
      unreadableAt(workspace, 'tags', 'source.type', 'tags = {'),
      validateFailed
    ])
    expect(suite.calls).toEqual([])
  })

  it("HCL2: a for expression's own variable named source is not the source: only the setting that reads source.name is named", async () => {
    const workspace = demoWith((text) =>
      text
        .replace('ami_description        = "Built by packer-ami-action from ${var.source_ami}"', 'ami_description        = "Built as ${source.name}"')
        .replace('  communicator           = "none"', '  communicator           = "none"\n  run_tags = { for source in [{ name = "Team", value = "images" }] : source.name => source.value if source.name != "" }')
    )
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([unreadableAt(workspace, 'ami_description', 'source.name', 'ami_description'), validateFailed])
  })

  it("HCL2: the same in a build's source block, which Packer names the source block for: on the setting there", async () => {
    const workspace = demoWith((text) =>
      text.replace('  sources = ["source.amazon-ebs.demo"]', '  source "source.amazon-ebs.demo" {\n    run_tags = { Name = source.name }\n  }')
    )
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([unreadableAt(workspace, 'run_tags', 'source.name', 'run_tags', '5'), validateFailed])
  })

  it('JSON: the same: each on its own mapping; and once, on the builder, where a device_name is a variable', async () => {
    const mapping = (device: string): string => `{ "device_name": "${device}", "volume_type": "gp3", "volume_size": 8 }`
    const workspace = demoWith(
      (text) =>
        text.replace(
          '"communicator": "none",',
          `"communicator": "none",\n      "ami_block_device_mappings": [\n        ${mapping('/dev/xvda')}\n      ],\n` +
            `      "launch_block_device_mappings": [\n        ${mapping('/dev/xvda')},\n        ${mapping('/dev/xvdb')}\n      ],`
        ),
      'json'
    )
    const errors = (await run(workspace, 'json')).errors
    const placed = (device: string, nth: number) => ({
      message: `Build "amazon-ebs": ${throughputError(device)}`,
      properties: expect.objectContaining({ file: 'packer-template.json', line: String(Number(lineOf(workspace, '"ami_block_device_mappings"', 'json')) + 1 + nth) })
    })
    // The AMI mapping's line, then the launch mappings' lines (past the line of their key).
    expect(errors.filter(({ message }) => message.includes('Throughput'))).toEqual([placed('/dev/xvda', 0), placed('/dev/xvda', 3), placed('/dev/xvdb', 4)])

    const template = join(workspace, templates.json)
    writeFileSync(template, readFileSync(template, 'utf8').replaceAll('"device_name": "/dev/xvdb"', '"device_name": "{{user `device`}}"'))
    const again = (await run(workspace, 'json')).errors
    expect(again.filter(({ message }) => message.includes('/dev/xvda'))).toEqual([
      // The builder's object begins on the line before its type.
      { message: `Build "amazon-ebs": ${throughputError('/dev/xvda')}`, properties: expect.objectContaining({ line: String(Number(lineOf(workspace, '"type": "amazon-ebs"', 'json')) - 1) }) }
    ])

    // A variable the action knows the value of, as Packer does: on the mappings again.
    const given = await suite.run(workspace, { template: 'packer-template.json', variables: 'device=/dev/xvdb' })
    expect(given.errors.filter(({ message }) => message.includes('Throughput'))).toEqual([placed('/dev/xvda', 0), placed('/dev/xvda', 3), placed('/dev/xvdb', 4)])
  })

  it('HCL2: a local whose file() reads a file that is not there, which Packer 1.6.6 reports as a missing attribute: not "sets no local", but that its value failed', async () => {
    const workspace = demoWith((text) =>
      text
        .replace('locals {\n', 'locals {\n  release = jsondecode(file("release.json"))\n  version = local.release.version\n')
        .replace('Name      = var.ami_name_prefix', 'Name      = local.version')
    )
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message:
          'local.release: Packer could not work out the value of local "release" (set at ami.pkr.hcl line ' +
          `${lineOf(workspace, 'release = jsondecode')}), so it has no value here: Packer 1.6.6 names the reference to it, not what ` +
          "failed in its expression. Check that expression: a file it reads that is not there (file() reads a path relative to the " +
          "template's directory), a function it calls.",
        properties: { title: 'Packer', file: 'ami.pkr.hcl', line: lineOf(workspace, 'version = local.release'), col: '13' }
      },
      { message: 'packer validate found problems in ami.pkr.hcl (see the errors above); nothing was built.', properties: {} }
    ])
    expect(suite.calls).toEqual([])
  })

  const loops: Array<[what: string, locals: string, read: string, said: string]> = [
    ['that reads itself', '  release = "r-${upper(local.release)}"\n', 'release = "r-', 'reads itself, so Packer cannot work out its value (Packer 1.6.6 names the reference to it, not the loop). Take local.release out of its own expression.'],
    [
      'and two more that read each other around it',
      '  release = { number = local.next }\n  next = ["${local.last}"]\n  last = local.release\n',
      'last = local.release',
      'reads itself through local.next, then local.last, so Packer cannot work out its value (Packer 1.6.6 names the reference to it, not the loop). Break the loop: one of these locals must not read the next.'
    ]
  ]
  for (const [what, locals, read, said] of loops) {
    it(`HCL2: a local ${what}, which Packer 1.6.6 reports as a missing attribute: the loop, named`, async () => {
      const workspace = demoWith((text) => text.replace('locals {\n', `locals {\n${locals}`).replace('Name      = var.ami_name_prefix', 'Name      = "${local.release}"'))
      const result = await run(workspace)
      expect(result.exitCode).toBe(1)
      expect(result.errors).toEqual([
        {
          message: `local.release: local "release" (set at ami.pkr.hcl line ${lineOf(workspace, 'release = ')}) ${said}`,
          properties: expect.objectContaining({ title: 'Packer', file: 'ami.pkr.hcl', line: lineOf(workspace, read) })
        },
        { message: 'packer validate found problems in ami.pkr.hcl (see the errors above); nothing was built.', properties: {} }
      ])
      expect(suite.calls).toEqual([])
    })
  }

  const selections: Array<[kind: string, type: string, edit: (text: string) => string, written: string]> = [
    ['provisioner', 'shell-local', withProvisioner('    only   = ["source.amazon-ebs.demo"]\n'), 'only   ='],
    ['post-processor', 'manifest', (text) => text.replace('  post-processor "manifest" {}', '  post-processor "manifest" {\n    only = ["source.amazon-ebs.demo"]\n  }'), 'only = ']
  ]
  for (const [kind, type, edit, written] of selections) {
    it(`HCL2: a ${kind}'s only that names its source as \`sources\` does, which Packer matches with nothing: a warning on it, with the name Packer matches`, async () => {
      const workspace = demoWith(edit)
      const result = await suite.run(workspace, { template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', command: 'validate' })
      expect(result.exitCode).toBe(0)
      expect(parseCommands(result.stdout, 'warning')).toContainEqual({
        message:
          `template: ami.pkr.hcl: only of ${kind} "${type}" names "source.amazon-ebs.demo", which is not a source of its build ` +
          `(amazon-ebs.demo), so Packer runs the ${kind} in none of its builds. Packer names a source TYPE.NAME there: did you mean "amazon-ebs.demo"?`,
        properties: { title: 'Source not in build', file: 'ami.pkr.hcl', line: lineOf(workspace, written), col: '5' }
      })
    })
  }

  /** The line and column where `text` is first written in the demo's template of that kind. */
  const placeOf = (workspace: string, text: string, kind: keyof typeof templates = 'hcl2'): { line: string; col: string } => {
    const line = readFileSync(join(workspace, templates[kind]), 'utf8').split('\n').find((written) => written.includes(text)) ?? ''
    return { line: lineOf(workspace, text, kind), col: String(line.indexOf(text) + 1) }
  }

  /** The warning on a quoted `written` reference to `what`, in `setting` of `of`, on the string. */
  const writtenAsText = (workspace: string, setting: string, of: string, written: string, what: string) => ({
    message:
      `template: ami.pkr.hcl: ${setting} of ${of} is the text "${written}", not the value of ${what}: Packer takes a quoted string ` +
      `as it is written, and builds with "${written}" there. Write ${written} without quotes, or "\${${written}}" inside a string.`,
    properties: { title: 'Reference written as text', file: 'ami.pkr.hcl', ...placeOf(workspace, `"${written}"`) }
  })

  it('HCL2: an AMI name and a tag written as a variable and a local in quotes, which Packer 1.6.6 builds with as text: a warning on each, before Packer is installed, and the build runs', async () => {
    const workspace = demoWith((text) =>
      text.replace('"${var.ami_name_prefix}-${local.build_stamp}"', '"var.ami_name_prefix"').replace('Name      = var.ami_name_prefix', 'Name      = "local.build_stamp"')
    )
    const result = await run(workspace)
    expect(result.exitCode).toBe(0)
    const warnings = parseCommands(result.stdout, 'warning').filter(({ properties }) => properties.title === 'Reference written as text')
    expect(warnings).toEqual([
      writtenAsText(workspace, 'ami_name', 'source "amazon-ebs.demo"', 'var.ami_name_prefix', 'variable "ami_name_prefix"'),
      writtenAsText(workspace, 'Name in tags', 'source "amazon-ebs.demo"', 'local.build_stamp', 'local "build_stamp"')
    ])
    expect(result.stdout.indexOf('Reference written as text')).toBeLessThan(result.stdout.indexOf('::group::Install Packer'))
    // What the warning says Packer does: the AMI is named, and tagged, with the text.
    const [image] = suite.calls.filter(({ action }) => action === 'CreateImage')
    expect(image.params.Name).toBe('var.ami_name_prefix')
    expect(suite.endpoint.tagsOf('us-east-1', result.outputs['ami-id'])).toMatchObject({ Name: 'local.build_stamp' })
    expect(result.summary).toContain('ami_name of source "amazon-ebs.demo" is the text "var.ami_name_prefix"')
  })

  /** The warning or error on a JSON string that writes `call` of `name` outside {{ }}, in `setting` of `of`, where `does` follows. */
  const unbraced = (workspace: string, setting: string, of: string, text: string, call: string, does: string): { message: string; place: { line: string; col: string } } => ({
    message:
      `template: packer-template.json: ${setting} of ${of} writes ${call} outside {{ }}: Packer reads only what is inside {{ }} as a template, ` +
      `so it takes that as text, not the value of variable "${call.slice(6, -1)}", and ${does}. Write ${JSON.stringify(text.replace(call, `{{${call}}}`))}.`,
    place: placeOf(workspace, JSON.stringify(text), 'json')
  })

  it("JSON: a tag and a description that write a variable's call without {{ }}, which Packer 1.6.6 builds with as text: a warning on each string, before Packer is installed; none for a shell command's backquotes", async () => {
    const template = JSON.parse(readFileSync(join(projectRoot, 'demo', 'json', templates.json), 'utf8'))
    const [builder] = template.builders
    builder.tags.Name = 'user `ami_name_prefix`'
    builder.ami_description = 'Built by packer-ami-action from user `source_ami`'
    // A command that runs `hostname` on the runner, whatever the template's variable of that name.
    template.variables.hostname = 'demo-host'
    const workspace = jsonWith({ variables: template.variables, builders: [builder], provisioners: [{ type: 'shell-local', inline: ['echo "run by user `hostname`"'] }] })
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(0)
    const warnings = parseCommands(result.stdout, 'warning').filter(({ properties }) => properties.title === 'Reference written as text')
    const expected = [
      unbraced(workspace, 'ami_description', 'builder "amazon-ebs"', builder.ami_description, 'user `source_ami`', `builds with ${JSON.stringify(builder.ami_description)} there`),
      unbraced(workspace, 'Name in tags', 'builder "amazon-ebs"', 'user `ami_name_prefix`', 'user `ami_name_prefix`', 'builds with "user `ami_name_prefix`" there')
    ]
    expect(warnings).toEqual(expected.map(({ message, place }) => ({ message, properties: { title: 'Reference written as text', file: 'packer-template.json', ...place } })))
    expect(result.stdout.indexOf('Reference written as text')).toBeLessThan(result.stdout.indexOf('::group::Install Packer'))
    // What the warning says Packer does: the AMI is described, and tagged, with the text.
    const described = suite.calls.filter(({ action, params }) => action === 'ModifyImageAttribute' && params['Description.Value'] !== undefined)
    expect(described.map(({ params }) => params['Description.Value'])).toContain('Built by packer-ami-action from user `source_ami`')
    expect(suite.endpoint.tagsOf('us-east-1', result.outputs['ami-id'])).toMatchObject({ Name: 'user `ami_name_prefix`' })
    expect(result.summary).toContain('Name in tags of builder "amazon-ebs" writes user `ami_name_prefix` outside {{ }}')
  })

  it("JSON: a call without {{ }} in a builder the only or except input leaves out, or a provisioner that runs only there: no warning, as Packer does not read them", async () => {
    const template = JSON.parse(readFileSync(join(projectRoot, 'demo', 'json', templates.json), 'utf8'))
    const [builder] = template.builders
    const second = { ...builder, name: 'second', ami_name: 'second-{{timestamp}}', ami_description: 'Built from user `source_ami`' }
    const workspace = jsonWith({
      builders: [builder, second],
      provisioners: [
        { type: 'shell-local', only: ['second'], inline: ['true'], environment_vars: ['SOURCE=user `source_ami`'] },
        { type: 'shell-local', inline: ['true'], environment_vars: ['PREFIX=user `ami_name_prefix`'] }
      ]
    })
    const everywhere = unbraced(workspace, 'environment_vars', 'provisioner "shell-local"', 'PREFIX=user `ami_name_prefix`', 'user `ami_name_prefix`', 'builds with "PREFIX=user `ami_name_prefix`" there')
    for (const selection of [{ only: 'amazon-ebs' }, { except: 'second' }] as Record<string, string>[]) {
      const result = await suite.run(workspace, { template: 'packer-template.json', ...selection })
      expect(result.exitCode).toBe(0)
      const warnings = parseCommands(result.stdout, 'warning').filter(({ properties }) => properties.title === 'Reference written as text')
      expect(warnings).toEqual([{ message: everywhere.message, properties: { title: 'Reference written as text', file: 'packer-template.json', ...everywhere.place } }])
    }
  })

  it("JSON: ami_regions that writes a variable's call without {{ }}, which Packer 1.6.6 fails on only once the AMI is made: refused on the string, before Packer is installed", async () => {
    const workspace = demoWith((text) => text.replace('"ami_regions": "{{user `ami_regions`}}"', '"ami_regions": "user `ami_regions`"'), 'json')
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    const { message, place } = unbraced(
      workspace,
      'ami_regions',
      'builder "amazon-ebs"',
      'user `ami_regions`',
      'user `ami_regions`',
      '"user `ami_regions`" is no region: the build fails at its region check ("Invalid region(s)"), or, with skip_region_validation, once the AMI is made, as Packer copies it'
    )
    expect(result.errors).toEqual([{ message, properties: { title: 'Invalid input', file: 'packer-template.json', ...place } }])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it('JSON: env written without {{ }} in a variable\'s default and in a tag, and user with "x" in a description, which Packer 1.6.6 builds with as text: a warning on each string; none for {{ user "x" }} or {{env "X"}}, which Packer reads', async () => {
    const template = JSON.parse(readFileSync(join(projectRoot, 'demo', 'json', templates.json), 'utf8'))
    const [builder] = template.builders
    template.variables.build_home = 'env `HOME`'
    template.variables.run_label = '{{env "RUN_LABEL"}}'
    builder.tags = { ...builder.tags, Home: '{{user `build_home`}}', RunLabel: '{{ user "run_label" }}', Shell: 'env `SHELL`', Prefix: '{{ user "ami_name_prefix" }}' }
    builder.ami_description = 'from user "source_ami"'
    const workspace = jsonWith({ variables: template.variables, builders: [builder] })
    const result = await suite.run(workspace, { template: 'packer-template.json' }, { RUN_LABEL: 'nightly' })
    expect(result.exitCode).toBe(0)
    const place = (text: string) => ({ file: 'packer-template.json', ...placeOf(workspace, JSON.stringify(text), 'json') })
    const asText = 'Packer reads only what is inside {{ }} as a template, so it takes that as text'
    expect(parseCommands(result.stdout, 'warning').filter(({ properties }) => properties.title === 'Reference written as text')).toEqual([
      {
        message:
          `template: packer-template.json: default of variable "build_home" writes env \`HOME\` outside {{ }}: ${asText}, not the value of environment ` +
          'variable "HOME", and the variable\'s value is "env `HOME`". Write "{{env `HOME`}}".',
        properties: { title: 'Reference written as text', ...place('env `HOME`') }
      },
      {
        message:
          `template: packer-template.json: ami_description of builder "amazon-ebs" writes user "source_ami" outside {{ }}: ${asText}, not the value of ` +
          'variable "source_ami", and builds with "from user \\"source_ami\\"" there. Write "from {{user \\"source_ami\\"}}".',
        properties: { title: 'Reference written as text', ...place('from user "source_ami"') }
      },
      {
        message:
          `template: packer-template.json: Shell in tags of builder "amazon-ebs" writes env \`SHELL\` outside {{ }}: ${asText}, not the value of environment ` +
          'variable "SHELL", and builds with "env `SHELL`" there. Packer allows env only in a variable\'s default: declare a variable such as "shell": ' +
          '"{{env `SHELL`}}" and write {{user `shell`}} here.',
        properties: { title: 'Reference written as text', ...place('env `SHELL`') }
      }
    ])
    // What the warnings say Packer does, and what it does with the forms it reads.
    expect(suite.endpoint.tagsOf('us-east-1', result.outputs['ami-id'])).toMatchObject({
      Home: 'env `HOME`',
      Shell: 'env `SHELL`',
      RunLabel: 'nightly',
      Prefix: 'packer-ami-action-demo'
    })
  })

  it("JSON: {{env}} in a tag, which Packer 1.6.6 refuses only once the AMI is made: refused on the string before Packer is installed, naming the variable that has it", async () => {
    const template = JSON.parse(readFileSync(join(projectRoot, 'demo', 'json', templates.json), 'utf8'))
    const [builder] = template.builders
    template.variables.build_home = '{{env `HOME`}}'
    builder.tags.Built = 'in {{env `HOME`}}'
    const workspace = jsonWith({ variables: template.variables, builders: [builder] })
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message:
          'template: packer-template.json: Built in tags of builder "amazon-ebs" calls env ({{env `HOME`}}), which Packer allows only in a variable\'s ' +
          'default: it refuses it anywhere else ("env vars are not allowed here"), in tags and ami_description only once the AMI is made. ' +
          'Variable "build_home" has it: write "in {{user `build_home`}}".',
        properties: { title: 'Invalid input', file: 'packer-template.json', ...placeOf(workspace, '"in {{env', 'json') }
      }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it("JSON: template data Packer does not give where it is read ({{ .Version }} in ami_name, {{ .Foo }} in tags and in a shell-local's inline): refused on each string, naming the data the setting has; {{ .SourceAMIName }} in ami_description is not", async () => {
    const template = JSON.parse(readFileSync(join(projectRoot, 'demo', 'json', templates.json), 'utf8'))
    const [builder] = template.builders
    builder.ami_name = 'demo-{{ .Version }}-{{timestamp}}'
    builder.ami_description = 'from {{ .SourceAMIName }} in {{ .BuildRegion }}'
    builder.tags.Owner = '{{ .Foo }}'
    const workspace = jsonWith({ builders: [builder], provisioners: [{ type: 'shell-local', inline: ['echo {{ .Name }}'] }] })
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    const data = '.BuildRegion, .SourceAMI, .SourceAMICreationDate, .SourceAMIName, .SourceAMIOwner, .SourceAMIOwnerName and .SourceAMITags'
    const on = (text: string) => ({ title: 'Invalid input', file: 'packer-template.json', ...placeOf(workspace, text, 'json') })
    expect(result.errors).toEqual([
      {
        message:
          'template: packer-template.json: ami_name of builder "amazon-ebs" reads {{ .Version }}, but Packer renders ami_name before the build, with no ' +
          'template data: it becomes "<no value>", and packer validate refuses that as an AMI name (its error says which characters a name may hold). ' +
          `The source AMI's data (${data}) is given to tags and ami_description; an AMI name may use {{timestamp}}, {{isotime}}, {{uuid}} or a variable.`,
        properties: on('"demo-{{ .Version')
      },
      {
        message:
          'template: packer-template.json: Owner in tags of builder "amazon-ebs" reads {{ .Foo }}, template data Packer does not give there: packer validate ' +
          `accepts it, but the build fails once the AMI is made, as Packer tags it ("can't evaluate field Foo"). Its data are ${data}.`,
        properties: on('"{{ .Foo }}"')
      },
      {
        message:
          'template: packer-template.json: inline of provisioner "shell-local" reads {{ .Name }}, but Packer renders inline with no template data: it runs ' +
          'the text "<no value>" there (a shell reads its < and > as redirections). Write the value itself, or a variable ({{user `name`}}); the data of ' +
          'execute_command ({{.Vars}}, {{.Script}}, {{.Command}}) is not given to inline.',
        properties: on('"echo {{ .Name }}"')
      }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it("JSON: template data a shell-local reads in a provisioner and a post-processor whose own only or except leaves them out of every build the only input selects, which Packer never prepares: not refused, and builds", async () => {
    const result = await suite.run(twoBuildsWithShellLocals(), { template: 'packer-template.json', only: 'web' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.outputs['ami-id']).toMatch(/^ami-/)
    expect(suite.calls.filter(({ action }) => action === 'RunInstances')).toHaveLength(1)
  })

  it('JSON: the same, with the only input selecting the build they run in: each refused before Packer is installed', async () => {
    const result = await suite.run(twoBuildsWithShellLocals(), { template: 'packer-template.json', only: 'db' })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map(({ message }) => String(message).split(' reads ')[0])).toEqual([
      'template: packer-template.json: inline of provisioner "shell-local"',
      'template: packer-template.json: environment_vars of provisioner "shell-local"',
      'template: packer-template.json: inline of post-processor "shell-local"'
    ])
    expect(suite.calls).toEqual([])
  })

  /** The demo's builder as builds "web" and "db", with shell-local provisioners and a post-processor whose own only/except run them in "db" only. */
  function twoBuildsWithShellLocals(): string {
    const [builder] = JSON.parse(readFileSync(join(projectRoot, 'demo', 'json', templates.json), 'utf8')).builders
    return jsonWith({
      builders: [
        { ...builder, name: 'web', ami_name: 'web-{{timestamp}}' },
        { ...builder, name: 'db', ami_name: 'db-{{timestamp}}' }
      ],
      provisioners: [
        { type: 'shell-local', only: ['db'], inline: ['echo {{ .Name }}'] },
        { type: 'shell-local', except: ['web'], environment_vars: ['SOURCE={{ .SourceAMI }}'], inline: ['echo "$SOURCE"'] }
      ],
      'post-processors': [[{ type: 'manifest' }, { type: 'shell-local', only: ['db'], inline: ['echo {{ .Foo }}'] }]]
    })
  }

  it("JSON: template data a shell-local's execute_command and environment_vars, and an amazon-ebssurrogate's run_tags, do not have, which Packer 1.6.6 runs as \"<no value>\", as its placeholder, or fails the build on: refused on each string before Packer is installed", async () => {
    const template = JSON.parse(readFileSync(join(projectRoot, 'demo', 'json', templates.json), 'utf8'))
    const [builder] = template.builders
    const surrogate = {
      ...builder,
      type: 'amazon-ebssurrogate',
      name: 'surrogate',
      ami_name: 'surrogate-{{timestamp}}',
      ami_virtualization_type: 'hvm',
      launch_block_device_mappings: [{ device_name: '/dev/xvdf', volume_size: 8, delete_on_termination: true }],
      ami_root_device: { source_device_name: '/dev/xvdf', device_name: '/dev/xvda', volume_size: 8, delete_on_termination: true },
      run_tags: { Launched: 'for {{ .Version }}' }
    }
    const workspace = jsonWith({
      builders: [builder, surrogate],
      provisioners: [{ type: 'shell-local', inline: ['echo "$SOURCE"'], environment_vars: ['SOURCE={{ .SourceAMI }}'], execute_command: ['/bin/sh', '-c', '{{.Vars}} {{.Path}}'] }],
      'post-processors': [[{ type: 'manifest' }, { type: 'shell-local', inline: ['echo {{ .Foo }}'] }]]
    })
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    const on = (text: string) => ({ title: 'Invalid input', file: 'packer-template.json', ...placeOf(workspace, text, 'json') })
    const data = '.BuildRegion, .SourceAMI, .SourceAMICreationDate, .SourceAMIName, .SourceAMIOwner, .SourceAMIOwnerName and .SourceAMITags'
    expect(result.errors).toEqual([
      {
        message:
          'template: packer-template.json: Launched in run_tags of builder "surrogate" reads {{ .Version }}, template data Packer does not give there: packer ' +
          `validate accepts it, but the build fails once the instance is launched, as Packer tags it ("can't evaluate field Version"). Its data are ${data}.`,
        properties: on('"for {{ .Version }}"')
      },
      {
        message:
          'template: packer-template.json: environment_vars of provisioner "shell-local" reads {{ .SourceAMI }}, which Packer has only once the build runs: it ' +
          'renders environment_vars as it reads the template, and puts there the text "Build_SourceAMI. To set this dynamically in the Packer template, you ' +
          'must use the `build` function" (a shell runs its `build` as a command). Write {{ build `SourceAMI` }}.',
        properties: on('"SOURCE={{ .SourceAMI }}"')
      },
      {
        message:
          'template: packer-template.json: execute_command of provisioner "shell-local" reads {{.Path}}, template data Packer does not give execute_command: ' +
          'packer validate accepts it, but Packer runs the command with the text "<no value>" in its place (unquoted, a shell reads its < and > as ' +
          'redirections and fails), once Packer has launched the instance. Its data are {{.Vars}}, {{.Script}}, {{.Command}}, and the build\'s: ' +
          '{{.SourceAMI}}, {{.BuildRegion}}, {{.ID}}, {{.Host}}...',
        properties: on('"{{.Vars}} {{.Path}}"')
      },
      {
        message:
          'template: packer-template.json: inline of post-processor "shell-local" reads {{ .Foo }}, but Packer renders inline with no template data: it runs ' +
          'the text "<no value>" there (a shell reads its < and > as redirections). Write the value itself, or a variable ({{user `name`}}); the data of ' +
          'execute_command ({{.Vars}}, {{.Script}}, {{.Command}}) is not given to inline.',
        properties: on('"echo {{ .Foo }}"')
      }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it("JSON: template data a spot request's tags, a tag's key, a provisioner's override and a file's destination do not have, which Packer 1.6.6 crashes on, fails the build on or uploads to \"<no value>\": refused on each before Packer is installed", async () => {
    const template = JSON.parse(readFileSync(join(projectRoot, 'demo', 'json', templates.json), 'utf8'))
    const [builder] = template.builders
    const spot = { ...builder, name: 'spot', spot_price: 'auto', spot_tags: { Request: 'for {{ .Nope }}' } }
    const workspace = jsonWith({
      builders: [{ ...builder, tags: { ...builder.tags, '{{ .Version }}': 'v' } }, spot],
      provisioners: [
        { type: 'shell-local', inline: ['echo hi'], override: { 'amazon-ebs': { inline: ['echo {{ .Name }}'] } } },
        { type: 'file', only: ['ssh'], source: 'packer-vars.json', destination: '/tmp/{{ .Nope }}' }
      ]
    })
    // The file provisioner's build connects through SSH, as the file provisioner needs.
    const text = JSON.parse(readFileSync(join(workspace, templates.json), 'utf8'))
    text.builders.push({ ...builder, name: 'ssh', communicator: 'ssh', ssh_username: 'ec2-user' })
    writeFileSync(join(workspace, templates.json), JSON.stringify(text, null, 2))
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    const on = (text: string) => ({ title: 'Invalid input', file: 'packer-template.json', ...placeOf(workspace, text, 'json') })
    const data = '.BuildRegion, .SourceAMI, .SourceAMICreationDate, .SourceAMIName, .SourceAMIOwner, .SourceAMIOwnerName and .SourceAMITags'
    expect(result.errors).toEqual([
      {
        message:
          'template: packer-template.json: the key "{{ .Version }}" in tags of builder "amazon-ebs" reads {{ .Version }}, template data Packer does not give ' +
          `there: packer validate accepts it, but the build fails once the AMI is made, as Packer tags it ("can't evaluate field Version"). Its data are ${data}.`,
        properties: on('"{{ .Version }}": "v"')
      },
      {
        message:
          'template: packer-template.json: Request in spot_tags of builder "spot" reads {{ .Nope }}, template data Packer does not give there: packer validate ' +
          'accepts it, but the build fails as Packer asks for the spot instance, and Packer then crashes as it cleans up ("can\'t evaluate field Nope"). ' +
          `Its data are ${data}.`,
        properties: on('"for {{ .Nope }}"')
      },
      {
        message:
          'template: packer-template.json: inline in the override for "amazon-ebs" of provisioner "shell-local" reads {{ .Name }}, but Packer renders inline ' +
          'with no template data: it runs the text "<no value>" there (a shell reads its < and > as redirections). Write the value itself, or a variable ' +
          '({{user `name`}}); the data of execute_command ({{.Vars}}, {{.Script}}, {{.Command}}) is not given to inline.',
        properties: on('"echo {{ .Name }}"')
      },
      {
        message:
          'template: packer-template.json: destination of provisioner "file" reads {{ .Nope }}, but Packer renders destination with no template data: the ' +
          'build uploads the file to a path with the text "<no value>" in it, on the instance, and succeeds. Write the value itself, or a variable ({{user `name`}}).',
        properties: on('"/tmp/{{ .Nope }}"')
      }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it("JSON: a spot build whose spot_tags read the source AMI's data: not refused, and Packer tags its spot request with the value and builds the AMI", async () => {
    const template = JSON.parse(readFileSync(join(projectRoot, 'demo', 'json', templates.json), 'utf8'))
    const [builder] = template.builders
    const workspace = jsonWith({ builders: [{ ...builder, spot_price: 'auto', spot_tags: { Request: 'for {{ .SourceAMI }}' } }] })
    const result = await run(workspace, 'json')
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(suite.endpoint.tagsOf('us-east-1', result.outputs['ami-id'])).toMatchObject({ SourceAMI: 'ami-0abcdef1234567890' })
    const requestTags = suite.calls.filter((call) => call.action === 'CreateTags' && /^sir-/.test(call.params['ResourceId.1'] ?? ''))
    expect(requestTags).toEqual([
      {
        action: 'CreateTags',
        region: 'us-east-1',
        accessKeyId: 'AKIDLOOPBACK',
        params: { 'ResourceId.1': expect.stringMatching(/^sir-[0-9a-f]{8}$/), 'Tag.1.Key': 'Request', 'Tag.1.Value': 'for ami-0abcdef1234567890' }
      }
    ])
    expect(suite.endpoint.tagsOf('us-east-1', requestTags[0].params['ResourceId.1'])).toEqual({ Request: 'for ami-0abcdef1234567890' })
  })

  it("JSON: the source AMI's data in a tag's key, data in an override through build, and a post-processor that the except input skips by its name: not refused, and the build tags and runs with their values", async () => {
    const template = JSON.parse(readFileSync(join(projectRoot, 'demo', 'json', templates.json), 'utf8'))
    const [builder] = template.builders
    const workspace = jsonWith({
      builders: [{ ...builder, tags: { ...builder.tags, 'from-{{ .SourceAMIName }}': 'yes' } }],
      provisioners: [{ type: 'shell-local', inline: ['echo plain'], override: { 'amazon-ebs': { inline: ['echo "overridden for {{ build `SourceAMI` }}"'] } } }],
      'post-processors': [[{ type: 'manifest' }, { type: 'shell-local', name: 'notify', inline: ['echo {{ .Nope }}'] }]]
    })
    const result = await suite.run(workspace, { template: 'packer-template.json', except: 'notify' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain('overridden for ami-0abcdef1234567890')
    expect(result.stdout).not.toContain('echo plain')
    expect(suite.endpoint.tagsOf('us-east-1', result.outputs['ami-id'])).toMatchObject({ 'from-loopback-source-al2023-x86_64': 'yes' })
  })

  it("JSON: the data Packer 1.6.6 gives a shell-local's execute_command, environment_vars (through build) and a post-processor's execute_command: not refused, and the build runs with their values", async () => {
    const workspace = jsonWith({
      provisioners: [
        {
          type: 'shell-local',
          inline: ['echo "from $SOURCE"'],
          environment_vars: ['SOURCE={{ build `SourceAMI` }}'],
          execute_command: ['/bin/sh', '-c', "echo 'ran {{.Script}} in {{.BuildRegion}}'; {{.Vars}} {{.Script}}"]
        }
      ],
      'post-processors': [[{ type: 'manifest' }, { type: 'shell-local', inline: ['echo made'], execute_command: ['/bin/sh', '-c', "echo 'after {{.SourceAMI}}'; {{.Vars}} {{.Command}}"] }]]
    })
    const result = await run(workspace, 'json')
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toMatch(/ran \/\S+ in us-east-1/)
    expect(result.stdout).toContain('from ami-0abcdef1234567890')
    expect(result.stdout).toContain('after ami-0abcdef1234567890')
    expect(result.stdout).toContain('made')
  })

  /** The demo's HCL2 template with `blocks` written in its build block, before its manifest post-processor. */
  const hclWithBlocks = (...blocks: string[]): string =>
    demoWith((text) => text.replace('  post-processor "manifest" {}', () => `${blocks.join('\n\n')}\n\n  post-processor "manifest" {}`))

  it("HCL2: template data a shell-local's execute_command does not have ({{.Paht}}, {{ .Path }}), and any in its inline and environment_vars, which Packer 1.6.6 runs as \"<no value>\": refused on each string before Packer is installed", async () => {
    const workspace = hclWithBlocks(
      [
        '  provisioner "shell-local" {',
        '    inline           = ["echo \\"from $SOURCE\\"", "echo {{ .SourceAMI }}"]',
        '    environment_vars = ["SOURCE=${var.source_ami}", "OWNER={{ .Owner }}"]',
        '    execute_command  = ["/bin/sh", "-c", "{{.Vars}} {{.Paht}}"]',
        '  }'
      ].join('\n'),
      [
        '  post-processor "shell-local" {',
        '    inline          = ["echo made"]',
        '    execute_command = ["/bin/sh", "-c", <<EOT',
        "echo 'after ${var.aws_region}'; {{.Vars}} {{ .Path }}",
        'EOT',
        '    ]',
        '  }'
      ].join('\n')
    )
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    const on = (text: string) => ({ title: 'Invalid input', file: 'ami.pkr.hcl', ...placeOf(workspace, text) })
    const commandData = "Its data are {{.Vars}}, {{.Script}}, {{.Command}}, and the build's: {{.SourceAMI}}, {{.BuildRegion}}, {{.ID}}, {{.Host}}..."
    const noValue = 'Packer runs the command with the text "<no value>" in its place (unquoted, a shell reads its < and > as redirections and fails)'
    expect(result.errors).toEqual([
      {
        message:
          'template: ami.pkr.hcl: inline of provisioner "shell-local" reads {{ .SourceAMI }}, but Packer renders inline with no template data: it runs ' +
          'the text "<no value>" there (a shell reads its < and > as redirections). An HCL2 template has the build\'s data as build.SourceAMI: ' +
          'write ${build.SourceAMI}.',
        properties: on('"echo {{ .SourceAMI }}"')
      },
      {
        message:
          'template: ami.pkr.hcl: environment_vars of provisioner "shell-local" reads {{ .Owner }}, but Packer renders environment_vars with no template ' +
          'data: the variable is set to the text "<no value>". Write the value itself, or a variable (${var.name}); the data of execute_command ' +
          '({{.Vars}}, {{.Script}}, {{.Command}}) is not given to environment_vars.',
        properties: on('"OWNER={{ .Owner }}"')
      },
      {
        message:
          'template: ami.pkr.hcl: execute_command of provisioner "shell-local" reads {{.Paht}}, template data Packer does not give execute_command: ' +
          `packer validate accepts it, but ${noValue}, once Packer has launched the instance. ${commandData}`,
        properties: on('"{{.Vars}} {{.Paht}}"')
      },
      {
        message:
          'template: ami.pkr.hcl: execute_command of post-processor "shell-local" reads {{ .Path }}, template data Packer does not give execute_command: ' +
          `packer validate accepts it, but ${noValue}, once Packer has made the AMIs. ${commandData}`,
        properties: on('<<EOT')
      },
      {
        message: 'The template reads template data Packer does not give where it is read (see the errors above); nothing was installed or built.',
        properties: {}
      }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it("HCL2: the data Packer 1.6.6 gives a shell-local's execute_command, mixed with ${ } of HCL2, $${ } escapes and a heredoc, and build.SourceAMI in environment_vars: not refused, and the build runs with their values", async () => {
    const workspace = hclWithBlocks(
      [
        '  provisioner "shell-local" {',
        '    inline           = ["echo \\"from $SOURCE\\""]',
        '    environment_vars = ["SOURCE=${build.SourceAMI}"]',
        `    execute_command  = ["/bin/sh", "-c", "echo 'ran {{.Script}} in {{ .BuildRegion }} for \${var.aws_region} $$\{HOME}'; {{.Vars}} {{.Script}}"]`,
        '  }'
      ].join('\n'),
      [
        '  post-processor "shell-local" {',
        '    inline          = ["echo made"]',
        '    execute_command = ["/bin/sh", "-c", <<-EOT',
        "      echo 'after {{.SourceAMI}} by {{ .Command }}'; {{.Vars}} {{.Script}}",
        '    EOT',
        '    ]',
        '  }'
      ].join('\n')
    )
    const result = await run(workspace)
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toMatch(/ran \/\S+ in us-east-1 for us-east-1 \$\{HOME\}/)
    expect(result.stdout).toContain('from ami-0abcdef1234567890')
    expect(result.stdout).toMatch(/after ami-0abcdef1234567890 by \/\S+/)
    expect(result.stdout).toContain('made')
  })

  /** The demo's HCL2 template with `settings` written in its source block after its tags, and its ami_description `description`. */
  const hclSourceWith = (settings: string[], description: string): string =>
    demoWith((text) =>
      text
        .replace(/ {2}tags = \{\n(?:.*\n)*? {2}\}\n/, (tags) => `${tags}${settings.join('\n')}\n`)
        .replace('"Built by packer-ami-action from ${var.source_ami}"', () => JSON.stringify(description))
    )

  it("HCL2: data an Amazon source's tags, tag keys, tag blocks, run_tags and ami_description do not have, which Packer 1.6.6 validates and fails on once the instance or the AMI is made: refused on each string, or key, before Packer is installed", async () => {
    const workspace = hclSourceWith(
      [
        '  run_tags = {',
        '    Builder = "{{ .Name }}"',
        '    "{{ .SourceAMIName }}-${var.aws_region}" = "source"',
        '  }',
        '  snapshot_tags = {',
        '    "{{ .Nope }}" = "${var.aws_region}"',
        '  }',
        '  tag {',
        '    key   = "Origin"',
        '    value = "{{ build `SourceAMI` }}"',
        '  }'
      ],
      'Built from {{ .SourceAMIName }} in {{ .Region }}'
    )
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    const on = (text: string) => ({ title: 'Invalid input', file: 'ami.pkr.hcl', ...placeOf(workspace, text) })
    const data = 'Its data are .BuildRegion, .SourceAMI, .SourceAMICreationDate, .SourceAMIName, .SourceAMIOwner, .SourceAMIOwnerName and .SourceAMITags.'
    expect(result.errors).toEqual([
      {
        message:
          'template: ami.pkr.hcl: ami_description of source "amazon-ebs.demo" reads {{ .Region }}, template data Packer does not give there: packer validate ' +
          'accepts it, but the build fails once the AMI is made, as Packer describes it: Packer deregisters the AMI, and yet ends the build as a success, ' +
          `naming the AMI it deregistered ("can't evaluate field Region"). ${data}`,
        properties: on('"Built from')
      },
      {
        message:
          'template: ami.pkr.hcl: Builder in run_tags of source "amazon-ebs.demo" reads {{ .Name }}, template data Packer does not give there: packer ' +
          `validate accepts it, but the build fails once the instance is launched, as Packer tags it ("can't evaluate field Name"). ${data}`,
        properties: on('"{{ .Name }}"')
      },
      {
        message:
          'template: ami.pkr.hcl: the key "{{ .Nope }}" in snapshot_tags of source "amazon-ebs.demo" reads {{ .Nope }}, template data Packer does not give ' +
          `there: packer validate accepts it, but the build fails once the AMI is made, as Packer tags its snapshots ("can't evaluate field Nope"). ${data}`,
        properties: on('"{{ .Nope }}"')
      },
      {
        message:
          'template: ami.pkr.hcl: value of tag of source "amazon-ebs.demo" reads {{ build `SourceAMI` }}, which Packer gives provisioners and ' +
          'post-processors alone: packer validate accepts it, but the build fails once the AMI is made, as Packer tags it ("the given variable ' +
          'SourceAMI will not be passed into your plugin"). Write {{ .SourceAMI }}.',
        properties: on('value =')
      },
      {
        message: 'The template reads template data Packer does not give where it is read (see the errors above); nothing was installed or built.',
        properties: {}
      }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it("HCL2: the source AMI's data in an Amazon source's tags, a tag's key, a tag block, run_tags and ami_description: not refused, and the AMI is tagged and described with its values", async () => {
    const workspace = hclSourceWith(
      [
        '  run_tags = {',
        '    Builder = "{{ .SourceAMIName }}"',
        '  }',
        '  snapshot_tags = {',
        '    "from-{{ .SourceAMIName }}" = "${var.aws_region}"',
        '  }',
        '  tag {',
        '    key   = "{{ .SourceAMIName }}-origin"',
        '    value = "{{ .SourceAMI }} in {{ .BuildRegion }}"',
        '  }'
      ],
      'Built from {{ .SourceAMIName }}'
    )
    const result = await run(workspace)
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const ami = result.outputs['ami-id']
    expect(suite.endpoint.tagsOf('us-east-1', ami)).toMatchObject({
      SourceAMI: 'ami-0abcdef1234567890',
      'loopback-source-al2023-x86_64-origin': 'ami-0abcdef1234567890 in us-east-1'
    })
    expect(suite.endpoint.images('us-east-1').find(({ imageId }) => imageId === ami)?.description).toBe('Built from loopback-source-al2023-x86_64')
    const snapshotTags = suite.calls.filter(({ action, params }) => action === 'CreateTags' && params['Tag.1.Key'] === 'from-loopback-source-al2023-x86_64')
    expect(snapshotTags).not.toEqual([])
    const launched = suite.calls.find(({ action }) => action === 'RunInstances')?.params ?? {}
    expect(Object.entries(launched)).toContainEqual([expect.stringMatching(/^TagSpecification\.1\.Tag\.\d+\.Value$/), 'loopback-source-al2023-x86_64'])
  })

  /** The demo's HCL2 template with `entries` in a local map common_tags, and its tags set to `tags`. */
  const hclTagsThroughLocal = (entries: string[], tags: string): string =>
    demoWith((text) =>
      text
        .replace('locals {\n', () => `locals {\n  common_tags = {\n${entries.join('\n')}\n  }\n`)
        .replace(/ {2}tags = \{\n(?:.*\n)*? {2}\}\n/, () => `  tags = ${tags}\n`)
    )

  it("HCL2: data an Amazon source's tags lack, written in a local the tags are given as, or merge() with it: refused on the local's string, before Packer is installed", async () => {
    const data = 'Its data are .BuildRegion, .SourceAMI, .SourceAMICreationDate, .SourceAMIName, .SourceAMIOwner, .SourceAMIOwnerName and .SourceAMITags.'
    const expected = (workspace: string) => [
      {
        message:
          'template: ami.pkr.hcl: Built in tags of source "amazon-ebs.demo" (in local.common_tags) reads {{ .Nope }}, template data Packer does not give ' +
          `there: packer validate accepts it, but the build fails once the AMI is made, as Packer tags it ("can't evaluate field Nope"). ${data}`,
        properties: { title: 'Invalid input', file: 'ami.pkr.hcl', ...placeOf(workspace, '"{{ .Nope }}"') }
      },
      {
        message: 'The template reads template data Packer does not give where it is read (see the errors above); nothing was installed or built.',
        properties: {}
      }
    ]
    const entries = ['    Base_AMI = "{{ .SourceAMIName }}"', '    Built    = "{{ .Nope }}"']
    for (const tags of ['local.common_tags', 'merge(local.common_tags, { Name = var.ami_name_prefix })']) {
      const workspace = hclTagsThroughLocal(entries, tags)
      const result = await run(workspace)
      expect(result.exitCode).toBe(1)
      expect(result.errors).toEqual(expected(workspace))
      expect(result.stdout).not.toContain('::group::Install Packer')
      expect(suite.calls).toEqual([])
    }
  })

  it("HCL2: the source AMI's data in a local an Amazon source's tags merge: not refused, and the AMI is tagged with its value", async () => {
    const workspace = hclTagsThroughLocal(['    Base_AMI = "{{ .SourceAMIName }}"'], 'merge(local.common_tags, { Name = var.ami_name_prefix })')
    const result = await run(workspace)
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(suite.endpoint.tagsOf('us-east-1', result.outputs['ami-id'])).toMatchObject({ Base_AMI: 'loopback-source-al2023-x86_64', Name: 'packer-ami-action-demo' })
  })

  it('HCL2: a declared variable inside "${…}", text that only mentions one, and var. text of a variable not declared: no such warning', async () => {
    const workspace = demoWith((text) =>
      text
        .replace('ami_description        = "Built by packer-ami-action from ${var.source_ami}"', 'ami_description        = "see var.ami_name_prefix docs"')
        .replace('    SourceAMI = "{{ .SourceAMI }}"', '    SourceAMI = "{{ .SourceAMI }}"\n    Prefix    = "${var.ami_name_prefix}"\n    Note      = "var.not_declared"')
    )
    const result = await suite.run(workspace, { template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', command: 'validate' })
    expect(result.exitCode).toBe(0)
    expect(readFileSync(join(workspace, 'ami.pkr.hcl'), 'utf8')).toContain('Note      = "var.not_declared"')
    expect(parseCommands(result.stdout, 'warning').filter(({ properties }) => properties.title === 'Reference written as text')).toEqual([])
  })

  it("HCL2: a build that a provisioner's failing command stops: on that provisioner, not the one before it", async () => {
    const workspace = demoWith((text) =>
      text.replace(
        '  post-processor "manifest" {}',
        '  provisioner "shell-local" {\n    inline = ["echo first"]\n  }\n\n' +
          '  provisioner "shell-local" {\n    scripts = ["setup.sh", "check.sh"]\n  }\n\n' +
          '  provisioner "shell-local" {\n    inline = ["ls /nowhere-at-all"]\n  }\n\n  post-processor "manifest" {}'
      )
    )
    for (const script of ['setup.sh', 'check.sh']) writeFileSync(join(workspace, script), '#!/bin/sh\necho fine\n', { mode: 0o755 })
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^amazon-ebs\.demo: Script exited with non-zero exit status: 2\./),
      properties: { title: 'Packer', file: 'ami.pkr.hcl', line: lineOf(workspace, '/nowhere-at-all'), col: '5' }
    })
    expect(result.errors).toHaveLength(2)
  })

  /** A first shell-local provisioner that passes, then one whose command fails, before the manifest. */
  const failingSecond = (text: string): string =>
    text.replace(
      '  post-processor "manifest" {}',
      '  provisioner "shell-local" {\n    inline = ["echo first"]\n  }\n\n  provisioner "shell-local" {\n    inline = ["ls /nowhere-at-all"]\n  }\n\n  post-processor "manifest" {}'
    )

  /** That the run failed on the failing provisioner of failingSecond, annotated there, for `build`. */
  async function expectFailedOnSecond(workspace: string, build: string): Promise<void> {
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(new RegExp(`^${build.replaceAll('.', '\\.')}: Script exited with non-zero exit status: 2\\.`)),
      properties: { title: 'Packer', file: 'ami.pkr.hcl', line: lineOf(workspace, '/nowhere-at-all'), col: '5' }
    })
  }

  it('HCL2: a failing shell-local provisioner in a build block with a shell one after it: on the failing one', async () => {
    // The communicator through a variable: a literal "none" with a shell provisioner is refused before the build.
    const workspace = demoWith((text) =>
      failingSecond(text)
        .replace('  post-processor "manifest" {}', '  provisioner "shell" {\n    inline = ["echo never"]\n  }\n\n  post-processor "manifest" {}')
        .replace('communicator           = "none"', 'communicator           = var.communicator')
        .concat('\nvariable "communicator" {\n  default = "none"\n}\n')
    )
    await expectFailedOnSecond(workspace, 'amazon-ebs.demo')
  })

  it('HCL2: a failing provisioner in a build block whose source block renames its source: on the failing one', async () => {
    const workspace = demoWith((text) =>
      failingSecond(text).replace('  sources = ["source.amazon-ebs.demo"]', '  source "source.amazon-ebs.demo" {\n    name = "renamed"\n  }')
    )
    await expectFailedOnSecond(workspace, 'amazon-ebs.renamed')
  })

  it('HCL2: a failing provisioner in a build block that lists its source as TYPE.NAME: on the failing one', async () => {
    const workspace = demoWith((text) => failingSecond(text).replace('["source.amazon-ebs.demo"]', '["amazon-ebs.demo"]'))
    await expectFailedOnSecond(workspace, 'amazon-ebs.demo')
  })

  /**
   * The demo's source built by its build block and by another, `name`d or not, each giving the
   * AMI a name of its own (the same would be refused before the build, as EC2 refuses the second).
   */
  const builtTwice = (text: string, name?: string): string => {
    const own = (ami: string): string => `  source "amazon-ebs.demo" {\n    ami_name = "${ami}-\${local.build_stamp}"\n  }`
    const first = text.replace(/\n {2}ami_name +=[^\n]*\n/, '\n').replace('  sources = ["source.amazon-ebs.demo"]', own('one'))
    return `${first}\nbuild {\n${name === undefined ? '' : `  name = "${name}"\n`}${own('two')}\n}\n`
  }

  it('HCL2: a failing provisioner of a source that a named build block builds too: on the failing one', async () => {
    const workspace = demoWith((text) => builtTwice(failingSecond(text), 'again'))
    await expectFailedOnSecond(workspace, 'amazon-ebs.demo')
  })

  it('HCL2: a failing provisioner of a source that another unnamed build block builds too: on the source block both build, not on another provisioner', async () => {
    // Both builds are amazon-ebs.demo: Packer's log does not tell whose scripts began, only the source.
    const workspace = demoWith((text) => builtTwice(failingSecond(text)))
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^amazon-ebs\.demo: Script exited with non-zero exit status: 2\./),
      properties: { title: 'Packer', file: 'ami.pkr.hcl', line: lineOf(workspace, 'source "amazon-ebs" "demo"'), col: '1' }
    })
  })

  it('JSON: a failing provisioner with a shell-local error-cleanup-provisioner, whose script Packer begins after it: on the failing one', async () => {
    const provisioners = [
      { type: 'shell-local', inline: ['echo first'] },
      { type: 'shell-local', inline: ['exit 1'] },
      { type: 'shell-local', inline: ['echo never'] }
    ]
    const cleanup = { type: 'shell-local', inline: ['echo cleaning up'] }
    const workspace = demoWith((text) => JSON.stringify({ ...JSON.parse(text), provisioners, 'error-cleanup-provisioner': cleanup }, null, 2), 'json')
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    expect(result.stdout).toContain('cleaning up')
    const lines = readFileSync(join(workspace, templates.json), 'utf8').split('\n')
    const failing = lines.findIndex((line) => line.includes('"exit 1"'))
    expect(result.errors[0]).toEqual({
      message: 'amazon-ebs: Script exited with non-zero exit status: 1.Allowed exit codes are: [0]',
      properties: { title: 'Packer', file: 'packer-template.json', line: String(lines.lastIndexOf('      "type": "shell-local",', failing) + 1), col: '15' }
    })
  })

  it("JSON: a build that a provisioner's failing command stops: on that provisioner's type", async () => {
    const provisioners = [
      { type: 'shell-local', inline: ['echo first'] },
      { type: 'shell-local', except: ['amazon-ebs'], inline: ['exit 3'] },
      { type: 'shell-local', inline: ['exit 1'] },
      { type: 'shell-local', inline: ['echo never'] }
    ]
    const workspace = demoWith((text) => JSON.stringify({ ...JSON.parse(text), provisioners }, null, 2), 'json')
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    const lines = readFileSync(join(workspace, templates.json), 'utf8').split('\n')
    const failing = lines.findIndex((line) => line.includes('"exit 1"'))
    expect(result.errors[0]).toEqual({
      message: 'amazon-ebs: Script exited with non-zero exit status: 1.Allowed exit codes are: [0]',
      properties: { title: 'Packer', file: 'packer-template.json', line: String(lines.lastIndexOf('      "type": "shell-local",', failing) + 1), col: '15' }
    })
    expect(result.errors).toHaveLength(2)
  })

  /** The demo's JSON template with `settings` added to its builder. */
  const withBuilderSettings = (settings: Record<string, unknown>) => (text: string): string => {
    const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
    return JSON.stringify({ ...template, builders: [{ ...template.builders[0], ...settings }] }, null, 2)
  }

  it("JSON: a vpc_filter on a name EC2 does not have (isDefault for is-default), which EC2 refuses once the build starts: on that name, before any instance is launched", async () => {
    const workspace = demoWith(withBuilderSettings({ vpc_filter: { filters: { isDefault: 'true' } } }), 'json')
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^amazon-ebs: Error querying VPCs: InvalidParameterValue: The filter 'isDefault' is invalid\n/),
      properties: { title: 'Packer', file: 'packer-template.json', line: lineOf(workspace, '"isDefault"', 'json'), col: '11' }
    })
    expect(result.errors).toHaveLength(2)
    expect(suite.calls.filter((call) => call.action === 'RunInstances')).toEqual([])
  })

  it('JSON: a filter name in source_ami_filter a long way from any EC2 knows (arch), left for EC2 to refuse: on that name', async () => {
    const filters = { arch: 'x86_64', name: 'loopback-source-*' }
    const edit = withBuilderSettings({ source_ami_filter: { filters, owners: ['137112412989'], most_recent: true } })
    const workspace = demoWith((text) => edit(text.replace('"source_ami": "{{user `source_ami`}}",', '')), 'json')
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^amazon-ebs: Error querying AMI: InvalidParameterValue: The filter 'arch' is invalid\n/),
      properties: { title: 'Packer', file: 'packer-template.json', line: lineOf(workspace, '"arch"', 'json'), col: '11' }
    })
    expect(suite.calls.filter((call) => call.action === 'RunInstances')).toEqual([])
  })

  it('HCL2: the same vpc_filter name, in a source block: on that name in its filters', async () => {
    const filter = '  vpc_filter {\n    filters = {\n      isDefault = "true"\n    }\n  }\n'
    const workspace = demoWith((text) => text.replace('source "amazon-ebs" "demo" {\n', `source "amazon-ebs" "demo" {\n${filter}`))
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^amazon-ebs\.demo: Error querying VPCs: InvalidParameterValue: The filter 'isDefault' is invalid\n/),
      properties: { title: 'Packer', file: 'ami.pkr.hcl', line: lineOf(workspace, 'isDefault ='), col: '7' }
    })
    expect(suite.calls.filter((call) => call.action === 'RunInstances')).toEqual([])
  })

  it('JSON: an ami_name without {{timestamp}}, built again once an AMI has that name, which Packer refuses naming only the build: on ami_name', async () => {
    const workspace = demoWith(withBuilderSettings({ ami_name: 'demo-fixed-json' }), 'json')
    expect((await run(workspace, 'json')).exitCode).toBe(0)
    const again = await run(workspace, 'json')
    expect(again.exitCode).toBe(1)
    expect(again.errors[0]).toEqual({
      message: expect.stringMatching(/^amazon-ebs: Error: AMI Name: 'demo-fixed-json' is used by an existing AMI: ami-\w+$/),
      properties: { title: 'Packer', file: 'packer-template.json', line: lineOf(workspace, '"ami_name"', 'json'), col: '7' }
    })
  })

  it('HCL2: the same, in the source block: on its ami_name', async () => {
    const workspace = demoWith((text) => text.replace(/^( *ami_name *= ).*$/m, '$1"demo-fixed-hcl"'))
    expect((await run(workspace)).exitCode).toBe(0)
    const again = await run(workspace)
    expect(again.exitCode).toBe(1)
    expect(again.errors[0]).toEqual({
      message: expect.stringMatching(/^amazon-ebs\.demo: Error: AMI Name: 'demo-fixed-hcl' is used by an existing AMI: ami-\w+$/),
      properties: { title: 'Packer', file: 'ami.pkr.hcl', line: lineOf(workspace, 'demo-fixed-hcl'), col: '3' }
    })
  })

  const makesNoAmi = 'The template builds no AMI in this run (see the errors above); nothing was installed or built.'
  const amiBuilders = 'amazon-ebs, amazon-ebssurrogate, amazon-instance or amazon-chroot'

  /** The demo's JSON template with its one builder made an amazon-ebsvolume, which makes EBS volumes. */
  const volumeBuilder = (text: string): string => {
    const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
    // amazon-ebsvolume takes none of the AMI's settings, nor skip_region_validation (Packer 1.6.6).
    const dropped = ['type', 'ami_name', 'ami_description', 'ami_regions', 'tags', 'skip_region_validation']
    const settings = Object.fromEntries(Object.entries(template.builders[0]).filter(([key]) => !dropped.includes(key)))
    const volumes = [{ device_name: '/dev/xvdf', volume_type: 'gp2', volume_size: 10, delete_on_termination: false }]
    return JSON.stringify({ ...template, builders: [{ type: 'amazon-ebsvolume', ...settings, ebs_volumes: volumes }] }, null, 2)
  }

  it('JSON: an amazon-ebsvolume builder alone, which makes volumes and no AMI: on its type, before Packer is installed or EC2 is called', async () => {
    const workspace = demoWith(volumeBuilder, 'json')
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message:
          'template: packer-template.json: build amazon-ebsvolume (builder amazon-ebsvolume) makes no AMI, and this run builds nothing else: ' +
          `the action builds AMIs, and would fail after the build. Build with a builder that makes one: ${amiBuilders}.`,
        properties: { title: 'Invalid input', file: 'packer-template.json', line: lineOf(workspace, '"type": "amazon-ebsvolume"', 'json'), col: '7' }
      },
      { message: makesNoAmi, properties: {} }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it('JSON: the same with command validate, which builds nothing: validated as before', async () => {
    const workspace = demoWith(volumeBuilder, 'json')
    const result = await suite.run(workspace, { template: 'packer-template.json', command: 'validate' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(suite.calls).toEqual([])
  })

  /** The demo's HCL2 template whose one source is a null builder, with these settings. */
  const nullSource = (settings: string) => (text: string): string =>
    text.replace(/source "amazon-ebs" "demo" \{[\s\S]*?\n\}\n/, `source "null" "demo" {\n  communicator = "none"\n${settings}}\n`).replace('source.amazon-ebs.demo', 'source.null.demo')

  /**
   * A run refused for builds that make no AMI: one error on the line of `source` (a block, at
   * column 1, unless `col` says otherwise), for `build` of `type` (`why` none), and no EC2 call
   * during the test.
   */
  function expectNoAmiRefused(result: ActionRun, workspace: string, build: string, why: string, source: string, col = '1'): void {
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message:
          `template: ami.pkr.hcl: build ${build} makes no AMI${why}, and this run builds nothing else: ` +
          `the action builds AMIs, and would fail after the build. Build with a builder that makes one: ${amiBuilders}.`,
        properties: { title: 'Invalid input', file: 'ami.pkr.hcl', line: lineOf(workspace, source), col }
      },
      { message: makesNoAmi, properties: {} }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  }

  /** The demo's HCL2 template with a null source "other" that its build block builds too. */
  const withNullBeside = (text: string): string =>
    text.replace('build {\n  sources = ["source.amazon-ebs.demo"]', 'source "null" "other" {\n  communicator = "none"\n}\n\nbuild {\n  sources = ["source.amazon-ebs.demo", "source.null.other"]')

  it('HCL2: a null source alone, which makes no AMI: on its block, before Packer is installed or EC2 is called', async () => {
    const workspace = demoWith(nullSource(''))
    expectNoAmiRefused(await run(workspace), workspace, 'null.demo (builder null)', '', 'source "null" "demo"')
  })

  it('HCL2: an amazon-ebs source with skip_create_ami = true, beside a null one that except leaves out: on its skip_create_ami, before Packer is installed', async () => {
    const workspace = demoWith((text) => withNullBeside(text.replace('  communicator           = "none"\n', '  communicator           = "none"\n  skip_create_ami        = true\n')))
    const result = await suite.run(workspace, { template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', except: 'null.other' })
    expectNoAmiRefused(result, workspace, 'amazon-ebs.demo (builder amazon-ebs)', ', as its skip_create_ami is true', 'skip_create_ami        = true', '3')
  })

  it("HCL2: skip_create_ami = true set in the build block's source block: on that setting, not on the source", async () => {
    const workspace = demoWith((text) =>
      text.replace('build {\n  sources = ["source.amazon-ebs.demo"]', 'build {\n  source "source.amazon-ebs.demo" {\n    skip_create_ami = true\n  }')
    )
    const result = await run(workspace)
    expectNoAmiRefused(result, workspace, 'amazon-ebs.demo (builder amazon-ebs)', ', as its skip_create_ami is true', '    skip_create_ami = true', '5')
  })

  /** The demo's HCL2 template whose source's skip_create_ami is variable "skip_ami" (`declaration` its body). */
  const skipFromVariable = (declaration: string) => (text: string): string =>
    text
      .replace('variable "source_ami" {', `variable "skip_ami" {\n${declaration}}\n\nvariable "source_ami" {`)
      .replace('  communicator           = "none"\n', '  communicator           = "none"\n  skip_create_ami        = var.skip_ami\n')

  it('HCL2: skip_create_ami = var.skip_ami, a bool variable the variables input sets true: on that setting, before Packer is installed', async () => {
    const workspace = demoWith(skipFromVariable('  type    = bool\n  default = false\n'))
    const result = await suite.run(workspace, { template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', variables: 'skip_ami=true' })
    expectNoAmiRefused(result, workspace, 'amazon-ebs.demo (builder amazon-ebs)', ', as its skip_create_ami is true', 'skip_create_ami        = var.skip_ami', '3')
  })

  it("HCL2: skip_create_ami from a bool variable's default true, and from a string variable's env() default the step's environment sets to true: refused alike", async () => {
    const fromDefault = demoWith(skipFromVariable('  type    = bool\n  default = true\n'))
    expectNoAmiRefused(await run(fromDefault), fromDefault, 'amazon-ebs.demo (builder amazon-ebs)', ', as its skip_create_ami is true', 'skip_create_ami        = var.skip_ami', '3')
    const fromEnvironment = demoWith(skipFromVariable('  type    = string\n  default = env("SKIP_AMI")\n'))
    const result = await suite.run(fromEnvironment, { template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' }, { SKIP_AMI: 'true' })
    expectNoAmiRefused(result, fromEnvironment, 'amazon-ebs.demo (builder amazon-ebs)', ', as its skip_create_ami is true', 'skip_create_ami        = var.skip_ami', '3')
  })

  it('HCL2: skip_create_ami = var.skip_ami set false: left to Packer, which 1.6.6 runs (and refuses the setting, which it does not know)', async () => {
    const workspace = demoWith(skipFromVariable('  type    = bool\n  default = true\n'))
    const result = await suite.run(workspace, { template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', variables: 'skip_ami=false' })
    expect(result.exitCode).toBe(1)
    expect(result.stdout).toContain('::group::Validate')
    expect(result.errors[0]).toEqual({
      message: expect.stringContaining('An argument named "skip_create_ami" is not expected here.'),
      properties: expect.objectContaining({ title: 'Packer', file: 'ami.pkr.hcl', line: lineOf(workspace, 'skip_create_ami        = var.skip_ami') })
    })
    expect(suite.calls).toEqual([])
  })

  it('HCL2: skip_save_build_region = true with no ami_regions, which leaves no AMI: on that setting, before Packer is installed', async () => {
    const workspace = demoWith((text) =>
      text.replace(/\n {2}ami_regions +=[^\n]*\n/, '\n').replace('  communicator           = "none"\n', '  communicator           = "none"\n  skip_save_build_region = true\n')
    )
    const why =
      ', as its skip_save_build_region is true and its ami_regions names no region: Packer makes the AMI under a temporary name, ' +
      'copies it to the regions of ami_regions, then deregisters it'
    expectNoAmiRefused(await run(workspace), workspace, 'amazon-ebs.demo (builder amazon-ebs)', why, 'skip_save_build_region = true', '3')
  })

  it('HCL2: skip_save_build_region = true with ami_regions to copy to: built, the copies in the outputs', async () => {
    const workspace = demoWith((text) => text.replace('  communicator           = "none"\n', '  communicator           = "none"\n  skip_save_build_region = true\n'))
    const result = await run(workspace)
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(Object.keys(JSON.parse(result.outputs['ami-ids'])).sort()).toEqual(['eu-west-1', 'us-west-2'])
  })

  /**
   * The demo's JSON builder with `setting` true (and no ami_regions, with `dropRegions`): refused
   * before Packer is installed, `why` it makes no AMI, on that setting's line.
   */
  async function expectJsonSettingRefused(setting: string, why: string, dropRegions = false): Promise<void> {
    const workspace = demoWith((text) => {
      const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
      if (dropRegions) delete template.builders[0].ami_regions
      template.builders[0][setting] = true
      return JSON.stringify(template, null, 2)
    }, 'json')
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringContaining(`template: packer-template.json: build amazon-ebs (builder amazon-ebs) makes no AMI${why}`),
      properties: { title: 'Invalid input', file: 'packer-template.json', line: lineOf(workspace, `"${setting}": true`, 'json'), col: '7' }
    })
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  }

  it('JSON: skip_save_build_region true and no ami_regions: on that setting, before Packer is installed', async () => {
    await expectJsonSettingRefused('skip_save_build_region', ', as its skip_save_build_region is true and its ami_regions names no region: ', true)
  })

  it('JSON: an amazon-ebs builder with skip_create_ami true: on its skip_create_ami, before Packer is installed', async () => {
    await expectJsonSettingRefused('skip_create_ami', ', as its skip_create_ami is true, and ')
  })

  /** What the action says of `name` in source_ami_filter's filters, where EC2 knows `meant`. */
  const misspeltFilter = (name: string, meant: string): string =>
    `filters on "${name}", which is no filter of EC2's DescribeImages: did you mean "${meant}"? Packer passes the name on as ` +
    `written, and EC2 refuses it (InvalidParameterValue: The filter '${name}' is invalid) only once the build has started.`

  it("HCL2: a source_ami_filter filter name misspelt, which Packer validates and EC2 refuses once the build has started: on the name, before Packer is installed", async () => {
    const workspace = demoWith((text) =>
      text.replace(
        '  communicator           = "none"\n',
        '  communicator           = "none"\n  source_ami_filter {\n    filters = {\n      name                = "loopback-source-*"\n' +
          '      virtualisation-type = "hvm"\n    }\n    owners = ["self"]\n  }\n'
      )
    )
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message: `template: ami.pkr.hcl: source_ami_filter of source "amazon-ebs.demo" ${misspeltFilter('virtualisation-type', 'virtualization-type')}`,
        properties: { title: 'Invalid input', file: 'ami.pkr.hcl', line: lineOf(workspace, 'virtualisation-type'), col: '7' }
      },
      { message: 'The template filters its source AMI on names EC2 would refuse (see the errors above); nothing was installed or built.', properties: {} }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it('JSON: a source_ami_filter filter name written with underscores: on the name, with the one EC2 knows, before Packer is installed', async () => {
    const workspace = demoWith((text) => {
      const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
      template.builders[0].source_ami_filter = { filters: { name: 'loopback-source-*', root_device_type: 'ebs' }, owners: ['self'] }
      return JSON.stringify(template, null, 2)
    }, 'json')
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: `template: packer-template.json: source_ami_filter of builder "amazon-ebs" ${misspeltFilter('root_device_type', 'root-device-type')}`,
      properties: { title: 'Invalid input', file: 'packer-template.json', line: lineOf(workspace, '"root_device_type"', 'json'), col: '11' }
    })
    expect(result.errors.slice(1).every(({ properties }) => properties.file === undefined)).toBe(true)
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it('HCL2: an ami_block_device_mappings volume_type EC2 does not have, which it refuses only as it registers the AMI: on it, with the type meant, before Packer is installed', async () => {
    const workspace = demoWith((text) =>
      text.replace(
        '  communicator           = "none"\n',
        '  communicator           = "none"\n  ami_block_device_mappings {\n    device_name = "/dev/sdb"\n    volume_size = 8\n    volume_type = "GP3"\n  }\n'
      )
    )
    const result = await run(workspace)
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message:
          'template: ami.pkr.hcl: ami_block_device_mappings of source "amazon-ebs.demo" has volume_type "GP3", which is no EBS volume type: did you mean "gp3"? ' +
          'Packer passes it on as written, and EC2 refuses it (InvalidParameterValue) only as it registers the AMI, after the whole build.',
        properties: { title: 'Invalid input', file: 'ami.pkr.hcl', line: lineOf(workspace, '"GP3"'), col: '5' }
      },
      { message: 'The template gives volumes a type EC2 does not have (see the errors above); nothing was installed or built.', properties: {} }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it('JSON: a launch_block_device_mappings volume_type EC2 does not have (gp4): on it, listing the types EC2 has, before Packer is installed', async () => {
    const workspace = demoWith((text) => {
      const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
      template.builders[0].launch_block_device_mappings = [{ device_name: '/dev/xvda', volume_size: 8, volume_type: 'gp4', delete_on_termination: true }]
      return JSON.stringify(template, null, 2)
    }, 'json')
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message:
        'template: packer-template.json: launch_block_device_mappings of builder "amazon-ebs" has volume_type "gp4", which is no EBS volume type ' +
        "(EC2's are gp2, gp3, io1, io2, sc1, st1, standard). Packer passes it on as written, and EC2 refuses it (InvalidParameterValue) only once the build has started.",
      properties: { title: 'Invalid input', file: 'packer-template.json', line: lineOf(workspace, '"gp4"', 'json'), col: '11' }
    })
    expect(result.errors.slice(1).every(({ properties }) => properties.file === undefined)).toBe(true)
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  it("JSON: a sensitive-variables entry naming no declared variable, which Packer takes without a word: warned of on the entry, naming the variable meant, before Packer is installed; the meant value shows as before", async () => {
    const token = 'tok-4f8a2c91e7'
    const workspace = demoWith((text) => {
      const template = JSON.parse(text) as { variables: Record<string, string> }
      template.variables.deploy_token = token
      const provisioners = [{ type: 'shell-local', inline: ['echo using {{user `deploy_token`}}'] }]
      return JSON.stringify({ 'sensitive-variables': ['deploy_tokn'], ...template, provisioners }, null, 2)
    }, 'json')
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(0)
    const warned = parseCommands(result.stdout, 'warning').filter(({ properties }) => properties.title === 'Undeclared sensitive variable')
    expect(warned).toEqual([
      {
        message:
          'sensitive-variables in packer-template.json lists "deploy_tokn", which the template does not declare: Packer hides nothing by it, ' +
          'and says nothing. Did you mean "deploy_token"? Its value shows in the log until sensitive-variables lists it.',
        properties: { title: 'Undeclared sensitive variable', file: 'packer-template.json', line: lineOf(workspace, '"deploy_tokn"', 'json'), col: '5' }
      }
    ])
    expect(result.stdout.indexOf('title=Undeclared sensitive variable')).toBeLessThan(result.stdout.indexOf('::group::Install Packer'))
    // What the warning is about: nothing has the runner hide the value meant.
    expect(result.stdout).toContain(`using ${token}`)
    expect(result.stdout).not.toContain(`::add-mask::${token}`)
  })

  it('JSON: sensitive-variables naming declared variables: no warning, and their values masked', async () => {
    const workspace = demoWith((text) => {
      const template = JSON.parse(text) as { variables: Record<string, string> }
      template.variables.deploy_token = 'tok-4f8a2c91e7'
      const provisioners = [{ type: 'shell-local', inline: ['echo using {{user `deploy_token`}}'] }]
      return JSON.stringify({ 'sensitive-variables': ['deploy_token'], ...template, provisioners }, null, 2)
    }, 'json')
    const result = await run(workspace, 'json')
    expect(result.exitCode).toBe(0)
    expect(parseCommands(result.stdout, 'warning').filter(({ properties }) => properties.title === 'Undeclared sensitive variable')).toEqual([])
    // The runner hides what ::add-mask:: names, in this line and every later one.
    expect(result.stdout).toContain('::add-mask::tok-4f8a2c91e7')
  })

  it('volume types EC2 has, written or from a variable: built as before', async () => {
    const workspace = demoWith((text) => {
      const template = JSON.parse(text) as { variables: Record<string, string>; builders: Array<Record<string, unknown>> }
      template.variables.root_type = 'gp2'
      template.builders[0].launch_block_device_mappings = [{ device_name: '/dev/xvda', volume_size: 8, volume_type: '{{user `root_type`}}' }]
      template.builders[0].ami_block_device_mappings = [{ device_name: '/dev/sdb', volume_size: 8, volume_type: 'st1' }]
      return JSON.stringify(template, null, 2)
    }, 'json')
    const result = await run(workspace, 'json')
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
  })

  it('filter names EC2 knows, tag: ones among them, are left alone: built as before', async () => {
    const workspace = demoWith((text) =>
      text.replace(
        '  communicator           = "none"\n',
        '  communicator           = "none"\n  source_ami_filter {\n    filters = {\n      name                = "loopback-source-*"\n' +
          '      "tag:virtualisation-type" = "hvm"\n      virtualization-type = "hvm"\n    }\n    owners = ["self"]\n  }\n'
      )
    )
    const result = await run(workspace)
    expect(result.errors.map(({ message }) => message).join('\n')).not.toContain('no filter of EC2')
    expect(result.stdout).toContain('::group::Install Packer')
  })

  it('HCL2: a null source beside the amazon-ebs one: built as before, the AMIs in the outputs', async () => {
    const workspace = demoWith(withNullBeside)
    const result = await run(workspace)
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.outputs['ami-id']).toMatch(/^ami-/)
  })

  /** The demo's build block named `name`, then `more` after it. */
  const namedBuild = (name: string, more: string) => (text: string): string =>
    text.replace('build {\n  sources = ["source.amazon-ebs.demo"]', `build {\n  name    = "${name}"\n  sources = ["source.amazon-ebs.demo"]`) + more

  /** A run refused before the install, on `place`, with `message`: nothing sent to EC2. */
  function expectRepeatRefused(result: ActionRun, message: string, place: { line: string; col: string }): void {
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      { message, properties: { title: 'Invalid input', file: 'ami.pkr.hcl', ...place } },
      {
        message: 'The template builds a source twice with the same settings, which EC2 refuses the second time (see the errors above); nothing was installed or built.',
        properties: {}
      }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  }

  const twiceFails =
    'Packer builds it twice, and both AMIs get the same name in the same region. EC2 refuses the second\'s (InvalidAMIName.Duplicate) ' +
    'once the first\'s AMI is made, and Packer names the source block, not this build block.'

  it('HCL2: two build blocks of one name building one source with the same settings, which Packer builds twice and EC2 refuses the second AMI of: on the second, naming the first, before Packer is installed', async () => {
    const workspace = demoWith(namedBuild('release', '\nbuild {\n  name    = "release"\n  sources = ["source.amazon-ebs.demo"]\n}\n'))
    const result = await run(workspace)
    expectRepeatRefused(
      result,
      `template: ami.pkr.hcl: this build block builds source.amazon-ebs.demo as the build block at ami.pkr.hcl:${lineOf(workspace, 'build {')} does, ` +
        `under the same name, release.amazon-ebs.demo, with the same settings: ${twiceFails} Give this build block a name of its own ` +
        '(name = "…") and an ami_name of its own in a source "amazon-ebs.demo" { … } block, or build the source once; set ami_name there ' +
        'instead of in the source block (Packer refuses it in both).',
      { line: nthLineOf(workspace, 'sources = ["source.amazon-ebs.demo"]', 1), col: '14' }
    )
  })

  it('HCL2: a build block that lists its source twice: on the second entry, before Packer is installed', async () => {
    const workspace = demoWith((text) => text.replace('  sources = ["source.amazon-ebs.demo"]', '  sources = [\n    "source.amazon-ebs.demo",\n    "source.amazon-ebs.demo",\n  ]'))
    const result = await run(workspace)
    expectRepeatRefused(
      result,
      `template: ami.pkr.hcl: the build block at line ${lineOf(workspace, 'build {')} builds source.amazon-ebs.demo a second time, under the same name, ` +
        `amazon-ebs.demo, with the same settings: ${twiceFails} List the source once, or build it in two source "amazon-ebs.demo" { … } blocks, ` +
        'each with a name and an ami_name of its own; set ami_name there instead of in the source block (Packer refuses it in both).',
      { line: nthLineOf(workspace, '"source.amazon-ebs.demo",', 1), col: '5' }
    )
  })

  it('HCL2: two build blocks of one name, each giving the source an ami_name of its own: both built, the AMIs of each in the outputs', async () => {
    const own = (ami: string): string => `  source "amazon-ebs.demo" {\n    ami_name = "${ami}-\${local.build_stamp}"\n  }`
    const workspace = demoWith((text) =>
      namedBuild('release', `\nbuild {\n  name = "release"\n${own('two')}\n\n  post-processor "manifest" {}\n}\n`)(text.replace(/\n {2}ami_name +=[^\n]*\n/, '\n')).replace(
        '  sources = ["source.amazon-ebs.demo"]',
        own('one')
      )
    )
    const result = await run(workspace)
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(Object.keys(JSON.parse(result.outputs.builds) as object)).toEqual(['release.amazon-ebs.demo', 'release.amazon-ebs.demo#2'])
  })

  it('HCL2: two build blocks of other names building one source with the same settings, only one of them selected: built', async () => {
    const workspace = demoWith(namedBuild('release', '\nbuild {\n  name    = "nightly"\n  sources = ["source.amazon-ebs.demo"]\n}\n'))
    const result = await suite.run(workspace, { template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl', only: 'nightly.amazon-ebs.demo' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(Object.keys(JSON.parse(result.outputs.builds) as object)).toEqual(['nightly.amazon-ebs.demo'])
  })
})

describeWithPacker('a legacy JSON template saved as .pkr.json, through the bundled action', () => {
  const suite = loopbackSuite(['us-east-1'])

  it('is refused on its "builders", saying to rename the file, before Packer is installed', async () => {
    const workspace = suite.workspaceFrom(join(projectRoot, 'demo', 'json'))
    renameSync(join(workspace, 'packer-template.json'), join(workspace, 'ami.pkr.json'))
    const result = await suite.run(workspace, { template: 'ami.pkr.json' })
    const line = readFileSync(join(workspace, 'ami.pkr.json'), 'utf8').split('\n').findIndex((text) => text.includes('"builders"')) + 1
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([
      {
        message:
          'template: ami.pkr.json: "builders" belongs to a legacy JSON template, but Packer reads a file whose name ends in .pkr.json ' +
          'as an HCL2 template in JSON syntax, which has no "builders": packer validate refuses it. Name the file ami.json to build it ' +
          'as a legacy JSON template, or write its builders as source and build blocks.',
        properties: { title: 'Invalid input', file: 'ami.pkr.json', line: String(line), col: '3' }
      },
      { message: 'The template builds nothing (see the error above); nothing was installed or built.', properties: {} }
    ])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })
})

describeWithPacker('an HCL2 template in JSON syntax whose build names a source it does not have, through the bundled action', () => {
  const suite = loopbackSuite(['us-east-1'])

  it("is refused on the entry of the build's sources, listing the sources it has, where Packer names no line", async () => {
    const workspace = suite.workspaceFrom(join(projectRoot, 'demo', 'hcl2'))
    const template = {
      variable: { aws_region: { type: 'string' }, ami_regions: { type: 'list(string)' }, source_ami: { type: 'string' }, ami_name_prefix: { type: 'string' } },
      source: {
        'amazon-ebs': {
          web: {
            region: '${var.aws_region}',
            source_ami: '${var.source_ami}',
            instance_type: 't3.micro',
            ami_name: '${var.ami_name_prefix}-{{timestamp}}',
            communicator: 'none',
            skip_region_validation: true
          }
        }
      },
      build: { sources: ['source.amazon-ebs.wbe'] }
    }
    writeFileSync(join(workspace, 'ami.pkr.json'), JSON.stringify(template, null, 2))
    rmSync(join(workspace, 'ami.pkr.hcl'))
    const result = await suite.run(workspace, { template: 'ami.pkr.json', 'var-file': 'loopback.pkrvars.hcl' })
    const line = readFileSync(join(workspace, 'ami.pkr.json'), 'utf8').split('\n').findIndex((text) => text.includes('"source.amazon-ebs.wbe"')) + 1
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: 'Unknown source amazon-ebs.wbe\n\nKnown: [amazon-ebs.web]\n\nDid you mean "amazon-ebs.web"?',
      properties: expect.objectContaining({ file: 'ami.pkr.json', line: String(line) })
    })
    expect(suite.calls).toEqual([])
  })
})
