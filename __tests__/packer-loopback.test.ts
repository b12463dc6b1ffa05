// Runs the real `packer build` on the demo templates against a loopback EC2 endpoint.

import { afterEach, beforeAll, beforeEach, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  SOURCE_AMI_ID,
  startEc2Endpoint,
  type Ec2Endpoint
} from '../test-support/ec2-endpoint/index.js'
import { describeWithPacker, packer, packerVersion, until } from './support/runtimes.js'

const HOME_REGION = 'us-east-1'
const COPY_REGIONS = ['eu-west-1', 'us-west-2']

const demo = (path: string) => fileURLToPath(new URL(`../demo/${path}`, import.meta.url))

const TEMPLATES = [
  {
    kind: 'JSON',
    template: demo('json/packer-template.json'),
    varFile: demo('json/packer-vars.json'),
    buildName: 'amazon-ebs'
  },
  {
    kind: 'HCL2',
    template: demo('hcl2/ami.pkr.hcl'),
    varFile: demo('hcl2/loopback.pkrvars.hcl'),
    buildName: 'demo'
  }
]

// What Packer 1.6.6's amazon-ebs builder calls for these templates (communicator "none",
// skip_region_validation, ami_description, tags, two ami_regions).
const PACKER_1_6_6_ACTIONS = [
  'AuthorizeSecurityGroupIngress',
  'CopyImage',
  'CreateImage',
  'CreateKeyPair',
  'CreateSecurityGroup',
  'CreateTags',
  'DeleteKeyPair',
  'DeleteSecurityGroup',
  'DescribeImages',
  'DescribeInstances',
  'DescribeSecurityGroups',
  'DescribeVolumes',
  'ModifyImageAttribute',
  'RunInstances',
  'StopInstances',
  'TerminateInstances'
]

interface PackerRun {
  code: number | null
  stdout: string
  stderr: string
}

