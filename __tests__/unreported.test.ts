import { describe, expect, it } from '@jest/globals'
import { renderedText, tableRows } from './support/markdown.js'
import type { LeftoverState } from '../src/aws/leftovers.js'
import { noTemporaryResources } from '../src/packer/machine-readable.js'
import { renderUnreported, unreportedBuilds, unreportedWarning } from '../src/report/unreported.js'

describe('the AMIs of builds that finished before the main step was killed', () => {
  const state = (finished: LeftoverState['finished']): LeftoverState => ({
    regions: ['us-east-1'],
    resources: noTemporaryResources(),
    packer: 'running',
    finished
  })

  it("names every region's AMI of each build the manifest lists, under the build's name in Packer's log", () => {
    // An HCL2 manifest names the build by its source alone; the log says amazon-ebs.ubuntu.
    const written = [
      { build: 'ubuntu', builderType: 'amazon-ebs', region: 'us-east-1', amiId: 'ami-0aaaaaaaaaaaaaaa1' },
      { build: 'ubuntu', builderType: 'amazon-ebs', region: 'eu-west-1', amiId: 'ami-0aaaaaaaaaaaaaaa2' }
    ]
    const builds = unreportedBuilds(state([{ build: 'amazon-ebs.ubuntu', ami: 'ami-0aaaaaaaaaaaaaaa1' }]), written)
    expect(builds).toEqual([
      {
        build: 'amazon-ebs.ubuntu',
        amis: [
          { region: 'us-east-1', amiId: 'ami-0aaaaaaaaaaaaaaa1' },
          { region: 'eu-west-1', amiId: 'ami-0aaaaaaaaaaaaaaa2' }
        ],
        copiesUnknown: false
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

  it('names the AMI only the log announced, and says its copies are not known', () => {
    const builds = unreportedBuilds(state([{ build: 'web: prod', ami: 'ami-0bbbbbbbbbbbbbbb1' }]), [])
    expect(unreportedWarning(builds)).toBe(
      'The main step ended before it set its outputs, but builds had finished: build web: prod: ami-0bbbbbbbbbbbbbbb1. ' +
        'These AMIs, and their copies in the regions of ami_regions, exist and are not tagged; they are in no output and the post step leaves them.'
    )
    const summary = renderUnreported(builds)
    expect(tableRows(summary, ['Region', 'AMI'])).toEqual([["the build's own", 'ami-0bbbbbbbbbbbbbbb1']])
    expect(renderedText(summary)).toContain("Its copies in the regions of ami_regions, if any, exist too: Packer's log names only this AMI.")
  })

  it('says nothing when no build finished', () => {
    expect(unreportedBuilds(state(undefined), [])).toEqual([])
    expect(unreportedWarning([])).toBeUndefined()
  })
})
