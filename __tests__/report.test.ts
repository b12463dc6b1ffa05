import { describe, expect, it, jest } from '@jest/globals'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { headingsOf, linksOf, renderedHtml, renderedText, tableRows, textOf } from './support/markdown.js'
import {
  amiCell,
  amiOutputs,
  consoleUrl,
  primaryBuildNote,
  primaryRegionNote,
  renderSummary,
  setOutputs,
  warnOfOutputsHoldingSecrets,
  type RegionTagging,
  type SummaryModel
} from '../src/report/index.js'
import { maskValues } from '../src/report/masks.js'
import { amisLeftUntagged, untaggedCommands } from '../src/report/untagged.js'

const amis = [
  { build: 'web', builderType: 'amazon-ebs', region: 'us-east-1', amiId: 'ami-01' },
  { build: 'web', builderType: 'amazon-ebs', region: 'eu-west-1', amiId: 'ami-02' },
  { build: 'arm', builderType: 'amazon-ebs', region: 'us-east-1', amiId: 'ami-03' }
]
const provenance = {
  commit: '0123456789abcdef0123456789abcdef01234567',
  repository: 'acme/images',
  serverUrl: 'https://github.com',
  eventName: 'push',
  actor: 'octocat'
}

describe('amiOutputs', () => {
  it('gives ami-id, ami-ids for the first build and every AMI in artifacts', () => {
    const outputs = amiOutputs(amis, 'eu-west-1')
    expect(outputs['ami-id']).toBe('ami-02')
    expect(JSON.parse(outputs['ami-ids'])).toEqual({ 'us-east-1': 'ami-01', 'eu-west-1': 'ami-02' })
    expect(JSON.parse(outputs.artifacts)).toEqual(amis)
  })

  it('gives every build, region by region, in builds', () => {
    expect(JSON.parse(amiOutputs(amis).builds)).toEqual({
      web: { 'us-east-1': 'ami-01', 'eu-west-1': 'ami-02' },
      arm: { 'us-east-1': 'ami-03' }
    })
    expect(Object.keys(JSON.parse(amiOutputs(amis).builds))).toEqual(['web', 'arm'])
  })

  it('is empty without AMIs', () => {
    expect(amiOutputs([])).toEqual({ 'ami-id': '', 'ami-ids': '{}', builds: '{}', artifacts: '[]' })
  })
})

describe('primaryRegionNote', () => {
  it('says which AMI ami-id is when the first build made none in the home region, and nothing otherwise', () => {
    expect(primaryRegionNote(amis, 'ap-south-1')).toBe(
      "ami-id is ami-01 in us-east-1, the first of build web's regions as Packer lists them (alphabetically): it made no AMI in ap-south-1, the home region, " +
        "and the template does not tell which region it built in. Output ami-ids has each region's."
    )
    expect(amiOutputs(amis, 'ap-south-1')['ami-id']).toBe('ami-01')
    expect(primaryRegionNote(amis, 'us-east-1')).toBeUndefined()
    expect(primaryRegionNote(amis, undefined)).toBeUndefined()
    expect(primaryRegionNote([], 'ap-south-1')).toBeUndefined()
  })

  it("names the region the build made its AMI in, where the template tells it, and why it is not the first alphabetically", () => {
    const inEuWest1 = { regions: ['eu-west-1'], byBuild: { web: 'eu-west-1', arm: 'us-east-1' } }
    expect(amiOutputs(amis, 'ap-south-1', inEuWest1)['ami-id']).toBe('ami-02')
    expect(primaryRegionNote(amis, 'ap-south-1', inEuWest1)).toBe(
      'ami-id is ami-02 in eu-west-1, the region build web made its AMI in (its region setting), of which its AMIs in its other regions are copies: ' +
        "it made no AMI in ap-south-1, the home region. Output ami-ids has each region's."
    )
    expect(primaryRegionNote(amis.slice(1), 'ap-south-1', inEuWest1)).toBe(
      "ami-id is ami-02 in eu-west-1, the region build web made its AMI in (its region setting): it made no AMI in ap-south-1, the home region. Output ami-ids has each region's."
    )
    expect(primaryRegionNote(amis, 'ap-south-1', { regions: ['ap-east-1'], byBuild: { web: 'ap-east-1' } })).toBe(
      "ami-id is ami-01 in us-east-1, the first of build web's regions as Packer lists them (alphabetically): it made no AMI in ap-south-1, the home region, " +
        "nor kept one in ap-east-1, the region it built in. Output ami-ids has each region's."
    )
  })

  it("keeps ami-id to the first build when only a later build made an AMI in the home region", () => {
    const apart = [
      { build: 'eu', builderType: 'amazon-ebs', region: 'eu-west-1', amiId: 'ami-12' },
      { build: 'us', builderType: 'amazon-ebs', region: 'us-east-1', amiId: 'ami-19' }
    ]
    const outputs = amiOutputs(apart, 'us-east-1')
    expect(outputs['ami-id']).toBe('ami-12')
    expect(Object.values(JSON.parse(outputs['ami-ids']) as Record<string, string>)).toContain(outputs['ami-id'])
    expect(primaryRegionNote(apart, 'us-east-1')).toBe(
      "ami-id is ami-12 in eu-west-1, the first of build eu's regions as Packer lists them (alphabetically): it made no AMI in us-east-1, the home region, " +
        "and the template does not tell which region it built in. Output ami-ids has each region's."
    )
  })
})

