// Packer 1.6.6's errors about a JSON template's provisioner, which name only the build
// (`Failed to prepare build: "amazon-ebs"`), through the bundled action run as the runner runs
// it, with the real Packer: each on the provisioner Packer refused, or on its setting that the
// error quotes; on no line where two provisioners could be meant and nothing tells which.
import { expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { demoRuns, demoTemplates, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

const ok = { type: 'shell', inline: ['echo ok'] }

const cases: Array<{ name: string; provisioners: Array<Record<string, unknown>>; says: RegExp; on?: { provisioner: number; text: string } }> = [
  {
    name: 'a powershell provisioner with both inline and script: on that provisioner',
    provisioners: [ok, { type: 'powershell', inline: ['Write-Host hi'], script: 'packer-vars.json' }],
    says: /^Build "amazon-ebs": Only a script file or an inline script can be specified, not both\.$/,
    on: { provisioner: 1, text: '{' }
  },
  {
    name: 'a shell-local provisioner with neither command, inline nor script: on that provisioner',
    provisioners: [ok, { type: 'shell-local' }],
    says: /^Build "amazon-ebs": Command, Inline, Script and Scripts options cannot all be empty\.$/,
    on: { provisioner: 1, text: '{' }
  },
  {
    name: 'the one of two file provisioners with no destination: on it',
    provisioners: [{ type: 'file', source: 'packer-vars.json', destination: '/tmp/vars.json' }, { type: 'file', source: 'packer-vars.json' }],
    says: /^Build "amazon-ebs": Destination must be specified\.$/,
    on: { provisioner: 1, text: '{' }
  },
  {
    name: 'an inline that a file provisioner does not know, beside a shell provisioner with one: on the file provisioner\'s',
    provisioners: [ok, { type: 'file', inline: ['echo'], script: 'a.sh' }],
    says: /^Build "amazon-ebs": unknown configuration key: '"inline"'$/,
    on: { provisioner: 1, text: '"inline"' }
  },
  {
    name: 'two powershell provisioners that could each be the one with both: on none',
    provisioners: [
      { type: 'powershell', inline: ['Write-Host one'], script: 'packer-vars.json' },
      { type: 'powershell', inline: ['Write-Host two'], script: 'packer-vars.json' }
    ],
    says: /^Build "amazon-ebs": Only a script file or an inline script can be specified, not both\.$/
  }
]

describeWithPacker("a JSON template's provisioner Packer refuses in validate, through the bundled action", () => {
  const suite = loopbackSuite(['us-east-1'])
  const { demoWith, run } = demoRuns(suite)

  /** The demo's JSON template with an SSH communicator (provisioners need one) and `provisioners`. */
  const withProvisioners = (provisioners: Array<Record<string, unknown>>) => (text: string): string => {
    const template = JSON.parse(text) as { builders: Array<Record<string, unknown>> }
    const builder = { ...template.builders[0], communicator: 'ssh', ssh_username: 'ubuntu' }
    return JSON.stringify({ ...template, builders: [builder], provisioners }, null, 2)
  }

  /** The line of the first `text` at or after where provisioner `index` begins. */
  function lineIn(file: string, index: number, text: string): string {
    const lines = readFileSync(file, 'utf8').split('\n')
    const start = lines.findIndex((line) => line.includes('"provisioners"'))
    // Each provisioner's object opens on a line of its own: `    {`.
    const opens = lines.map((line, at) => (at > start && line === '    {' ? at : -1)).filter((at) => at >= 0)
    return String(lines.findIndex((line, at) => at >= opens[index] && line.includes(text)) + 1)
  }

  for (const { name, provisioners, says, on } of cases) {
    it(name, async () => {
      const workspace = demoWith(withProvisioners(provisioners), 'json')
      const result = await run(workspace, 'json', { command: 'validate' })
      expect(result.exitCode).toBe(1)
      expect(result.errors.at(-1)?.message).toMatch(/^packer validate found problems in packer-template\.json/)
      const error = result.errors.find((found) => says.test(found.message))
      expect(error).toBeDefined()
      const file = join(workspace, demoTemplates.json)
      if (on) expect(error?.properties).toEqual(expect.objectContaining({ file: demoTemplates.json, line: lineIn(file, on.provisioner, on.text) }))
      else expect(error?.properties.line).toBeUndefined()
      expect(suite.calls).toEqual([])
    })
  }
})
