// `npm run local-action`: the action's source run by @github/local-action, the local runner of
// GitHub's TypeScript action template, with .env.example. local-action imports src/main.ts
// and src/post.ts and calls each one's run(), with its own @actions/core and @actions/github;
// the real Packer builds the demo template against a loopback EC2 endpoint.
import { afterEach, beforeEach, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { projectRoot } from './support/action-process.js'
import { describeWithPacker } from './support/runtimes.js'

let endpoint: Ec2Endpoint
let scratch: string
beforeEach(async () => {
  endpoint = await startEc2Endpoint()
  scratch = mkdtempSync(join(tmpdir(), 'local-action-'))
})
afterEach(async () => {
  await endpoint.close()
  rmSync(scratch, { recursive: true, force: true })
})

function runLocalAction(envFile: string): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [join(projectRoot, 'scripts', 'local-action.mjs'), envFile], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME ?? scratch },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout })))
}

/** The outputs local-action's @actions/core printed, `::set-output name=NAME::VALUE`. */
function outputs(stdout: string): Record<string, string> {
  const found: Record<string, string> = {}
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('::set-output name=')) continue
    const rest = line.slice('::set-output name='.length)
    const separator = rest.indexOf('::')
    found[rest.slice(0, separator)] = rest.slice(separator + 2)
  }
  return found
}

describeWithPacker('npm run local-action', () => {
  it('runs main, then post, with .env.example: outputs set, every AMI and snapshot tagged', async () => {
    // .env.example, pointed at this test's endpoint (a later line wins in a dotenv file).
    const envFile = join(scratch, '.env')
    writeFileSync(envFile, `${readFileSync(join(projectRoot, '.env.example'), 'utf8')}\nAWS_ENDPOINT_URL_EC2=${endpoint.url}\n`)

    const { code, stdout } = await runLocalAction(envFile)

    expect(stdout).toContain(`Using the EC2 endpoint at ${endpoint.url}/.`)
    expect(stdout).not.toMatch(/^::error/m)
    expect(code).toBe(0)
    expect(stdout.indexOf('Running Post Step')).toBeGreaterThan(stdout.indexOf('Running Action'))
    const set = outputs(stdout)
    const amiIds = JSON.parse(set['ami-ids']) as Record<string, string>
    expect(Object.keys(amiIds).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    expect(set['ami-id']).toBe(amiIds['us-east-1'])
    expect(set['packer-version']).toMatch(/^\d+\.\d+\.\d+$/)
    for (const [region, amiId] of Object.entries(amiIds)) {
      const image = endpoint.images(region).find((candidate) => candidate.imageId === amiId)
      const expected = {
        Team: 'platform',
        Environment: 'local',
        SourceRepository: 'local/packer-ami-action',
        SourceCommit: '0000000000000000000000000000000000000000',
        SourceRef: 'refs/heads/main',
        BuildEvent: 'push',
        BuildActor: 'octocat',
        BuildRunUrl: 'https://github.com/local/packer-ami-action/actions/runs/1/attempts/1'
      }
      expect(image?.tags).toMatchObject(expected)
      for (const device of image?.blockDeviceMappings ?? []) {
        expect(endpoint.tagsOf(region, device.snapshotId as string)).toMatchObject(expected)
      }
    }
    expect(stdout).toContain('AMIs built and tagged')
  })

  it("runs on the user's own checkout when the file names it as GITHUB_WORKSPACE, inputs relative to it", async () => {
    const checkout = join(scratch, 'checkout')
    cpSync(join(projectRoot, 'demo', 'json'), join(checkout, 'images'), { recursive: true })
    const envFile = join(scratch, '.env')
    writeFileSync(
      envFile,
      `${readFileSync(join(projectRoot, '.env.example'), 'utf8')}\nAWS_ENDPOINT_URL_EC2=${endpoint.url}\n` +
        `GITHUB_WORKSPACE=${checkout}\nINPUT_WORKING-DIRECTORY=images\n`
    )

    const { code, stdout } = await runLocalAction(envFile)

    expect(stdout).toContain(`Workspace: ${checkout} (GITHUB_WORKSPACE in ${envFile}).`)
    expect(stdout).not.toMatch(/^::error/m)
    expect(code).toBe(0)
    const set = outputs(stdout)
    expect(set.manifest).toBe(join(checkout, 'images', 'packer-manifest.json'))
    expect(existsSync(set.manifest)).toBe(true)
    const amiIds = JSON.parse(set['ami-ids']) as Record<string, string>
    expect(Object.keys(amiIds).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    for (const [region, amiId] of Object.entries(amiIds)) {
      expect(endpoint.tagsOf(region, amiId)).toMatchObject({
        Team: 'platform',
        ImageFamily: 'local/packer-ami-action/images/packer-template.json/amazon-ebs'
      })
    }
  })
})
