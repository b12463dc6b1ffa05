// The README's IAM policy must let a real run through: every EC2 action a demo run records
// (Packer's and the action's own) is in it, and, for the Packer the record was made with,
// nothing else is. A row of its table of template settings adds what such a build calls.
import { expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEc2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { loopbackEnvironment, projectRoot, pushToMain, runAction } from './support/action-process.js'
import { asSurrogateBuild, demoWorkspace } from './support/demo.js'
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
  return [...(row.split('|')[2] ?? '').matchAll(/`(ec2:\w+)`/g)].map(([, action]) => action)
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
        // clean-up after a build that did not finish deregisters its AMI and deletes its snapshots.
        expect([...allowed].sort()).toEqual([...recorded, 'ec2:DescribeRegions', 'ec2:DeregisterImage', 'ec2:DeleteSnapshot'].sort())
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true })
    }
  })

  it('with its row for an amazon-ebssurrogate builder, covers such a build', async () => {
    const workspace = demoWorkspace('iam-surrogate-')
    const endpoint = await startEc2Endpoint()
    try {
      asSurrogateBuild(workspace)
      const run = await runAction({
        workspace,
        inputs: { 'packer-version': packerVersion(), 'working-directory': 'json' },
        env: { ...pushToMain, ...loopbackEnvironment(endpoint.url, workspace) }
      })
      expect(run.exitCode).toBe(0)
      expect(run.outputs['ami-id']).toMatch(/^ami-/)
      const recorded = [...new Set(endpoint.calls.map((call) => `ec2:${call.action}`))]
      const beyond = recorded.filter((action) => !readmePolicyActions().includes(action))
      expect(beyond.sort()).toEqual(readmeSettingActions('an `amazon-ebssurrogate` builder').sort())
    } finally {
      await endpoint.close()
      rmSync(workspace, { recursive: true, force: true })
    }
  })
})
