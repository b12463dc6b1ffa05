// Every file of ours that GitHub reads, read by GitHub's own parser: action.yml, the workflows
// in .github/workflows/, and every workflow a user may copy from the README or examples/. A
// file that GitHub's parser refuses is an action nobody can load or a recipe that fails on
// its first run, so any parse, schema or expression error fails the suite. Each step that
// uses this action may only pass inputs that action.yml declares, with values its own checks
// accept, and later steps may only read outputs it declares; the recipes' other actions are at
// their current majors and their jobs have the permissions those steps need.
import { describe, expect, it } from '@jest/globals'
import { data, Evaluator, Lexer, Parser } from '@actions/expressions'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { extname, join, relative } from 'node:path'
import { parse } from 'yaml'
import { InputError, readInputs } from '../src/inputs/index.js'
import { actionDefaults, projectRoot } from './support/action-process.js'
import { actionYmlPath, readActionYml } from './support/action-yml.js'
import { evaluate, toData } from './support/expressions.js'
import { actionYmlErrors, workflowErrors } from './support/github-parser.js'

interface Workflow {
  /** Where a user finds it: a file, or the README and the line its block starts on. */
  source: string
  content: string
}

/** The ```yaml blocks of a Markdown file, with the line each one's YAML starts on. */
export function yamlBlocks(markdown: string): Array<{ line: number; content: string }> {
  const blocks: Array<{ line: number; content: string }> = []
  let open: { line: number; lines: string[] } | undefined
  markdown.split('\n').forEach((text, index) => {
    const fence = text.trimEnd()
    if (!open && (fence === '```yaml' || fence === '```yml')) open = { line: index + 2, lines: [] }
    else if (open && fence === '```') {
      blocks.push({ line: open.line, content: `${open.lines.join('\n')}\n` })
      open = undefined
    } else open?.lines.push(text)
  })
  return blocks
}

function filesUnder(dir: string, extensions: string[]): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => extensions.some((extension) => name.endsWith(extension)))
    .map((name) => join(dir, name))
    .sort()
}

const fromFile = (path: string): Workflow => ({
  source: relative(projectRoot, path),
  content: readFileSync(path, 'utf8')
})

const repositoryWorkflows = filesUnder(join(projectRoot, '.github', 'workflows'), ['.yml', '.yaml']).map(fromFile)
const readmeWorkflows = yamlBlocks(readFileSync(join(projectRoot, 'README.md'), 'utf8')).map(
  ({ line, content }): Workflow => ({ source: `README.md:${line}`, content })
)
const exampleWorkflows = filesUnder(join(projectRoot, 'examples'), ['.yml', '.yaml']).map(fromFile)
const userWorkflows = [...readmeWorkflows, ...exampleWorkflows]

/** Whether a step's `uses:` names this action: `./` in this repository, `owner/packer-ami-action@ref` elsewhere. */
function usesThisAction(uses: unknown): boolean {
  if (typeof uses !== 'string') return false
  return uses === './' || /^[^/@]+\/packer-ami-action@[^/]+$/.test(uses)
}

/** `with:` keys of steps that use this action and that action.yml does not declare. */
export function undeclaredInputs(workflow: Workflow, inputs: string[]): string[] {
  const parsed = parse(workflow.content) as { jobs?: Record<string, { steps?: Array<{ uses?: unknown; with?: object }> }> }
  const found: string[] = []
  for (const [jobId, job] of Object.entries(parsed?.jobs ?? {})) {
    for (const step of job.steps ?? []) {
      if (!usesThisAction(step.uses)) continue
      for (const key of Object.keys(step.with ?? {})) {
        if (!inputs.includes(key)) found.push(`${workflow.source}: job ${jobId} passes "${key}", which action.yml does not declare`)
      }
    }
  }
  return found
}

