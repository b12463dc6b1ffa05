// `npm run endpoint` (scripts/endpoint.mjs) as a developer starts it, seeding the tagged VPCs and
// subnets that templates with vpc_filter and subnet_filter pick, and the instance profiles that
// templates with iam_instance_profile name.
import { afterEach, describe, expect, it } from '@jest/globals'
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2'
import { GetInstanceProfileCommand, IAMClient } from '@aws-sdk/client-iam'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { projectRoot } from './support/action-process.js'

const script = join(projectRoot, 'scripts', 'endpoint.mjs')
const credentials = { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'x' }

describe('npm run endpoint -- --networks, --instance-profiles', () => {
  let child: ChildProcess | undefined
  const folders: string[] = []

  afterEach(() => {
    child?.kill('SIGTERM')
    child = undefined
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true })
  })

  function seedFile(text: string, name = 'networks.json'): string {
    const folder = mkdtempSync(join(tmpdir(), 'endpoint-script-'))
    folders.push(folder)
    const file = join(folder, name)
    writeFileSync(file, text)
    return file
  }

  function start(file: string, option = '--networks'): { url: Promise<string>; exit: Promise<{ code: number | null; stderr: string }> } {
    const started = spawn(process.execPath, [script, '--port', '0', '--regions', 'us-east-1', option, file], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    child = started
    let stdout = ''
    let stderr = ''
    started.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const url = new Promise<string>((resolve, reject) => {
      started.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
        const first = /^(http:\/\/127\.0\.0\.1:\d+)\n/.exec(stdout)
        if (first) resolve(first[1])
      })
      started.once('exit', () => reject(new Error(`the endpoint exited: ${stderr}`)))
    })
    // A run that is meant to fail never prints its URL.
    url.catch(() => undefined)
    const exit = new Promise<{ code: number | null; stderr: string }>((resolve) =>
      started.once('exit', (code) => resolve({ code, stderr }))
    )
    return { url, exit }
  }

  it('serves the VPCs, subnets and security groups of the file, with their tags', async () => {
    const file = seedFile(
      JSON.stringify([
        {
          vpcId: 'vpc-0e10000000000000a',
          tags: { Name: 'build-vpc' },
          subnets: [{ subnetId: 'subnet-0e10000000000000a', zone: 'b', cidrBlock: '10.0.16.0/20', tags: { Tier: 'build' } }],
          securityGroups: [{ groupId: 'sg-0e10000000000000a', groupName: 'packer-builds', tags: { Class: 'packer' } }]
        }
      ])
    )
    const endpoint = start(file)
    const client = new EC2Client({ region: 'us-east-1', endpoint: await endpoint.url, credentials, maxAttempts: 1 })
    const vpcs = await client.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Name', Values: ['build-vpc'] }] }))
    expect(vpcs.Vpcs?.map((vpc) => vpc.VpcId)).toEqual(['vpc-0e10000000000000a'])
    const subnets = await client.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'tag:Tier', Values: ['build'] }] }))
    expect(subnets.Subnets?.map((subnet) => [subnet.SubnetId, subnet.VpcId, subnet.AvailabilityZone])).toEqual([
      ['subnet-0e10000000000000a', 'vpc-0e10000000000000a', 'us-east-1b']
    ])
    const groups = await client.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:Class', Values: ['packer'] }] }))
    expect(groups.SecurityGroups?.map((group) => [group.GroupId, group.GroupName, group.VpcId])).toEqual([
      ['sg-0e10000000000000a', 'packer-builds', 'vpc-0e10000000000000a']
    ])
  })

  it.each([
    ['not a list', '{"vpcId": "vpc-0e10000000000000a"}'],
    ['a security group without its id', '[{"vpcId": "vpc-0e10000000000000a", "subnetId": "subnet-0e10000000000000a", "securityGroups": [{"groupName": "packer"}]}]']
  ])('refuses a file of networks that is %s, naming it', async (_what, text) => {
    const file = seedFile(text)
    const { code, stderr } = await start(file).exit
    expect(code).toBe(1)
    expect(stderr.trim()).toBe(`endpoint: --networks expects a JSON array of networks, each with a vpcId, and each of its securityGroups with a groupId: ${file}`)
  })

  it('serves the instance profiles of the file, with their roles', async () => {
    const file = seedFile(JSON.stringify([{ instanceProfileName: 'packer-build', roleName: 'packer-build-role' }]), 'profiles.json')
    const url = await start(file, '--instance-profiles').url
    const iam = new IAMClient({ region: 'us-east-1', endpoint: url, credentials, maxAttempts: 1 })
    const { InstanceProfile } = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'packer-build' }))
    expect(InstanceProfile?.Roles?.map((role) => role.RoleName)).toEqual(['packer-build-role'])
  })

  it('refuses a file that is not a list of instance profiles, naming it', async () => {
    const file = seedFile('[{"name": "packer-build"}]', 'profiles.json')
    const { code, stderr } = await start(file, '--instance-profiles').exit
    expect(code).toBe(1)
    expect(stderr.trim()).toBe(`endpoint: --instance-profiles expects a JSON array of instance profiles, each with an instanceProfileName: ${file}`)
  })
})
