import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { copiesToNoRegion, noAmiProblems, regionsMade, tagCountProblems, type AmiBuild } from '../src/inputs/ami-builds.js'
import { checkHclBuildSelection, listNamesBuilds, selectsBuild } from '../src/inputs/hcl-build-selection.js'
import {
  checkJsonVarFile,
  describeJsonTemplate,
  jsonAmiBuilds,
  JsonSyntaxError,
  parseJsonWithPosition,
  positionOf,
  resolveUserVariables,
  templateKind,
  misspeltVarFileKeys,
  undeclaredJsonVariables,
  unusedJsonVariables,
  userVariableNames,
  userVariables
} from '../src/inputs/template.js'

describe('templateKind', () => {
  it('follows Packer: HCL2 for .pkr.hcl, .pkr.json and directories', () => {
    expect(templateKind('packer-template.json', false)).toBe('json')
    expect(templateKind('ami.pkr.hcl', false)).toBe('hcl')
    expect(templateKind('ami.pkr.json', false)).toBe('hcl')
    expect(templateKind('packer', true)).toBe('hcl')
  })
})

describe('parseJsonWithPosition', () => {
  it('reports the line and column of a syntax error', () => {
    const text = '{\n  "builders": [\n    {"type": "amazon-ebs",\n  ]\n}\n'
    try {
      parseJsonWithPosition(text)
      throw new Error('expected a syntax error')
    } catch (error) {
      expect(error).toBeInstanceOf(JsonSyntaxError)
      expect((error as JsonSyntaxError).position).toEqual({ line: 4, column: 3 })
    }
  })

  it('points at the end for a truncated file', () => {
    try {
      parseJsonWithPosition('{\n  "a": 1')
      throw new Error('expected a syntax error')
    } catch (error) {
      expect((error as JsonSyntaxError).position?.line).toBe(2)
    }
  })

  it.each([
    ['a value left unquoted', '{\n  "db_password": s3cretValue\n}', { line: 2, column: 18 }, 'Unexpected token'],
    ['a comma too many in a list', '{\n  "builders": [,]\n}', { line: 2, column: 16 }, "Unexpected token ','"],
    ['a literal cut short', '{"a": [1, tru]}', { line: 1, column: 14 }, "Unexpected token ']'"],
    ['a string opened by a quote it does not have', "{'a': 1}", { line: 1, column: 2 }, undefined]
  ])('points at %s, where V8 names no place, without quoting the text', (_name, text, position, reason) => {
    try {
      parseJsonWithPosition(text)
      throw new Error('expected a syntax error')
    } catch (error) {
      expect((error as JsonSyntaxError).position).toEqual(position)
      if (reason !== undefined) expect((error as JsonSyntaxError).message).toBe(reason)
      expect((error as JsonSyntaxError).message).not.toMatch(/s3cret|tru\b|builders/)
    }
  })

  it.each([
    ['after the last setting of an object', '{\n  "aws_region": "us-east-1",\n  "vpc_id": "vpc-1",\n\n}\n', { line: 3, column: 20 }],
    ['after the last entry of a list', '{\n  "ami_regions": [\n    "eu-west-1",\n  ]\n}', { line: 3, column: 16 }],
    ['after an object that is the last entry of a list', '{"builders": [\n  {"type": "amazon-ebs"},\n]}', { line: 2, column: 25 }]
  ])('points at a comma %s, and says so', (_name, text, position) => {
    try {
      parseJsonWithPosition(text)
      throw new Error('expected a syntax error')
    } catch (error) {
      expect(error).toBeInstanceOf(JsonSyntaxError)
      expect((error as JsonSyntaxError).position).toEqual(position)
      expect((error as JsonSyntaxError).message).toBe('a comma after the last entry, which JSON does not allow: remove it')
    }
  })

  it.each([
    ['after a setting, on the line above the next', '{\n  "aws_region": "us-east-1"\n  "vpc_id": "vpc-1"\n}', { line: 2, column: 28 }, "Expected ',' or '}' after property value"],
    ['after an entry of a list', '{"ami_regions": [\n  "eu-west-1"\n  "us-west-2"\n]}', { line: 2, column: 14 }, "Expected ',' or ']' after array element"],
    ['where a builder was not closed before the next', '{"builders": [\n  {"type": "amazon-ebs"\n  {"type": "null"}\n]}', { line: 2, column: 24 }, "Expected ',' or '}' after property value"]
  ])('points right after the value a comma is missing %s, where it goes', (_name, text, position, reason) => {
    try {
      parseJsonWithPosition(text)
      throw new Error('expected a syntax error')
    } catch (error) {
      expect((error as JsonSyntaxError).position).toEqual(position)
      expect((error as JsonSyntaxError).message).toBe(reason)
    }
  })

  it('counts lines and columns from 1', () => {
    expect(positionOf('ab\ncd', 4)).toEqual({ line: 2, column: 2 })
  })
})

