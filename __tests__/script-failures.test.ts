// Which provisioner a failed script belongs to, read from the template as the job reads it after
// Packer said "Script exited with non-zero exit status" (the bundled runs are in
// template-mistakes.test.ts). Provisioners other than shell and shell-local fail with the same
// words without saying they began a script, so a build that runs one is left to Packer's place.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { locateFailedScript, type ScriptTemplate } from '../src/packer/script-failures.js'

describe('locateFailedScript', () => {
  let workspace: string
  beforeEach(() => {
    workspace = mkdtempSync(join(tmpdir(), 'script-failures-'))
  })
  afterEach(() => rmSync(workspace, { recursive: true, force: true }))

  /** A JSON template of these provisioners, as the inputs read it. */
  function jsonTemplate(provisioners: object[]): ScriptTemplate {
    const path = join(workspace, 'packer-template.json')
    return { kind: 'json', json: { path, text: `${JSON.stringify({ builders: [{ type: 'amazon-ebs' }], provisioners }, null, 2)}\n` } }
  }

  it('places the first script on its shell provisioner when the others run no script', async () => {
    const template = jsonTemplate([
      { type: 'file', source: 'a', destination: '/tmp/a' },
      { type: 'shell', inline: ['exit 2'] },
      { type: 'breakpoint' }
    ])
    expect(await locateFailedScript('amazon-ebs', 1, template, workspace)).toEqual({ file: 'packer-template.json', line: 14, column: 15 })
  })

  it.each(['powershell', 'windows-shell', 'ansible'])('leaves it to Packer where the build also runs another kind of provisioner (%s), after or before', async (type) => {
    const after = jsonTemplate([{ type: 'shell', inline: ['echo hi'] }, { type, inline: ['exit 2'] }])
    expect(await locateFailedScript('amazon-ebs', 1, after, workspace)).toBeUndefined()
    const before = jsonTemplate([{ type, inline: ['echo hi'] }, { type: 'shell', inline: ['exit 2'] }])
    expect(await locateFailedScript('amazon-ebs', 1, before, workspace)).toBeUndefined()
  })

  it('still places it where that provisioner runs only in another build', async () => {
    const template = jsonTemplate([
      { type: 'shell', inline: ['exit 2'] },
      { type: 'powershell', inline: ['echo hi'], only: ['windows'] }
    ])
    expect(await locateFailedScript('amazon-ebs', 1, template, workspace)).toEqual({ file: 'packer-template.json', line: 9, column: 15 })
  })

  it('leaves it to Packer in an HCL2 build block that also runs a windows-shell provisioner', async () => {
    const template = join(workspace, 'ami.pkr.hcl')
    writeFileSync(
      template,
      [
        'source "amazon-ebs" "demo" {',
        '  ami_name = "demo"',
        '}',
        '',
        'build {',
        '  sources = ["source.amazon-ebs.demo"]',
        '',
        '  provisioner "shell-local" {',
        '    inline = ["echo hi"]',
        '  }',
        '',
        '  provisioner "windows-shell" {',
        '    inline = ["exit 2"]',
        '  }',
        '}',
        ''
      ].join('\n')
    )
    expect(await locateFailedScript('amazon-ebs.demo', 1, { kind: 'hcl', template }, workspace)).toBeUndefined()
    writeFileSync(template, readText(template).replace('provisioner "windows-shell"', 'provisioner "file"'))
    expect(await locateFailedScript('amazon-ebs.demo', 1, { kind: 'hcl', template }, workspace)).toEqual({ file: 'ami.pkr.hcl', line: 9, column: 5 })
  })
})

function readText(path: string): string {
  return readFileSync(path, 'utf8')
}