describe("GitHub's parser", () => {
  it('loads action.yml with the action schema, as a node24 action with a post step', () => {
    expect(actionYmlErrors('action.yml', readFileSync(actionYmlPath, 'utf8'))).toEqual([])
    const action = readActionYml()
    expect(action.runs).toMatchObject({ using: 'node24', main: 'dist/index.js', post: 'dist/post.js' })
  })

  it.each(repositoryWorkflows)('loads $source', async ({ source, content }) => {
    expect(await workflowErrors(source, content)).toEqual([])
  })

  it.each(userWorkflows)('loads the workflow at $source', async ({ source, content }) => {
    expect(await workflowErrors(source, content)).toEqual([])
  })

  it('finds workflows to check in .github/workflows/ and the README', () => {
    expect(repositoryWorkflows.length).toBeGreaterThan(0)
    expect(readmeWorkflows.length).toBeGreaterThan(0)
  })

  it('refuses what GitHub refuses: an unquoted ": " in action.yml, an unknown expression context', async () => {
    // on-error's description, unquoted again: a plain scalar that holds ": ".
    const text = readFileSync(actionYmlPath, 'utf8')
    const description = readActionYml().inputs['on-error'].description
    const broken = text.replace(`'${description}'`, description)
    expect(broken).not.toBe(text)
    expect(actionYmlErrors('action.yml', broken).join('\n')).toMatch(/Nested mappings are not allowed/)
    const unknownContext = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ build.ami }}\n'
    expect((await workflowErrors('w.yml', unknownContext)).join('\n')).toMatch(/Unrecognized named-value: 'build'/)
  })
})

/**
 * An input's default from action.yml as the runner hands it over: its `${{ … }}` evaluated by
 * GitHub's own expression evaluator (npm @actions/expressions), with the `github` context given.
 */
function evaluatedDefault(input: string, github: Record<string, string>): string {
  const written = readActionYml().inputs[input].default ?? ''
  const expression = /^\$\{\{(.*)\}\}$/s.exec(written.trim())?.[1]
  if (expression === undefined) return written
  const parsed = new Parser(new Lexer(expression).lex().tokens, ['github'], []).parse()
  const context = new data.Dictionary(
    { key: 'github', value: new data.Dictionary(...Object.entries(github).map(([key, value]) => ({ key, value: new data.StringData(value) }))) }
  )
  return new Evaluator(parsed, context).evaluate().coerceString()
}

describe("action.yml's defaults, as GitHub evaluates them", () => {
  it("github-token: the workflow's token on github.com, none on GitHub Enterprise Server, where it is no github.com token", () => {
    expect(evaluatedDefault('github-token', { server_url: 'https://github.com', token: 'ghs_fromgithubcom' })).toBe('ghs_fromgithubcom')
    expect(evaluatedDefault('github-token', { server_url: 'https://ghes.example.com', token: 'ghs_fromtheserver' })).toBe('')
    expect(evaluatedDefault('github-token', { server_url: 'https://acme.ghe.com', token: 'ghs_fromghecom' })).toBe('')
  })
})

describe('.github/dependabot.yml', () => {
  // Dependabot reads it with its own schema, which no npm package publishes: check the parts
  // we rely on, read with a YAML library.
  it('updates the npm packages and the workflows\' actions, weekly', () => {
    const config = parse(readFileSync(join(projectRoot, '.github', 'dependabot.yml'), 'utf8')) as {
      version: number
      updates: Array<{ 'package-ecosystem': string; directory: string; schedule: { interval: string } }>
    }
    expect(config.version).toBe(2)
    expect(config.updates.map((update) => update['package-ecosystem']).sort()).toEqual(['github-actions', 'npm'])
    for (const update of config.updates) expect(update).toMatchObject({ directory: '/', schedule: { interval: 'weekly' } })
  })
})