describe('describeJsonTemplate', () => {
  it("reads the first manifest post-processor's output, and the other manifests' where they are known", () => {
    const info = describeJsonTemplate(
      {
        variables: { dir: 'out' },
        builders: [{ type: 'amazon-ebs', name: 'web' }],
        'post-processors': ['manifest', [{ type: 'manifest', output: '{{user `dir`}}/web.json', only: ['web'] }, { type: 'manifest', output: '{{timestamp}}.json' }]]
      },
      new Map([['dir', 'out']])
    )
    expect(info).toMatchObject({ manifestOutput: undefined, manifestOutputUnknown: undefined, otherManifestOutputs: ['out/web.json'] })
  })

  it("reads the folder of each manifest output that only the build knows whole, for each build, where the folder is known", () => {
    const info = describeJsonTemplate(
      {
        builders: [{ type: 'amazon-ebs', name: 'web' }, { type: 'amazon-ebssurrogate', name: '{{user `os`}}-arm' }],
        'post-processors': [
          { type: 'manifest', output: 'manifests/{{build_name}}.json' },
          [{ type: 'manifest', output: '{{user `dir`}}/m-{{ isotime "2006/01/02" }}.json' }],
          { type: 'manifest', output: 'images/{{ build_name }}/{{timestamp}}.json' },
          { type: 'manifest', output: 'by-type/{{build_type}}/m.json' },
          { type: 'manifest', output: '{{timestamp}}.json' },
          { type: 'manifest', output: '{{user `other`}}/m-{{build_name}}.json' }
        ]
      },
      new Map([['dir', 'out'], ['os', 'debian']])
    )
    expect(info).toMatchObject({ manifestOutputUnknown: 'manifests/{{build_name}}.json', otherManifestOutputs: [] })
    // The fifth's folder is the working directory, and the sixth's a variable nothing sets.
    expect(info.manifestFolders).toEqual([
      'manifests',
      'out',
      'images/web',
      'images/debian-arm',
      'by-type/amazon-ebs',
      'by-type/amazon-ebssurrogate'
    ])
  })

  it('reads `\\` as a separator of the folders of a manifest output where Packer does: on Windows', () => {
    const template = {
      builders: [{ type: 'amazon-ebs', name: 'web' }],
      'post-processors': [
        { type: 'manifest', output: 'manifests\\{{build_name}}.json' },
        { type: 'manifest', output: 'out\\{{build_type}}/{{timestamp}}.json' }
      ]
    }
    expect(describeJsonTemplate(template, new Map(), { platform: 'win32' }).manifestFolders).toEqual(['manifests', 'out\\amazon-ebs'])
    // Elsewhere `\` is part of a name: Packer writes a file `manifests\web.json` in the working directory.
    expect(describeJsonTemplate(template, new Map(), { platform: 'linux' }).manifestFolders).toEqual(['out\\amazon-ebs'])
  })

  it('names builds, post-processor types and the manifest output', () => {
    const info = describeJsonTemplate({
      builders: [{ type: 'amazon-ebs' }, { type: 'amazon-ebs', name: 'arm' }],
      'post-processors': [['shell-local', { type: 'manifest', output: 'out/manifest.json' }]]
    })
    expect(info).toEqual({
      builders: [
        { type: 'amazon-ebs', name: 'amazon-ebs' },
        { type: 'amazon-ebs', name: 'arm' }
      ],
      postProcessorTypes: ['shell-local', 'manifest'],
      postProcessorNames: ['shell-local', 'manifest'],
      otherManifestOutputs: [],
      manifestFolders: [],
      provisionerTypes: [],
      manifestOutput: 'out/manifest.json',
      sensitiveVariables: [],
      sensitiveValues: [],
      sensitiveUnknown: []
    })
  })

  it('fills in build names and the manifest output from user variables', () => {
    const template = {
      variables: { manifest_output: 'manifest.json', build_name: null },
      builders: [{ type: 'amazon-ebs', name: '{{user `build_name`}}' }, { type: 'amazon-ebs', name: '{{ user "arch" }}-x' }],
      'post-processors': [{ type: 'manifest', output: 'out/{{user `manifest_output`}}' }]
    }
    const variables = userVariables(template, [{ build_name: 'ubuntu-20.04' }], [{ name: 'arch', value: 'arm64' }])
    const info = describeJsonTemplate(template, variables)
    expect(info.builders.map((builder) => builder.name)).toEqual(['ubuntu-20.04', 'arm64-x'])
    expect(info.manifestOutput).toBe('out/manifest.json')
  })

  it('fills in the manifest output from {{template_dir}} and from variables that read the environment', () => {
    const template = {
      variables: { from_env: '{{env `OUT`}}' },
      builders: [{ type: 'amazon-ebs' }],
      'post-processors': [{ type: 'manifest', output: '{{template_dir}}/{{user `from_env`}}/m.json' }]
    }
    const variables = userVariables(template, [], [])
    const context = { env: { OUT: 'images' }, templateDir: '/work/space/packer', pwd: '/work/space' }
    expect(describeJsonTemplate(template, variables, context).manifestOutput).toBe('/work/space/packer/images/m.json')
    // Packer refuses {{env}} outside variables; packer validate says so.
    template['post-processors'][0].output = '{{template_dir}}/{{env `OUT`}}/m.json'
    expect(describeJsonTemplate(template, variables, context).manifestOutput).toBeUndefined()
  })

  it('leaves to Packer what only the build knows', () => {
    const info = describeJsonTemplate({
      builders: [{ type: 'amazon-ebs', name: 'web-{{timestamp}}' }],
      'post-processors': [{ type: 'manifest', output: '{{user `dir`}}/m.json' }]
    })
    expect(info.builders[0].name).toBeUndefined()
    expect(info.manifestOutput).toBeUndefined()
    expect(info.manifestOutputUnknown).toBe('{{user `dir`}}/m.json')
  })

  it('reads an output that is empty as Packer\'s default', () => {
    const template = {
      variables: { out: '' },
      builders: [{ type: 'amazon-ebs' }],
      'post-processors': [{ type: 'manifest', output: '{{user `out`}}' }]
    }
    const info = describeJsonTemplate(template, userVariables(template, [], []))
    expect(info.manifestOutput).toBeUndefined()
    expect(info.manifestOutputUnknown).toBeUndefined()
  })

  it('names the provisioners\' types, each once', () => {
    const info = describeJsonTemplate({
      builders: [{ type: 'amazon-ebs' }],
      provisioners: [{ type: 'shell' }, { type: 'ansible' }, { type: 'shell' }, {}, 'odd']
    })
    expect(info.provisionerTypes).toEqual(['shell', 'ansible'])
  })

  it('gives the values of sensitive-variables, from wherever they were set', () => {
    const template = {
      variables: { token: 'from-default', password: '', api: '{{env `API_KEY`}}', plain: 'shown' },
      'sensitive-variables': ['token', 'password', 'api', 'unset'],
      builders: [{ type: 'amazon-ebs' }]
    }
    const variables = userVariables(template, [{ password: 'from-file' }], [])
    const info = describeJsonTemplate(template, variables, { env: { API_KEY: 'from-env' } })
    expect(info.sensitiveValues).toEqual([
      { value: 'from-default', of: 'variable', name: 'token' },
      { value: 'from-file', of: 'variable', name: 'password' },
      { value: 'from-env', of: 'variable', name: 'api' }
    ])
    // Every name listed, set or not: the fingerprint leaves out the value given to any of them.
    expect(info.sensitiveVariables).toEqual(['token', 'password', 'api', 'unset'])
  })

  it('names the sensitive variables whose values only Packer can work out, and masks their text meanwhile', () => {
    const template = {
      variables: {
        token: '{{vault `secret/data/ci` `token`}}',
        url: 'https://ci:{{user `token`}}@{{user `host`}}/',
        host: 'ci.internal',
        known: 'k-{{user `host`}}'
      },
      'sensitive-variables': ['token', 'url', 'known'],
      builders: [{ type: 'amazon-ebs' }]
    }
    const info = describeJsonTemplate(template, userVariables(template, [], []))
    expect(info.sensitiveUnknown).toEqual(['token', 'url'])
    expect(info.sensitiveValues.map(({ name, value }) => [name, value])).toEqual([
      ['token', '{{vault `secret/data/ci` `token`}}'],
      ['url', 'https://ci:{{user `token`}}@{{user `host`}}/'],
      ['known', 'k-ci.internal']
    ])
  })

  it('says what is missing', () => {
    expect(() => describeJsonTemplate({})).toThrow('expected "builders" to be a non-empty array')
    expect(() => describeJsonTemplate({ builders: [{}] })).toThrow('builder 1 has no "type"')
    expect(() => describeJsonTemplate([])).toThrow('expected a JSON object')
  })
})

