// The attempts of one workflow run ("Re-run failed jobs", "Re-run all jobs"): each a step on a
// runner of its own (a fresh copy of the demo), with the same run ID and commit and its own
// GITHUB_RUN_ATTEMPT, against one loopback endpoint kept between them for the test.
import { afterEach, beforeEach } from '@jest/globals'
import { rmSync } from 'node:fs'
import { SOURCE_AMI_ID, startEc2Endpoint, type Ec2Endpoint } from '../../test-support/ec2-endpoint/index.js'
import { loopbackEnvironment, pushToMain, runAction, type ActionRun, type RunActionOptions } from './action-process.js'
import { demoWorkspace } from './demo.js'
import { packerVersion } from './runtimes.js'

export interface WorkflowRunAttempts {
  /** The endpoint of the test that runs. */
  readonly endpoint: Ec2Endpoint
  /** The step of attempt `attempt`: the demo's JSON job with `inputs`, `runner` added to its environment. */
  attemptStep(attempt: number, inputs?: Record<string, string>, runner?: Record<string, string>): RunActionOptions
  run(attempt: number, inputs?: Record<string, string>, runner?: Record<string, string>): Promise<ActionRun>
  /** The AMIs in the account that are not the source AMI, by region, each with the run that tagged it (its BuildRunUrl), or `untagged`. */
  amisInTheAccount(): Record<string, string[]>
}

/** Attempts of one run in each test of the describe block it is called in, the endpoint serving `regions`. */
export function workflowRunAttempts(regions: string[], prefix: string): WorkflowRunAttempts {
  let endpoint: Ec2Endpoint | undefined
  const workspaces: string[] = []
  beforeEach(async () => {
    endpoint = await startEc2Endpoint({ regions, autoAdvance: { describes: 0 } })
  })
  afterEach(async () => {
    await endpoint?.close()
    for (const workspace of workspaces.splice(0)) rmSync(workspace, { recursive: true, force: true })
  })
  const attempts: WorkflowRunAttempts = {
    get endpoint(): Ec2Endpoint {
      if (endpoint === undefined) throw new Error('the endpoint starts before each test')
      return endpoint
    },
    attemptStep(attempt, inputs = {}, runner = {}) {
      const workspace = demoWorkspace(prefix)
      workspaces.push(workspace)
      return {
        workspace,
        inputs: { 'packer-version': packerVersion(), 'working-directory': 'json', ...inputs },
        env: { ...pushToMain, GITHUB_RUN_ATTEMPT: String(attempt), ...loopbackEnvironment(attempts.endpoint.url, workspace), ...runner }
      }
    },
    run: (attempt, inputs, runner) => runAction(attempts.attemptStep(attempt, inputs, runner)),
    amisInTheAccount: () =>
      Object.fromEntries(
        regions.map((region) => [
          region,
          attempts.endpoint
            .images(region)
            .filter((image) => image.imageId !== SOURCE_AMI_ID && image.state !== 'deregistered')
            .map((image) => `${image.imageId} ${image.tags.BuildRunUrl ?? 'untagged'}`)
        ])
      )
  }
  return attempts
}
