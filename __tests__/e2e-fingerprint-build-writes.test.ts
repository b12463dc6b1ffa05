// The BuildFingerprint tag is what a later run with reuse looks for, and that run computes the
// fingerprint before it builds, from a clean checkout. So the tag must be of the files as the
// checkout has them: a build that writes into the folders the fingerprint covers (Packer's `file`
// builder writing a config beside the template) must change neither the files it covers nor their
// bytes. Through the bundled action, with the real Packer and the loopback EC2 endpoint.
import { expect, it } from '@jest/globals'
import { closeSync, ftruncateSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ActionRun } from './support/action-process.js'
import { demoRuns, loopbackSuite } from './support/loopback-suite.js'
import { describeWithPacker } from './support/runtimes.js'

describeWithPacker('files the build writes beside the template, and the BuildFingerprint tag, through the bundled action', () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const { demoWith, run } = demoRuns(suite)

  /**
   * The demo's HCL2 template with two `file` builds beside its amazon-ebs build: one overwrites
   * foundry.conf, which the checkout has, the other writes build-notes.txt, which it has not.
   */
  const withFileBuilds = (text: string): string => {
    const sources =
      'source "file" "conf" {\n  content = "written by the build"\n  target  = "foundry.conf"\n}\n\n' +
      'source "file" "notes" {\n  content = "written by the build"\n  target  = "build-notes.txt"\n}\n\n'
    const edited = text.replace(
      'build {\n  sources = ["source.amazon-ebs.demo"]',
      `${sources}build {\n  sources = ["source.amazon-ebs.demo", "source.file.conf", "source.file.notes"]`
    )
    expect(edited).toContain('source.file.notes')
    return edited
  }

  /**
   * A checkout of that template: foundry.conf as committed, and files that take the fingerprint a
   * while to hash (sparse: no disk space), sorted before it, one for each file hashed at once, so
   * that a fingerprint read while Packer builds reads foundry.conf after the build wrote it.
   */
  function checkout(): string {
    const workspace = demoWith(withFileBuilds, 'hcl2')
    writeFileSync(join(workspace, 'foundry.conf'), 'as committed\n')
    for (const name of ['a-disk-0.img', 'a-disk-1.img', 'a-disk-2.img', 'a-disk-3.img']) {
      const descriptor = openSync(join(workspace, name), 'w')
      ftruncateSync(descriptor, 96 * 1024 * 1024)
      closeSync(descriptor)
    }
    return workspace
  }

  /** The fingerprint the log names, and how many files it says it covers. */
  function loggedFingerprint(result: ActionRun): { fingerprint: string; files: number } {
    const [, files, fingerprint] = /^Fingerprint of the build's inputs \((\d+) files\): ([0-9a-f]{64})$/m.exec(result.stdout) ?? []
    return { fingerprint, files: Number(files) }
  }

  it("HCL2: the tag is the clean checkout's fingerprint, and a later run with reuse on a clean checkout finds the set", async () => {
    const built = checkout()
    const first = await run(built, 'hcl2')
    expect(first.errors).toEqual([])
    expect(first.exitCode).toBe(0)
    // The build did write them: the fingerprint was taken before.
    expect(readFileSync(join(built, 'foundry.conf'), 'utf8')).toBe('written by the build')
    expect(readFileSync(join(built, 'build-notes.txt'), 'utf8')).toBe('written by the build')
    const amis = JSON.parse(first.outputs.artifacts) as Array<{ region: string; amiId: string }>
    expect(amis).toHaveLength(3)
    const tags = amis.map(({ region, amiId }) => suite.endpoint.tagsOf(region, amiId).BuildFingerprint)
    // The template, the variables file, foundry.conf as committed and the four disks.
    expect(loggedFingerprint(first)).toEqual({ fingerprint: tags[0], files: 7 })

    const before = suite.calls.length
    const later = await run(checkout(), 'hcl2', { reuse: 'true' })
    expect(later.errors).toEqual([])
    expect(later.exitCode).toBe(0)
    expect(loggedFingerprint(later)).toEqual({ fingerprint: tags[0], files: 7 })
    expect(new Set(tags)).toEqual(new Set([tags[0]]))
    expect(suite.calls.slice(before).filter((call) => call.action === 'RunInstances')).toEqual([])
    expect(later.summary).toContain('reused, built by')
    expect(later.outputs['ami-ids']).toBe(first.outputs['ami-ids'])
  })
})
