// Each test's own build of a fixture template: a fresh loopback EC2 endpoint seeded as the test
// asks, and the bundled action run on a copy of the fixture as the runner runs it, with the real
// Packer; both are ended after the test.
import { afterEach, expect } from '@jest/globals'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SOURCE_AMI_ID, startEc2Endpoint, type Ec2Endpoint, type Ec2EndpointOptions } from '../../test-support/ec2-endpoint/index.js'
import { loopbackEnvironment, projectRoot, pushToMain, runAction, type ActionRun, type RunActionOptions } from './action-process.js'
import { packerVersion } from './runtimes.js'

const fixtures = join(projectRoot, '__tests__', 'fixtures', 'templates')

export interface FixtureBuild {
  result: ActionRun
  loopback: Ec2Endpoint
  /** The step as it ran: what its post step runs with. */
  step: RunActionOptions
}

/** What a test made: closed and removed after each test of the block this is called in. */
export interface MadeByTest {
  endpoint?: Ec2Endpoint
  workspaces: string[]
}

/** Closes the endpoint and removes the workspaces a test made, after each test of the block it is called in. */
export function endedAfterEach(): MadeByTest {
  const made: MadeByTest = { workspaces: [] }
  afterEach(async () => {
    await made.endpoint?.close()
    made.endpoint = undefined
    for (const workspace of made.workspaces.splice(0)) rmSync(workspace, { recursive: true, force: true })
  })
  return made
}

/**
 * Builds `fixture` (a folder of __tests__/fixtures/templates, its template `build.pkr.hcl` or
 * `packer-template.json`) with `inputs` added to the Packer version, against an endpoint of
 * `options` (us-east-1 unless they say otherwise), once `prepare` (if given) has done what the
 * user did before the run, with the endpoint and the workspace. Call it in a describe block.
 */
export function fixtureBuilds(): (
  fixture: string,
  options?: Ec2EndpointOptions,
  inputs?: Record<string, string>,
  prepare?: (endpoint: Ec2Endpoint, workspace: string) => Promise<void>
) => Promise<FixtureBuild> {
  const made = endedAfterEach()
  return async (fixture, options = {}, inputs = {}, prepare) => {
    const loopback = await startEc2Endpoint({ regions: ['us-east-1'], ...options })
    made.endpoint = loopback
    const workspace = mkdtempSync(join(tmpdir(), 'fixture-build-'))
    made.workspaces.push(workspace)
    cpSync(join(fixtures, fixture), workspace, { recursive: true })
    const template = fixture.startsWith('hcl') ? 'build.pkr.hcl' : 'packer-template.json'
    await prepare?.(loopback, workspace)
    const step: RunActionOptions = {
      workspace,
      inputs: { 'packer-version': packerVersion(), template, ...inputs },
      env: { ...pushToMain, ...loopbackEnvironment(loopback.url, workspace) }
    }
    return { result: await runAction(step), loopback, step }
  }
}

/** The one AMI the run made in us-east-1: it is the run's output, and came out tagged, with its snapshots. */
export function expectOneTaggedAmi({ result, loopback }: Pick<FixtureBuild, 'result' | 'loopback'>, name: string): void {
  expect(result.errors).toEqual([])
  expect(result.exitCode).toBe(0)
  const made = loopback.images('us-east-1').filter((image) => image.imageId !== SOURCE_AMI_ID)
  expect(made.map((image) => image.imageId)).toEqual([result.outputs['ami-id']])
  expect(made[0]).toMatchObject({ state: 'available', tags: expect.objectContaining({ Name: name }) })
  expect(made[0].tags).toHaveProperty('SourceCommit')
  for (const device of made[0].blockDeviceMappings) {
    const snapshot = loopback.snapshots('us-east-1').find((candidate) => candidate.snapshotId === device.snapshotId)
    expect(snapshot?.tags).toHaveProperty('SourceCommit')
  }
}
