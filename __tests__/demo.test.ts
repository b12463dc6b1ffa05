// npm run demo, as a developer sees it: its AMIs carry what the README promises a run on GitHub gives.
import { expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { projectRoot } from './support/action-process.js'
import { describeWithPacker } from './support/runtimes.js'

/** The tag keys the demo prints under each AMI it read back, by AMI ID. */
function tagKeysByAmi(stdout: string): Map<string, string[]> {
  const keys = new Map<string, string[]>()
  let current: string[] | undefined
  for (const line of stdout.split('\n')) {
    const resource = /^\S+ {2}(\S+)$/.exec(line)
    if (resource) {
      current = resource[1].startsWith('ami-') ? [] : undefined
      if (current) keys.set(resource[1], current)
    } else if (current && /^ {4}\S/.test(line)) {
      current.push(line.trim().split(/\s+/)[0])
    }
  }
  return keys
}

describeWithPacker('npm run demo', () => {
  it("tags every AMI with the README's 7 provenance tags, as a push to a branch would", () => {
    const stdout = execFileSync(process.execPath, ['--no-warnings', join(projectRoot, 'scripts', 'demo.mjs')], {
      cwd: projectRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const provenance = ['SourceRepository', 'SourceCommit', 'SourceRef', 'BuildEvent', 'BuildActor', 'BuildRunUrl', 'BuildTime']
    const amis = tagKeysByAmi(stdout)
    expect(amis.size).toBe(3)
    for (const keys of amis.values()) expect(keys).toEqual(expect.arrayContaining(provenance))
    expect(stdout).toMatch(/^ {4}BuildEvent +push$/m)
  })
})