describe('steps that use this action', () => {
  // Read in each test, so that an action.yml that does not parse fails these tests, not the file.
  const inputs = (): string[] => Object.keys(readActionYml().inputs)

  it.each([...repositoryWorkflows, ...userWorkflows])('pass only declared inputs in $source', (workflow) => {
    expect(undeclaredInputs(workflow, inputs())).toEqual([])
  })

  it('are found in the README, and a key that is not an input is reported', () => {
    const quickStart = readmeWorkflows[0]
    expect(quickStart.content).toMatch(/uses: [^/\s]+\/packer-ami-action@/)
    const misspelt = { ...quickStart, content: quickStart.content.replace('template:', 'templates:') }
    expect(undeclaredInputs(misspelt, inputs())).toEqual([
      `${quickStart.source}: job build passes "templates", which action.yml does not declare`
    ])
  })
})

interface Step {
  id?: string
  if?: unknown
  uses?: unknown
  run?: unknown
  with?: Record<string, unknown>
}
interface Job {
  permissions?: Record<string, string> | string
  strategy?: { matrix?: Record<string, unknown> }
  steps?: Step[]
}
interface ParsedWorkflow {
  permissions?: Record<string, string> | string
  jobs?: Record<string, Job>
}

const jobsOf = (workflow: Workflow): Array<[string, Job]> => Object.entries((parse(workflow.content) as ParsedWorkflow)?.jobs ?? {})

/** `uses: owner/name@ref` as owner/name and its major version; undefined for local or docker actions. */
function actionRef(uses: unknown): { action: string; major: number } | undefined {
  const match = typeof uses === 'string' ? /^([^/@.][^@]*)@v(\d+)/.exec(uses) : null
  return match ? { action: match[1], major: Number(match[2]) } : undefined
}

/**
 * The newest major of each action our workflows and recipes use, as its releases list them
 * (checkout v6 from November 2025, configure-aws-credentials v6, setup-node v6, upload-artifact
 * v7, download-artifact v8 from 2026): a recipe on an older major runs on a deprecated Node.js
 * and prints the runner's deprecation warning in every user's log. Dependabot moves
 * .github/workflows on; these floors keep the README's copies from staying behind.
 */
const currentMajors: Record<string, number> = {
  'actions/checkout': 6,
  'actions/setup-node': 6,
  'actions/upload-artifact': 7,
  'actions/download-artifact': 8,
  'aws-actions/configure-aws-credentials': 6,
  'github/codeql-action/init': 4,
  'github/codeql-action/analyze': 4
}

/** Each `uses:` of another action at a major older than the current one. */
export function staleActions(workflow: Workflow): string[] {
  const found: string[] = []
  for (const [jobId, job] of jobsOf(workflow)) {
    for (const step of job.steps ?? []) {
      const ref = actionRef(step.uses)
      if (!ref || usesThisAction(step.uses)) continue
      const current = currentMajors[ref.action]
      if (current === undefined) found.push(`${workflow.source}: job ${jobId} uses ${ref.action}, whose current major this test does not know`)
      else if (ref.major < current) found.push(`${workflow.source}: job ${jobId} uses ${ref.action}@v${ref.major}, current is v${current}`)
    }
  }
  return found
}

/** A permission as a job gets it: the job's own `permissions:`, else the workflow's. */
function permission(workflow: ParsedWorkflow, job: Job, scope: string): string | undefined {
  const granted = job.permissions ?? workflow.permissions
  if (granted === undefined) return 'default'
  if (typeof granted === 'string') return granted === 'write-all' ? 'write' : granted === 'read-all' ? 'read' : undefined
  return granted[scope]
}

/** Steps whose needs the job's permissions do not cover: OIDC for a role, contents for checkout. */
export function missingPermissions(workflow: Workflow): string[] {
  const parsed = parse(workflow.content) as ParsedWorkflow
  const found: string[] = []
  for (const [jobId, job] of Object.entries(parsed?.jobs ?? {})) {
    for (const step of job.steps ?? []) {
      const action = actionRef(step.uses)?.action
      if (action === 'aws-actions/configure-aws-credentials' && step.with?.['role-to-assume'] !== undefined) {
        if (permission(parsed, job, 'id-token') !== 'write') found.push(`${workflow.source}: job ${jobId} assumes a role by OIDC without id-token: write`)
      }
      if (action === 'actions/checkout' && !['read', 'write', 'default'].includes(permission(parsed, job, 'contents') ?? '')) {
        found.push(`${workflow.source}: job ${jobId} checks out the repository without contents: read`)
      }
    }
  }
  return found
}

