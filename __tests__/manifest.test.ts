import { describe, expect, it } from '@jest/globals'
import {
  amiIdsByRegion,
  amiPairs,
  amisFromAnnouncedArtifacts,
  inTemplateOrder,
  ManifestError,
  parseManifest,
  primaryAmi
} from '../src/artifacts/manifest.js'

const manifest = JSON.stringify({
  builds: [
    {
      name: 'old',
      builder_type: 'amazon-ebs',
      artifact_id: 'us-east-1:ami-0000000a',
      packer_run_uuid: 'run-1'
    },
    {
      name: 'web',
      builder_type: 'amazon-ebs',
      build_time: 1795221003,
      files: null,
      artifact_id: 'eu-west-1:ami-00000005,us-east-1:ami-00000003,us-west-2:ami-00000004',
      packer_run_uuid: 'run-2',
      custom_data: null
    },
    {
      name: 'data',
      builder_type: 'amazon-ebsvolume',
      artifact_id: 'us-east-1:vol-0123,us-east-1:snap-0456',
      packer_run_uuid: 'run-2'
    }
  ],
  last_run_uuid: 'run-2'
})

describe('parseManifest', () => {
  it('reads every region of every AMI build of the latest run only', () => {
    const run = parseManifest(manifest, 'packer-manifest.json')
    expect(run.runUuid).toBe('run-2')
    expect(run.amis).toEqual([
      { build: 'web', builderType: 'amazon-ebs', region: 'eu-west-1', amiId: 'ami-00000005' },
      { build: 'web', builderType: 'amazon-ebs', region: 'us-east-1', amiId: 'ami-00000003' },
      { build: 'web', builderType: 'amazon-ebs', region: 'us-west-2', amiId: 'ami-00000004' }
    ])
    expect(run.buildsWithoutAmi).toEqual(['data'])
  })

  it('names the file when it is not JSON or not a manifest', () => {
    expect(() => parseManifest('{', 'out/m.json')).toThrow(ManifestError)
    expect(() => parseManifest('{', 'out/m.json')).toThrow(/out\/m\.json is not valid JSON/)
    expect(() => parseManifest('[]', 'out/m.json')).toThrow(/out\/m\.json: expected a Packer manifest/)
  })
})

describe('amiPairs', () => {
  it('reads GovCloud and China regions and skips other artifact kinds', () => {
    expect(amiPairs('us-gov-west-1:ami-0abc,cn-north-1:ami-0def,us-east-1:snap-1')).toEqual([
      { region: 'us-gov-west-1', amiId: 'ami-0abc' },
      { region: 'cn-north-1', amiId: 'ami-0def' }
    ])
    expect(amiPairs('sha256:abcdef')).toEqual([])
  })

  it("reads a region whose first part is not two letters: the European Sovereign Cloud's", () => {
    expect(amiPairs('eusc-de-east-1:ami-0123456789abcdef0')).toEqual([{ region: 'eusc-de-east-1', amiId: 'ami-0123456789abcdef0' }])
    expect(parseManifest(JSON.stringify({ builds: [{ name: 'web', builder_type: 'amazon-ebs', artifact_id: 'eusc-de-east-1:ami-0123456789abcdef0' }] }), 'm.json').amis).toEqual([
      expect.objectContaining({ region: 'eusc-de-east-1', amiId: 'ami-0123456789abcdef0' })
    ])
  })
})

describe('amisFromAnnouncedArtifacts', () => {
  it('names the builder type and drops the manifest post-processor repeat', () => {
    const amis = amisFromAnnouncedArtifacts([
      { build: 'web', builderId: 'mitchellh.amazonebs', id: 'us-east-1:ami-03,eu-west-1:ami-05' },
      { build: 'web', builderId: 'packer.post-processor.manifest', id: 'us-east-1:ami-03,eu-west-1:ami-05' }
    ])
    expect(amis).toEqual([
      { build: 'web', builderType: 'amazon-ebs', region: 'us-east-1', amiId: 'ami-03' },
      { build: 'web', builderType: 'amazon-ebs', region: 'eu-west-1', amiId: 'ami-05' }
    ])
  })
})

describe('outputs of several builds', () => {
  const amis = [
    { build: 'a', builderType: 'amazon-ebs', region: 'eu-west-1', amiId: 'ami-1' },
    { build: 'a', builderType: 'amazon-ebs', region: 'us-east-1', amiId: 'ami-2' },
    { build: 'b', builderType: 'amazon-ebs', region: 'us-west-2', amiId: 'ami-3' }
  ]

  it('ami-id is the home region AMI, else the first region of the first build', () => {
    expect(primaryAmi(amis, 'us-east-1')?.amiId).toBe('ami-2')
    expect(primaryAmi(amis, 'ap-south-1')?.amiId).toBe('ami-1')
    expect(primaryAmi(amis)?.amiId).toBe('ami-1')
    expect(primaryAmi([], 'us-east-1')).toBeUndefined()
  })

  it("ami-id is, without one in the home region, the first build's AMI in the region it built in, where the template tells it", () => {
    const builtInUsEast1 = { regions: ['us-east-1', 'us-west-2'], byBuild: { a: 'us-east-1', b: 'us-west-2' } }
    expect(primaryAmi(amis, 'ap-south-1', builtInUsEast1)?.amiId).toBe('ami-2')
    expect(primaryAmi(amis, undefined, builtInUsEast1)?.amiId).toBe('ami-2')
    // The home region first; a region where the build kept no AMI, or one the template does not tell, falls back.
    expect(primaryAmi(amis, 'eu-west-1', builtInUsEast1)?.amiId).toBe('ami-1')
    expect(primaryAmi(amis, 'ap-south-1', { regions: ['ap-east-1'], byBuild: { a: 'ap-east-1' } })?.amiId).toBe('ami-1')
    expect(primaryAmi(amis, 'ap-south-1', { regions: [], unknown: true })?.amiId).toBe('ami-1')
    // Never another build's region: b built in us-west-2, but ami-id stays a's.
    expect(primaryAmi(amis, 'ap-south-1', { regions: ['us-west-2'], byBuild: { b: 'us-west-2' } })?.amiId).toBe('ami-1')
  })

  it('builds Packer names alike go by their one name for the region they built in', () => {
    const alike = [
      { build: 'demo#2', builderType: 'amazon-ebs', region: 'eu-west-1', amiId: 'ami-4', alike: { name: 'demo', finished: 2 } },
      { build: 'demo#2', builderType: 'amazon-ebs', region: 'us-east-1', amiId: 'ami-5', alike: { name: 'demo', finished: 2 } }
    ]
    expect(primaryAmi(alike, 'ap-south-1', { regions: ['us-east-1'], byBuild: { demo: 'us-east-1' } })?.amiId).toBe('ami-5')
  })

  it('puts builds in the template order, whatever order they finished in', () => {
    const finished = [amis[2], amis[0], amis[1]]
    expect(inTemplateOrder(finished, ['a', 'b'])).toEqual(amis)
    expect(inTemplateOrder(finished, [])).toEqual(finished)
  })

  it('ami-ids covers the first build', () => {
    expect(amiIdsByRegion(amis)).toEqual({ 'eu-west-1': 'ami-1', 'us-east-1': 'ami-2' })
  })
})