describe('resolveUserVariables', () => {
  const variables = new Map([
    ['name', 'web'],
    ['dir', '{{user `name`}}/out'],
    ['loop', '{{user `loop`}}']
  ])
  it('fills in user variables, spaced and quoted as Packer allows, and variables that name others', () => {
    expect(resolveUserVariables('{{user `name`}}', variables)).toBe('web')
    expect(resolveUserVariables('a-{{ user "name" }}-{{- user `name` -}}', variables)).toBe('a-web-web')
    expect(resolveUserVariables('{{user `dir`}}/m.json', variables)).toBe('web/out/m.json')
    expect(resolveUserVariables('plain', variables)).toBe('plain')
  })
  it('fills in {{template_dir}} and {{pwd}}, in a variable too, as Packer does', () => {
    const directories = { templateDir: '/work/space/packer', pwd: '/work/space' }
    const withDirectories = new Map([...variables, ['out', '{{ template_dir }}/out']])
    expect(resolveUserVariables('{{template_dir}}/m.json', variables, directories)).toBe('/work/space/packer/m.json')
    expect(resolveUserVariables('{{- pwd -}}/m.json', variables, directories)).toBe('/work/space/m.json')
    expect(resolveUserVariables('{{user `out`}}/m.json', withDirectories, directories)).toBe('/work/space/packer/out/m.json')
    expect(resolveUserVariables('{{template_dir}}/m.json', variables)).toBeUndefined()
    expect(resolveUserVariables('{{template_dir `x`}}', variables, directories)).toBeUndefined()
  })
  it('is unknown for anything Packer settles at build time, or an unset variable', () => {
    expect(resolveUserVariables('{{timestamp}}', variables)).toBeUndefined()
    expect(resolveUserVariables('{{user `name` | lower}}', variables)).toBeUndefined()
    expect(resolveUserVariables('{{user `missing`}}', variables)).toBeUndefined()
    expect(resolveUserVariables('{{username `name`}}', variables)).toBeUndefined()
    expect(resolveUserVariables('{{user `loop`}}', variables)).toBeUndefined()
  })
})

