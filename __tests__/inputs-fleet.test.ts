// The inputs of the stages after tagging, read with the rest: each rule checked once, with a
// message naming the input.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { familyTagging, newAmisByFamily } from '../src/aws/families.js'
import { longestArnRegion, regionName } from '../src/common/regions.js'
import { computeFingerprint, fingerprintFiles } from '../src/inputs/fingerprint.js'
import { readHclTemplate, withHclTemplate } from '../src/inputs/hcl.js'
import { InputError, readInputs, type Inputs } from '../src/inputs/index.js'
import { familyPrefixOf, imageFamilyOf } from '../src/inputs/retention.js'
import { reusedAmiTags } from '../src/inputs/reuse.js'
import { actionDefaults } from './support/action-process.js'

let workspace: string
beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'inputs-fleet-'))
  writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify({ builders: [{ type: 'amazon-ebs', name: 'web' }] }))
})
afterEach(() => rmSync(workspace, { recursive: true, force: true }))

function read(inputs: Record<string, string>): Promise<Inputs> {
  const all = { ...actionDefaults(), ...inputs }
  return readInputs((name) => all[name] ?? '', { GITHUB_WORKSPACE: workspace, GITHUB_REPOSITORY: 'acme/images' })
}

async function problems(inputs: Record<string, string>): Promise<string[]> {
  try {
    await read(inputs)
  } catch (error) {
    if (error instanceof InputError) return error.problems.map((problem) => problem.message)
    throw error
  }
  throw new Error('expected the inputs to be rejected')
}

describe('launch-template', () => {
  it('is off by default; a name or an ID names the template', async () => {
    const defaults = await read({})
    expect(defaults.launchTemplate).toBeUndefined()
    expect(defaults.launchTemplateDefault).toBe(true)
    expect((await read({ 'launch-template': 'web-servers' })).launchTemplate).toEqual({ name: 'web-servers' })
    expect((await read({ 'launch-template': 'lt-0123456789abcdef0' })).launchTemplate).toEqual({ id: 'lt-0123456789abcdef0' })
    expect((await read({ 'launch-template-default': 'false' })).launchTemplateDefault).toBe(false)
  })

  it('rejects what EC2 would reject', async () => {
    expect(await problems({ 'launch-template': 'a b', 'launch-template-default': 'no' })).toEqual([
      'launch-template-default: expected true or false, found "no"',
      'launch-template: expected a launch template ID (lt- and 17 hex digits) or a name of 3 to 128 letters, digits and ( ) . - / _, found "a b"'
    ])
  })
})

describe('ssm-parameter', () => {
  it('takes a plain name or a path', async () => {
    expect((await read({})).ssmParameter).toBeUndefined()
    expect((await read({ 'ssm-parameter': '/images/web/latest' })).ssmParameter).toBe('/images/web/latest')
    expect((await read({ 'ssm-parameter': 'web-ami' })).ssmParameter).toBe('web-ami')
  })

  it.each([
    ['images/web', 'a path that begins with "/" (e.g. /images/web/latest)'],
    ['/aws/service/web', 'a name that does not begin with "aws" or "ssm"'],
    ['SSM-web', 'a name that does not begin with "aws" or "ssm"'],
    ['/images/web latest', 'only letters, digits and _ . - /'],
    ['/images//web', 'a path without empty levels']
  ])('rejects %s', async (name, expected) => {
    expect(await problems({ 'ssm-parameter': name })).toEqual([
      `ssm-parameter: expected a Parameter Store name with ${expected}, found "${name}"`
    ])
  })

  it("bounds the name by the longest ARN before it: 1011 - 57 characters, a path's leading / not counted", async () => {
    const path = (length: number) => `/${'a'.repeat(length - 1)}`
    expect((await read({ 'ssm-parameter': 'a'.repeat(954) })).ssmParameter).toHaveLength(954)
    expect((await read({ 'ssm-parameter': path(955) })).ssmParameter).toHaveLength(955)
    const why =
      "SSM's limit of 1011 characters counts the ARN in front of the name, and the parameter goes to every region a build makes " +
      'an AMI in, which only Packer knows; so the name is bounded by the longest ARN in front of a name of any region the AWS SDK ' +
      'knows: arn:aws-iso-f:ssm:us-isof-south-1:111122223333:parameter/ (57 characters; a leading "/" of the name is its last)'
    expect(await problems({ 'ssm-parameter': 'a'.repeat(955) })).toEqual([
      `ssm-parameter: expected a Parameter Store name of at most 954 characters, found 955: ${why}`
    ])
    expect(await problems({ 'ssm-parameter': path(956) })).toEqual([
      `ssm-parameter: expected a Parameter Store name of at most 955 characters, found 956: ${why}`
    ])
  })

  it("that longest ARN is the longest of any region the AWS SDK knows", async () => {
    // The SDK's endpoint rules' partitions, as bundled: the SSM client's regions.
    const core = dirname(createRequire(import.meta.url).resolve('@aws-sdk/core/package.json'))
    const { partitionsInfo } = (await import(join(core, 'dist-es/submodules/client/util-endpoints/lib/aws/partitions.js'))) as {
      partitionsInfo: { partitions: Array<{ outputs: { name: string }; regions: Record<string, unknown> }> }
    }
    const arns = partitionsInfo.partitions.flatMap(({ outputs, regions }) =>
      Object.keys(regions)
        .filter((region) => new RegExp(`^${regionName}$`).test(region))
        .map((region) => `arn:${outputs.name}:ssm:${region}:`)
    )
    expect(arns.length).toBeGreaterThan(30)
    const longest = Math.max(...arns.map((arn) => arn.length))
    expect(`arn:${longestArnRegion.partition}:ssm:${longestArnRegion.region}:`).toHaveLength(longest)
    expect(arns).toContain(`arn:${longestArnRegion.partition}:ssm:${longestArnRegion.region}:`)
  })
})

