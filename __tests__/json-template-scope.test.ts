import { describe, expect, it } from '@jest/globals'
import { jsonScopeMistakes } from '../src/inputs/json-template-scope.js'
import { templateCalls, templateFields } from '../src/inputs/template.js'

describe('templateCalls and templateFields', () => {
  it('read calls with a string and fields of the data in actions, not in strings nor of something else', () => {
    expect(templateCalls('a {{env `HOME`}} {{ user "x" | lower }} {{ "env `NOT`" }}', 'env')).toEqual([{ name: 'HOME', action: '{{env `HOME`}}' }])
    expect(templateCalls('{{ user "x" | lower }}', 'user')).toEqual([{ name: 'x', action: '{{ user "x" | lower }}' }])
    expect(templateFields('{{ .Version }}-{{.SourceAMITags.Name | lower}} {{ $x.Name }} {{ (user `x`).Name }} {{ ".Foo" }} {{ 1.5 }}')).toEqual([
      { field: 'Version', action: '{{ .Version }}', words: [] },
      { field: 'SourceAMITags', action: '{{.SourceAMITags.Name | lower}}', words: ['lower'] }
    ])
  })
})

describe('templateFields where Go sets the dot to another value', () => {
  it('reads no field inside with, range, define or block, but those of their pipelines and of else with the dot they began with', () => {
    const fields = (text: string): string[] => templateFields(text).map(({ field }) => field)
    expect(fields('{{ with .SourceAMITags }}{{ .Name }}{{ end }}')).toEqual(['SourceAMITags'])
    expect(fields('{{ range .SourceAMITags }}{{ .Key }}{{ end }}-{{ .Region }}')).toEqual(['SourceAMITags', 'Region'])
    expect(fields('{{ with .SourceAMITags }}{{ .Name }}{{ else }}{{ .Region }}{{ end }}')).toEqual(['SourceAMITags', 'Region'])
    expect(fields('{{ if .SourceAMIName }}{{ .Owner }}{{ end }}')).toEqual(['SourceAMIName', 'Owner'])
    expect(fields('{{ if .A }}{{ with .B }}{{ .C }}{{ end }}{{ .D }}{{ end }}')).toEqual(['A', 'B', 'D'])
    expect(fields('{{ define "x" }}{{ .Name }}{{ end }}{{ .Region }}')).toEqual(['Region'])
  })

  it('leaves a tag that reads a field of .SourceAMITags inside with to Packer, and refuses one read outside it', () => {
    const template = (value: string) => ({ builders: [{ type: 'amazon-ebs', ami_name: 'demo-{{timestamp}}', tags: { Name: value } }] })
    expect(jsonScopeMistakes(template('{{ with .SourceAMITags }}{{ .Name }}{{ end }}'))).toEqual([])
    expect(jsonScopeMistakes(template('{{ with .SourceAMITags }}{{ .Name }}{{ end }} {{ .Name }}')).map(({ setting }) => setting)).toEqual(['Name in tags'])
  })
})