describe('userVariables', () => {
  it('takes defaults, then files in order, then -var; null counts as empty', () => {
    const values = userVariables(
      { variables: { a: 'default', b: 'default', c: null, d: 'default' } },
      [{ b: 'file1', d: null }, { b: 'file2' }],
      [{ name: 'a', value: 'var' }]
    )
    expect(Object.fromEntries(values)).toEqual({ a: 'var', b: 'file2', c: '', d: '' })
  })

  it("reads a variables file's null as Packer does: empty, over the template's default", () => {
    const template = { variables: { suffix: '-dev' }, builders: [{ type: 'amazon-ebs', name: 'web{{user `suffix`}}' }] }
    const info = describeJsonTemplate(template, userVariables(template, [{ suffix: null }], []))
    expect(info.builders.map((builder) => builder.name)).toEqual(['web'])
  })
})

describe('unusedJsonVariables', () => {
  it('names the input variables a JSON template neither declares nor passes to user anywhere, each once', () => {
    const template = {
      variables: { region: 'us-east-1', size: null },
      builders: [{ type: 'amazon-ebs', ami_name: '{{ user `build_name` | clean_resource_name }}-{{timestamp}}', tags: { Team: '{{user "team"}}' } }]
    }
    // A variables file may use a variable that only it and the -var set (kubernetes-sigs/image-builder).
    const varFiles = [{ kubernetes_series: 'v{{user `kubernetes_semver`}}' }]
    const given = ['region', 'size', 'build_name', 'team', 'kubernetes_semver', 'regoin', 'regoin', 'user', 'timestamp']
    expect(unusedJsonVariables(template, varFiles, given)).toEqual([{ name: 'regoin', meant: 'region' }, { name: 'user' }, { name: 'timestamp' }])
    expect(unusedJsonVariables({ builders: [] }, [], [])).toEqual([])
  })
})

describe('misspeltVarFileKeys', () => {
  it("names a variables file's key near a declared variable that nothing else sets, and leaves every other key alone", () => {
    const template = {
      variables: { aws_region: 'us-east-1', source_ami: '', instance_type: 't3.micro', vpc_id: '' },
      builders: [{ type: 'amazon-ebs', tags: { Team: '{{user `team`}}' } }]
    }
    const varFiles = [
      // Another template's keys, a key the template uses without declaring it, one near a variable another file sets.
      { aws_regoin: 'eu-west-1', source_ami_id: 'ami-1', team: 'images', vpc_idd: 'vpc-1' },
      { 'source-ami': 'ami-2', vpc_id: 'vpc-2' }
    ]
    expect(misspeltVarFileKeys(template, varFiles, [])).toEqual([
      { varFile: 0, name: 'aws_regoin', meant: 'aws_region' },
      { varFile: 1, name: 'source-ami', meant: 'source_ami' }
    ])
    // Set by the input variables, the declared variable is not left at its default.
    expect(misspeltVarFileKeys(template, varFiles, ['aws_region', 'source_ami'])).toEqual([])
  })
})

describe('userVariableNames', () => {
  it('reads the names passed to user as Go templates read an action, in any form Packer takes', () => {
    expect(userVariableNames('{{user `a`}}-{{ user "b" | lower }}-{{ split (user `c`) "," 0 }}-{{- user `d` -}}')).toEqual(['a', 'b', 'c', 'd'])
    expect(userVariableNames('{{user "say \\"hi\\""}} {{ user `}}` }}')).toEqual(['say "hi"', '}}'])
  })

  it('takes no string that is not passed to user: a field, a template variable, another function, a comment, plain text', () => {
    const text = 'user `x` {{ .user `a` }} {{ $user `b` }} {{ username `c` }} {{ build `ID` }} {{/* user `d` */}} {{ users }}'
    expect(userVariableNames(text)).toEqual([])
    expect(userVariableNames('{{ user `a` }} {{ user `unclosed }}')).toEqual(['a'])
  })

  it('never throws, whatever the text', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('{', '}', '`', '"', "'", '\\', 'u', 's', 'e', 'r', ' ', '/', '*', '.', '$') }), (text) => {
      expect(Array.isArray(userVariableNames(text))).toBe(true)
    }))
  })
})

describe('undeclaredJsonVariables', () => {
  it('names the variables the template uses outside variables that nothing sets, once each, where first used', () => {
    const template = {
      _comment: 'uses {{user `commented`}}',
      variables: { region: 'us-east-1', prefix: '{{user `in_variables`}}' },
      builders: [{ type: 'amazon-ebs', region: '{{user `region`}}', ami_name: '{{user `prefx`}}-{{user `from_file`}}', _note: '{{user `note`}}' }],
      provisioners: [{ type: 'shell', inline: ['echo {{user `given`}}', 'echo {{ user `prefx` }}', 'echo {{user `tier`}}'] }]
    }
    const set = userVariables(template, [{ from_file: 'x' }], [{ name: 'given', value: 'y' }])
    expect(undeclaredJsonVariables(template, set)).toEqual([
      { name: 'prefx', path: ['builders', 0, 'ami_name'], meant: 'prefix' },
      { name: 'tier', path: ['provisioners', 0, 'inline', 2] }
    ])
  })

  it('takes a variable declared with a default that is not a string as declared: Packer refuses the template for it', () => {
    const template = { variables: { size: 20, encrypted: false }, builders: [{ type: 'amazon-ebs', tags: { Size: '{{user `size`}}', Encrypted: '{{user `encrypted`}}' } }] }
    expect(undeclaredJsonVariables(template, userVariables(template, [], []))).toEqual([])
  })
})

