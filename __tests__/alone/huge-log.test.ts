// A huge build log through the bundled action under Node 24, its stdout a pipe into a reader
// slower than the action: the log must reach the reader whole, and the action's memory must not
// grow with the log. Peak RSS is a measurement of the process, so this runs on its own, after
// the rest of the suite (jest.alone.config.js): on this shared machine, test files running
// beside it move the figure.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { projectRoot, runAction, type ActionRun } from '../support/action-process.js'
import { nodeRuntimes } from '../support/runtimes.js'

describe('a huge build log', () => {
  const standinDir = join(projectRoot, 'test-support', 'packer-stand-in')
  const runtime = nodeRuntimes().at(-1) as { name: string; path: string }
  let workspace: string

  beforeEach(() => {
    workspace = mkdtempSync(join(tmpdir(), 'huge-log-'))
    writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify({ builders: [{ type: 'amazon-ebs' }] }))
  })
  afterEach(() => rmSync(workspace, { recursive: true, force: true }))

  /**
   * The action with the stand-in Packer printing what `standin` asks, its stdout read slowly;
   * checks that it built, and gives the run and its peak RSS.
   */
  async function withStandin(standin: Record<string, string>, stdoutTailChars?: number): Promise<{ result: ActionRun; peakRss: number }> {
    const rssFile = join(workspace, '.peak-rss')
    const result = await runAction({
      workspace,
      node: runtime.path,
      nodeArgs: ['--import', pathToFileURL(join(projectRoot, 'scripts', 'peak-rss.mjs')).href],
      readDelayMs: 1,
      stdoutTailChars,
      inputs: { 'packer-version': '1.6.6', 'provenance-tags': 'false' },
      env: {
        PATH: `${standinDir}:${process.env.PATH}`,
        PEAK_RSS_FILE: rssFile,
        ...standin,
        STANDIN_AMIS: JSON.stringify([{ build: 'amazon-ebs', regions: { 'us-east-1': 'ami-0aaa1' } }]),
        AWS_REGION: 'us-east-1',
        // A build step has AWS credentials: without them, the build is refused before the install.
        AWS_ACCESS_KEY_ID: 'AKIDSTANDIN',
        AWS_SECRET_ACCESS_KEY: 'standin-secret'
      }
    })
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    expect(result.outputs['ami-id']).toBe('ami-0aaa1')
    const peakRss = Number(readFileSync(rssFile, 'utf8'))
    expect(peakRss).toBeGreaterThan(0)
    return { result, peakRss }
  }

  it(`64 MiB through a pipe slower than the action: it finishes, with peak RSS under 100 MiB (${runtime.name})`, async () => {
    const logBytes = 64 * 1024 * 1024
    const { result, peakRss } = await withStandin({ STANDIN_LOG_BYTES: String(logBytes) }, 64 * 1024)
    // The whole log reached the reader, less the timestamps and event types.
    expect(result.stdoutBytes).toBeGreaterThan(logBytes * 0.7)
    expect(result.stdout).toContain('Get:')
    expect(peakRss).toBeLessThan(100 * 1024 * 1024)
  })

  it(`one 128 MiB line (a script's \`base64 -w0\`): it reaches the log cut short, with a note, and peak RSS stays under 100 MiB (${runtime.name})`, async () => {
    const lineBytes = 128 * 1024 * 1024
    const { result, peakRss } = await withStandin({ STANDIN_LONG_LINE_BYTES: String(lineBytes), STANDIN_LONG_LINE_START: 'LONG-LINE-START ' })
    const lines = result.stdout.split('\n')
    const long = lines.findIndex((line) => line.startsWith('    amazon-ebs: LONG-LINE-START abcdefghijklmnopqrstuvwxyz0123456789'))
    expect(long).toBeGreaterThanOrEqual(0)
    expect(lines[long].length).toBeLessThan(lineBytes / 64)
    expect(lines[long + 1]).toMatch(/^\(Packer's line above went on for \d+ more bytes, not shown\)$/)
    // The lines after it are there as Packer wrote them.
    expect(lines[long + 2]).toBe('==> amazon-ebs: Creating AMI amazon-ebs-1 from instance i-0123456789abcdef0')
    expect(peakRss).toBeLessThan(100 * 1024 * 1024)
  })

  it(`a script's stderr of 100 lines of 2 MiB, each its own: peak RSS stays under 100 MiB (${runtime.name})`, async () => {
    const { result, peakRss } = await withStandin(
      { STANDIN_LONG_LINE_BYTES: String(2 * 1024 * 1024), STANDIN_LONG_LINE_COUNT: '100', STANDIN_LONG_LINE_ERROR: '1' },
      64 * 1024
    )
    // The end of the log: the last line, cut, then Packer's next.
    expect(result.stdout).toMatch(
      /[a-z0-9]\n\(Packer's line above went on for \d+ more bytes, not shown\)\n==> amazon-ebs: Creating AMI /
    )
    expect(peakRss).toBeLessThan(100 * 1024 * 1024)
  })
})
