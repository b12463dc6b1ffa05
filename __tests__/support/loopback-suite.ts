// What a describe block needs to run the bundled action as the runner does, with the real
// Packer, against the loopback EC2 endpoint.
import { afterAll, beforeAll, beforeEach } from '@jest/globals'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEc2Endpoint, type Ec2Call, type Ec2Endpoint } from '../../test-support/ec2-endpoint/index.js'
import { loopbackEnvironment, projectRoot, pushToMain, runAction, type ActionRun } from './action-process.js'
import { packerVersion } from './runtimes.js'

export interface LoopbackSuite {
  readonly endpoint: Ec2Endpoint
  /** The calls the endpoint answered since the running test began: none of an earlier test's. */
  readonly calls: readonly Ec2Call[]
  /** A copy of `folder`, removed after the block's tests. */
  workspaceFrom(folder: string): string
  /** The action in `workspace`, with the Packer on PATH and `inputs`, as pushed to main; `env` added to the step's. */
  run(workspace: string, inputs: Record<string, string>, env?: Record<string, string>): Promise<ActionRun>
}

/** The endpoint (of `regions`), started before the block's tests and closed after them. */
export function loopbackSuite(regions: string[]): LoopbackSuite {
  let version = ''
  // The runtime action.yml names: Node 24 where the machine's Node is another.
  let endpoint: Ec2Endpoint | undefined
  const workspaces: string[] = []
  // Where the endpoint's record stood as the running test began: its tests share one endpoint.
  let mark = 0

  beforeAll(async () => {
    version = packerVersion()
    endpoint = await startEc2Endpoint({ regions, autoAdvance: { describes: 0 } })
  })
  beforeEach(() => {
    mark = (endpoint as Ec2Endpoint).calls.length
  })
  afterAll(async () => {
    await endpoint?.close()
    for (const workspace of workspaces) rmSync(workspace, { recursive: true, force: true })
  })

  return {
    get endpoint() {
      return endpoint as Ec2Endpoint
    },
    get calls() {
      return (endpoint as Ec2Endpoint).calls.slice(mark)
    },
    workspaceFrom(folder) {
      const workspace = mkdtempSync(join(tmpdir(), 'loopback-suite-'))
      workspaces.push(workspace)
      cpSync(folder, workspace, { recursive: true })
      return workspace
    },
    run(workspace, inputs, env = {}) {
      return runAction({
        workspace,
        inputs: { 'packer-version': version, ...inputs },
        env: { ...pushToMain, ...loopbackEnvironment((endpoint as Ec2Endpoint).url, workspace), ...env }
      })
    }
  }
}

/** The demo's templates (demo/), by kind. */
export const demoTemplates = { hcl2: 'ami.pkr.hcl', json: 'packer-template.json' }
export type DemoKind = keyof typeof demoTemplates

/** The demo's templates, edited, in the suite's workspaces, and runs of them. */
export function demoRuns(suite: LoopbackSuite): {
  /** A workspace with the demo's template of that kind, with `edit` made to its text. */
  demoWith(edit: (text: string) => string, kind: DemoKind): string
  /** The action on the workspace's template of that kind, with the inputs it needs. */
  run(workspace: string, kind: DemoKind, inputs?: Record<string, string>): Promise<ActionRun>
} {
  return {
    demoWith(edit, kind) {
      const workspace = suite.workspaceFrom(join(projectRoot, 'demo', kind))
      const template = join(workspace, demoTemplates[kind])
      writeFileSync(template, edit(readFileSync(template, 'utf8')))
      return workspace
    },
    run(workspace, kind, inputs = {}) {
      const template: Record<string, string> = kind === 'hcl2' ? { template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' } : { template: 'packer-template.json' }
      return suite.run(workspace, { ...template, ...inputs })
    }
  }
}