describe('listNamesBuilds', () => {
  it("is false only for Packer before 1.7 and a build block that names a build of its own", () => {
    expect(listNamesBuilds('1.6.6', true)).toBe(false)
    expect(listNamesBuilds('1.6.6', false)).toBe(true)
    expect(listNamesBuilds('1.7.0', true)).toBe(true)
    expect(listNamesBuilds('1.11.2', true)).toBe(true)
  })
})

describe('selectsBuild', () => {
  it('matches an HCL2 template\'s entries as globs, and a JSON template\'s as whole names, as Packer does', () => {
    expect(selectsBuild({ only: ['amazon-ebs.*'], except: [] }, 'hcl', 'amazon-ebs.web')).toBe(true)
    expect(selectsBuild({ only: [], except: ['*.web'] }, 'hcl', 'amazon-ebs.web')).toBe(false)
    expect(selectsBuild({ only: [], except: ['*.web'] }, 'hcl', 'amazon-ebs.api')).toBe(true)
    expect(selectsBuild({ only: ['w*'], except: [] }, 'json', 'web')).toBe(false)
    expect(selectsBuild({ only: ['web'], except: [] }, 'json', 'web')).toBe(true)
    expect(selectsBuild({ only: [], except: ['web'] }, 'json', 'web')).toBe(false)
    expect(selectsBuild({ only: [], except: [] }, 'json', 'web')).toBe(true)
  })
})

