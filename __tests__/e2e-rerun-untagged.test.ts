// A job re-run after tagging failed ("Re-run failed jobs" once the permission is fixed): the same
// run ID and commit, GITHUB_RUN_ATTEMPT one higher, on a fresh runner, against the same account
// (one loopback endpoint kept between the attempts). The bundled action, with the real Packer
// building the demo template in us-east-1 and copying its AMI to eu-west-1 and us-west-2.
import { expect, it } from '@jest/globals'
import { SOURCE_AMI_ID } from '../test-support/ec2-endpoint/index.js'
import { pushToMain, type ActionRun } from './support/action-process.js'
import { workflowRunAttempts } from './support/reruns.js'
import { describeWithPacker } from './support/runtimes.js'

const regions = ['us-east-1', 'eu-west-1', 'us-west-2']
const runUrl = `${pushToMain.GITHUB_SERVER_URL}/${pushToMain.GITHUB_REPOSITORY}/actions/runs/${pushToMain.GITHUB_RUN_ID}`

describeWithPacker('a job re-run after tagging failed, through the bundled action', () => {
  const attempts = workflowRunAttempts(regions, 'e2e-rerun-untagged-')
  const run = (attempt: number): Promise<ActionRun> => attempts.run(attempt, { reuse: 'true' })

  const amiIdsOf = (result: ActionRun) => JSON.parse(result.outputs['ami-ids']) as Record<string, string>
  const imageOf = (region: string, amiId: string) => attempts.endpoint.images(region).find((image) => image.imageId === amiId)
  /** The AMIs in the account but the source AMI, by region, each with the run that tagged it. */
  const amisInTheAccount = () =>
    Object.fromEntries(
      regions.map((region) => [
        region,
        attempts.endpoint
          .images(region)
          .filter((image) => image.imageId !== SOURCE_AMI_ID && image.state !== 'deregistered')
          .map((image) => `${image.imageId} ${image.tags.BuildRunUrl ?? 'untagged'}`)
      ])
    )

  it.each([
    ['us-west-2', (made: Record<string, string>) => `EC2 shows it a copy of ${made['us-east-1']} in us-east-1, of the set, with the same name`],
    ['us-east-1', (made: Record<string, string>) => `EC2 shows ${made['eu-west-1']} in eu-west-1, of the set, a copy of it with the same name`]
  ])('tagging refused in %s only: attempt 2 tags the AMI attempt 1 left untagged there, and reuses the set', async (refused, tie) => {
    attempts.endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation', region: refused, userAgent: 'aws-sdk-js' })
    const first = await run(1)
    expect(first.exitCode).toBe(1)
    const made = amiIdsOf(first)
    expect(imageOf(refused, made[refused])?.tags.BuildSet).toBeUndefined()
    const tagged = regions.find((region) => region !== refused) as string
    const meant = imageOf(tagged, made[tagged])?.tags as Record<string, string>
    expect(meant.BuildRunUrl).toBe(`${runUrl}/attempts/1`)

    attempts.endpoint.faults.clear()
    const second = await run(2)
    expect(second.errors).toEqual([])
    expect(second.exitCode).toBe(0)
    expect(attempts.endpoint.callsOf('RunInstances')).toHaveLength(1)
    expect(amiIdsOf(second)).toEqual(made)
    expect(second.outputs['run-uuid']).toBe(first.outputs['run-uuid'])
    // The tags attempt 1 meant to give it: its template's own stay, as they were.
    const { Name, SourceAMI, ...actions } = meant
    const adopted = imageOf(refused, made[refused])
    expect(adopted?.tags).toEqual({ Name, SourceAMI, ...actions })
    for (const snapshotId of adopted?.blockDeviceMappings.flatMap((device) => (device.snapshotId ? [device.snapshotId] : [])) ?? []) {
      expect(attempts.endpoint.snapshots(refused).find((snapshot) => snapshot.snapshotId === snapshotId)?.tags).toMatchObject(actions)
    }
    expect(amisInTheAccount()).toEqual(Object.fromEntries(regions.map((region) => [region, [`${made[region]} ${runUrl}/attempts/1`]])))
    const said =
      `${made[refused]} in ${refused} (${tie(made)}), which ${runUrl}/attempts/1 left without its tags ` +
      "when its tagging failed there, has the set's tags now, with its snapshots, and is reused with the set."
    expect(second.stdout).toContain(`::notice title=Reuse::${said}`)
    expect(second.summary).toContain(said)
    expect(second.summary).toContain(`Nothing changed since the last build: reused, built by ${runUrl}/attempts/1.`)
  }, 120_000)

  it('tagging refused in every region: nothing ties the untagged AMIs to the run, so attempt 2 builds anew and leaves them', async () => {
    attempts.endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation', userAgent: 'aws-sdk-js' })
    const first = await run(1)
    expect(first.exitCode).toBe(1)
    const made = amiIdsOf(first)
    attempts.endpoint.faults.clear()
    const second = await run(2)
    expect(second.exitCode).toBe(0)
    expect(second.stdout).toContain('Building: no AMI in us-east-1 has fingerprint ')
    const built = amiIdsOf(second)
    expect(amisInTheAccount()).toEqual(
      Object.fromEntries(regions.map((region) => [region, [`${made[region]} untagged`, `${built[region]} ${runUrl}/attempts/2`]]))
    )
  }, 120_000)
})