/** `steps.<id>.outputs.<name>` of a step that uses this action, where action.yml has no such output. */
export function undeclaredOutputs(workflow: Workflow, outputs: string[]): string[] {
  const found: string[] = []
  for (const [jobId, job] of jobsOf(workflow)) {
    const ids = (job.steps ?? []).filter((step) => usesThisAction(step.uses) && step.id).map((step) => step.id)
    const text = JSON.stringify(job)
    for (const [, id, name] of text.matchAll(/steps\.([\w-]+)\.outputs(?:\.([\w-]+)|\[\\?['"]([\w-]+))/g)) {
      if (ids.includes(id) && !outputs.includes(name)) found.push(`${workflow.source}: job ${jobId} reads steps.${id}.outputs.${name}, which action.yml does not declare`)
    }
  }
  return found
}

describe('recipes a user copies', () => {
  it.each(userWorkflows)('use the current major of every other action in $source', (workflow) => {
    expect(staleActions(workflow)).toEqual([])
  })

  it.each([...repositoryWorkflows, ...userWorkflows])('give the permissions their steps need in $source', (workflow) => {
    expect(missingPermissions(workflow)).toEqual([])
  })

  it.each([...repositoryWorkflows, ...userWorkflows])("read only this action's declared outputs in $source", (workflow) => {
    expect(undeclaredOutputs(workflow, Object.keys(readActionYml().outputs))).toEqual([])
  })

  it("start an instance refresh only when the Auto Scaling group's region got a launch template version", () => {
    // A refresh replaces every instance, even when there is nothing new to launch.
    const refreshes = userWorkflows.flatMap((workflow) =>
      jobsOf(workflow).flatMap(([jobId, job]) => {
        const steps = job.steps ?? []
        const rolls = steps.find((step) => usesThisAction(step.uses) && step.with?.['launch-template'])
        const region = steps.find((step) => actionRef(step.uses)?.action === 'aws-actions/configure-aws-credentials')?.with?.['aws-region']
        const refresh = steps.find((step) => String(step.run ?? '').includes('start-instance-refresh'))
        return rolls && refresh ? [{ source: `${workflow.source} job ${jobId}`, id: String(rolls.id), region: String(region), when: refresh.if }] : []
      })
    )
    expect(refreshes.length).toBeGreaterThan(0)
    for (const { source, id, region, when } of refreshes) {
      const expression = typeof when === 'string' ? when.replace(/^\s*\$\{\{(.*)\}\}\s*$/s, '$1') : 'true'
      const runs = (versions: Record<string, number>): string =>
        `${source}: ${evaluate(`!!(${expression})`, { steps: { [id]: { outputs: { 'launch-template-versions': JSON.stringify(versions) } } } }).coerceString()}`
      const otherRegion = region === 'eu-west-1' ? 'us-west-2' : 'eu-west-1'
      expect([runs({ [region]: 7 }), runs({}), runs({ [otherRegion]: 3 })]).toEqual([`${source}: true`, `${source}: false`, `${source}: false`])
    }
  })

  it('report an old major, a missing id-token permission and a misspelt output', () => {
    const quickStart = readmeWorkflows[0]
    const old = { ...quickStart, content: quickStart.content.replace(/actions\/checkout@v\d+/, 'actions/checkout@v4') }
    expect(staleActions(old)).toEqual([`${quickStart.source}: job build uses actions/checkout@v4, current is v${currentMajors['actions/checkout']}`])
    const noOidc = { ...quickStart, content: quickStart.content.replace('  id-token: write\n', '') }
    expect(missingPermissions(noOidc)).toEqual([`${quickStart.source}: job build assumes a role by OIDC without id-token: write`])
    const misspelt = { ...quickStart, content: quickStart.content.replace('steps.ami.outputs.ami-id', 'steps.ami.outputs.ami_id') }
    expect(undeclaredOutputs(misspelt, Object.keys(readActionYml().outputs))).toEqual([
      `${quickStart.source}: job build reads steps.ami.outputs.ami_id, which action.yml does not declare`
    ])
  })
})

const contextNames = ['github', 'matrix', 'inputs', 'vars', 'secrets', 'env', 'steps', 'needs', 'runner', 'strategy', 'job']

/**
 * A `with:` value as the runner hands it over: YAML's scalar as a string, each `${{ … }}`
 * evaluated by GitHub's evaluator on a push to main, with the first value of each matrix key,
 * and no workflow_dispatch inputs, variables or secrets set.
 */
function asRunnerPasses(value: unknown, matrix: Record<string, unknown>): string {
  if (value === null || value === undefined) return ''
  const github = { server_url: 'https://github.com', token: 'ghs_token', event_name: 'push', ref: 'refs/heads/main' }
  const context = toData({ github, matrix, inputs: {}, vars: {}, secrets: {}, env: {} }) as data.Dictionary
  return String(value).replace(/\$\{\{(.*?)\}\}/gs, (_, expression: string) => {
    const parsed = new Parser(new Lexer(expression).lex().tokens, contextNames, []).parse()
    return new Evaluator(parsed, context).evaluate().coerceString()
  })
}

/** The action's own input problems with a step's `with:`, in a workspace holding the example template it names. */
async function inputProblems(step: Step, job: Job): Promise<string[]> {
  const matrix = Object.fromEntries(
    Object.entries(job.strategy?.matrix ?? {}).map(([key, values]) => [key, Array.isArray(values) ? values[0] : values])
  )
  const given = Object.fromEntries(Object.entries(step.with ?? {}).map(([name, value]) => [name, asRunnerPasses(value, matrix)]))
  const inputs: Record<string, string> = { ...actionDefaults(), ...given }
  const region = job.steps?.find((other) => actionRef(other.uses)?.action === 'aws-actions/configure-aws-credentials')?.with?.['aws-region']
  const workspace = mkdtempSync(join(tmpdir(), 'recipe-'))
  try {
    // The recipe's template, from examples/: a JSON one by its name, with the script it names (a
    // refusal names a file not there), else the HCL2 directory.
    const directory = join(workspace, inputs['working-directory'] || '.')
    mkdirSync(directory, { recursive: true })
    const template = inputs.template || 'packer-template.json'
    if (extname(template) === '.json') {
      cpSync(join(projectRoot, 'examples', 'json', 'packer-template.json'), join(directory, template))
      cpSync(join(projectRoot, 'examples', 'json', 'provision.sh'), join(directory, 'provision.sh'))
    }
    else cpSync(join(projectRoot, 'examples', 'hcl2'), template === '.' ? directory : join(directory, template), { recursive: true })
    await readInputs((name) => inputs[name] ?? '', { GITHUB_WORKSPACE: workspace, AWS_REGION: region === undefined ? undefined : String(region) })
    return []
  } catch (error) {
    if (error instanceof InputError) return error.problems.map((problem) => problem.message)
    throw error
  } finally {
    rmSync(workspace, { recursive: true, force: true })
  }
}

describe("recipes' inputs", () => {
  const steps = userWorkflows.flatMap((workflow) =>
    jobsOf(workflow).flatMap(([jobId, job]) =>
      (job.steps ?? []).filter((step) => usesThisAction(step.uses)).map((step) => ({ source: `${workflow.source} job ${jobId}`, step, job }))
    )
  )

  it.each(steps)("pass the action's own checks in $source", async ({ step, job }) => {
    expect(await inputProblems(step, job)).toEqual([])
  })

  it('are found, and a value the action refuses is reported', async () => {
    expect(steps.length).toBeGreaterThanOrEqual(readmeWorkflows.length)
    const { step, job } = steps[0]
    expect(await inputProblems({ ...step, with: { ...step.with, 'keep-images': 'three' } }, job)).toEqual([
      'keep-images: expected a whole number from 0 (keep everything) to 1000, found "three"'
    ])
  })
})