describe('checkHclBuildSelection', () => {
  const builds = ['amazon-ebs.al1', 'amazon-ebs.al2', 'amazon-ebs.al2arm', 'release.amazon-ebs.al2']
  it('accepts names and globs that match a build, as Packer matches them', () => {
    expect(checkHclBuildSelection({ only: ['amazon-ebs.al1', 'amazon-ebs.al2*', '*.al2'], except: ['release.*'] }, builds, [])).toEqual([])
  })
  it('refuses an entry that matches nothing, which Packer would silently build nothing for', () => {
    expect(checkHclBuildSelection({ only: ['al2'], except: [] }, builds, [])).toEqual([
      expect.stringMatching(/^only: "al2" matches none of the template's builds \(amazon-ebs.al1, /)
    ])
  })
  it('takes an except entry that matches a post-processor by name, or type when unnamed, which Packer skips', () => {
    const postProcessors = ['manifest', 'upload-notes']
    expect(checkHclBuildSelection({ only: [], except: ['manifest', 'upload-*'] }, builds, postProcessors)).toEqual([])
    expect(checkHclBuildSelection({ only: ['manifest'], except: ['checksum'] }, builds, postProcessors)).toEqual([
      expect.stringMatching(/^only: "manifest" matches none of the template's builds \(/),
      expect.stringMatching(/^except: "checksum" matches none of the template's builds \(.*\) nor its post-processors \(manifest, upload-notes\); /)
    ])
    // A post-processor's name only Packer knows: Packer decides.
    expect(checkHclBuildSelection({ only: [], except: ['checksum'] }, builds, undefined)).toEqual([])
  })
  it('refuses to a build an except that leaves none of the builds, and leaves validate alone', () => {
    const two = ['amazon-ebs.al1', 'amazon-ebs.al2']
    const noneLeft = /^except: leaves none of the template's builds \(amazon-ebs\.al1, amazon-ebs\.al2\) to run: Packer would build nothing/
    expect(checkHclBuildSelection({ only: [], except: ['amazon-ebs.al1', '*.al2'], command: 'build' }, two, [])).toEqual([expect.stringMatching(noneLeft)])
    expect(checkHclBuildSelection({ only: [], except: ['amazon-ebs.*'], command: 'validate' }, two, [])).toEqual([])
    expect(checkHclBuildSelection({ only: [], except: ['amazon-ebs.al1', 'manifest'], command: 'build' }, two, ['manifest'])).toEqual([])
  })
})

describe('checkJsonVarFile', () => {
  it('accepts a flat object of strings only', () => {
    expect(checkJsonVarFile({ region: 'us-east-1' })).toEqual([])
    expect(checkJsonVarFile({ count: 2 })).toEqual([{ problem: 'expected variable "count" to be a string (or null), found 2', at: ['count'] }])
    expect(checkJsonVarFile({ unset: null })).toEqual([])
    expect(checkJsonVarFile(['x'])).toEqual([{ problem: expect.stringMatching(/expected a JSON object/), at: [] }])
  })
})

describe('noAmiProblems: a run none of whose builds makes an AMI', () => {
  const build = (type: string, name?: string, skipsAmi = false): AmiBuild => ({
    ...(name === undefined ? {} : { name }),
    type,
    skipsAmi,
    location: { file: 'web.pkr.hcl', line: 1 }
  })
  const run = { command: 'build', only: [] as string[], except: [] as string[], templateKind: 'hcl' as const }

  it('refuses each build when all of them make none, by type or by a literal skip_create_ami', async () => {
    const problems = await noAmiProblems([build('null', 'null.a'), build('amazon-ebs', 'amazon-ebs.b', true)], run)
    expect(problems.map(({ message }) => message)).toEqual([
      expect.stringMatching(/^template: web\.pkr\.hcl: build null\.a \(builder null\) makes no AMI, and this run builds nothing else/),
      expect.stringMatching(/build amazon-ebs\.b \(builder amazon-ebs\) makes no AMI, as its skip_create_ami is true, and/)
    ])
  })

  it('refuses an amazon-ebs build whose skip_save_build_region is true and whose ami_regions names no region, as written', async () => {
    expect(copiesToNoRegion(true, undefined)).toBe(true)
    expect(copiesToNoRegion('true', [])).toBe(true)
    expect(copiesToNoRegion(true, '')).toBe(true)
    expect(copiesToNoRegion(true, ['eu-west-1'])).toBe(false)
    // Only Packer knows what a variable holds.
    expect(copiesToNoRegion(true, '${var.ami_regions}')).toBe(false)
    expect(copiesToNoRegion('${var.skip}', undefined)).toBe(false)
    expect(copiesToNoRegion(false, undefined)).toBe(false)
    const copiesNowhere = { ...build('amazon-ebs', 'amazon-ebs.a'), skipsBuildRegion: true }
    expect((await noAmiProblems([copiesNowhere], run)).map(({ message }) => message)).toEqual([
      expect.stringMatching(/build amazon-ebs\.a \(builder amazon-ebs\) makes no AMI, as its skip_save_build_region is true and its ami_regions names no region: /)
    ])
    expect(await noAmiProblems([copiesNowhere, build('amazon-ebs', 'amazon-ebs.b')], run)).toEqual([])
  })

  it('leaves to the build a type it does not know, an AMI builder, builds only Packer knows, and validate', async () => {
    expect(await noAmiProblems([build('null', 'null.a'), build('my-plugin', 'my-plugin.b')], run)).toEqual([])
    expect(await noAmiProblems([build('amazon-ebsvolume', 'amazon-ebsvolume.a'), build('amazon-ebs', 'amazon-ebs.b')], run)).toEqual([])
    expect(await noAmiProblems([build('amazon-instance')], run)).toEqual([])
    expect(await noAmiProblems([build('amazon-ebssurrogate', 'amazon-ebssurrogate.a', true)], run)).toEqual([])
    expect(await noAmiProblems(undefined, run)).toEqual([])
    expect(await noAmiProblems([build('null', 'null.a')], { ...run, command: 'validate' })).toEqual([])
  })

  it('counts only the builds only/except leave in, and a build whose name only Packer knows as one that may run', async () => {
    const builds = [build('null', 'null.a'), build('amazon-ebs', 'amazon-ebs.b')]
    expect(await noAmiProblems(builds, { ...run, only: ['null.*'] })).toHaveLength(1)
    expect(await noAmiProblems(builds, { ...run, except: ['amazon-ebs.b'] })).toHaveLength(1)
    expect(await noAmiProblems([build('null', 'null.a'), build('amazon-ebs')], { ...run, only: ['null.a'] })).toEqual([])
    expect(await noAmiProblems([build('null', 'a')], { ...run, templateKind: 'json', only: ['b'] })).toEqual([])
  })
})

describe("tagCountProblems: a template's tags with the action's over EC2's 50", () => {
  const keys = (count: number, prefix = 'Team'): string[] => Array.from({ length: count }, (_, i) => `${prefix}${i}`)
  const build = (name: string | undefined, ami?: string[], snapshots?: string[], type = 'amazon-ebs'): AmiBuild => ({
    ...(name === undefined ? {} : { name }),
    type,
    skipsAmi: false,
    location: { file: 'web.pkr.hcl', line: 1 },
    tags: {
      ...(ami ? { ami: { keys: ami, location: { file: 'web.pkr.hcl', line: 5 } } } : {}),
      ...(snapshots ? { snapshots: { keys: snapshots, location: { file: 'web.pkr.hcl', line: 9 } } } : {})
    }
  })
  const run = { only: [] as string[], except: [] as string[], templateKind: 'hcl' as const, tagSnapshots: true, provenanceTags: true }
  const action = keys(11, 'Action')

  it('refuses a build over 50 on its AMI or its snapshots, on that setting, with both counts', async () => {
    const problems = await tagCountProblems([build('amazon-ebs.a', keys(40)), build('amazon-ebs.b', keys(2), keys(45))], run, action)
    expect(problems).toEqual([
      {
        message:
          'template: web.pkr.hcl: build amazon-ebs.a would get 51 tags on its AMI, and EC2 allows at most 50: 40 the template writes in its tags, ' +
          "11 the action adds (tags input, provenance tags and its own). EC2 would refuse the action's tags once the build is done. " +
          "Drop 1 or more of the template's tags or of the tags input's, or set provenance-tags: false.",
        location: { file: 'web.pkr.hcl', line: 5 }
      },
      {
        message: expect.stringMatching(/^template: web\.pkr\.hcl: build amazon-ebs\.b would get 56 tags on its snapshots, .*: 45 the template writes in its snapshot_tags, /),
        location: { file: 'web.pkr.hcl', line: 9 }
      }
    ])
  })

  it('counts a key both write once, and takes exactly 50', async () => {
    expect(await tagCountProblems([build('amazon-ebs.a', keys(39))], run, action)).toEqual([])
    expect(await tagCountProblems([build('amazon-ebs.a', [...keys(39), 'Action0', 'Action1'])], run, action)).toEqual([])
    const [problem] = await tagCountProblems([build(undefined, [...keys(40), 'Action0'])], { ...run, templateKind: 'json' }, action)
    expect(problem.message).toMatch(/build \(builder amazon-ebs\) would get 51 tags on its AMI, .*: 41 the template writes in its tags, 11 the action adds .*; 1 of the keys both write, counted once\./)
    // Without provenance tags, the message does not offer to leave them out.
    const [without] = await tagCountProblems([build('amazon-ebs.a', keys(46))], { ...run, provenanceTags: false }, keys(5, 'Action'))
    expect(without.message).toMatch(/: 46 the template writes in its tags, 5 the action adds \(tags input and its own\)\. .* Drop 1 or more of the template's tags or of the tags input's\.$/)
  })

  it('leaves out builds only/except leave out, snapshots with tag-snapshots false, and builds that make no AMI', async () => {
    const over = build('amazon-ebs.a', keys(45), keys(45))
    expect(await tagCountProblems([over, build('amazon-ebs.b', keys(1))], { ...run, except: ['amazon-ebs.a'] }, action)).toEqual([])
    expect(await tagCountProblems([over], { ...run, only: ['amazon-ebs.b'] }, action)).toEqual([])
    expect(await tagCountProblems([build('amazon-ebs.a', keys(1), keys(45))], { ...run, tagSnapshots: false }, action)).toEqual([])
    expect(await tagCountProblems([build('amazon-instance.a', keys(1), keys(45), 'amazon-instance')], run, action)).toEqual([])
    expect(await tagCountProblems([{ ...over, skipsAmi: true }, build('amazon-ebsvolume.v', keys(45), undefined, 'amazon-ebsvolume')], run, action)).toEqual([])
    expect(await tagCountProblems(undefined, run, action)).toEqual([])
    // A build whose name only Packer knows may run: counted.
    expect(await tagCountProblems([build(undefined, keys(45))], { ...run, only: ['amazon-ebs.b'] }, action)).toHaveLength(1)
  })
})

describe('jsonAmiBuilds: the regions a builder makes its AMIs in, as this run gives them', () => {
  const file = { path: '/w/t.json', shown: 't.json' }
  const regionsOf = (builder: Record<string, unknown>, values = new Map<string, string>(), env: Record<string, string> = {}) =>
    jsonAmiBuilds({ builders: [{ type: 'amazon-ebs', ...builder }] }, [{ type: 'amazon-ebs' }], file, values, env)[0].regions

  it('its region and those of ami_regions (a string split at each comma, or a list), each once, with user variables and env in their values', () => {
    expect(regionsOf({ region: 'us-east-1' })).toEqual(['us-east-1'])
    expect(regionsOf({ region: 'us-east-1', ami_regions: 'us-west-2,eu-west-1,us-east-1' })).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    expect(regionsOf({ region: 'us-east-1', ami_regions: ['eu-west-1', 'eu-west-1'] })).toEqual(['eu-west-1', 'us-east-1'])
    expect(regionsOf({ region: 'us-east-1', ami_regions: '' })).toEqual(['us-east-1'])
    const values = new Map([
      ['home', 'eu-central-1'],
      ['copies', '{{env `COPIES`}}']
    ])
    expect(regionsOf({ region: '{{user `home`}}', ami_regions: '{{user `copies`}}' }, values, { COPIES: 'us-west-2,ap-south-1' })).toEqual([
      'ap-south-1',
      'eu-central-1',
      'us-west-2'
    ])
  })

  it('skip_save_build_region leaves the build region out', () => {
    expect(regionsOf({ region: 'us-east-1', ami_regions: ['eu-west-1'], skip_save_build_region: true })).toEqual(['eu-west-1'])
  })

  it('none where only Packer knows them: a value the action cannot resolve, no region without the home region, a skip only Packer works out', () => {
    expect(regionsOf({ region: '{{user `undeclared`}}' })).toBeUndefined()
    expect(regionsOf({ region: 'us-east-1', ami_regions: '{{user `undeclared`}}' })).toBeUndefined()
    expect(regionsOf({ region: 'us-east-1', ami_regions: ['{{ .BuildRegion }}'] })).toBeUndefined()
    expect(regionsOf({})).toBeUndefined()
    expect(regionsOf({ region: 'us-east-1', skip_create_ami: '{{user `skip`}}' })).toBeUndefined()
    expect(regionsOf({ region: 'us-east-1', ami_regions: ['eu-west-1'], skip_save_build_region: '{{user `skip`}}' })).toBeUndefined()
    // The plugin's releases have copied the AMI back into the build region, or not.
    expect(regionsOf({ region: 'us-east-1', ami_regions: ['us-east-1', 'eu-west-1'], skip_save_build_region: true })).toBeUndefined()
  })

  it('the home region, which Packer is given as AWS_REGION, where a builder names no region or an empty one; with ami_regions', () => {
    const atHome = (builder: Record<string, unknown>, type = 'amazon-ebs') =>
      jsonAmiBuilds({ builders: [{ type, ...builder }] }, [{ type }], file, new Map([['empty', '']]), {}, 'us-east-1')[0].regions
    expect(atHome({})).toEqual(['us-east-1'])
    expect(atHome({ ami_regions: 'us-west-2,eu-west-1' })).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    expect(atHome({ region: '' })).toEqual(['us-east-1'])
    expect(atHome({ region: '{{user `empty`}}', ami_regions: ['eu-west-1'] })).toEqual(['eu-west-1', 'us-east-1'])
    expect(atHome({ ami_regions: ['eu-west-1'], skip_save_build_region: true })).toEqual(['eu-west-1'])
    expect(atHome({}, 'amazon-ebssurrogate')).toEqual(['us-east-1'])
    // A region written, or one only Packer works out, is not the home region's to give.
    expect(atHome({ region: 'eu-west-1' })).toEqual(['eu-west-1'])
    expect(atHome({ region: '{{user `undeclared`}}' })).toBeUndefined()
    // amazon-chroot may take its region from the instance it runs on.
    expect(atHome({}, 'amazon-chroot')).toBeUndefined()
  })

  it('the region each builder launches in: its region, the home region where it names none, none where only Packer knows it', () => {
    const launchesIn = (builder: Record<string, unknown>, type = 'amazon-ebs') =>
      jsonAmiBuilds({ builders: [{ type, ...builder }] }, [{ type }], file, new Map([['there', 'eu-west-1']]), {}, 'us-east-1')[0].buildRegion
    expect(launchesIn({ region: 'eu-west-1', ami_regions: ['us-west-2'] })).toBe('eu-west-1')
    expect(launchesIn({ region: '{{user `there`}}' })).toBe('eu-west-1')
    expect(launchesIn({})).toBe('us-east-1')
    // It launches an instance all the same.
    expect(launchesIn({ skip_create_ami: true })).toBe('us-east-1')
    expect(launchesIn({ region: '{{user `undeclared`}}' })).toBeUndefined()
    expect(launchesIn({}, 'amazon-chroot')).toBeUndefined()
    expect(jsonAmiBuilds({ builders: [{ type: 'amazon-ebs' }] }, [{ type: 'amazon-ebs' }], file)[0].buildRegion).toBeUndefined()
  })

  it('regionsMade: a build that names no region (\'\') makes its AMI in the home region, and none is known without one', () => {
    const written = { type: 'amazon-ebs', skipCreateAmi: false, skipSaveBuildRegion: false }
    expect(regionsMade('', [], written, 'eu-central-1')).toEqual(['eu-central-1'])
    expect(regionsMade('', ['us-west-2'], written, 'eu-central-1')).toEqual(['eu-central-1', 'us-west-2'])
    expect(regionsMade('', ['us-west-2'], written)).toBeUndefined()
    expect(regionsMade('', [], { ...written, type: 'amazon-chroot' }, 'eu-central-1')).toBeUndefined()
    expect(regionsMade(undefined, [], written, 'eu-central-1')).toBeUndefined()
    expect(regionsMade('', ['eu-central-1'], { ...written, skipSaveBuildRegion: true }, 'eu-central-1')).toBeUndefined()
  })

  it('a force_deregister not written false may take an AMI of another build of the run', () => {
    const [kept, taking, maybe] = jsonAmiBuilds(
      { builders: [{ type: 'amazon-ebs', force_deregister: false }, { type: 'amazon-ebs', force_deregister: true }, { type: 'amazon-ebs', force_deregister: '{{user `f`}}' }] },
      [{ type: 'amazon-ebs' }, { type: 'amazon-ebs' }, { type: 'amazon-ebs' }],
      file
    )
    expect([kept.mayDeregister, taking.mayDeregister, maybe.mayDeregister]).toEqual([undefined, true, true])
  })
})

describe('jsonAmiBuilds: the tag keys a builder writes, as Packer will have them', () => {
  it('fills in {{user `x`}} with the variables of this run, and leaves out a key with anything only Packer works out', () => {
    const tags = {
      Name: 'web',
      '{{user `team`}}': 'a',
      'cost-{{ user "center" }}': 'b',
      '{{user `from_env`}}': 'c',
      '{{user `empty`}}': 'd',
      '{{user `undeclared`}}': 'e',
      '{{ .BuildRegion }}': 'f',
      '{{user `team` | lower}}': 'g',
      '{{template_dir}}': 'h',
      '{{user `same`}}': 'i'
    }
    const template = { builders: [{ type: 'amazon-ebs', tags, snapshot_tags: { '{{env `HOME`}}': 'x', Backup: 'daily' } }] }
    const values = new Map([
      ['team', 'Platform'],
      ['center', '42'],
      ['from_env', '{{env `TEAM_KEY`}}'],
      ['empty', ''],
      ['same', 'Name']
    ])
    const [build] = jsonAmiBuilds(template, [{ type: 'amazon-ebs' }], { path: '/w/t.json', shown: 't.json' }, values, { TEAM_KEY: 'FromEnv', HOME: '/root' })
    expect(build.tags?.ami?.keys).toEqual(['Name', 'Platform', 'cost-42', 'FromEnv'])
    // env is Packer's in a variable's value only: a key with it is the build's to work out.
    expect(build.tags?.snapshots?.keys).toEqual(['Backup'])
    // Keys only Packer works out may be any: the tags say so.
    expect([build.tags?.ami?.partial, build.tags?.snapshots?.partial]).toEqual([true, true])
    const [known] = jsonAmiBuilds({ builders: [{ type: 'amazon-ebs', snapshot_tags: { '{{user `team`}}': 'a', Backup: 'daily' } }] }, [{ type: 'amazon-ebs' }], { path: '/w/t.json', shown: 't.json' }, values)
    expect(known.tags?.snapshots).toEqual({ keys: ['Platform', 'Backup'], location: { file: 't.json', value: { path: '/w/t.json', at: ['builders', 0, 'snapshot_tags'] } } })
  })
})
