// Every file of ours that GitHub reads, read by GitHub's own parser: action.yml, the workflows
// in .github/workflows/, and every workflow a user may copy from the README or examples/. A
// file that GitHub's parser refuses is an action nobody can load or a recipe that fails on
// its first run, so any parse, schema or expression error fails the suite. Each step that
// uses this action may only pass inputs that action.yml declares.
import { describe, expect, it } from '@jest/globals'
import { data, Evaluator, Lexer, Parser } from '@actions/expressions'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parse } from 'yaml'
import { projectRoot } from './support/action-process.js'
import { actionYmlPath, readActionYml } from './support/action-yml.js'
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
