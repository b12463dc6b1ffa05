// A job re-run after tagging failed ("Re-run failed jobs" once the permission is fixed): the same
// run ID and commit, GITHUB_RUN_ATTEMPT one higher, on a fresh runner, against the same account
// (one loopback endpoint kept between the attempts). The bundled action, with the real Packer
// building the demo template in us-east-1 and copying its AMI to eu-west-1 and us-west-2.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startActionsCacheService, type ActionsCacheService, type CacheEntry } from '../test-support/actions-cache/index.js'
import { SOURCE_AMI_ID, startEc2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { pushToMain, runAction, type ActionRun } from './support/action-process.js'
import { workflowRunAttempts } from './support/reruns.js'
import { describeWithPacker } from './support/runtimes.js'

const regions = ['us-east-1', 'eu-west-1', 'us-west-2']
const runUrl = `${pushToMain.GITHUB_SERVER_URL}/${pushToMain.GITHUB_REPOSITORY}/actions/runs/${pushToMain.GITHUB_RUN_ID}`

/** The tar archive of an entry, as the cache client wrote it: zstd-compressed where the runner has zstd, else gzip. */
const tarOf = (entry: CacheEntry): Buffer =>
  entry.archive.subarray(0, 2).toString('hex') === '1f8b'
    ? execFileSync('gzip', ['-dc'], { input: entry.archive })
    : execFileSync('zstd', ['-dc', '--long=30'], { input: entry.archive })

describeWithPacker('a job re-run after tagging failed, through the bundled action', () => {
  const attempts = workflowRunAttempts(regions, 'e2e-rerun-untagged-')
  const run = (attempt: number): Promise<ActionRun> => attempts.run(attempt, { reuse: 'true' })

  const amiIdsOf = (result: ActionRun) => JSON.parse(result.outputs['ami-ids']) as Record<string, string>
  const imageOf = (region: string, amiId: string) => attempts.endpoint.images(region).find((image) => image.imageId === amiId)
  const { amisInTheAccount } = attempts

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

  describe('tagging refused in every region (nothing in EC2 ties the untagged AMIs to the run)', () => {
    let cache: ActionsCacheService | undefined
    // The runner's temporary folder is at the same path on every hosted runner of an image: the
    // Actions cache finds an entry only by the paths it was saved from.
    let runnerTemp = ''
    beforeEach(async () => {
      cache = await startActionsCacheService()
      runnerTemp = mkdtempSync(join(tmpdir(), 'e2e-rerun-untagged-temp-'))
    })
    afterEach(async () => {
      await cache?.close()
      rmSync(runnerTemp, { recursive: true, force: true })
    })
    const withCache = (attempt: number) => attempts.run(attempt, { reuse: 'true' }, { ...(cache as ActionsCacheService).env, RUNNER_TEMP: runnerTemp })
    /** The AMIs as the action names them, in the manifest's order (by region). */
    const listedAmis = (made: Record<string, string>) => [...regions].sort().map((region) => `${made[region]} in ${region}`).join(', ')
    const recordKey = (service: ActionsCacheService) => service.calls.filter((call) => call.includes('packer-ami-action-untagged-'))

    it('attempt 2 finds the set attempt 1 recorded in the Actions cache, tags it as attempt 1 meant to, and reuses it', async () => {
      const service = cache as ActionsCacheService
      attempts.endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation', userAgent: 'aws-sdk-js' })
      const first = await withCache(1)
      expect(first.exitCode).toBe(1)
      const made = amiIdsOf(first)
      for (const region of regions) expect(imageOf(region, made[region])?.tags.BuildSet).toBeUndefined()
      const key = `packer-ami-action-untagged-${pushToMain.GITHUB_RUN_ID}-`
      expect(first.stdout).toContain(`Recorded the set in the Actions cache (${key}`)
      expect(first.stdout).toContain('but a re-run of this job with reuse: true tags and reuses them, as this run recorded its set in the Actions cache')
      expect(first.summary).toContain('as this run recorded its set in the Actions cache')
      expect(service.entries.map((entry) => entry.key)).toEqual([expect.stringMatching(new RegExp(`^${key}[0-9a-f]{16}-[0-9a-f]{64}-1$`))])

      attempts.endpoint.faults.clear()
      const second = await withCache(2)
      expect(second.errors).toEqual([])
      expect(second.exitCode).toBe(0)
      expect(attempts.endpoint.callsOf('RunInstances')).toHaveLength(1)
      expect(amiIdsOf(second)).toEqual(made)
      expect(second.outputs['run-uuid']).toBe(first.outputs['run-uuid'])
      // The tags attempt 1 meant to give each AMI, and its snapshots: the set's, the provenance of attempt 1.
      const set = `${first.outputs['run-uuid']} 3 ${[...regions].sort().join(',')}`
      for (const region of regions) {
        const adopted = imageOf(region, made[region])
        // The tags of the create-tags command attempt 1 gave for it, and the template's own.
        const command = first.stdout.split('\n').find((line) => line.startsWith(`aws ec2 create-tags --region ${region} --resources ${made[region]} `)) ?? ''
        const meant = Object.fromEntries((JSON.parse(/--tags '(.*)'$/.exec(command)?.[1] ?? '[]') as Array<{ Key: string; Value: string }>).map((tag) => [tag.Key, tag.Value]))
        expect(meant).toMatchObject({ BuildSet: set, BuildRunUrl: `${runUrl}/attempts/1`, PackerBuild: 'amazon-ebs amazon-ebs' })
        expect(adopted?.tags).toEqual({ ...meant, Name: 'packer-ami-action-demo', SourceAMI: SOURCE_AMI_ID })
        for (const snapshotId of adopted?.blockDeviceMappings.flatMap((device) => (device.snapshotId ? [device.snapshotId] : [])) ?? []) {
          expect(attempts.endpoint.snapshots(region).find((snapshot) => snapshot.snapshotId === snapshotId)?.tags).toMatchObject({ BuildSet: set })
        }
      }
      expect(amisInTheAccount()).toEqual(Object.fromEntries(regions.map((region) => [region, [`${made[region]} ${runUrl}/attempts/1`]])))
      const listed = listedAmis(made)
      const said =
        `${listed}, which ${runUrl}/attempts/1 left without its tags when its tagging failed and recorded in the Actions cache, ` +
        "have the set's tags now, with their snapshots, and are reused with the set."
      expect(second.stdout).toContain(`::notice title=Reuse::${said}`)
      expect(second.summary).toContain(said)
      expect(second.summary).toContain(`Nothing changed since the last build: reused, built by ${runUrl}/attempts/1.`)
      // One restore, no save: attempt 2 left nothing untagged.
      expect(recordKey(service)).toEqual([expect.stringMatching(/^CreateCacheEntry /), expect.stringMatching(/^FinalizeCacheEntryUpload /), expect.stringMatching(/^GetCacheEntryDownloadURL /)])
    }, 120_000)

    // A tags input from a secret (`Owner=${{ secrets.OWNER }}`, masked by the runner) and from the
    // run's context (`Attempt=${{ github.run_attempt }}`). Pull requests' runs, forks' too, restore
    // what the default branch saves, and the record's key is easily guessed: the record must not
    // hold the secret. The re-run gives the AMIs its own tags input, as it does a reused set.
    it('a tags input from a secret: the record holds none of its values, and attempt 2 tags the AMIs with its own', async () => {
      const service = cache as ActionsCacheService
      const secret = 'owner-from-a-secret-7f3a91c2'
      const tagsOf = (attempt: number) => `Owner=${secret}\nAttempt=${attempt}`
      attempts.endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation', userAgent: 'aws-sdk-js' })
      const first = await attempts.run(1, { reuse: 'true', tags: tagsOf(1) }, { ...service.env, RUNNER_TEMP: runnerTemp })
      expect(first.exitCode).toBe(1)
      const made = amiIdsOf(first)
      expect(service.entries).toHaveLength(1)
      const record = tarOf(service.entries[0]).toString('utf8')
      for (const region of regions) expect(record).toContain(`"amiId":"${made[region]}"`)
      expect(record).toContain(`"BuildRunUrl":"${runUrl}/attempts/1"`)
      expect(record).not.toContain(secret)
      expect(record).not.toContain('Owner')

      attempts.endpoint.faults.clear()
      const second = await attempts.run(2, { reuse: 'true', tags: tagsOf(2) }, { ...service.env, RUNNER_TEMP: runnerTemp })
      expect(second.errors).toEqual([])
      expect(second.exitCode).toBe(0)
      expect(amiIdsOf(second)).toEqual(made)
      expect(attempts.endpoint.callsOf('RunInstances')).toHaveLength(1)
      for (const region of regions) {
        const adopted = imageOf(region, made[region])
        expect(adopted?.tags).toMatchObject({ Owner: secret, Attempt: '2', BuildRunUrl: `${runUrl}/attempts/1`, BuildSet: expect.any(String) })
        for (const snapshotId of adopted?.blockDeviceMappings.flatMap((device) => (device.snapshotId ? [device.snapshotId] : [])) ?? []) {
          expect(attempts.endpoint.snapshots(region).find((snapshot) => snapshot.snapshotId === snapshotId)?.tags).toMatchObject({ Owner: secret, Attempt: '2' })
        }
      }
      expect(second.stdout).toContain(`::notice title=Reuse::${listedAmis(made)}, which ${runUrl}/attempts/1 left without its tags`)
    }, 120_000)

    // A sensitive variable given from a secret that was rotated before the re-run
    // (`variables: db_password=${{ secrets.DB_PASSWORD }}`): the fingerprint leaves its value out,
    // and so must the record's key, which anyone who can read the repository's caches sees.
    it('a sensitive variable whose secret changed between the attempts: attempt 2 finds the record and reuses the set', async () => {
      const service = cache as ActionsCacheService
      const step = (attempt: number, password: string) => {
        const options = attempts.attemptStep(attempt, { reuse: 'true', variables: `db_password=${password}` }, { ...service.env, RUNNER_TEMP: runnerTemp })
        const file = join(options.workspace, 'json', 'packer-template.json')
        const template = JSON.parse(readFileSync(file, 'utf8')) as { variables: Record<string, string> }
        writeFileSync(file, JSON.stringify({ ...template, variables: { ...template.variables, db_password: '' }, 'sensitive-variables': ['db_password'] }, null, 2))
        return runAction(options)
      }
      attempts.endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation', userAgent: 'aws-sdk-js' })
      const first = await step(1, 'rotated-away-5c1e')
      expect(first.exitCode).toBe(1)
      const made = amiIdsOf(first)
      attempts.endpoint.faults.clear()
      const second = await step(2, 'rotated-in-9b2d')
      expect(second.errors).toEqual([])
      expect(second.exitCode).toBe(0)
      expect(amiIdsOf(second)).toEqual(made)
      expect(attempts.endpoint.callsOf('RunInstances')).toHaveLength(1)
    }, 120_000)

    it('an AMI no longer as recorded: attempt 2 says why, builds anew, and leaves the first set', async () => {
      attempts.endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation', userAgent: 'aws-sdk-js' })
      const first = await withCache(1)
      const made = amiIdsOf(first)
      attempts.endpoint.faults.clear()
      attempts.endpoint.deregister('eu-west-1', made['eu-west-1'])
      const second = await withCache(2)
      expect(second.exitCode).toBe(0)
      expect(second.stdout).toContain(
        `::warning title=Reuse::reuse: ${runUrl}/attempts/1 left ${listedAmis(made)} untagged and recorded its set ` +
          `in the Actions cache, but the AMIs are not as recorded: ${made['eu-west-1']} in eu-west-1 is gone. Building instead, as when no whole set is found.`
      )
      expect(attempts.endpoint.callsOf('RunInstances')).toHaveLength(2)
      expect(amiIdsOf(second)['us-east-1']).not.toBe(made['us-east-1'])
    }, 120_000)

    // Two jobs of the run, or two legs of one job's matrix, building the same template into two
    // accounts (two endpoints): the same fingerprint. Each records its own set, and each re-run
    // adopts its own; under one key, the second's record was refused, and its re-run took the
    // first's record, found its AMIs gone from its account, and built again.
    it.each([
      ['two jobs', { GITHUB_JOB: 'images-prod' }, { GITHUB_JOB: 'images-test' }],
      ['two legs of a matrix over long-term access keys', { GITHUB_JOB: 'images', AWS_ACCESS_KEY_ID: 'AKIAPRODEXAMPLE00001' }, { GITHUB_JOB: 'images', AWS_ACCESS_KEY_ID: 'AKIATESTEXAMPLE00002' }]
    ])('%s building the same fingerprint in two accounts: each records its set, and each re-run adopts its own', async (_, jobA, jobB) => {
      const service = cache as ActionsCacheService
      const other = await startEc2Endpoint({ regions, autoAdvance: { describes: 0 } })
      try {
        const inOther = { AWS_ENDPOINT_URL_EC2: other.url, AWS_ENDPOINT_URL_SSM: other.url, AWS_ENDPOINT_URL_IAM: other.url }
        const leg = (attempt: number, job: Record<string, string>) =>
          attempts.run(attempt, { reuse: 'true' }, { ...service.env, RUNNER_TEMP: runnerTemp, ...job, ...(job === jobB ? inOther : {}) })
        for (const endpoint of [attempts.endpoint, other]) endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation', userAgent: 'aws-sdk-js' })
        const firstA = await leg(1, jobA)
        const firstB = await leg(1, jobB)
        expect(firstB.stdout).toContain('Recorded the set in the Actions cache (packer-ami-action-untagged-')
        expect(service.entries).toHaveLength(2)
        const madeB = amiIdsOf(firstB)
        for (const endpoint of [attempts.endpoint, other]) endpoint.faults.clear()
        const secondA = await leg(2, jobA)
        const secondB = await leg(2, jobB)
        expect(secondA.warnings).toEqual([])
        expect(secondB.warnings).toEqual([])
        expect([secondA.exitCode, secondB.exitCode]).toEqual([0, 0])
        expect(amiIdsOf(secondA)).toEqual(amiIdsOf(firstA))
        expect(amiIdsOf(secondB)).toEqual(madeB)
        expect(secondB.stdout).toContain(`::notice title=Reuse::${listedAmis(madeB)}, which ${runUrl}/attempts/1 left without its tags`)
        expect(other.callsOf('RunInstances')).toHaveLength(1)
        for (const region of regions) expect(other.images(region).find((image) => image.imageId === madeB[region])?.tags.BuildRunUrl).toBe(`${runUrl}/attempts/1`)
      } finally {
        await other.close()
      }
    }, 240_000)

    it('a run whose tagging succeeds makes no call to the Actions cache for a re-run', async () => {
      const first = await withCache(1)
      expect(first.exitCode).toBe(0)
      expect(recordKey(cache as ActionsCacheService)).toEqual([])
    }, 120_000)
  })

  it('tagging refused in every region, without the Actions cache (GHES without it): attempt 2 builds anew and leaves the first set', async () => {
    attempts.endpoint.faults.fail('CreateTags', { code: 'UnauthorizedOperation', userAgent: 'aws-sdk-js' })
    const first = await run(1)
    expect(first.exitCode).toBe(1)
    expect(first.stdout).not.toContain('Recorded the set')
    expect(first.stdout).toContain('this run and later ones will never find them')
    const made = amiIdsOf(first)
    attempts.endpoint.faults.clear()
    const second = await run(2)
    expect(second.exitCode).toBe(0)
    expect(second.stdout).toContain('Building: no AMI in us-east-1 has fingerprint ')
    expect(second.warnings).toEqual([])
    const built = amiIdsOf(second)
    expect(amisInTheAccount()).toEqual(
      Object.fromEntries(regions.map((region) => [region, [`${made[region]} untagged`, `${built[region]} ${runUrl}/attempts/2`]]))
    )
  }, 120_000)
})
