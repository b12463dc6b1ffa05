import { describe, expect, it } from '@jest/globals'
import { checkTagCount, combineTags, parseTagLines } from '../src/inputs/tags.js'
import { provenanceTags, readProvenance } from '../src/inputs/provenance.js'
import { runContext } from './support/run-context.js'

const push = runContext({
  repository: 'acme/images',
  sha: '0123456789abcdef0123456789abcdef01234567',
  ref: 'refs/heads/main',
  eventName: 'push',
  actor: 'octocat',
  runId: 42,
  runAttempt: 2
})

describe('provenanceTags', () => {
  it('names the repository, commit, ref, event, actor, run and build time', () => {
    expect(provenanceTags(readProvenance(push), new Date('2026-11-21T01:02:03.456Z'))).toEqual({
      SourceRepository: 'acme/images',
      SourceCommit: '0123456789abcdef0123456789abcdef01234567',
      SourceRef: 'refs/heads/main',
      BuildEvent: 'push',
      BuildActor: 'octocat',
      BuildRunUrl: 'https://github.com/acme/images/actions/runs/42/attempts/2',
      BuildTime: '2026-11-21T01:02:03Z'
    })
  })

  it('leaves out what the context does not say', () => {
    expect(Object.keys(provenanceTags(readProvenance(runContext({})), new Date()))).toEqual(['BuildTime'])
  })
})

describe('readProvenance', () => {
  it('names who dispatched a workflow_dispatch run, from the event when the context has no actor', () => {
    const dispatched = runContext({
      repository: 'acme/images',
      eventName: 'workflow_dispatch',
      payload: { sender: { login: 'release-manager', type: 'User' }, inputs: {} }
    })
    expect(readProvenance(dispatched)).toMatchObject({ eventName: 'workflow_dispatch', actor: 'release-manager' })
  })

  it('links the run on a GitHub Enterprise server, without an attempt when none is known', () => {
    const enterprise = runContext({ repository: 'acme/images', runId: 9, serverUrl: 'https://git.acme.example' })
    expect(readProvenance(enterprise).runUrl).toBe('https://git.acme.example/acme/images/actions/runs/9')
  })
})

describe('parseTagLines', () => {
  it('reads Key=Value lines; values may hold =', () => {
    expect(parseTagLines(['Team=platform', 'Query=a=b'])).toEqual({
      tags: { Team: 'platform', Query: 'a=b' },
      problems: []
    })
  })

  it('takes keys of letters, numbers, spaces and + - = . _ : / @ in any script, and values of any printable text', () => {
    const lines = ['kubernetes.io/cluster/prod=owned', 'Équipe plateforme=données', 'a+b-c_d:e@f=x', 'Notes=v2, see #12 (draft) <ok>']
    expect(parseTagLines(lines)).toEqual({
      tags: {
        'kubernetes.io/cluster/prod': 'owned',
        'Équipe plateforme': 'données',
        'a+b-c_d:e@f': 'x',
        Notes: 'v2, see #12 (draft) <ok>'
      },
      problems: []
    })
  })

  it('refuses a key that looks like a workflow command, other characters in keys, and control characters in values', () => {
    expect(parseTagLines(['::set-output name=ami-id::ami-evil']).problems).toEqual([
      'tags: a tag key may not begin with "::" (the runner reads such a line as a workflow command), found "::set-output name=ami-id::ami-evil"'
    ])
    expect(parseTagLines(['Cost#center=42']).problems).toEqual([
      'tags: a tag key may hold letters, numbers, spaces and + - = . _ : / @, found "#" in "Cost#center=42"'
    ])
    // Quoted whole, never cut: a cut key could end in the start of a secret the runner masks only whole.
    const long = `Db!${'p4ssw0rd'.repeat(6)}=x`
    expect(parseTagLines([long]).problems).toEqual([`tags: a tag key may hold letters, numbers, spaces and + - = . _ : / @, found "!" in "${long}"`])
    // EC2 reserves aws: in keys only: a value may begin with it.
    expect(parseTagLines(['Owner=AWS:team'])).toEqual({ tags: { Owner: 'AWS:team' }, problems: [] })
    expect(parseTagLines(['Owner=a\u0007b']).problems).toEqual([
      'tags: expected no control characters in the value of "Owner", found U+0007 at character 2'
    ])
    expect(parseTagLines(['Owner=a\tb']).problems).toEqual([
      'tags: expected no control characters in the value of "Owner", found a tab (U+0009) at character 2'
    ])
    // EC2 counts characters, not UTF-16 code units: 256 two-unit characters make a valid value.
    expect(parseTagLines([`Name=${'𝒜'.repeat(256)}`]).problems).toEqual([])
    expect(parseTagLines([`Name=${'𝒜'.repeat(257)}`]).problems).toEqual([
      'tags: expected at most 256 characters in the value of "Name", found 257'
    ])
  })

  it('applies EC2 rules, one message per problem', () => {
    const { problems } = parseTagLines([
      'no-equals',
      '=empty-key',
      `${'k'.repeat(129)}=v`,
      'aws:owner=me',
      `Long=${'v'.repeat(257)}`,
      'Team=a',
      'Team=b'
    ])
    expect(problems).toEqual([
      'tags: expected Key=Value, found "no-equals"',
      'tags: a tag key must be 1 to 128 characters, found 0 in "=empty-key"',
      expect.stringContaining('a tag key must be 1 to 128 characters, found 129'),
      'tags: the "aws:" prefix is reserved for AWS, found key "aws:owner"',
      'tags: expected at most 256 characters in the value of "Long", found 257',
      'tags: the key "Team" is given twice'
    ])
  })
})

describe('checkTagCount', () => {
  it('counts every provenance key against the limit of 50', () => {
    const user = Object.fromEntries(Array.from({ length: 44 }, (_, i) => [`k${i}`, 'v']))
    expect(checkTagCount(user, true)).toMatch(/at most 50 tags .* found 51 \(44 from tags \+ 7 provenance tags/)
    expect(checkTagCount(user, false)).toBeUndefined()
  })

  it("counts the action's own keys that a user tag does not replace", () => {
    const user = Object.fromEntries(Array.from({ length: 39 }, (_, i) => [`k${i}`, 'v']))
    const own = ['ImageFamily', 'BuildFingerprint', 'BuildSet', 'PackerBuild']
    expect(checkTagCount(user, true, own)).toBeUndefined()
    expect(checkTagCount({ ...user, k39: 'v' }, true, own)).toMatch(
      /found 51 \(40 from tags \+ 7 provenance tags \+ 4 of the action's own \(ImageFamily, BuildFingerprint, BuildSet, PackerBuild\); set provenance-tags: false or give fewer\)$/
    )
    expect(checkTagCount({ ...user, BuildSet: 'mine' }, true, own)).toBeUndefined()
  })

  it('does not count a provenance key that a user tag replaces', () => {
    const user = Object.fromEntries(Array.from({ length: 43 }, (_, i) => [`k${i}`, 'v']))
    expect(checkTagCount({ ...user, SourceRef: 'custom' }, true)).toBeUndefined()
  })
})

describe('combineTags', () => {
  it('lets a user tag replace a provenance tag of the same key', () => {
    expect(combineTags({ SourceRef: 'custom' }, { SourceRef: 'refs/heads/main' })).toEqual({ SourceRef: 'custom' })
  })
})
