// Bad input, as a user meets it: the bundled action run as the runner runs it, on a copy of
// the demo workspace. Each case must fail with exit code 1 and one error that names the input
// or file and says what was expected, without a stack trace, before any process is started
// (a `packer` on PATH records any call) and before any call reaches the EC2 endpoint.
import { afterAll, beforeAll, expect, it } from '@jest/globals'
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { asTheRunnerShowsIt, projectRoot, pushToMain, runAction, type ActionRun } from './support/action-process.js'
import { describeWithPacker, packer as realPacker, packerVersion } from './support/runtimes.js'

interface BadInput {
  name: string
  inputs: Record<string, string>
  env?: Record<string, string>
  /** Files to create in the workspace first, relative to it. */
  files?: Record<string, string>
  directories?: string[]
  /** What the one error must say. */
  says: RegExp
  /** The file the annotation points at, when the problem is in a file. */
  file?: string
  /** The line and column in that file, when the problem is about one place in it. */
  at?: { line: string; col: string }
  /**
   * A secret in the inputs, and whether the runner knows it (from the workflow's secrets): not
   * even its start shows in the log as the runner shows it.
   */
  secret?: { value: string; runnerKnows: boolean }
}

// As long as a token, and longer than a message would quote of a line.
const runnerSecret = `R7nnerKnows${'x9'.repeat(120)}`

