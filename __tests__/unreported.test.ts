import { describe, expect, it } from '@jest/globals'
import { renderedText, tableRows } from './support/markdown.js'
import type { FoundCopies, FoundImages } from '../src/aws/finished-images.js'
import { parseLeftoverState, type LeftoverState } from '../src/aws/leftovers.js'
import { noTemporaryResources, type FinishedImage } from '../src/packer/machine-readable.js'
import { renderUnreported, unreportedBuilds, unreportedWarning } from '../src/report/unreported.js'

describe('the AMIs of builds that finished before the main step was killed', () => {
  const state = (finished: LeftoverState['finished']): LeftoverState => ({
    regions: ['us-east-1'],
    resources: noTemporaryResources(),
    packer: 'running',
    finished
  })
  /** What the look-up found: `copies`, and the region of each AMI in `regionOf`. */
  const foundImages = (copies: FoundCopies = { copies: [], problems: [] }, regionOf: Record<string, string> = {}): FoundImages => ({
    regions: { regionOf: new Map(Object.entries(regionOf)), problems: [] },
    copies
  })
  const noCopies = foundImages()

  it("names every region's AMI of each build the manifest lists, under the build's name in Packer's log", () => {
    // An HCL2 manifest names the build by its source alone; the log says amazon-ebs.ubuntu.
    const written = [
      { build: 'ubuntu', builderType: 'amazon-ebs', region: 'us-east-1', amiId: 'ami-0aaaaaaaaaaaaaaa1' },
      { build: 'ubuntu', builderType: 'amazon-ebs', region: 'eu-west-1', amiId: 'ami-0aaaaaaaaaaaaaaa2' }
    ]
    const builds = unreportedBuilds(state([{ build: 'amazon-ebs.ubuntu', ami: 'ami-0aaaaaaaaaaaaaaa1' }]), written, noCopies)
    expect(builds).toEqual([
      {
        build: 'amazon-ebs.ubuntu',
        amis: [
          { region: 'us-east-1', amiId: 'ami-0aaaaaaaaaaaaaaa1' },
          { region: 'eu-west-1', amiId: 'ami-0aaaaaaaaaaaaaaa2' }
        ]
      }
    ])
    expect(unreportedWarning(builds)).toBe(
      'The main step ended before it set its outputs, but builds had finished: build amazon-ebs.ubuntu: ' +
        'ami-0aaaaaaaaaaaaaaa1 (us-east-1), ami-0aaaaaaaaaaaaaaa2 (eu-west-1). ' +
        'These AMIs exist and are not tagged; they are in no output and the post step leaves them.'
    )
    expect(tableRows(renderUnreported(builds), ['Region', 'AMI'])).toEqual([
      ['us-east-1', 'ami-0aaaaaaaaaaaaaaa1'],
      ['eu-west-1', 'ami-0aaaaaaaaaaaaaaa2']
    ])
  })

  it('lists apart the builds of two manifest entries that Packer names alike, and says nothing tells which is which', () => {
    // Two HCL2 build blocks with no name that build one source: both entries name `demo`, the log both `amazon-ebs.demo`.
    const written = [
      { build: 'amazon-ebs.demo', builderType: 'amazon-ebs', region: 'us-east-1', amiId: 'ami-0aaaaaaaaaaaaaaa1', entry: 0 },
      { build: 'amazon-ebs.demo', builderType: 'amazon-ebs', region: 'us-east-1', amiId: 'ami-0bbbbbbbbbbbbbbb1', entry: 1 }
    ]
    const finished = [
      { build: 'amazon-ebs.demo', ami: 'ami-0aaaaaaaaaaaaaaa1' },
      { build: 'amazon-ebs.demo', ami: 'ami-0bbbbbbbbbbbbbbb1' }
    ]
    const builds = unreportedBuilds(state(finished), written, noCopies)
    expect(builds.map(({ build, amis }) => [build, amis.map(({ amiId }) => amiId)])).toEqual([
      ['amazon-ebs.demo', ['ami-0aaaaaaaaaaaaaaa1']],
      ['amazon-ebs.demo', ['ami-0bbbbbbbbbbbbbbb1']]
    ])
    const alike =
      'Packer gives 2 of these builds one name, amazon-ebs.demo (build blocks with no name of their own that build one source, or a source one build block lists twice), ' +
      'and nothing it wrote tells which is which: each is listed apart, under that name.'
    expect(unreportedWarning(builds)).toBe(
      'The main step ended before it set its outputs, but builds had finished: build amazon-ebs.demo: ami-0aaaaaaaaaaaaaaa1 (us-east-1); ' +
        'build amazon-ebs.demo: ami-0bbbbbbbbbbbbbbb1 (us-east-1). These AMIs exist and are not tagged; they are in no output and the post step leaves them. ' +
        alike
    )
    expect(renderedText(renderUnreported(builds))).toContain(alike)
  })

  it('names the AMI only the log announced, of a build that copied it nowhere', () => {
    const builds = unreportedBuilds(state([{ build: 'web: prod', ami: 'ami-0bbbbbbbbbbbbbbb1' }]), [], noCopies)
    expect(unreportedWarning(builds)).toBe(
      'The main step ended before it set its outputs, but builds had finished: build web: prod: ami-0bbbbbbbbbbbbbbb1. ' +
        'These AMIs are not tagged; they are in no output and the post step leaves them. ' +
        "Only Packer's log named ami-0bbbbbbbbbbbbbbb1, and EC2 did not show it: it may not exist."
    )
    const summary = renderUnreported(builds)
    expect(tableRows(summary, ['Region', 'AMI'])).toEqual([["the build's own", 'ami-0bbbbbbbbbbbbbbb1']])
    expect(renderedText(summary)).toContain("An AMI with no region is one only Packer's log named: EC2 did not show it, and it may not exist.")
    expect(renderedText(summary)).not.toContain('AMIs exist')
    expect(renderedText(summary)).not.toContain('cop')
  })

  const web: FinishedImage = { build: 'web', ami: 'ami-0ccccccccccccccc1', copyRegions: ['us-west-2', 'eu-west-1'] }

  it('names, with the AMI only the log announced, each copy found where the log says the build copied it', () => {
    const found: FoundCopies = {
      copies: [
        { source: web.ami, region: 'us-west-2', amiId: 'ami-0ccccccccccccccc3' },
        { source: web.ami, region: 'eu-west-1', amiId: 'ami-0ccccccccccccccc2' }
      ],
      problems: []
    }
    const builds = unreportedBuilds(state([web]), [], foundImages(found))
    expect(unreportedWarning(builds)).toBe(
      'The main step ended before it set its outputs, but builds had finished: build web: ' +
        'ami-0ccccccccccccccc1, ami-0ccccccccccccccc2 (eu-west-1), ami-0ccccccccccccccc3 (us-west-2). ' +
        'These AMIs are not tagged; they are in no output and the post step leaves them. ' +
        "Only Packer's log named ami-0ccccccccccccccc1, and EC2 did not show it: it may not exist."
    )
    expect(tableRows(renderUnreported(builds), ['Region', 'AMI'])).toEqual([
      ["the build's own", 'ami-0ccccccccccccccc1'],
      ['eu-west-1', 'ami-0ccccccccccccccc2'],
      ['us-west-2', 'ami-0ccccccccccccccc3']
    ])
  })

  it('names the regions where a copy may be: one that could not be asked, one that lists no copy', () => {
    const found: FoundCopies = { copies: [], problems: [{ region: 'us-west-2', problem: 'ec2:DescribeImages was refused' }] }
    const builds = unreportedBuilds(state([web]), [], foundImages(found))
    const notFound =
      'Build web copied its AMI ami-0ccccccccccccccc1 to us-west-2, where its copy could not be looked up (ec2:DescribeImages was refused); ' +
      'eu-west-1, where EC2 lists no copy of it: the copies there are in no output and are not tagged.'
    expect(unreportedWarning(builds)).toBe(
      'The main step ended before it set its outputs, but builds had finished: build web: ami-0ccccccccccccccc1. ' +
        'These AMIs are not tagged; they are in no output and the post step leaves them. ' +
        `Only Packer's log named ami-0ccccccccccccccc1, and EC2 did not show it: it may not exist. ${notFound}`
    )
    const summary = renderUnreported(builds)
    expect(tableRows(summary, ['Region', 'AMI'])).toEqual([["the build's own", 'ami-0ccccccccccccccc1']])
    expect(renderedText(summary)).toContain(notFound)
  })

  it('names the region EC2 found the AMI only the log announced in, its copies after it', () => {
    const copies: FoundCopies = { copies: [{ source: web.ami, region: 'eu-west-1', amiId: 'ami-0ccccccccccccccc2', sourceRegion: 'us-east-1' }], problems: [] }
    const builds = unreportedBuilds(state([{ ...web, copyRegions: ['eu-west-1'] }]), [], foundImages(copies, { [web.ami]: 'us-east-1' }))
    expect(unreportedWarning(builds)).toBe(
      'The main step ended before it set its outputs, but builds had finished: build web: ami-0ccccccccccccccc1 (us-east-1), ami-0ccccccccccccccc2 (eu-west-1). ' +
        'These AMIs exist and are not tagged; they are in no output and the post step leaves them.'
    )
    expect(tableRows(renderUnreported(builds), ['Region', 'AMI'])).toEqual([
      ['us-east-1', 'ami-0ccccccccccccccc1'],
      ['eu-west-1', 'ami-0ccccccccccccccc2']
    ])
  })

  it('with encrypt_boot, names the encrypted copies, the one in the AMI\'s own region first, and not the AMI Packer deregistered', () => {
    // Packer copied its unencrypted AMI into us-east-1, its own region, too, and deregistered it: EC2 shows it nowhere.
    const encrypted: FinishedImage = { build: 'web', ami: 'ami-0ccccccccccccccc1', copyRegions: ['us-west-2', 'us-east-1', 'eu-west-1'] }
    const copies: FoundCopies = {
      copies: ['us-west-2', 'eu-west-1', 'us-east-1'].map((region, i) => ({ source: encrypted.ami, region, amiId: `ami-0eeeeeeeeeeeeeee${i + 1}`, sourceRegion: 'us-east-1' })),
      problems: []
    }
    const builds = unreportedBuilds(state([encrypted]), [], foundImages(copies))
    expect(unreportedWarning(builds)).toBe(
      'The main step ended before it set its outputs, but builds had finished: build web: ' +
        'ami-0eeeeeeeeeeeeeee3 (us-east-1), ami-0eeeeeeeeeeeeeee2 (eu-west-1), ami-0eeeeeeeeeeeeeee1 (us-west-2). ' +
        'These AMIs exist and are not tagged; they are in no output and the post step leaves them.'
    )
    const summary = renderUnreported(builds)
    expect(tableRows(summary, ['Region', 'AMI'])).toEqual([
      ['us-east-1', 'ami-0eeeeeeeeeeeeeee3'],
      ['eu-west-1', 'ami-0eeeeeeeeeeeeeee2'],
      ['us-west-2', 'ami-0eeeeeeeeeeeeeee1']
    ])
    expect(summary).not.toContain(encrypted.ami)
  })

  it('keeps, through the saved state, the regions a finished build copied its AMI to', () => {
    const saved = JSON.stringify({ ...state([web, { build: 'api', ami: 'ami-0ddddddddddddddd1' }]) })
    expect(parseLeftoverState(saved)?.finished).toEqual([web, { build: 'api', ami: 'ami-0ddddddddddddddd1' }])
  })

  it('says nothing when no build finished', () => {
    expect(unreportedBuilds(state(undefined), [], noCopies)).toEqual([])
    expect(unreportedWarning([])).toBeUndefined()
  })
})