describe('build names from the template', () => {
  const named = [
    { build: 'x\n::warning::injected', builderType: 'amazon-ebs', region: 'us-east-1', amiId: 'ami-01' },
    { build: 'y [link](https://example.invalid) ![img](https://example.invalid/p.png) **bold** <b>', builderType: 'amazon-ebs', region: 'us-east-1', amiId: 'ami-02' }
  ]

  it('stay on their line in the log: no workflow command starts a line', () => {
    const note = primaryBuildNote(named) as string
    expect(note.split(/\r?\n|\r/)).toHaveLength(1)
    expect(note).toContain('build x ::warning::injected\'s')
  })

  it('are text in the summary: no heading broken, no link, image, emphasis or HTML', () => {
    const summary = renderSummary({ outcome: 'built', template: 't.json', amis: named, problems: [], annotations: [], provenance })
    const html = renderedHtml(summary)
    expect(headingsOf(summary, 3)).toEqual([
      'x ::warning::injected (amazon-ebs)',
      'y [link](https://example.invalid) ![img](https://example.invalid/p.png) **bold** <b> (amazon-ebs)'
    ])
    expect(html).not.toMatch(/<a href="https:\/\/example|<img|<strong>|<b>/)
    expect(textOf(html)).toContain("ami-id and ami-ids are build x ::warning::injected's")
  })
})

describe('primaryBuildNote', () => {
  it('says which build ami-id is when there are several, and nothing for one', () => {
    expect(primaryBuildNote(amis)).toBe(
      "ami-id and ami-ids are build web's: the first, in the template's order, of the builds that made AMIs (web, arm). Output builds has them all."
    )
    expect(primaryBuildNote(amis.slice(0, 2))).toBeUndefined()
  })

  it('says the first to finish when Packer did not list every build, and so in the summary', () => {
    const note =
      "ami-id and ami-ids are build web's: the first to finish of the builds that made AMIs (web, arm) " +
      "(Packer's list of the template's builds does not name them all). Output builds has them all."
    expect(primaryBuildNote(amis, false)).toBe(note)
    expect(renderSummary({ outcome: 'built', template: 't', amis, amisAsTheyFinished: true, problems: [], annotations: [], provenance })).toContain(note)
  })

  it('is in the summary', () => {
    expect(renderSummary({ outcome: 'built', template: 't.json', amis, problems: [], annotations: [], provenance })).toContain(
      "ami-id and ami-ids are build web's"
    )
  })
})

describe('consoleUrl', () => {
  it('uses the console of the region partition', () => {
    expect(consoleUrl('us-east-1', 'ami-1')).toBe(
      'https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1#ImageDetails:imageId=ami-1'
    )
    expect(consoleUrl('cn-north-1', 'ami-1')).toContain('https://cn-north-1.console.amazonaws.cn/')
    expect(consoleUrl('us-gov-west-1', 'ami-1')).toContain('https://us-gov-west-1.console.amazonaws-us-gov.com/')
  })

  it("links every region the AWS SDK knows to its partition's console, and none of a partition whose console is not on the internet", async () => {
    // The SDK's endpoint rules' partitions, as bundled.
    const core = dirname(createRequire(import.meta.url).resolve('@aws-sdk/core/package.json'))
    const { partitionsInfo } = (await import(join(core, 'dist-es/submodules/client/util-endpoints/lib/aws/partitions.js'))) as {
      partitionsInfo: { partitions: Array<{ id: string; regions: Record<string, unknown> }> }
    }
    const domains: Record<string, string | undefined> = { aws: 'console.aws.amazon.com', 'aws-cn': 'console.amazonaws.cn', 'aws-us-gov': 'console.amazonaws-us-gov.com' }
    const regions = partitionsInfo.partitions.flatMap(({ id, regions }) =>
      Object.keys(regions)
        .filter((region) => !region.endsWith('-global'))
        .map((region) => ({ id, region }))
    )
    expect(regions.length).toBeGreaterThan(40)
    expect(new Set(regions.map(({ id }) => id))).toEqual(new Set(['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-eusc']))
    for (const { id, region } of regions) {
      const domain = domains[id]
      expect({ region, url: consoleUrl(region, 'ami-1') }).toEqual({
        region,
        url: domain && `https://${region}.${domain}/ec2/home?region=${region}#ImageDetails:imageId=ami-1`
      })
    }
  })

  it('shows an AMI of a region whose console is not known by its ID alone', () => {
    expect(amiCell('us-isob-east-1', 'ami-1')).toBe('`ami-1`')
    expect(amiCell('us-gov-east-1', 'ami-1')).toBe(
      '[`ami-1`](https://us-gov-east-1.console.amazonaws-us-gov.com/ec2/home?region=us-gov-east-1#ImageDetails:imageId=ami-1)'
    )
  })
})

describe('renderSummary', () => {
  const base: SummaryModel = { outcome: 'built', template: 'packer-template.json', packerVersion: '1.11.2', amis, problems: [], annotations: [], provenance }

  it('has a table per build with AMIs, each with its own snapshots, and tag status, plus the version and commit', () => {
    const tagging = new Map<string, RegionTagging>([
      ['us-east-1', { snapshotsOf: { 'ami-01': ['snap-1', 'snap-1b'], 'ami-03': ['snap-3'] }, tagged: true }],
      ['eu-west-1', { snapshotsOf: { 'ami-02': ['snap-2'] }, tagged: false, error: 'UnauthorizedOperation | denied' }]
    ])
    const text = renderSummary({ ...base, outcome: 'failed', tagging, tagCount: 6, problems: ['Tagging failed'] })
    expect(headingsOf(text, 3)).toEqual(['web (amazon-ebs)', 'arm (amazon-ebs)'])
    expect(text).toContain('Packer 1.11.2')
    expect(text).toContain('[`0123456`](https://github.com/acme/images/commit/0123456789abcdef0123456789abcdef01234567)')
    // Two builds made AMIs in us-east-1: each row has only its own AMI's snapshots.
    expect(text).toContain('ami-01) | `snap-1`, `snap-1b` | 6 tags |')
    expect(text).toContain('ami-03) | `snap-3` | 6 tags |')
    expect(text).toContain('| `snap-2` | failed: UnauthorizedOperation \\| denied |')
    expect(text).toContain('#### Problems')
  })

  it("marks an AMI left out of its region's tagging as failed, and the others of the region as tagged", () => {
    const error = 'Tagging in us-east-1 left out ami-03 and its snapshots: EC2 allows at most 50 tags on an AMI'
    const tagging = new Map<string, RegionTagging>([
      ['us-east-1', { snapshotsOf: { 'ami-01': ['snap-1'], 'ami-03': ['snap-3'] }, tagged: true, amisNotTagged: ['ami-03'], error }],
      ['eu-west-1', { snapshotsOf: { 'ami-02': ['snap-2'] }, tagged: true }]
    ])
    const text = renderSummary({ ...base, outcome: 'failed', tagging, tagCount: 6, problems: [error] })
    expect(text).toContain('ami-01) | `snap-1` | 6 tags |')
    expect(text).toContain('ami-02) | `snap-2` | 6 tags |')
    // The error is told once, under Problems: the cell points there.
    expect(text).toContain('ami-03) | `snap-3` | failed: see Problems below |')
    expect(renderedText(text).split(error)).toHaveLength(2)
  })

  it("says how many tags an AMI has in all where the template gave it some of its own, and only the added where not", () => {
    const tagging = new Map<string, RegionTagging>([
      ['us-east-1', { snapshotsOf: { 'ami-01': ['snap-1'], 'ami-03': ['snap-3'] }, tagged: true, tagsInAll: { 'ami-01': 46, 'ami-03': 6 } }],
      ['eu-west-1', { snapshotsOf: { 'ami-02': ['snap-2'] }, tagged: true }]
    ])
    const text = renderSummary({ ...base, tagging, tagCount: 6, snapshotsTagged: false })
    expect(text).toContain('ami-01) | `snap-1` | 6 added, 46 in all, on the AMI only |')
    // The template's tags were all among the action's, or it gave none; DescribeImages did not answer for ami-02.
    expect(text).toContain('ami-03) | `snap-3` | 6 tags, on the AMI only |')
    expect(text).toContain('ami-02) | `snap-2` | 6 tags, on the AMI only |')
  })

  it('names who started a workflow_dispatch run, and no one for a push', () => {
    expect(renderSummary(base)).not.toContain('octocat')
    const dispatched = renderSummary({ ...base, provenance: { ...provenance, eventName: 'workflow_dispatch', actor: 'release-manager' } })
    expect(dispatched).toContain('run by hand by [@release-manager](https://github.com/release-manager)')
  })

  it("under nektos/act, names the commit, who ran it and an error's file without linking them to the server", () => {
    const warning = { level: 'warning' as const, message: 'w', file: 'a.json', line: 1 }
    const local = { ...provenance, eventName: 'workflow_dispatch', actor: 'nektos/act', local: true as const }
    const text = renderSummary({ ...base, provenance: local, annotations: [warning] })
    expect(renderedText(text)).toContain('commit 0123456 · run by hand by nektos/act')
    expect(renderedText(text)).toContain('a.json:1')
    expect(linksOf(text, 'a.json:1')).toEqual([])
    expect(text).not.toMatch(/\]\(https:\/\/github\.com\/(nektos|acme)/)
  })

  it('says tagging is pending before it runs', () => {
    const text = renderSummary({ ...base, outcome: 'tagging' })
    expect(text).toContain('AMIs built; tagging them')
    expect(text).toContain('| not yet known | pending |')
  })

  it('lists every annotation on the template, errors first, down the files, each linked to its line at the commit, its text as written', () => {
    // Packer's place and the lines it quotes are left to the Where column.
    const hclError = 'Error: Unsupported block type\n\n  on ami.pkr.hcl line 3, in data "amazon-ami" "base":\n   3: data "amazon-ami" "base" {\n\nBlocks of type "data" are not expected here.'
    const message = "{{user `team`}} in builders[0].tags.Team: a | b <sensitive> *not bold* _x_ [y](z) ~~s~~ www.example.com\n\tsecond line"
    const text = renderSummary({
      ...base,
      amis: [],
      outcome: 'failed',
      annotations: [
        { level: 'error', message: "unknown configuration key: '\"instance_typo\"'", title: 'Packer', file: 'images/web template.json', line: 12, column: 7 },
        { level: 'warning', message, title: 'Undeclared variable', file: 'images/vars.json', line: 3 },
        { level: 'warning', message: 'Warning: Undefined -var variable', file: 'images/vars.json' },
        { level: 'error', message: 'Build errored', title: 'Packer' },
        { level: 'error', message: hclError, title: 'Packer', file: 'images/ami.pkr.hcl', line: 3 },
        { level: 'error', message: 'template has duplicate field: region', title: 'Packer', file: 'images/web template.json', line: 5 }
      ]
    })
    expect(text).toContain('#### 4 errors and 2 warnings')
    // Errors, then warnings, each down the files and their lines.
    expect(tableRows(text, ['', 'Where', 'Message'])).toEqual([
      [':x:', '—', 'Build errored'],
      [':x:', 'images/ami.pkr.hcl:3', 'Error: Unsupported block type Blocks of type "data" are not expected here.'],
      [':x:', 'images/web template.json:5', 'template has duplicate field: region'],
      [':x:', 'images/web template.json:12', "unknown configuration key: '\"instance_typo\"'"],
      [':warning:', 'images/vars.json', 'Warning: Undefined -var variable'],
      [':warning:', 'images/vars.json:3', "{{user `team`}} in builders[0].tags.Team: a | b <sensitive> *not bold* _x_ [y](z) ~~s~~ www.example.com second line"]
    ])
    const blob = 'https://github.com/acme/images/blob/0123456789abcdef0123456789abcdef01234567'
    expect(linksOf(text, 'images/web template.json:12')).toEqual([`${blob}/images/web%20template.json#L12`])
    expect(linksOf(text, 'images/vars.json:3')).toEqual([`${blob}/images/vars.json#L3`])
    expect(linksOf(text, 'images/vars.json')).toEqual([`${blob}/images/vars.json`])
  })

  it('counts one of each in the singular, lists at most 100 and says how many more the log has, and has no such list without any', () => {
    const warning = { level: 'warning' as const, message: 'w', file: 'a.json', line: 1 }
    expect(renderSummary({ ...base, annotations: [warning] })).toContain('#### 1 warning\n')
    const many = renderSummary({ ...base, amis: [], annotations: Array.from({ length: 103 }, (_, i) => ({ ...warning, line: i + 1 })) })
    expect(tableRows(many, ['', 'Where', 'Message'])).toHaveLength(100)
    expect(many).toContain('3 more in the log.')
    expect(() => tableRows(renderSummary(base), ['', 'Where', 'Message'])).toThrow('No table')
  })

  it("cuts a long message short, so that the summary stays within GitHub's 1 MiB with the AMIs in it", () => {
    const long = { level: 'error' as const, message: `${'x'.repeat(990)} yz${'<|>'.repeat(40_000)}` }
    const text = renderSummary({ ...base, outcome: 'failed', annotations: Array.from({ length: 150 }, () => long) })
    expect(Buffer.byteLength(text)).toBeLessThan(1024 * 1024)
    expect(tableRows(text, ['', 'Where', 'Message'])[0]).toEqual([':x:', '—', `${'x'.repeat(990)} … (the rest is in the log)`])
    for (const { amiId } of amis) expect(linksOf(text, amiId)).toHaveLength(1)
  })

  it('says that input tags were applied to reused AMIs, or where that failed', () => {
    const reusedFrom = 'https://github.com/acme/images/actions/runs/4242/attempts/1'
    expect(renderSummary({ ...base, reusedFrom })).toContain(`reused, built by ${reusedFrom}.\n`)
    expect(renderSummary({ ...base, reusedFrom })).toContain('| — | reused |')
    const tagging = new Map<string, RegionTagging>([
      ['us-east-1', { snapshotsOf: { 'ami-01': ['snap-1'], 'ami-03': ['snap-3'] }, tagged: true }],
      ['eu-west-1', { snapshotsOf: { 'ami-02': ['snap-2'] }, tagged: true }]
    ])
    const retagged = renderSummary({ ...base, reusedFrom, tagging, tagCount: 1, retagged: { tagCount: 1, snapshots: false } })
    expect(retagged).toContain(`reused, built by ${reusedFrom}. Input tags (1 tag) applied to the reused AMIs.`)
    expect(retagged).toContain('ami-01) | `snap-1` | reused; 1 input tag applied |')
    expect(retagged).toContain('## Packer AMI build: :white_check_mark: AMIs reused and tagged\n')
    tagging.set('eu-west-1', { snapshotsOf: { 'ami-02': ['snap-2'] }, tagged: false, error: 'UnauthorizedOperation' })
    const failed = renderSummary({ ...base, outcome: 'failed', reusedFrom, tagging, tagCount: 1 })
    expect(failed).toContain('| `snap-2` | reused; tags failed: UnauthorizedOperation |')
    expect(failed).not.toContain('Input tags (')
  })

  it('says that reused AMIs were reused, not built, with the snapshots the look-up found', () => {
    const reusedFrom = 'https://github.com/acme/images/actions/runs/4242/attempts/1'
    const text = renderSummary({ ...base, reusedFrom, reusedSnapshots: { 'ami-01': ['snap-1', 'snap-1b'], 'ami-02': [] } })
    expect(text).toContain('## Packer AMI build: :white_check_mark: AMIs reused\n')
    expect(text).not.toContain('AMIs built')
    expect(text).toContain('ami-01) | `snap-1`, `snap-1b` | reused |')
    expect(text).toContain('ami-02) | — | reused |')
    expect(text).toContain('ami-03) | — | reused |')
    expect(text).not.toContain('not yet known')
  })

  it('says and tagged only when tags were written', () => {
    expect(renderSummary({ ...base, tagging: new Map() })).toContain('AMIs built and tagged')
    expect(renderSummary(base)).not.toContain('and tagged')
  })
})

describe('warnOfOutputsHoldingSecrets', () => {
  it('names the variables and locals whose values the outputs hold, not the other sensitive ones, once, in the summary too', () => {
    const written = jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
    try {
      maskValues([
        { value: 'S3cr3tPassw0rd', of: 'variable', name: 'db_password' },
        { value: 'ap-east-2', of: 'variable', name: 'audit_region' },
        { value: 'ap-east-2', of: 'local', name: 'home' },
        { value: 'me-central-1', of: 'local', name: 'replica' }
      ])
      setOutputs({ 'ami-ids': '{"ap-east-2":"ami-0123"}', builds: '{"web":{"me-central-1":"ami-0456"}}', 'ami-id': 'ami-0123' })
      const summary: SummaryModel = { outcome: 'built', template: 't.pkr.hcl', amis: [], problems: [], annotations: [], provenance }
      warnOfOutputsHoldingSecrets(summary)
      warnOfOutputsHoldingSecrets(summary)
      const warnings = written.mock.calls.map(([text]) => String(text)).filter((text) => text.startsWith('::warning'))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain(
        'Outputs ami-ids, builds hold a sensitive value of the template (sensitive variable audit_region; sensitive locals home, replica), '
      )
      expect(warnings[0]).not.toContain('db_password')
      expect(summary.annotations.map(({ message }) => message)).toEqual([expect.stringMatching(/^Outputs ami-ids, builds hold a sensitive value/)])
    } finally {
      written.mockRestore()
    }
  })
})

describe('AMIs left without the run tags', () => {
  const failed = (tagging: Partial<RegionTagging>): RegionTagging => ({ snapshotsOf: {}, tagged: false, error: 'Tagging in us-east-1 failed', ...tagging })

  it("names only the AMIs a failed region did not tag, less those gone, with the tags each was to get less the template's kept", () => {
    const tagging = new Map([
      ['us-east-1', failed({ tagged: true, amisNotTagged: ['ami-03'], snapshotsOf: { 'ami-03': ['snap-03'] }, kept: { 'ami-03': ['SourceCommit'] } })],
      ['eu-west-1', { snapshotsOf: {}, tagged: true }]
    ])
    const tagsOf = (ami: { build: string }) => ({ SourceCommit: 'c0ffee', ImageFamily: `acme/${ami.build}` })
    expect(amisLeftUntagged(amis, tagging, tagsOf, true)).toEqual([
      {
        region: 'us-east-1',
        amiId: 'ami-03',
        snapshotIds: ['snap-03'],
        tags: { ImageFamily: 'acme/arm' },
        snapshotTags: { SourceCommit: 'c0ffee', ImageFamily: 'acme/arm' }
      }
    ])
    const gone = new Map([['us-east-1', failed({ gone: ['ami-01', 'ami-03'] })]])
    expect(amisLeftUntagged(amis, gone, tagsOf, false)).toEqual([])
  })

  it('gives commands a shell runs as they are, the snapshots tagged apart where their tags differ', () => {
    const commands = untaggedCommands({
      region: 'us-east-1',
      amiId: 'ami-03',
      snapshotIds: ['snap-03'],
      tags: { Owner: "O'Brien" },
      snapshotTags: { Owner: "O'Brien", SourceCommit: 'c0ffee' }
    })
    expect(commands).toEqual([
      '# ami-03 in us-east-1: tag it, or deregister it and delete its snapshots',
      `aws ec2 create-tags --region us-east-1 --resources ami-03 --tags '[{"Key":"Owner","Value":"O'\\''Brien"}]'`,
      `aws ec2 create-tags --region us-east-1 --resources snap-03 --tags '[{"Key":"Owner","Value":"O'\\''Brien"},{"Key":"SourceCommit","Value":"c0ffee"}]'`,
      'aws ec2 deregister-image --region us-east-1 --image-id ami-03 --delete-associated-snapshots'
    ])
  })

  it('says in the summary which AMIs keep-images and reuse will not find, with their commands in a block of their own', () => {
    const leftUntagged = [{ region: 'eu-west-1', amiId: 'ami-02', snapshotIds: ['snap-02'], tags: { ImageFamily: 'a```b' }, snapshotTags: { ImageFamily: 'a```b' } }]
    const markdown = renderSummary({ outcome: 'failed', template: 't.json', amis, problems: [], annotations: [], provenance, leftUntagged })
    expect(headingsOf(markdown, 4)).toContain("AMIs left without the run's tags")
    expect(markdown).toContain("ami-02 in eu-west-1 is left without the run's tags, which keep-images (ImageFamily) finds AMIs by")
    expect(markdown).toContain(
      '````sh\n# ami-02 in eu-west-1: tag it, or deregister it and delete its snapshots\n' +
        `aws ec2 create-tags --region eu-west-1 --resources ami-02 snap-02 --tags '[{"Key":"ImageFamily","Value":"a\`\`\`b"}]'\n` +
        'aws ec2 deregister-image --region eu-west-1 --image-id ami-02 --delete-associated-snapshots\n````'
    )
  })
})