function startPacker(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv
): { pid: number | undefined; kill: (signal: NodeJS.Signals) => void; done: Promise<PackerRun> } {
  const child = spawn(packer as string, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const done = new Promise<PackerRun>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
  return { pid: child.pid, kill: (signal) => child.kill(signal), done }
}

describeWithPacker('packer build against the loopback EC2 endpoint', () => {
  let version = ''
  let workDir = ''
  let endpoint: Ec2Endpoint | undefined

  beforeAll(() => {
    version = packerVersion()
  })

  beforeEach(() => {
    workDir = mkdtempSync(join(tmpdir(), 'packer-loopback-'))
    for (const sub of ['home', 'cache', 'tmp']) mkdirSync(join(workDir, sub))
  })

  afterEach(async () => {
    await endpoint?.close()
    endpoint = undefined
    if (workDir !== '') rmSync(workDir, { recursive: true, force: true })
    workDir = ''
  })

  // Only what Packer needs: nothing from the developer's own AWS setup may leak in.
  function packerEnv(url: string, pollDelaySeconds: number): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: join(workDir, 'home'),
      TMPDIR: join(workDir, 'tmp'),
      PACKER_CACHE_DIR: join(workDir, 'cache'),
      CHECKPOINT_DISABLE: '1',
      AWS_ACCESS_KEY_ID: 'AKIDLOOPBACK',
      AWS_SECRET_ACCESS_KEY: 'loopback-secret',
      AWS_POLL_DELAY_SECONDS: String(pollDelaySeconds),
      AWS_ENDPOINT_URL_EC2: url
    }
  }

  it.each(TEMPLATES)('builds the $kind template into 3 regions and cleans up', async (demoTemplate) => {
    endpoint = await startEc2Endpoint({ regions: [HOME_REGION, ...COPY_REGIONS] })
    const run = await startPacker(
      ['build', '-machine-readable', `-var-file=${demoTemplate.varFile}`, demoTemplate.template],
      workDir,
      packerEnv(endpoint.url, 0)
    ).done

    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)

    const manifest = JSON.parse(readFileSync(join(workDir, 'packer-manifest.json'), 'utf8')) as {
      builds: Array<{ name: string; artifact_id: string; packer_run_uuid: string }>
      last_run_uuid: string
    }
    const latest = manifest.builds.filter((build) => build.packer_run_uuid === manifest.last_run_uuid)
    expect(latest).toHaveLength(1)
    expect(latest[0].name).toBe(demoTemplate.buildName)
    const pairs = latest[0].artifact_id.split(',').map((pair) => pair.split(':'))
    expect(pairs.map(([region]) => region).sort()).toEqual([HOME_REGION, ...COPY_REGIONS].sort())
    const artifactLine = `,artifact,0,id,${latest[0].artifact_id.replace(/,/g, '%!(PACKER_COMMA)')}\n`
    expect(run.stdout).toContain(artifactLine)

    const names = new Set<string>()
    for (const [region, amiId] of pairs) {
      expect(amiId).toMatch(/^ami-[0-9a-f]{17}$/)
      const image = endpoint.images(region).find((candidate) => candidate.imageId === amiId)
      expect(image).toMatchObject({
        state: 'available',
        description: `Built by packer-ami-action from ${SOURCE_AMI_ID}`,
        tags: { Name: 'packer-ami-action-demo', SourceAMI: SOURCE_AMI_ID }
      })
      names.add(image?.name ?? '')
      const snapshotIds = image?.blockDeviceMappings.map((device) => device.snapshotId) ?? []
      expect(snapshotIds).toHaveLength(1)
      const snapshot = endpoint.snapshots(region).find((s) => s.snapshotId === snapshotIds[0])
      expect(snapshot).toMatchObject({ state: 'completed', tags: { Name: 'packer-ami-action-demo' } })
      if (region !== HOME_REGION) {
        expect(image?.sourceImageRegion).toBe(HOME_REGION)
        expect(endpoint.callsOf('CopyImage', region)).toHaveLength(1)
      }
    }
    expect([...names]).toEqual([expect.stringMatching(/^packer-ami-action-demo-\d+$/)])

    const instances = endpoint.instances(HOME_REGION)
    expect(instances.map((instance) => instance.state)).toEqual(['terminated'])
    for (const region of COPY_REGIONS) expect(endpoint.instances(region)).toEqual([])
    expect(endpoint.keyPairs(HOME_REGION)).toEqual([])
    expect(endpoint.securityGroups(HOME_REGION).map((group) => group.groupName)).toEqual(['default'])
    expect(endpoint.callsOf('DeleteKeyPair')[0].params.KeyName).toBe(
      endpoint.callsOf('CreateKeyPair')[0].params.KeyName
    )
    expect(endpoint.calls.filter((call) => call.error !== undefined)).toEqual([])
    if (version === '1.6.6') expect(endpoint.actions()).toEqual(PACKER_1_6_6_ACTIONS)
  })

  it.each(TEMPLATES)(
    'cleans up and exits 1 when the $kind build is cancelled with SIGTERM',
    async (demoTemplate) => {
      endpoint = await startEc2Endpoint({
        regions: [HOME_REGION, ...COPY_REGIONS],
        autoAdvance: { describes: 0 }
      })
      endpoint.faults.holdInstancesPending()
      const loopback = endpoint
      // A poll delay of 1 s (the smallest above 0) keeps the instance waiter from running out
      // of attempts before the signal arrives.
      const packerRun = startPacker(
        ['build', '-machine-readable', `-var-file=${demoTemplate.varFile}`, demoTemplate.template],
        workDir,
        { ...packerEnv(endpoint.url, 1), AWS_MAX_ATTEMPTS: '1000' }
      )
      // Two looks at the pending instance: Packer is polling, not merely starting to.
      await until(
        () => loopback.callsOf('DescribeInstances').length >= 2,
        'Packer to wait for its instance'
      )
      expect(loopback.instances(HOME_REGION).map((instance) => instance.state)).toEqual(['pending'])
      packerRun.kill('SIGTERM')
      const run = await packerRun.done

      expect(run.code).toBe(1)
      expect(run.stdout).toContain('Cancelling build after receiving terminated')
      expect(endpoint.instances(HOME_REGION).map((instance) => instance.state)).toEqual(['terminated'])
      expect(endpoint.keyPairs(HOME_REGION)).toEqual([])
      expect(endpoint.securityGroups(HOME_REGION).map((group) => group.groupName)).toEqual(['default'])
      expect(endpoint.callsOf('CreateImage')).toEqual([])
      expect(endpoint.callsOf('TerminateInstances')).toHaveLength(1)
      expect(endpoint.calls.filter((call) => call.error !== undefined)).toEqual([])
      expect(run.stdout).not.toContain('PACKER CRASH')
    }
  )
})