describe('jsonScopeMistakes', () => {
  const builder = (settings: Record<string, unknown>) => ({ type: 'amazon-ebs', ami_name: 'demo-{{timestamp}}', ...settings })
  const found = (template: unknown) => jsonScopeMistakes(template).map(({ at, setting, of, builder }) => ({ at, setting, of, builder }))

  it('finds env outside variables, in any setting Packer reads as a template, and names the variable that already has it', () => {
    const template = {
      variables: { home: '{{env `HOME`}}' },
      builders: [builder({ tags: { Home: '{{user `home`}}', Env: '{{ env "HOME" }}' }, _comment: '{{env `HOME`}}' })],
      provisioners: [{ type: 'shell-local', inline: ['echo {{env `HOME`}}'], only: ['{{env `X`}}'] }]
    }
    expect(found(template)).toEqual([
      { at: ['builders', 0, 'tags', 'Env'], setting: 'Env in tags', of: 'builder "amazon-ebs"', builder: 0 },
      { at: ['provisioners', 0, 'inline', 0], setting: 'inline', of: 'provisioner "shell-local"', builder: undefined }
    ])
    expect(jsonScopeMistakes(template)[0].mistake).toContain('Variable "home" has it: write "{{user `home`}}".')
  })

  it("finds data an amazon builder's setting does not have, and none it has or a provisioner's command has", () => {
    const template = {
      builders: [
        builder({ ami_name: '{{ .SourceAMIName }}', ami_description: '{{ .SourceAMIName }} {{ .Region }}', run_tags: { R: '{{ .BuildRegion }}' }, tags: { T: '{{ .SourceAMITags.Name }}' } }),
        { type: 'amazon-chroot', ami_name: '{{ .Version }}' }
      ],
      provisioners: [{ type: 'shell-local', inline: ['echo hi'], execute_command: ['/bin/sh', '-c', '{{.Vars}} {{.Script}}'] }]
    }
    expect(found(template)).toEqual([
      { at: ['builders', 0, 'ami_name'], setting: 'ami_name', of: 'builder "amazon-ebs"', builder: 0 },
      { at: ['builders', 0, 'ami_description'], setting: 'ami_description', of: 'builder "amazon-ebs"', builder: 0 },
      { at: ['builders', 1, 'ami_name'], setting: 'ami_name', of: 'builder "amazon-chroot"', builder: 1 }
    ])
    expect(jsonScopeMistakes(template)[1].mistake).toContain('reads {{ .Region }}')
  })

  it('says what a cleaning filter makes of data in ami_name: one name on every run, not one validate refuses', () => {
    const [plain, cleaned] = [
      { builders: [builder({ ami_name: 'web-{{ .Version }}' })] },
      { builders: [builder({ ami_name: 'web-{{ .Version | clean_resource_name }}' })] }
    ].map((template) => jsonScopeMistakes(template)[0].mistake)
    expect(plain).toContain('packer validate refuses that as an AMI name')
    expect(cleaned).toContain('clean_resource_name turns that into one valid name, the same on every run')
    expect(cleaned).not.toContain('validate refuses')
  })

  it("gives a provisioner's and post-processor's mistake their own only and except, which may leave them out of every build", () => {
    const template = {
      builders: [builder({ name: 'web' }), builder({ name: 'db' })],
      provisioners: [{ type: 'shell-local', only: ['db'], inline: ['echo {{ .Name }}'] }],
      'post-processors': [[{ type: 'manifest' }, { type: 'shell-local', except: ['web'], inline: ['echo {{ .Foo }}'] }]]
    }
    expect(jsonScopeMistakes(template).map(({ at, builder, onlyExcept }) => ({ at, builder, onlyExcept }))).toEqual([
      { at: ['provisioners', 0, 'inline', 0], builder: undefined, onlyExcept: { only: ['db'], except: undefined } },
      { at: ['post-processors', 0, 1, 'inline', 0], builder: undefined, onlyExcept: { only: undefined, except: ['web'] } }
    ])
  })

  it("finds data a shell's, shell-local's, powershell's or windows-shell's settings do not have, and none they have, a build gives, or that Packer passes on", () => {
    const template = {
      builders: [{ type: 'amazon-chroot', ami_name: 'c', root_volume_tags: { R: '{{ .Foo }}' }, mount_path: '/mnt/{{ .Device }}' }],
      provisioners: [
        { type: 'shell', inline: ['echo {{ .Vars }}', 'echo {{ build `Host` }} {{ .WinRMPassword }}'], execute_command: '{{.Vars}} {{.Path}} {{.Host}} {{.Script}}' },
        { type: 'shell-local', environment_vars: ['A={{ .ID }}'], execute_command: ['/bin/sh', '-c', '{{.Vars}} {{.Command}} {{.SourceAMI}}'], override: { x: { execute_command: '{{ .Nope }}' } } },
        { type: 'powershell', inline: ['echo {{ .Foo }}'], execute_command: '{{ .Foo }}', elevated_execute_command: '{{.Vars}} {{.Path}} {{.SourceAMI}}' },
        { type: 'windows-shell', inline: ['echo {{ .WinRMPassword }}'], execute_command: '{{.Vars}} {{.Path}} {{.SourceAMI}}' }
      ],
      'post-processors': [{ type: 'shell-local', inline: ['echo hi'], execute_command: ['{{.Vars}} {{.Script}} {{.EnvVarFile}}'] }]
    }
    expect(found(template)).toEqual([
      { at: ['builders', 0, 'root_volume_tags', 'R'], setting: 'R in root_volume_tags', of: 'builder "amazon-chroot"', builder: 0 },
      { at: ['provisioners', 0, 'inline', 0], setting: 'inline', of: 'provisioner "shell"', builder: undefined },
      { at: ['provisioners', 0, 'execute_command'], setting: 'execute_command', of: 'provisioner "shell"', builder: undefined },
      { at: ['provisioners', 1, 'environment_vars', 0], setting: 'environment_vars', of: 'provisioner "shell-local"', builder: undefined },
      { at: ['provisioners', 1, 'override', 'x', 'execute_command'], setting: 'execute_command in the override for "x"', of: 'provisioner "shell-local"', builder: undefined },
      { at: ['provisioners', 2, 'inline', 0], setting: 'inline', of: 'provisioner "powershell"', builder: undefined },
      { at: ['provisioners', 2, 'execute_command'], setting: 'execute_command', of: 'provisioner "powershell"', builder: undefined },
      // windows-shell renders its command with Vars and Path alone: not the build's data.
      { at: ['provisioners', 3, 'execute_command'], setting: 'execute_command', of: 'provisioner "windows-shell"', builder: undefined },
      { at: ['post-processors', 0, 'execute_command', 0], setting: 'execute_command', of: 'post-processor "shell-local"', builder: undefined }
    ])
    const [, inline, command, ids, , powershellInline, , windowsShell] = jsonScopeMistakes(template).map(({ mistake }) => mistake)
    const overridden = jsonScopeMistakes(template)[4]
    expect(inline).toContain('the data of execute_command ({{.Vars}}, {{.EnvVarFile}}, {{.Path}}) is not given to inline')
    expect(command).toContain('reads {{.Script}}')
    expect(ids).toContain('Write {{ build `ID` }}.')
    expect(powershellInline).toContain('the data of execute_command and elevated_execute_command ({{.Vars}}, {{.Path}}) is not given to inline')
    expect(windowsShell).toContain('("can\'t evaluate field SourceAMI in type *shell.ExecuteCommandTemplate")')
    expect(overridden).toMatchObject({ override: 'x' })
  })

  it("says of a connection's value that a build connecting none has none, and of the other build data only what to write", () => {
    const template = { builders: [builder({})], provisioners: [{ type: 'shell-local', inline: ['echo {{ .Host }}'], environment_vars: ['A={{ .SourceAMI }}'] }] }
    const [host, sourceAmi] = jsonScopeMistakes(template).map(({ mistake }) => mistake)
    expect(host).toContain('Write {{ build `Host` }}, in a build that connects to its instance: one whose communicator is "none" has no Host.')
    expect(sourceAmi).toMatch(/Write \{\{ build `SourceAMI` \}\}\.$/)
  })

  it("reads a tag's key as its value, and spot_tags only where spot_price asks for a spot instance", () => {
    const template = {
      builders: [
        builder({ spot_price: 'auto', spot_tags: { '{{ .Nope }}': 'v', S: '{{ .SourceAMI }}' }, tags: { '{{ .SourceAMIName }}': 'n', '{{env `HOME`}}': 'h' } }),
        builder({ spot_tags: { X: '{{ .Nope }}' }, run_tags: { _note: '{{ .Nope }}' } })
      ]
    }
    expect(jsonScopeMistakes(template).map(({ at, setting, key }) => ({ at, setting, key }))).toEqual([
      { at: ['builders', 0, 'spot_tags', '{{ .Nope }}'], setting: 'the key "{{ .Nope }}" in spot_tags', key: true },
      { at: ['builders', 0, 'tags', '{{env `HOME`}}'], setting: 'the key "{{env `HOME`}}" in tags', key: true }
    ])
    expect(jsonScopeMistakes(template)[0].mistake).toContain('as Packer asks for the spot instance, and Packer then crashes as it cleans up')
  })

  it("finds build in a setting rendered with the source AMI's data, which Packer gives provisioners alone, and says what to write there", () => {
    const template = { builders: [builder({ ami_description: '{{ build `SourceAMI` }}', tags: { A: '{{ build `ID` }}', B: '{{ .SourceAMI }}' } })] }
    const [description, tag] = jsonScopeMistakes(template)
    expect([description, tag].map(({ setting }) => setting)).toEqual(['ami_description', 'A in tags'])
    expect(description.mistake).toContain('("the given variable SourceAMI will not be passed into your plugin"). Write {{ .SourceAMI }}.')
    expect(tag.mistake).toMatch(/once the AMI is made, as Packer tags it \("the given variable ID will not be passed into your plugin"\)\. Its data are \.BuildRegion, /)
  })

  it("reads a provisioner's override as its own settings, for its build, and a file's source and destination", () => {
    const template = {
      builders: [builder({})],
      provisioners: [
        { type: 'shell-local', inline: ['echo hi'], override: { 'amazon-ebs': { inline: ['echo {{ .Nope }}', 'echo {{ build `ID` }}'], _c: { inline: ['{{ .X }}'] } } } },
        { type: 'file', source: '{{ .SourceAMI }}', destination: '/tmp/{{ .Nope }}', generated: true },
        { type: 'file', source: 'a', destination: '/tmp/{{ build `SourceAMI` }}' }
      ]
    }
    expect(jsonScopeMistakes(template).map(({ at, setting, override }) => ({ at, setting, override }))).toEqual([
      { at: ['provisioners', 0, 'override', 'amazon-ebs', 'inline', 0], setting: 'inline in the override for "amazon-ebs"', override: 'amazon-ebs' },
      { at: ['provisioners', 1, 'source'], setting: 'source', override: undefined },
      { at: ['provisioners', 1, 'destination'], setting: 'destination', override: undefined }
    ])
    const [, source, destination] = jsonScopeMistakes(template).map(({ mistake }) => mistake)
    expect(source).toContain('Packer reads the file before the build, even through {{ build }}')
    expect(destination).toContain('the build uploads the file to a path with the text "<no value>" in it')
    expect(destination).not.toContain('execute_command')
  })

  it('names what an except entry skips a post-processor by: its name or type, and those before it in its chain', () => {
    const template = {
      'post-processors': [
        { type: 'shell-local', name: 'notify', inline: ['echo {{ .A }}'] },
        [{ type: 'manifest' }, { type: 'shell-local', inline: ['echo {{ .B }}'] }]
      ]
    }
    expect(jsonScopeMistakes(template).map(({ skippedBy }) => skippedBy)).toEqual([['notify'], ['manifest', 'shell-local']])
  })
})