describe('keep-images, image-family, retention-dry-run', () => {
  it("keeps everything by default; the family defaults to the run's repository and build name", async () => {
    const inputs = await read({})
    expect(inputs).toMatchObject({ keepImages: 0, retentionDryRun: false })
    expect(inputs.imageFamily).toBeUndefined()
    expect(imageFamilyOf('web', { ...inputs, familyPrefix: 'acme/images' })).toBe('acme/images/web')
    const named = await read({ 'keep-images': '3', 'image-family': 'web-base', 'retention-dry-run': 'true' })
    expect(named).toMatchObject({ keepImages: 3, imageFamily: 'web-base', retentionDryRun: true })
    expect(imageFamilyOf('web', named)).toBe('web-base')
  })

  it("names the default families after the repository and the template's path, so that two templates are two families", () => {
    const workspace = '/home/runner/work/images/images'
    expect(familyPrefixOf('acme/images', { workspace, workingDirectory: `${workspace}/images/web`, template: '.' })).toBe('acme/images/images/web')
    expect(familyPrefixOf('acme/images', { workspace, workingDirectory: `${workspace}/images/worker`, template: '.' })).toBe('acme/images/images/worker')
    expect(familyPrefixOf('acme/images', { workspace, workingDirectory: `${workspace}/json`, template: 'packer-template.json' })).toBe(
      'acme/images/json/packer-template.json'
    )
    expect(familyPrefixOf('acme/images', { workspace, workingDirectory: workspace, template: '.' })).toBe('acme/images')
  })

  it('cuts a default family longer than a tag value to its first 256 characters, never inside one', () => {
    // Characters outside the Basic Multilingual Plane are two UTF-16 code units each.
    expect(imageFamilyOf('🐧🐧', { familyPrefix: `acme/${'a'.repeat(249)}` })).toBe(`acme/${'a'.repeat(249)}/🐧`)
    const family = imageFamilyOf('web', { familyPrefix: `acme/${'🐧'.repeat(300)}` }) as string
    expect(family).toBe(`acme/${'🐧'.repeat(251)}`)
    // No half of a character left at the end, which no request could carry.
    expect(() => encodeURIComponent(family)).not.toThrow()
  })

  it('rejects a count that is not a whole number, and retention with no family to go by', async () => {
    expect(await problems({ 'keep-images': '-1' })).toEqual([
      'keep-images: expected a whole number from 0 (keep everything) to 1000, found "-1"'
    ])
    expect(await problems({ 'keep-images': '2', 'provenance-tags': 'false' })).toEqual([
      "keep-images: needs image-family when provenance-tags is false (no SourceRepository tag), to know which AMIs are this pipeline's"
    ])
    expect((await read({ 'keep-images': '2', 'provenance-tags': 'false', 'image-family': 'web' })).keepImages).toBe(2)
  })

  it('takes a family of up to 256 characters, as many as an EC2 tag value holds, counted as EC2 counts them', async () => {
    for (const length of [255, 256]) expect((await read({ 'image-family': 'f'.repeat(length) })).imageFamily).toHaveLength(length)
    // 256 characters outside the Basic Multilingual Plane: 512 UTF-16 code units, 256 to EC2.
    expect((await read({ 'image-family': '🐧'.repeat(256) })).imageFamily).toBe('🐧'.repeat(256))
    expect(await problems({ 'image-family': 'f'.repeat(257) })).toEqual(['image-family: expected at most 256 characters (it is a tag value), found 257'])
    expect(await problems({ 'image-family': '🐧'.repeat(257) })).toEqual(['image-family: expected at most 256 characters (it is a tag value), found 257'])
  })

  it('refuses a family with a control character, which EC2 refuses in a tag value after the build, by the rule of tags', async () => {
    // A `|` block keeps its line breaks inside the value; the ends are trimmed.
    expect(await problems({ 'image-family': 'web\nbase\n' })).toEqual([
      'image-family: expected no control characters (it is a tag value), found a line break (U+000A) at character 4'
    ])
    expect(await problems({ 'image-family': 'web\tbase' })).toEqual([
      'image-family: expected no control characters (it is a tag value), found a tab (U+0009) at character 4'
    ])
    expect(await problems({ 'image-family': '🐧\u0085' })).toEqual([
      'image-family: expected no control characters (it is a tag value), found U+0085 at character 2'
    ])
    expect(await problems({ tags: 'Team=web\u0085' })).toEqual([
      'tags: expected no control characters in the value of "Team", found U+0085 at character 4'
    ])
  })

  it('takes a family that begins with aws: (EC2 reserves the prefix in tag keys only) or holds filter wildcards', async () => {
    for (const family of ['aws:web', 'AWS:web', '*', '?', '\\', '*?\\', 'app*', 'web base (arm64) #2']) {
      expect((await read({ 'image-family': family })).imageFamily).toBe(family)
    }
  })
})

