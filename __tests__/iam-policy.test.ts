// The README's IAM policy must let a real run through: every EC2 action a demo run records
// (Packer's and the action's own) is in it, and, for the Packer the record was made with,
// nothing else is. A row of its table of template settings adds what such a build calls.
import { expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  SELF_ACCOUNT_ID,
  SOURCE_AMI_ID,
  SOURCE_AMI_NAME,
  SOURCE_SNAPSHOT_ID,
  startEc2Endpoint,
  type Ec2Endpoint,
  type Ec2EndpointOptions
} from '../test-support/ec2-endpoint/index.js'
import { loopbackEnvironment, projectRoot, pushToMain, runAction, type ActionRun } from './support/action-process.js'
import { asSpotBuild, asSurrogateBuild, demoWorkspace, withTemporaryInstanceProfile } from './support/demo.js'
import { describeWithPacker, packerVersion } from './support/runtimes.js'

function readmePolicyActions(): string[] {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8')
  const block = /<!-- iam-policy -->\s*```json\n([\s\S]*?)```/.exec(readme)
  if (!block) throw new Error('README.md has no <!-- iam-policy --> JSON block')
  const policy = JSON.parse(block[1]) as { Statement: Array<{ Effect: string; Action: string[] }> }
  return policy.Statement.filter((statement) => statement.Effect === 'Allow').flatMap((statement) => statement.Action)
}

/** The actions the README's table of template settings adds for `setting`. */
function readmeSettingActions(setting: string): string[] {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8')
  const row = readme.split('\n').find((line) => line.startsWith(`| ${setting} |`))
  if (!row) throw new Error(`README.md has no row for ${setting} in its table of template settings`)
  return [...(row.split('|')[2] ?? '').matchAll(/`((?:ec2|iam):\w+)`/g)].map(([, action]) => action)
}

