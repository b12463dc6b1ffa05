// Templates, variables files and scripts as Windows tools save them (a UTF-8 byte order mark,
// UTF-16 from PowerShell 5, CRLF line endings, text that is not ASCII), through the bundled action
// with the real Packer and the loopback EC2 endpoint: what Packer reads, the action reads alike;
// what Packer cannot, the action refuses before anything is installed, naming the file and how to
// save it, not with Packer's garbage or a JSON error at line 1, column 1.
import { expect, it } from '@jest/globals'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ActionRun } from './support/action-process.js'
import { demoRuns, demoTemplates, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

/** As PowerShell 5's `>` and `Out-File` save text: UTF-16 LE with a byte order mark. */
const utf16 = (text: string): Buffer => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
/** As Notepad saves text: UTF-8 with a byte order mark. */
const withBom = (text: string): Buffer => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])
const crlf = (text: string): string => text.replaceAll('\n', '\r\n')

const savedAsUtf16 = 'it is saved as UTF-16, which Packer does not read: save it as UTF-8 without a byte order mark'

describeWithPacker('files saved by Windows tools, through the bundled action', () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const { demoWith, run } = demoRuns(suite)

  /** The workspace's `file`, its text passed through `save`. */
  function resave(workspace: string, file: string, save: (text: string) => Buffer | string): void {
    writeFileSync(join(workspace, file), save(readFileSync(join(workspace, file), 'utf8')))
  }

  /** The run was refused with `message` alone, on line 1, column 1 of `file`, before Packer was installed or EC2 called. */
  function expectRefused(result: ActionRun, file: string, message: string): void {
    expect(result.exitCode).toBe(1)
    expect(result.errors).toEqual([{ message, properties: { title: 'Invalid input', file, line: '1', col: '1' } }])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  }

  it('JSON: a template saved as UTF-16 is refused saying so, not as garbage at line 1', async () => {
    const workspace = demoWith((text) => text, 'json')
    resave(workspace, demoTemplates.json, utf16)
    expectRefused(await run(workspace, 'json'), 'packer-template.json', `template: packer-template.json is not valid JSON at line 1, column 1: ${savedAsUtf16}`)
  })

  it('JSON: packer-vars.json saved as UTF-16: the same, naming the variables file', async () => {
    const workspace = demoWith((text) => text, 'json')
    resave(workspace, 'packer-vars.json', utf16)
    expectRefused(await run(workspace, 'json'), 'packer-vars.json', `var-file: packer-vars.json is not valid JSON at line 1, column 1: ${savedAsUtf16}`)
  })

  it('HCL2: a .pkr.hcl file saved as UTF-16, which Packer refuses with a NUL-riddled error per line, is refused once, before the install', async () => {
    const workspace = demoWith((text) => text, 'hcl2')
    resave(workspace, demoTemplates.hcl2, utf16)
    expectRefused(await run(workspace, 'hcl2'), 'ami.pkr.hcl', `template: ami.pkr.hcl: ${savedAsUtf16}`)
  })

  it('HCL2: a .pkrvars.hcl var-file saved as UTF-16: the same, naming var-file', async () => {
    const workspace = demoWith((text) => text, 'hcl2')
    resave(workspace, 'loopback.pkrvars.hcl', utf16)
    expectRefused(await run(workspace, 'hcl2'), 'loopback.pkrvars.hcl', `var-file: loopback.pkrvars.hcl: ${savedAsUtf16}`)
  })

  it('HCL2: a template directory\'s *.auto.pkrvars.hcl saved as UTF-16, and its *.auto.pkrvars.json with a byte order mark (Packer reads both by itself)', async () => {
    const workspace = demoWith((text) => text, 'hcl2')
    writeFileSync(join(workspace, 'region.auto.pkrvars.hcl'), utf16(readFileSync(join(workspace, 'loopback.pkrvars.hcl'), 'utf8')))
    const result = await suite.run(workspace, { template: '.' })
    expectRefused(result, 'region.auto.pkrvars.hcl', `template: region.auto.pkrvars.hcl: ${savedAsUtf16}`)

    const json = demoWith((text) => text, 'hcl2')
    writeFileSync(join(json, 'region.auto.pkrvars.json'), withBom(JSON.stringify({ aws_region: 'us-east-1', source_ami: 'ami-0abcdef1234567890' })))
    expectRefused(
      await suite.run(json, { template: '.' }),
      'region.auto.pkrvars.json',
      'template: region.auto.pkrvars.json: it begins with a byte order mark (U+FEFF), which Packer does not read: save it as UTF-8 without one'
    )
  })

  it('HCL2: a shell-local script saved with CRLF line endings, which /bin/sh then cannot find, is refused on the line that names it', async () => {
    const provisioner = '  provisioner "shell-local" {\n    script = "setup.sh"\n  }\n\n  post-processor "manifest" {}'
    const workspace = demoWith((text) => text.replace('  post-processor "manifest" {}', provisioner), 'hcl2')
    writeFileSync(join(workspace, 'setup.sh'), crlf('#!/bin/bash\nset -eu\necho ready\n'), { mode: 0o755 })
    const result = await run(workspace, 'hcl2')
    expect(result.exitCode).toBe(1)
    const lines = readFileSync(join(workspace, demoTemplates.hcl2), 'utf8').split('\n')
    const line = lines.findIndex((each) => each.includes('script = "setup.sh"')) + 1
    expect(result.errors).toEqual([{
      message:
        'provisioner "shell-local" runs the script "setup.sh" with Packer\'s default execute_command ["/bin/sh", "-c", "{{.Vars}} {{.Script}}"], ' +
        'which runs the file itself, and the file has Windows line endings (CRLF): its first line "#!/bin/bash" ends with a carriage return, ' +
        "which the system reads as part of the interpreter's name. packer validate accepts it, but the script does not run (\"not found\") and " +
        'the build fails once Packer has launched the instance. Save the script with LF line endings (in .gitattributes: *.sh text eol=lf).',
      properties: { title: 'Invalid input', file: 'ami.pkr.hcl', line: String(line), col: '5' }
    }, expect.objectContaining({ message: expect.stringMatching(/^Packer would start the build for provisioners/) })])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  })

  // The shell provisioner makes a script's line endings LF as it uploads it, unless binary is set. The builds
  // connect over SSH, which the loopback instance never answers: a run that reaches the build fails on ssh_timeout.
  const ssh = '  communicator           = "ssh"\n  ssh_username           = "ubuntu"\n  ssh_timeout            = "3s"\n'
  const crlfScript = crlf('#!/bin/bash\nset -eu\necho ready\n')
  const shellCrlf =
    'uploads the script "setup.sh" as it is, and runs the file itself, and the file has Windows line endings (CRLF): its first line ' +
    '"#!/bin/bash" ends with a carriage return, which the system reads as part of the interpreter\'s name. packer validate accepts it, ' +
    'but the script does not run ("bad interpreter") and the build fails once Packer has launched the instance. Save the script with LF ' +
    'line endings (in .gitattributes: *.sh text eol=lf)'

  it('HCL2: a shell provisioner with binary = true and a CRLF script, which the instance then cannot run, is refused on the line that names it', async () => {
    const provisioner = '  provisioner "shell" {\n    binary = true\n    script = "setup.sh"\n  }\n\n  post-processor "manifest" {}'
    const workspace = demoWith((text) => text.replace('  communicator           = "none"\n', ssh).replace('  post-processor "manifest" {}', provisioner), 'hcl2')
    writeFileSync(join(workspace, 'setup.sh'), crlfScript)
    const result = await run(workspace, 'hcl2')
    expect(result.exitCode).toBe(1)
    const lines = readFileSync(join(workspace, demoTemplates.hcl2), 'utf8').split('\n')
    const line = lines.findIndex((each) => each.includes('script = "setup.sh"')) + 1
    expect(result.errors).toEqual([{
      message: `provisioner "shell" with binary = true ${shellCrlf}, or leave out binary = true: Packer then makes its line endings LF as it uploads it.`,
      properties: { title: 'Invalid input', file: 'ami.pkr.hcl', line: String(line), col: '5' }
    }, expect.objectContaining({ message: expect.stringMatching(/^Packer would start the build for provisioners/) })])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  }, 120_000)

  it('JSON: the same in "scripts", on the entry that names it, in the build that only leaves in', async () => {
    const workspace = demoWith((text) => {
      const template = JSON.parse(text)
      const builder = { ...template.builders[0], communicator: 'ssh', ssh_username: 'ubuntu', ssh_timeout: '3s' }
      const provisioners = [{ type: 'shell', binary: true, scripts: ['ok.sh', 'setup.sh'], only: ['amazon-ebs'] }]
      return JSON.stringify({ ...template, builders: [builder], provisioners }, null, 2)
    }, 'json')
    writeFileSync(join(workspace, 'ok.sh'), '#!/bin/bash\necho ok\n')
    writeFileSync(join(workspace, 'setup.sh'), crlfScript)
    const result = await run(workspace, 'json', { only: 'amazon-ebs' })
    expect(result.exitCode).toBe(1)
    const lines = readFileSync(join(workspace, demoTemplates.json), 'utf8').split('\n')
    const line = lines.findIndex((each) => each.trim() === '"setup.sh"') + 1
    expect(result.errors).toEqual([{
      message: `provisioner "shell" with "binary": true ${shellCrlf}, or leave out "binary": true: Packer then makes its line endings LF as it uploads it.`,
      properties: { title: 'Invalid input', file: 'packer-template.json', line: String(line), col: '9' }
    }, expect.objectContaining({ message: expect.stringMatching(/^Packer would start the build for provisioners/) })])
    expect(result.stdout).not.toContain('::group::Install Packer')
    expect(suite.calls).toEqual([])
  }, 120_000)

  it('HCL2: a shell provisioner without binary and a CRLF script is not refused: Packer makes it LF, and the build goes on to the instance', async () => {
    const provisioner = '  provisioner "shell" {\n    script = "setup.sh"\n  }\n\n  post-processor "manifest" {}'
    const workspace = demoWith((text) => text.replace('  communicator           = "none"\n', ssh).replace('  post-processor "manifest" {}', provisioner), 'hcl2')
    writeFileSync(join(workspace, 'setup.sh'), crlfScript)
    const result = await run(workspace, 'hcl2')
    expect(result.errors.map(({ message }) => message)).not.toContainEqual(expect.stringContaining('CRLF'))
    expect(result.stdout).toContain('::group::Install Packer')
    expect(suite.calls.map(({ action }) => action)).toContain('RunInstances')
    // The loopback instance answers no SSH: the build ends there, as any would.
    expect(result.errors).toContainEqual(expect.objectContaining({ message: expect.stringMatching(/Timeout waiting for SSH/) }))
  }, 120_000)

  // Notepad's byte order mark, which HCL reads past: no column an editor shows, on the first line.
  it('HCL2: a template saved with a byte order mark and CRLF: the action\'s own problem on its first line is at the column as written', async () => {
    const early = 'source "amazon-ebs" "early" { ami_regions = ["eu-west-1 "] }\n'
    const workspace = demoWith((text) => early + text.replace('sources = ["source.amazon-ebs.demo"]', 'sources = ["source.amazon-ebs.demo", "source.amazon-ebs.early"]'), 'hcl2')
    resave(workspace, demoTemplates.hcl2, (text) => withBom(crlf(text)))
    const result = await run(workspace, 'hcl2')
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: expect.stringMatching(/^template: ami\.pkr\.hcl: ami_regions of source "amazon-ebs\.early" expected AWS regions without spaces, found "eu-west-1 ": /),
      properties: { title: 'Invalid input', file: 'ami.pkr.hcl', line: '1', col: String(early.indexOf('ami_regions') + 1) }
    })
    expect(suite.calls).toEqual([])
  })

  it('HCL2: the same: Packer\'s error of a reference on the first line is at that reference', async () => {
    const stamp = 'locals { stamp = var.nope }\n'
    const workspace = demoWith((text) => stamp + text, 'hcl2')
    resave(workspace, demoTemplates.hcl2, (text) => withBom(crlf(text)))
    const result = await run(workspace, 'hcl2')
    expect(result.exitCode).toBe(1)
    expect(result.errors[0]).toEqual({
      message: 'var.nope: the template declares no variable "nope" (no `variable "nope"` block) in any of its files.',
      properties: { title: 'Packer', file: 'ami.pkr.hcl', line: '1', col: String(stamp.indexOf('var.nope') + 1) }
    })
  })

  it('JSON with CRLF, and HCL2 with a byte order mark and CRLF: tags and descriptions that are not ASCII reach EC2 as written', async () => {
    const team = 'Zoë Ångström 🚀'
    const json = demoWith(
      (text) =>
        crlf(
          text
            .replace('"Name": "{{user `ami_name_prefix`}}",', `"Name": "{{user \`ami_name_prefix\`}}", "Équipe": "${team}",`)
            .replace('"ami_description": "Built', '"ami_description": "Généré — Built')
        ),
      'json'
    )
    const hcl = demoWith(
      (text) => text.replace('    Name      = var.ami_name_prefix\n', `    Name      = var.ami_name_prefix\n    Équipe    = "${team}"\n`).replace('ami_description        = "Built', 'ami_description        = "Généré — Built'),
      'hcl2'
    )
    resave(hcl, demoTemplates.hcl2, (text) => withBom(crlf(text)))
    for (const [workspace, kind] of [[json, 'json'], [hcl, 'hcl2']] as const) {
      const result = await run(workspace, kind, { tags: 'Coût=Müller ☕\r\nPath=C:\\Program Files\\Été' })
      expect(result.exitCode).toBe(0)
      const amiId = result.outputs['ami-id']
      expect(suite.endpoint.tagsOf('us-east-1', amiId)).toMatchObject({ Équipe: team, Coût: 'Müller ☕', Path: 'C:\\Program Files\\Été' })
      expect(suite.endpoint.images('us-east-1').find((image) => image.imageId === amiId)?.description).toBe('Généré — Built by packer-ami-action from ami-0abcdef1234567890')
    }
  }, 120_000)
})