describe('familyTagging', () => {
  const ami = (build: string, region: string, amiId: string) => ({ build, builderType: 'amazon-ebs', region, amiId })
  const amis = [ami('web', 'us-east-1', 'ami-1'), ami('web', 'eu-west-1', 'ami-2'), ami('api', 'us-east-1', 'ami-3')]

  it('adds the family to the shared tags when one family covers the run', () => {
    expect(familyTagging(amis, { imageFamily: 'base' })).toEqual({ sharedTags: { ImageFamily: 'base' }, perBuild: [] })
    expect(familyTagging(amis.slice(0, 2), { familyPrefix: 'acme/images' }).sharedTags).toEqual({ ImageFamily: 'acme/images/web' })
  })

  it('tags each build apart when builds make different families, and nothing without a family', () => {
    expect(familyTagging(amis, { familyPrefix: 'acme/images' }).perBuild).toEqual([
      { amis: amis.slice(0, 2), tags: { ImageFamily: 'acme/images/web' } },
      { amis: [amis[2]], tags: { ImageFamily: 'acme/images/api' } }
    ])
    expect(familyTagging(amis, {})).toEqual({ sharedTags: {}, perBuild: [] })
    expect(familyTagging(amis, { imageFamily: 'base' }, (ami) => ({ PackerBuild: ami.build })).perBuild).toEqual([
      { amis: amis.slice(0, 2), tags: { ImageFamily: 'base', PackerBuild: 'web' } },
      { amis: [amis[2]], tags: { ImageFamily: 'base', PackerBuild: 'api' } }
    ])
    // A key a tags entry gives is the entry's: one family then covers the run, or the builds' own tags are none.
    expect(familyTagging(amis, { familyPrefix: 'acme/images' }, (ami) => ({ PackerBuild: ami.build }), ['ImageFamily', 'PackerBuild'])).toEqual({ sharedTags: {}, perBuild: [] })
    expect(familyTagging(amis, { imageFamily: 'base' }, (ami) => ({ PackerBuild: ami.build }), ['PackerBuild'])).toEqual({ sharedTags: { ImageFamily: 'base' }, perBuild: [] })
    expect(newAmisByFamily(amis, { familyPrefix: 'acme/images' })).toEqual(
      new Map([
        ['acme/images/web', new Map([['us-east-1', ['ami-1']], ['eu-west-1', ['ami-2']]])],
        ['acme/images/api', new Map([['us-east-1', ['ami-3']]])]
      ])
    )
  })
})