describeWithPacker('the README IAM policy', () => {
  it('covers every EC2 action of a demo run', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'iam-'))
    try {
      const recordFile = join(scratch, 'record.json')
      execFileSync(process.execPath, ['--no-warnings', join(projectRoot, 'scripts', 'demo.mjs')], {
        cwd: projectRoot,
        env: { ...process.env, DEMO_RECORD_FILE: recordFile },
        stdio: ['ignore', 'pipe', 'pipe']
      })
      const record = JSON.parse(readFileSync(recordFile, 'utf8')) as { actions: string[]; exitCode: number }
      expect(record.exitCode).toBe(0)
      expect(record.actions).toEqual(expect.arrayContaining(['CreateTags', 'DescribeImages', 'RunInstances']))

      const allowed = readmePolicyActions()
      const recorded = record.actions.map((action) => `ec2:${action}`)
      expect(recorded.filter((action) => !allowed.includes(action))).toEqual([])
      if (packerVersion() === '1.6.6') {
        // The demo skips region validation; a user's template makes DescribeRegions too. The
        // clean-up after a build that did not finish deregisters its AMI and deletes its snapshots,
        // and, for a key pair the template names, looks it up before it deletes it.
        expect([...allowed].sort()).toEqual(
          [...recorded, 'ec2:DescribeRegions', 'ec2:DeregisterImage', 'ec2:DeleteSnapshot', 'ec2:DescribeKeyPairs'].sort()
        )
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true })
    }
  })

  /**
   * Runs the action on the demo JSON template as `make` changes it, against a fresh endpoint:
   * the run, the endpoint, and the EC2 actions it called that the README's policy does not allow.
   */
  async function settingRun(
    prefix: string,
    make: (workspace: string, endpoint: Ec2Endpoint) => void,
    check: (run: ActionRun, endpoint: Ec2Endpoint, beyond: string[]) => void,
    options: Ec2EndpointOptions = {}
  ): Promise<void> {
    const workspace = demoWorkspace(prefix)
    const endpoint = await startEc2Endpoint(options)
    try {
      make(workspace, endpoint)
      const run = await runAction({
        workspace,
        inputs: { 'packer-version': packerVersion(), 'working-directory': 'json' },
        env: { ...pushToMain, ...loopbackEnvironment(endpoint.url, workspace) }
      })
      expect(run.exitCode).toBe(0)
      const recorded = [...new Set(endpoint.calls.map((call) => `${call.service ?? 'ec2'}:${call.action}`))]
      check(run, endpoint, recorded.filter((action) => !readmePolicyActions().includes(action)).sort())
    } finally {
      await endpoint.close()
      rmSync(workspace, { recursive: true, force: true })
    }
  }

  it('with its row for spot_price, covers a spot build, whose AMIs come out tagged', async () => {
    const check = (run: ActionRun, endpoint: Ec2Endpoint, beyond: string[]): void => {
      expect(endpoint.tagsOf('us-east-1', run.outputs['ami-id'])).toMatchObject({ SourceCommit: expect.any(String) })
      // Packer deleted the launch template it launched its spot instance from.
      expect(endpoint.launchTemplates('us-east-1')).toEqual([])
      expect(beyond).toEqual(readmeSettingActions('`spot_price`, `spot_instance_types`').sort())
    }
    await settingRun('iam-spot-', asSpotBuild, check)
  })

  it('with its row for temporary_iam_instance_profile_policy_document, covers such a build', async () => {
    await settingRun('iam-profile-', withTemporaryInstanceProfile, (run, endpoint, beyond) => {
      expect(run.outputs['ami-id']).toMatch(/^ami-/)
      // Packer deleted what it made; iam:PassRole is no call of its own, but what RunInstances asks.
      expect(endpoint.iamRoles()).toEqual([])
      const row = readmeSettingActions('`temporary_iam_instance_profile_policy_document`')
      expect(row).toContain('iam:PassRole')
      expect(beyond).toEqual(row.filter((action) => action !== 'iam:PassRole').sort())
    })
  })

  it('with its row for ena_support, covers a build that turns enhanced networking on', async () => {
    const withEna = (workspace: string): void => {
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      Object.assign(template.builders[0], { ena_support: true })
      writeFileSync(path, JSON.stringify(template, null, 2))
    }
    await settingRun('iam-ena-', withEna, (run, endpoint, beyond) => {
      expect(endpoint.tagsOf('us-east-1', run.outputs['ami-id'])).toMatchObject({ SourceCommit: expect.any(String) })
      expect(beyond).toEqual(readmeSettingActions('`ena_support`, `sriov_support` set true').sort())
    })
  })

  it('with its row for force_deregister, covers a build that replaces the AMIs of its name', async () => {
    const replace = (workspace: string): void => {
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      Object.assign(template.builders[0], { ami_name: 'web-fixed', force_deregister: true, force_delete_snapshot: true })
      writeFileSync(path, JSON.stringify(template, null, 2))
    }
    // An AMI of that name, with its snapshot, in every region the build makes one in.
    const earlier = { imageId: 'ami-0fade0fade0fade00', name: 'web-fixed', ownerId: SELF_ACCOUNT_ID, snapshotId: 'snap-0fade0fade0fade00' }
    const seedImages = [{ imageId: SOURCE_AMI_ID, name: SOURCE_AMI_NAME, snapshotId: SOURCE_SNAPSHOT_ID }, earlier]
    await settingRun(
      'iam-force-',
      replace,
      (run, endpoint, beyond) => {
        expect(run.stdout).toContain(`Deregistered AMI web-fixed, id: ${earlier.imageId}`)
        expect(run.stdout).toContain(`Deleted snapshot: ${earlier.snapshotId}`)
        expect(endpoint.images('us-east-1').map((image) => image.imageId)).not.toContain(earlier.imageId)
        expect(beyond).toEqual(readmeSettingActions('`force_deregister`, `force_delete_snapshot`').sort())
      },
      { seedImages }
    )
  })

  it('with its row for snapshot_users, covers a build that shares its snapshots; sharing the AMI alone needs nothing more', async () => {
    const sharing = (settings: Record<string, string[]>) => (workspace: string): void => {
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      Object.assign(template.builders[0], settings)
      writeFileSync(path, JSON.stringify(template, null, 2))
    }
    await settingRun('iam-ami-users-', sharing({ ami_users: ['210987654321'] }), (run, _endpoint, beyond) => {
      expect(run.outputs['ami-id']).toMatch(/^ami-/)
      expect(beyond).toEqual([])
    })
    await settingRun('iam-snapshot-users-', sharing({ ami_users: ['210987654321'], snapshot_users: ['210987654321'] }), (run, _endpoint, beyond) => {
      expect(run.outputs['ami-id']).toMatch(/^ami-/)
      expect(beyond).toEqual(readmeSettingActions('`snapshot_users`, `snapshot_groups`').sort())
    })
  })

  it('with its row for snapshot_tags, covers a build whose snapshots keep the provenance tags the template gave them', async () => {
    const withSnapshotTags = (workspace: string): void => {
      const path = join(workspace, 'json', 'packer-template.json')
      const template = JSON.parse(readFileSync(path, 'utf8'))
      Object.assign(template.builders[0], { snapshot_tags: { BuildTime: '{{timestamp}}' } })
      writeFileSync(path, JSON.stringify(template, null, 2))
    }
    await settingRun('iam-snapshot-tags-', withSnapshotTags, (run, endpoint, beyond) => {
      const image = endpoint.images('us-east-1').find((one) => one.imageId === run.outputs['ami-id'])
      const [snapshotId] = (image?.blockDeviceMappings ?? []).flatMap((device) => (device.snapshotId === undefined ? [] : [device.snapshotId]))
      expect(endpoint.tagsOf('us-east-1', snapshotId).BuildTime).toMatch(/^\d{9,}$/)
      expect(run.warnings).toEqual([])
      expect(beyond).toEqual(readmeSettingActions('`snapshot_tags` (with `provenance-tags` and `tag-snapshots`, the defaults)').sort())
      expect(beyond).toEqual(['ec2:DescribeSnapshots'])
    })
  })

  it('with its rows for subnet_id, subnet_filter, vpc_filter and vpc_id alone, covers builds in the network they name', async () => {
    const network = { vpcId: 'vpc-7e02c203', subnetId: 'subnet-1703b248' }
    const defaultVpc = (endpoint: Ec2Endpoint): string | undefined =>
      endpoint.securityGroups('us-east-1').find((group) => group.groupName === 'default' && group.vpcId !== network.vpcId)?.vpcId
    const rows: Array<[string, (endpoint: Ec2Endpoint) => Record<string, unknown>]> = [
      ['`subnet_id`', () => ({ subnet_id: network.subnetId })],
      ['`subnet_filter`', () => ({ subnet_filter: { filters: { 'vpc-id': network.vpcId } } })],
      ['`vpc_filter`', () => ({ vpc_filter: { filters: { 'is-default': 'true' } } })],
      ['`vpc_id` without `subnet_id` or `subnet_filter`', (endpoint) => ({ vpc_id: defaultVpc(endpoint) })]
    ]
    for (const [row, settings] of rows) {
      const inNetwork = (workspace: string, endpoint: Ec2Endpoint): void => {
        const path = join(workspace, 'json', 'packer-template.json')
        const template = JSON.parse(readFileSync(path, 'utf8'))
        Object.assign(template.builders[0], settings(endpoint))
        writeFileSync(path, JSON.stringify(template, null, 2))
      }
      const check = (run: ActionRun, _endpoint: Ec2Endpoint, beyond: string[]): void => {
        expect(run.outputs['ami-id']).toMatch(/^ami-/)
        expect({ row, beyond }).toEqual({ row, beyond: readmeSettingActions(row).sort() })
      }
      await settingRun('iam-network-', inNetwork, check, { seedNetworks: [network] })
    }
  })

  it('with its row for an amazon-ebssurrogate builder, covers such a build', async () => {
    await settingRun('iam-surrogate-', asSurrogateBuild, (run, _endpoint, beyond) => {
      expect(run.outputs['ami-id']).toMatch(/^ami-/)
      expect(beyond).toEqual(readmeSettingActions('an `amazon-ebssurrogate` builder').sort())
    })
  })
})