const json = { 'working-directory': 'json' }
const hcl = { 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' }

const cases: BadInput[] = [
  // Where things are
  { name: 'a template that does not exist', inputs: { ...json, template: 'missing.json' }, says: /^template: expected a Packer template at "missing\.json"/ },
  { name: 'a working directory that does not exist', inputs: { 'working-directory': 'nope' }, says: /^working-directory: expected a directory, found none at "nope"/ },
  { name: 'a working directory above the workspace', inputs: { 'working-directory': '..' }, says: /^working-directory: expected a directory inside the workspace/ },
  { name: 'a working directory elsewhere on the machine', inputs: { 'working-directory': '/etc' }, says: /^working-directory: expected a directory inside the workspace .*found "\/etc"/ },
  { name: 'a template directory with no HCL2 files', inputs: { template: 'empty' }, directories: ['empty'], says: /^template: expected \.pkr\.hcl or \.pkr\.json files in the directory "empty", found none/ },
  { name: 'a JSON template that does not parse', inputs: { ...json, template: 'broken.json' }, files: { 'json/broken.json': '{\n  "builders": [,]\n}' }, says: /^template: json\/broken\.json is not valid JSON at line 2, column 16: Unexpected token ','$/, file: 'json/broken.json', at: { line: '2', col: '16' } },
  { name: 'an HCL2 template whose name ends in .hcl, not .pkr.hcl', inputs: { 'working-directory': 'hcl2', template: 'golden.hcl' }, files: { 'hcl2/golden.hcl': 'source "null" "golden" {\n  communicator = "none"\n}\n\nbuild {\n  sources = ["source.null.golden"]\n}\n' }, says: /^template: hcl2\/golden\.hcl is not valid JSON at line 1, column 1: Unexpected token\. Packer reads a template as HCL2 only when its name ends in \.pkr\.hcl or \.pkr\.json, or when it is a directory, and as JSON otherwise: rename it to golden\.pkr\.hcl$/, file: 'hcl2/golden.hcl', at: { line: '1', col: '1' } },
  { name: 'a variables file given as the template', inputs: { 'working-directory': 'hcl2', template: 'prod.pkrvars.hcl' }, files: { 'hcl2/prod.pkrvars.hcl': 'aws_region = "us-east-1"\n' }, says: /^template: hcl2\/prod\.pkrvars\.hcl is not valid JSON at line 1, column 1: Unexpected token\. It is named as a variables file: give it as var-file, and the template \(a \.pkr\.hcl file or a directory\) as template$/, file: 'hcl2/prod.pkrvars.hcl', at: { line: '1', col: '1' } },
  { name: "a JSON template with a comma after a builder's last setting", inputs: { ...json, template: 'comma.json' }, files: { 'json/comma.json': '{\n  "builders": [\n    {\n      "type": "amazon-ebs",\n      "communicator": "none",\n    }\n  ]\n}\n' }, says: /^template: json\/comma\.json is not valid JSON at line 5, column 29: a comma after the last entry, which JSON does not allow: remove it$/, file: 'json/comma.json', at: { line: '5', col: '29' } },
  { name: 'a JSON template without builders', inputs: { ...json, template: 'nobuilders.json' }, files: { 'json/nobuilders.json': '{"variables": {}}' }, says: /^template: json\/nobuilders\.json is not a Packer JSON template: expected "builders"/ },
  { name: 'a JSON template that is an array', inputs: { ...json, template: 'array.json' }, files: { 'json/array.json': '[]' }, says: /^template: json\/array\.json is not a Packer JSON template: expected a JSON object/ },
  // Variables
  { name: 'an HCL var-file for a JSON template', inputs: { ...json, 'var-file': 'vars.pkrvars.hcl' }, files: { 'json/vars.pkrvars.hcl': 'aws_region = "us-east-1"\n' }, says: /^var-file: json\/vars\.pkrvars\.hcl is HCL, but packer-template\.json is a JSON template: its variables files must be JSON/ },
  { name: 'a var-file that does not exist', inputs: { ...json, 'var-file': 'missing.json' }, says: /^var-file: expected a variables file at "missing\.json"/ },
  { name: 'a var-file that does not parse', inputs: { ...json, 'var-file': 'bad.json' }, files: { 'json/bad.json': '{"aws_region": ' }, says: /^var-file: json\/bad\.json is not valid JSON/, file: 'json/bad.json' },
  { name: 'a var-file with a comma after its last variable, a blank line before its brace', inputs: { ...json, 'var-file': 'comma.json' }, files: { 'json/comma.json': '{\n  "aws_region": "us-east-1",\n  "subnet_id": "subnet-1703b248",\n\n}\n' }, says: /^var-file: json\/comma\.json is not valid JSON at line 3, column 33: a comma after the last entry, which JSON does not allow: remove it$/, file: 'json/comma.json', at: { line: '3', col: '33' } },
  { name: 'a var-file with a comma missing at the end of a line', inputs: { ...json, 'var-file': 'nocomma.json' }, files: { 'json/nocomma.json': '{\n  "aws_region": "us-east-1"\n  "subnet_id": "subnet-1703b248"\n}\n' }, says: /^var-file: json\/nocomma\.json is not valid JSON at line 2, column 28: Expected ',' or '}' after property value$/, file: 'json/nocomma.json', at: { line: '2', col: '28' } },
  { name: 'a var-file whose secret value is not quoted', inputs: { ...json, 'var-file': 'unquoted.json' }, files: { 'json/unquoted.json': `{\n  "db_password": ${runnerSecret}\n}\n` }, says: /^var-file: json\/unquoted\.json is not valid JSON at line 2, column 18: Unexpected token$/, file: 'json/unquoted.json', at: { line: '2', col: '18' }, secret: { value: runnerSecret, runnerKnows: false } },
  { name: 'a var-file with a number', inputs: { ...json, 'var-file': 'number.json' }, files: { 'json/number.json': '{\n  "aws_region": "us-east-1",\n  "instance_count": 2\n}\n' }, says: /^var-file: json\/number\.json: expected variable "instance_count" to be a string/, file: 'json/number.json', at: { line: '3', col: '3' } },
  { name: 'a var-file with another extension that is not JSON', inputs: { ...json, 'var-file': 'vars.txt' }, files: { 'json/vars.txt': 'aws_region=us-east-1' }, says: /^var-file: json\/vars\.txt is not valid JSON/ },
  { name: 'an HCL2 var-file whose extension Packer cannot guess', inputs: { ...hcl, 'var-file': 'prod.tfvars' }, files: { 'hcl2/prod.tfvars': 'aws_region = "us-east-1"\n' }, says: /^var-file: expected a variables file whose name ends in \.hcl or \.json, found "prod\.tfvars"/, file: 'hcl2/prod.tfvars' },
  { name: 'a variables line without =', inputs: { ...json, variables: 'aws_region' }, says: /^variables: expected NAME=VALUE with a variable name, found "aws_region"/ },
  { name: 'a variables line without =, holding a secret', inputs: { ...json, variables: `db_password ${runnerSecret}` }, says: /^variables: expected NAME=VALUE with a variable name, found "db_password R7nnerKnows/, secret: { value: runnerSecret, runnerKnows: true } },
  { name: 'a variables line with a name an HCL2 template cannot declare', inputs: { ...hcl, variables: 'aws.region=us-east-1' }, says: /^variables: expected NAME=VALUE with a variable name, found line 1 with a name an HCL2 template cannot declare/ },
  // Builds
  { name: 'only with a build the template lacks', inputs: { ...json, only: 'web' }, says: /^only: the template has no build named "web" \(its builds: amazon-ebs\)/ },
  { name: 'except with a build the template lacks', inputs: { ...json, except: 'api' }, says: /^except: the template has no build or post-processor named "api" \(its builds: amazon-ebs; its post-processors: manifest\)/ },
  { name: 'an unknown command', inputs: { ...json, command: 'deploy' }, says: /^command: expected one of build, validate, found "deploy"/ },
  { name: 'on-error: ask, which needs a terminal', inputs: { ...json, 'on-error': 'ask' }, says: /^on-error: expected one of cleanup, abort, run-cleanup-provisioner, found "ask"/ },
  // Packer itself
  { name: 'a packer-version that is not a version', inputs: { ...json, 'packer-version': 'banana' }, says: /^packer-version: expected latest, a version such as 1\.11\.2 or a range such as ~1\.11, found "banana"/ },
  { name: 'an unquoted 1.10 that YAML turned into 1.1', inputs: { ...json, 'packer-version': '1.1' }, says: /^packer-version: "1\.1" asks for a Packer older than 1\.5\.0.*write '1\.10'/ },
  { name: "an HCL2 template whose required_version packer-version does not meet", inputs: { 'working-directory': 'hcl2', template: 'pinned.pkr.hcl', 'packer-version': '1.9.0' }, files: { 'hcl2/pinned.pkr.hcl': 'packer {\n  required_version = ">= 1.10.0"\n}\n\nsource "amazon-ebs" "pinned" {\n  communicator = "none"\n}\n\nbuild {\n  sources = ["source.amazon-ebs.pinned"]\n}\n' }, says: /^packer-version: expected a Packer that meets ">= 1\.10\.0", as required_version in hcl2\/pinned\.pkr\.hcl asks, found "1\.9\.0"/, file: 'hcl2/pinned.pkr.hcl', at: { line: '2', col: '3' } },
  { name: "a JSON template's min_packer_version above packer-version", inputs: { ...json, template: 'pinned.json', 'packer-version': '1.9.0' }, files: { 'json/pinned.json': '{\n  "min_packer_version": "1.10.0",\n  "builders": [{"type": "amazon-ebs", "communicator": "none"}]\n}\n' }, says: /^packer-version: expected Packer 1\.10\.0 or later, as min_packer_version in json\/pinned\.json asks, found "1\.9\.0"/, file: 'json/pinned.json', at: { line: '2', col: '3' } },
  { name: 'a Packer too old for the action', inputs: { ...json, 'packer-version': '0.12.3' }, says: /^packer-version: "0\.12\.3" asks for a Packer older than 1\.5\.0/ },
  { name: 'a releases URL that is not http(s)', inputs: { ...json, 'packer-releases-url': 'ftp://mirror.example.com' }, says: /^packer-releases-url: expected an http\(s\) URL, found "ftp:\/\/mirror\.example\.com"/ },
  { name: 'a releases URL with credentials that is not http(s)', inputs: { ...json, 'packer-releases-url': 'ftp://mirror:M1rr0rPa55w0rd@mirror.example.com' }, says: /^packer-releases-url: expected an http\(s\) URL, found "ftp:\/\/mirror:M1rr0rPa55w0rd@mirror\.example\.com"/, secret: { value: 'M1rr0rPa55w0rd', runnerKnows: false } },
  { name: 'a releases URL with credentials and no scheme', inputs: { ...json, 'packer-releases-url': 'mirror:M1rr0rPa55w0rd@mirror.example.com/hashicorp' }, says: /^packer-releases-url: expected an http\(s\) URL, found "mirror:M1rr0rPa55w0rd@mirror\.example\.com\/hashicorp"/, secret: { value: 'M1rr0rPa55w0rd', runnerKnows: false } },
  { name: 'a releases URL that is not a URL', inputs: { ...json, 'packer-releases-url': 'mirror.example.com' }, says: /^packer-releases-url: expected an http\(s\) URL/ },
  { name: 'a signing key that is not an armored key', inputs: { ...json, 'packer-signing-key': 'C874011F0AB405110D02105534365D9472D7468F' }, says: /^packer-signing-key: expected an ASCII-armored PGP public key/ },
  { name: 'a plugins line that is not a source', inputs: { ...json, plugins: 'amazon latest please' }, says: /^plugins: expected SOURCE or SOURCE@CONSTRAINT per line/ },
  { name: 'a plugins constraint that is not one', inputs: { ...json, plugins: 'github.com/hashicorp/amazon@soon' }, says: /^plugins: "soon" in line .* is not a version constraint/ },
  { name: 'a GitHub token with a newline', inputs: { ...json, 'github-token': 'ghp_0123456789abcdef\nghp_second' }, says: /^github-token: expected a token on one line, found 2 lines/ },
  // Switches
  { name: 'cache: yes', inputs: { ...json, cache: 'yes' }, says: /^cache: expected true or false, found "yes"/ },
  { name: 'force: 1', inputs: { ...json, force: '1' }, says: /^force: expected true or false, found "1"/ },
  { name: 'provenance-tags: on', inputs: { ...json, 'provenance-tags': 'on' }, says: /^provenance-tags: expected true or false, found "on"/ },
  { name: 'tag-snapshots: no', inputs: { ...json, 'tag-snapshots': 'no' }, says: /^tag-snapshots: expected true or false, found "no"/ },
  { name: 'summary: off', inputs: { ...json, summary: 'off' }, says: /^summary: expected true or false, found "off"/ },
  { name: 'a tagging-timeout of 0', inputs: { ...json, 'tagging-timeout': '0' }, says: /^tagging-timeout: expected whole seconds from 1 to 120, found "0"/ },
  { name: 'a tagging-timeout in minutes', inputs: { ...json, 'tagging-timeout': '5m' }, says: /^tagging-timeout: expected whole seconds from 1 to 120, found "5m"/ },
  { name: 'a tagging-timeout over two minutes', inputs: { ...json, 'tagging-timeout': '600' }, says: /^tagging-timeout: expected whole seconds from 1 to 120, found "600"/ },
  // Tags
  { name: 'a tags line without =', inputs: { ...json, tags: 'Team' }, says: /^tags: expected Key=Value, found "Team"/ },
  { name: 'a tag key with the aws: prefix', inputs: { ...json, tags: 'aws:team=platform' }, says: /^tags: the "aws:" prefix is reserved for AWS, found key "aws:team"/ },
  { name: 'a tag value with a tab', inputs: { ...json, tags: 'Team=plat\tform' }, says: /^tags: expected no control characters in the value of "Team", found a tab \(U\+0009\) at character 5$/ },
  { name: 'a tags line that is a workflow command', inputs: { ...json, tags: '::set-output name=ami-id::ami-evil' }, says: /^tags: a tag key may not begin with "::"/ },
  { name: 'a tag key with #', inputs: { ...json, tags: 'Cost#center=42' }, says: /^tags: a tag key may hold letters, numbers, spaces and \+ - = \. _ : \/ @, found "#"/ },
  { name: 'a tag key given twice', inputs: { ...json, tags: 'Team=a\nTeam=b' }, says: /^tags: the key "Team" is given twice/ },
  { name: 'a tag key of 129 characters', inputs: { ...json, tags: `${'k'.repeat(129)}=v` }, says: /^tags: a tag key must be 1 to 128 characters, found 129/ },
  { name: 'a tags line with no key, its value a secret', inputs: { ...json, tags: `=${runnerSecret}` }, says: /^tags: a tag key must be 1 to 128 characters, found 0 in "=R7nnerKnows/, secret: { value: runnerSecret, runnerKnows: true } },
  { name: 'a tag value of 257 characters', inputs: { ...json, tags: `Notes=${'v'.repeat(257)}` }, says: /^tags: expected at most 256 characters in the value of "Notes", found 257$/ },
  { name: '50 tags plus the provenance tags', inputs: { ...json, tags: Array.from({ length: 50 }, (_, i) => `Tag${i}=v`).join('\n') }, says: /^tags: EC2 allows at most 50 tags on an AMI or snapshot, found 61 \(50 from tags \+ 7 provenance tags \+ 4 of the action's own \(ImageFamily, BuildFingerprint, BuildSet, PackerBuild\)/ },
  // A pull request's validate run, with the step's inputs, refuses what the build on merge would.
  { name: 'tags that a build would take over 50, in a validate run', inputs: { ...json, command: 'validate', tags: Array.from({ length: 40 }, (_, i) => `Tag${i}=v`).join('\n') }, says: /^tags: EC2 allows at most 50 tags on an AMI or snapshot, found 51 \(40 from tags \+ 7 provenance tags \+ 4 of the action's own/ },
  { name: "a tags entry of the action's own tag that keep-images goes by, in a validate run", inputs: { ...json, command: 'validate', 'keep-images': '2', tags: 'ImageFamily=web' }, says: /^tags: ImageFamily is the action's own tag, which keep-images goes by; set image-family: web instead/ },
  // A value the runner knows as a secret is quoted whole or not at all: it masks only the whole value.
  { name: "a tags entry of the action's own tag, its value a secret", inputs: { ...json, command: 'validate', 'keep-images': '2', tags: `ImageFamily=${runnerSecret}` }, says: /^tags: ImageFamily is the action's own tag, which keep-images goes by; set image-family: … instead of the tags entry$/, secret: { value: runnerSecret, runnerKnows: true } },
  { name: 'an ssm-parameter with a character SSM refuses, a secret', inputs: { ...json, 'ssm-parameter': `${runnerSecret}!` }, says: /^ssm-parameter: expected a Parameter Store name with only letters, digits and _ \. - \/, found "…"$/, secret: { value: `${runnerSecret}!`, runnerKnows: true } },
  { name: 'an ssm-parameter too long for SSM, a secret', inputs: { ...json, 'ssm-parameter': `/${runnerSecret.repeat(4)}` }, says: /^ssm-parameter: expected a Parameter Store name of at most 955 characters, found 1005: SSM's limit/, secret: { value: `/${runnerSecret.repeat(4)}`, runnerKnows: true } },
  { name: 'a launch-template that is no name EC2 takes, a secret', inputs: { ...json, 'launch-template': `${runnerSecret}!` }, says: /^launch-template: expected a launch template ID .*, found "…"$/, secret: { value: `${runnerSecret}!`, runnerKnows: true } },
  // Retention: the family is a tag value, which EC2 would refuse only after the build
  { name: 'an image-family with a line break, from a | block', inputs: { ...json, 'image-family': 'web\nbase\n' }, says: /^image-family: expected no control characters \(it is a tag value\), found a line break \(U\+000A\) at character 4$/ },
  { name: 'an image-family with a tab', inputs: { ...json, 'image-family': 'web\tbase', 'keep-images': '2' }, says: /^image-family: expected no control characters \(it is a tag value\), found a tab \(U\+0009\) at character 4$/ },
  // Fingerprint: the patterns are checked; nothing is globbed for refused inputs
  { name: 'fingerprint-paths outside the workspace', inputs: { ...json, reuse: 'true', 'fingerprint-paths': '/**' }, says: /^fingerprint-paths: expected globs inside the workspace .*found "\/\*\*"/ },
  { name: 'a fingerprint-paths pattern the glob library refuses', inputs: { ...json, 'fingerprint-paths': 'scripts/\\.\\./x' }, says: /^fingerprint-paths: Invalid pattern .*Relative pathing '\.' and '\.\.' is not allowed/ },
  { name: 'a working directory at the root, which a fingerprint would glob whole', inputs: { 'working-directory': '/', template: 'etc/hostname' }, says: /^working-directory: expected a directory inside the workspace .*found "\/"/ },
  // Region and manifest
  { name: 'an aws-region that is not a region', inputs: { ...json, 'aws-region': 'Frankfurt' }, says: /^aws-region: expected an AWS region such as us-east-1, found "Frankfurt"/ },
  { name: 'an AWS_REGION that is not a region', inputs: json, env: { AWS_REGION: 'us_east_1' }, says: /^AWS_REGION: expected an AWS region such as us-east-1, found "us_east_1"/ },
  { name: 'a manifest that is not JSON', inputs: { ...json, manifest: 'out.json' }, files: { 'json/out.json': 'builds: []' }, says: /^manifest: json\/out\.json is not valid JSON.*fix or delete it\.$/, file: 'json/out.json' },
  { name: 'a JSON object that is not a manifest, which Packer would write over', inputs: { ...json, manifest: 'out.json' }, files: { 'json/out.json': '{"name": "web app", "last_run_uuid": "x"}' }, says: /^manifest: json\/out\.json is not a Packer manifest \(it has "name" and no "builds"\): Packer's manifest post-processor would write over it and lose that\./, file: 'json/out.json' },
  { name: 'a manifest whose builds are not objects', inputs: { ...json, manifest: 'out.json' }, files: { 'json/out.json': '{"builds": [null]}' }, says: /^manifest: json\/out\.json: expected every entry of "builds" to be an object/ },
  { name: 'a manifest that is a directory', inputs: { ...json, manifest: 'out' }, directories: ['json/out'], says: /^manifest: expected a file at json\/out, found a directory/ },
  { name: 'the template\'s manifest output, left broken by an earlier run', inputs: hcl, files: { 'hcl2/packer-manifest.json': '{"builds": [' }, says: /^manifest: hcl2\/packer-manifest\.json is not valid JSON/ }
]

describeWithPacker('bad input through the bundled action', () => {
  let endpoint: Ec2Endpoint
  let scratch: string
  let bin: string
  const results = new Map<string, { result: ActionRun; workspace: string }>()

  beforeAll(async () => {
    endpoint = await startEc2Endpoint()
    scratch = mkdtempSync(join(tmpdir(), 'bad-inputs-'))
    // A `packer` first on PATH that records that it was started, then runs the real one.
    bin = join(scratch, 'bin')
    mkdirSync(bin)
    writeFileSync(join(bin, 'packer'), `#!/bin/sh\necho "$@" >> "$(dirname "$0")/started"\nexec ${realPacker} "$@"\n`)
    chmodSync(join(bin, 'packer'), 0o755)
    // Node starts are most of the time: run the cases four at a time.
    for (let next = 0; next < cases.length; next += 4) {
      await Promise.all(
        cases.slice(next, next + 4).map(async (badInput, offset) => {
          const workspace = join(scratch, `case-${next + offset}`)
          cpSync(join(projectRoot, 'demo'), workspace, { recursive: true })
          for (const directory of badInput.directories ?? []) mkdirSync(join(workspace, directory), { recursive: true })
          for (const [path, text] of Object.entries(badInput.files ?? {})) writeFileSync(join(workspace, path), text)
          const result = await runAction({
            workspace,
            inputs: badInput.inputs,
            env: {
              ...pushToMain,
              PATH: `${bin}:${process.env.PATH ?? ''}`,
              HOME: join(workspace, '.home'),
              AWS_ACCESS_KEY_ID: 'AKIDLOOPBACK',
              AWS_SECRET_ACCESS_KEY: 'loopback-secret',
              AWS_REGION: 'us-east-1',
              AWS_ENDPOINT_URL_EC2: endpoint.url,
              ...badInput.env
            }
          })
          results.set(badInput.name, { result, workspace })
        })
      )
    }
  }, 240_000)

  afterAll(async () => {
    await endpoint.close()
    rmSync(scratch, { recursive: true, force: true })
  })

  it('covers at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40)
  })

  it.each(cases.map((badInput) => [badInput.name, badInput] as const))('%s', (name, badInput) => {
    const { result } = results.get(name) as { result: ActionRun; workspace: string }
    expect(result.exitCode).toBe(1)
    expect(result.errors.map((error) => error.message)).toEqual([expect.stringMatching(badInput.says)])
    expect(result.errors[0].properties.title).toBe('Invalid input')
    if (badInput.file) expect(result.errors[0].properties.file).toBe(badInput.file)
    if (badInput.at) expect(result.errors[0].properties).toMatchObject(badInput.at)
    // No stack trace, on either stream.
    expect(`${result.stdout}\n${result.stderr}`).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m)
    expect(result.stderr).toBe('')
    // Nothing started, nothing sent, nothing set.
    expect(existsSync(join(bin, 'started'))).toBe(false)
    expect(result.stdout).not.toContain('::group::')
    expect(result.outputs).toEqual({})
    // Nothing globbed for the fingerprint: the glob library logs each search path it walks.
    expect(result.stdout).not.toContain('::debug::Search path')
    // A secret never reaches the log, even in the message about it.
    expect(result.stdout).not.toContain('ghp_')
    if (badInput.secret) {
      const { value, runnerKnows } = badInput.secret
      expect(asTheRunnerShowsIt(result, runnerKnows ? [value] : []).log).not.toContain(value.slice(0, 11))
    }
  })

  it('no case reached the EC2 endpoint', () => {
    expect(endpoint.calls).toEqual([])
  })

  it('ends once every problem has reached a reader slower than the step', async () => {
    const workspace = join(scratch, 'slow-reader')
    cpSync(join(projectRoot, 'demo'), workspace, { recursive: true })
    const inputs = { ...json, command: 'deploy', cache: 'yes', force: '1', summary: 'off', 'packer-version': '0.12.3', tags: 'Team' }
    const result = await runAction({ workspace, inputs, env: { ...pushToMain, HOME: join(workspace, '.home') }, readDelayMs: 20 })
    expect(result.exitCode).toBe(1)
    expect(result.errors.map((error) => error.message.replace(/:.*/s, ''))).toEqual(['command', 'packer-version', 'cache', 'force', 'tags', 'summary'])
    expect(result.stderr).toBe('')
  })

  it('the recording packer does see a start when the inputs are good', async () => {
    const workspace = join(scratch, 'good')
    cpSync(join(projectRoot, 'demo'), workspace, { recursive: true })
    const controlBin = join(scratch, 'control-bin')
    cpSync(bin, controlBin, { recursive: true })
    rmSync(join(controlBin, 'started'), { force: true })
    const result = await runAction({
      workspace,
      inputs: { ...json, command: 'validate', 'packer-version': packerVersion() },
      env: { ...pushToMain, PATH: `${controlBin}:${process.env.PATH ?? ''}`, HOME: join(workspace, '.home'), CHECKPOINT_DISABLE: '1' }
    })
    expect(result.exitCode).toBe(0)
    expect(existsSync(join(controlBin, 'started'))).toBe(true)
    // A validate-only run, provenance tags on (the default), still reads no file for a fingerprint.
    expect(result.stdout).not.toContain('::debug::Search path')
  })
})