describe('reuse, fingerprint-paths', () => {
  const relativeTo = (files: string[]) => files.map((file) => file.slice(workspace.length + 1))

  it('fingerprints the template directory by default, without .git, packer_cache or the manifest', async () => {
    for (const dir of ['.git', 'packer_cache', 'scripts']) mkdirSync(join(workspace, dir))
    writeFileSync(join(workspace, '.git', 'HEAD'), 'ref: refs/heads/main\n')
    writeFileSync(join(workspace, 'packer_cache', 'x.iso'), 'x')
    writeFileSync(join(workspace, 'packer-manifest.json'), '{"builds":[],"last_run_uuid":""}')
    writeFileSync(join(workspace, 'scripts', 'setup.sh'), 'echo\n')
    writeFileSync(join(workspace, 'vars.json'), '{}')
    const inputs = await read({ reuse: 'true', 'aws-region': 'us-east-1', 'var-file': 'vars.json' })
    expect(inputs.fingerprintPatterns).toEqual([workspace])
    expect(relativeTo(await fingerprintFiles(inputs))).toEqual(['packer-template.json', 'scripts/setup.sh', 'vars.json'])
    const narrowed = await read({ reuse: 'true', 'aws-region': 'us-east-1', 'fingerprint-paths': 'scripts/**\n!scripts/setup.sh' })
    expect(relativeTo(await fingerprintFiles(narrowed))).toEqual(['packer-template.json'])
    // Without reuse the same files make the fingerprint written with the provenance tags.
    expect(relativeTo(await fingerprintFiles(await read({ 'var-file': 'vars.json' })))).toEqual(relativeTo(await fingerprintFiles(inputs)))
  })

  it("leaves out the output of each of the template's manifest post-processors, as an earlier run on the runner left it", async () => {
    const manifests = [{ type: 'manifest' }, { type: 'manifest', output: 'manifests/other.json' }]
    writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify({ builders: [{ type: 'amazon-ebs', name: 'web' }], 'post-processors': manifests }))
    mkdirSync(join(workspace, 'manifests'))
    writeFileSync(join(workspace, 'manifests', 'other.json'), '{"builds":[],"last_run_uuid":""}')
    writeFileSync(join(workspace, 'manifests', 'README.md'), 'kept by the build\n')
    const inputs = await read({ reuse: 'true', 'aws-region': 'us-east-1' })
    expect(inputs.otherManifestOutputs.map((output) => resolve(workspace, output))).toEqual([join(workspace, 'manifests', 'other.json')])
    expect(relativeTo(await fingerprintFiles(inputs))).toEqual(['manifests/README.md', 'packer-template.json'])
  })

  it('the fingerprint changes with a file, a variable or the Packer version, and only then', async () => {
    mkdirSync(join(workspace, 'scripts'))
    writeFileSync(join(workspace, 'scripts', 'setup.sh'), 'echo\n')
    const inputs = await read({})
    const first = await computeFingerprint(inputs, '1.6.6')
    expect(first).toEqual({ fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/), files: 2, referenced: [], environment: [] })
    expect(await computeFingerprint(inputs, '1.6.6')).toEqual(first)
    expect((await computeFingerprint(inputs, '1.11.2')).fingerprint).not.toBe(first.fingerprint)
    expect((await computeFingerprint(await read({ variables: 'a=b' }), '1.6.6')).fingerprint).not.toBe(first.fingerprint)
    writeFileSync(join(workspace, 'scripts', 'setup.sh'), 'echo!\n')
    expect((await computeFingerprint(inputs, '1.6.6')).fingerprint).not.toBe(first.fingerprint)
  })

  it('gives the same inputs the fingerprint that earlier versions gave them, so that their AMIs are still reused', async () => {
    const fingerprint = async (variables: string) => (await computeFingerprint(await read({ variables }), '1.6.6')).fingerprint
    expect(await fingerprint('')).toBe('2c9a89c27ea70b87189398f63ff66aa887de1cbbb954e1de4b465ae938129ac0')
    expect(await fingerprint('region=us-east-1\nsize=t3.micro')).toBe('8d261070ea3bca3372b44991a99b7798534324dca19f3e86e852e99b76db8113')
  })

  it("leaves a sensitive variable's value out and keeps its name: the fingerprint is public, a secret's guess cannot be checked against it", async () => {
    writeFileSync(
      join(workspace, 'packer-template.json'),
      JSON.stringify({
        variables: { password: '', api_key: '', region: '' },
        'sensitive-variables': ['password', 'api_key'],
        builders: [{ type: 'amazon-ebs', name: 'web' }]
      })
    )
    const fingerprint = async (variables: string) => (await computeFingerprint(await read({ variables }), '1.6.6')).fingerprint
    const first = await fingerprint('password=hunter2\nregion=us-east-1')
    expect(await fingerprint('password=correct-horse-battery-staple\nregion=us-east-1')).toBe(first)
    expect(await fingerprint('password=\nregion=us-east-1')).toBe(first)
    // Giving one more, or one less, changes it; so does a variable that is not sensitive.
    expect(await fingerprint('password=hunter2\napi_key=hunter2\nregion=us-east-1')).not.toBe(first)
    expect(await fingerprint('region=us-east-1')).not.toBe(first)
    expect(await fingerprint('password=hunter2\nregion=eu-west-1')).not.toBe(first)
  })

  it("leaves out the value of an HCL2 template's sensitive variable, known once its files are read", async () => {
    writeFileSync(
      join(workspace, 'build.pkr.hcl'),
      'variable "password" {\n  type      = string\n  sensitive = true\n}\nvariable "region" {\n  type = string\n}\n'
    )
    const fingerprint = async (variables: string): Promise<string> => {
      const inputs = await read({ template: 'build.pkr.hcl', variables })
      return (await computeFingerprint(withHclTemplate(inputs, await readHclTemplate(inputs, {})), '1.6.6')).fingerprint
    }
    const first = await fingerprint('password=hunter2\nregion=us-east-1')
    expect(await fingerprint('password=correct-horse-battery-staple\nregion=us-east-1')).toBe(first)
    expect(await fingerprint('region=us-east-1')).not.toBe(first)
    expect(await fingerprint('password=hunter2\nregion=eu-west-1')).not.toBe(first)
  })

  it('leaves out what is not a regular file, and names the cause when the glob fails', async () => {
    execFileSync('mkfifo', [join(workspace, 'pipe')])
    expect(relativeTo(await fingerprintFiles(await read({})))).toEqual(['packer-template.json'])
    // The glob library leaves out a dangling link, but stops at a link to itself.
    symlinkSync(join(workspace, 'gone'), join(workspace, 'dangling'))
    expect(relativeTo(await fingerprintFiles(await read({})))).toEqual(['packer-template.json'])
    symlinkSync(join(workspace, 'loop'), join(workspace, 'loop'))
    await expect(computeFingerprint(await read({}), '1.6.6')).rejects.toThrow(
      /^Cannot compute the fingerprint of the build's inputs \(template, variables files, fingerprint-paths\): ELOOP: .*loop/
    )
  })

  it('checks the patterns, and reads no file to do it', async () => {
    expect(await problems({ 'fingerprint-paths': '../**' })).toEqual([
      `fingerprint-paths: expected globs inside the workspace (${workspace}), found "../**", which is ${dirname(workspace)}/**`
    ])
    expect(await problems({ 'fingerprint-paths': 'scripts/**\n!/etc/**' })).toEqual([
      expect.stringMatching(/^fingerprint-paths: expected globs inside the workspace .*found "!\/etc\/\*\*"/)
    ])
    expect(await problems({ 'fingerprint-paths': 'scripts/\\.\\./x' })).toEqual([
      expect.stringMatching(/^fingerprint-paths: Invalid pattern .*Relative pathing '\.' and '\.\.' is not allowed/)
    ])
    // A pattern that matches nothing yet is not a mistake: the files may come later.
    expect((await read({ 'fingerprint-paths': 'nothing/yet/**' })).fingerprintPatterns).toEqual([join(workspace, 'nothing/yet/**')])
  })

  it("gives reused AMIs the user's tags, but not the keys a feature of the run goes by, which still say which build, set and family they are", async () => {
    const inputs = await read({ reuse: 'true', 'aws-region': 'us-east-1' })
    const userTags = { Team: 'beta', BuildSet: 'mine', ImageFamily: 'mine', PackerBuild: 'mine', BuildFingerprint: 'mine', SourceCommit: 'mine' }
    // A provenance key the user gives is the user's: a build writes it over the run's as well. So
    // is ImageFamily, which without keep-images or image-family is provenance alone.
    expect(reusedAmiTags(userTags, inputs)).toEqual({ Team: 'beta', ImageFamily: 'mine', SourceCommit: 'mine' })
    expect(reusedAmiTags(userTags, { ...inputs, keepImages: 2 })).toEqual({ Team: 'beta', SourceCommit: 'mine' })
    expect(reusedAmiTags(userTags, { ...inputs, imageFamily: 'base' })).toEqual({ Team: 'beta', SourceCommit: 'mine' })
  })

  it('needs a region to look in', async () => {
    expect(await problems({ reuse: 'true' })).toEqual([
      'reuse: needs aws-region (or AWS_REGION) to know where to look for the AMIs of earlier builds'
    ])
  })
})
