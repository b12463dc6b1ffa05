import { describe, expect, it } from '@jest/globals'
import { combineTags, parseTagLines, provenanceTags } from '../src/inputs/tags.js'

const runner = {
  GITHUB_REPOSITORY: 'acme/images',
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  GITHUB_REF: 'refs/heads/main',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_RUN_ID: '42',
  GITHUB_RUN_ATTEMPT: '2'
}

describe('provenanceTags', () => {
  it('names the repository, commit, ref, run and build time', () => {
    expect(provenanceTags(runner, new Date('2026-11-21T01:02:03.456Z'))).toEqual({
      SourceRepository: 'acme/images',
      SourceCommit: '0123456789abcdef0123456789abcdef01234567',
      SourceRef: 'refs/heads/main',
      BuildRunUrl: 'https://github.com/acme/images/actions/runs/42/attempts/2',
      BuildTime: '2026-11-21T01:02:03Z'
    })
  })

  it('leaves out what the environment does not say', () => {
    expect(Object.keys(provenanceTags({}, new Date()))).toEqual(['BuildTime'])
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

  it('refuses a key that looks like a workflow command, other characters in keys, and reserved or control characters in values', () => {
    expect(parseTagLines(['::set-output name=ami-id::ami-evil']).problems).toEqual([
      'tags: a tag key may not begin with "::" (the runner reads such a line as a workflow command), found "::set-output name"'
    ])
    expect(parseTagLines(['Cost#center=42']).problems).toEqual([
      'tags: a tag key may hold letters, numbers, spaces and + - = . _ : / @, found "#" in "Cost#center"'
    ])
    expect(parseTagLines(['Owner=AWS:team']).problems).toEqual([
      'tags: the "aws:" prefix is reserved for AWS, found in the value of "Owner"'
    ])
    expect(parseTagLines(['Owner=a\u0007b']).problems).toEqual(['tags: the value of "Owner" holds a control character'])
    // EC2 counts characters, not UTF-16 code units: 256 two-unit characters make a valid value.
    expect(parseTagLines([`Name=${'𝒜'.repeat(256)}`]).problems).toEqual([])
    expect(parseTagLines([`Name=${'𝒜'.repeat(257)}`]).problems).toEqual([
      'tags: the value of "Name" must be at most 256 characters, found 257'
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
      'tags: the value of "Long" must be at most 256 characters, found 257',
      'tags: the key "Team" is given twice'
    ])
  })
})

describe('combineTags', () => {
  it('counts provenance tags against the limit of 50', () => {
    const user = Object.fromEntries(Array.from({ length: 46 }, (_, i) => [`k${i}`, 'v']))
    const provenance = provenanceTags(runner, new Date())
    expect(combineTags(user, provenance).problem).toMatch(
      /at most 50 tags .* found 51 \(46 from tags \+ 5 provenance tags/
    )
    expect(combineTags(user, {}).problem).toBeUndefined()
  })

  it('lets a user tag replace a provenance tag of the same key', () => {
    expect(combineTags({ SourceRef: 'custom' }, { SourceRef: 'refs/heads/main' }).tags).toEqual({
      SourceRef: 'custom'
    })
  })
})
