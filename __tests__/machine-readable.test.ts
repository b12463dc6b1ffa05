import { describe, expect, it } from '@jest/globals'
import { Buffer } from 'node:buffer'
import {
  commaNames,
  duplicateVariable,
  failedValidation,
  hclDiagnostics,
  isLoggedEventLine,
  locateError,
  noTemporaryResources,
  parseEventLine,
  renderEvent,
  RunRecord,
  type PackerEvent,
  uiTextStart
} from '../src/packer/machine-readable.js'

describe('parseEventLine', () => {
  it('splits the fields and unescapes commas and newlines in data', () => {
    const event = parseEventLine(
      '1795222615,,ui,error,Failed to parse template: bad\\nAt line 4%!(PACKER_COMMA) column 4'
    )
    expect(event).toEqual({
      timestamp: '1795222615',
      target: '',
      type: 'ui',
      data: ['error', 'Failed to parse template: bad\nAt line 4, column 4']
    })
  })

  it('keeps the build name as target', () => {
    expect(parseEventLine('1,amazon-ebs,artifact,0,id,us-east-1:ami-1')?.target).toBe('amazon-ebs')
  })

  it('ignores lines that are not events', () => {
    expect(parseEventLine('panic: runtime error')).toBeUndefined()
    expect(parseEventLine('')).toBeUndefined()
  })

  it('reads the target of a build whose name holds a comma by that name, the longest first; other lines as before', () => {
    // Packer writes the target as it is: a builder named `web,blue` makes this line.
    const line = '1,web,blue,artifact,0,id,us-east-1:ami-1%!(PACKER_COMMA)eu-west-1:ami-2'
    expect(parseEventLine(line)).toMatchObject({ target: 'web', type: 'blue' })
    const names = commaNames(['web', 'web,blue', 'a,b', 'a,b,c'])
    expect(names).toEqual(['web,blue', 'a,b,c', 'a,b'])
    expect(parseEventLine(line, names)).toEqual({
      timestamp: '1',
      target: 'web,blue',
      type: 'artifact',
      data: ['0', 'id', 'us-east-1:ami-1,eu-west-1:ami-2']
    })
    expect(parseEventLine('1,a,b,c,error,it failed', names)).toMatchObject({ target: 'a,b,c', type: 'error', data: ['it failed'] })
    expect(parseEventLine('1,a,b,artifact-count,1', names)).toMatchObject({ target: 'a,b', type: 'artifact-count', data: ['1'] })
    // A name that only begins the target is not it; lines of other builds and of the run are read as before.
    expect(parseEventLine('1,web,blueish,artifact-count,1', names)).toMatchObject({ target: 'web', type: 'blueish' })
    expect(parseEventLine('1,web,artifact-count,1', names)).toMatchObject({ target: 'web', type: 'artifact-count' })
    expect(parseEventLine('1,,ui,say,==> web,blue: Creating AMI', names)).toMatchObject({ target: '', type: 'ui' })
    expect(parseEventLine('1,web,blue', names)).toMatchObject({ target: 'web', type: 'blue', data: [] })
    expect(parseEventLine('web,blue,artifact,0,end', names)).toBeUndefined()
  })
})

describe('RunRecord', () => {
  it("tells the build whose failure an error is, by the name Packer's summary begins with; none for two that could begin it", () => {
    const record = new RunRecord(undefined, { buildNames: ['web', 'web: prod', 'api'] })
    for (const line of ['1,web,error,boom', '1,web: prod,error,bang', '1,api,error,Error: bad']) record.observe(parseEventLine(line, record.namesWithCommas) as PackerEvent)
    expect(record.failedBuildOf('api: Error: bad')).toBe('api')
    expect(record.failedBuildOf('web: boom')).toBe('web')
    expect(record.failedBuildOf('web: prod: bang')).toBeUndefined()
    expect(new RunRecord().failedBuildOf('web: boom')).toBeUndefined()
  })

  const feed = (lines: string[], buildNames?: string[], buildsWithoutInstance?: string[]): RunRecord => {
    const record = new RunRecord(undefined, { buildNames, buildsWithoutInstance })
    for (const line of lines) {
      const event = parseEventLine(line)
      if (event) record.observe(event)
    }
    return record
  }
  /** The `ui` lines' text as bytes, as the log reads it. */
  const feedText = (lines: string[], buildNames?: string[], buildsWithoutInstance?: string[]): RunRecord => {
    const record = new RunRecord(undefined, { buildNames, buildsWithoutInstance })
    for (const line of lines) {
      const bytes = Buffer.from(`${line}\n`)
      record.observeText(bytes, uiTextStart(bytes, 0, bytes.length - 1), bytes.length - 1)
    }
    return record
  }

  it('collects each announced artifact with its builder id', () => {
    const record = feed([
      '1,amazon-ebs,artifact-count,2',
      '1,amazon-ebs,artifact,0,builder-id,mitchellh.amazonebs',
      '1,amazon-ebs,artifact,0,id,eu-west-1:ami-05%!(PACKER_COMMA)us-east-1:ami-03',
      '1,amazon-ebs,artifact,0,string,AMIs were created',
      '1,amazon-ebs,artifact,0,files-count,0',
      '1,amazon-ebs,artifact,0,end',
      '1,amazon-ebs,artifact,1,builder-id,packer.post-processor.manifest',
      '1,amazon-ebs,artifact,1,id,eu-west-1:ami-05%!(PACKER_COMMA)us-east-1:ami-03',
      '1,amazon-ebs,artifact,1,end'
    ])
    expect(record.artifacts).toEqual([
      { build: 'amazon-ebs', builderId: 'mitchellh.amazonebs', id: 'eu-west-1:ami-05,us-east-1:ami-03' },
      {
        build: 'amazon-ebs',
        builderId: 'packer.post-processor.manifest',
        id: 'eu-west-1:ami-05,us-east-1:ami-03'
      }
    ])
  })

  it('gives the failed builds\' own summaries as the errors when Packer printed any', () => {
    const record = feed([
      '1,,version,1.6.6',
      '1,,ui,error,==> amazon-ebs: progress 1/3',
      "1,,ui,error,Build 'amazon-ebs' errored: boom",
      "1,,ui,error,Build 'amazon-ebs' errored: boom",
      '1,,error-count,1',
      '1,amazon-ebs,error,boom',
      '1,amazon-ebs,error,boom'
    ])
    expect(record.version).toBe('1.6.6')
    expect(record.errors).toEqual(['amazon-ebs: boom'])
  })

  it("gives no build's ui errors, its scripts' stderr, as the errors when Packer was killed before any build said why it failed", () => {
    const stderr = Array.from({ length: 120 }, (_, i) => `1,,ui,error,==> amazon-ebs: progress ${i + 1}/120`)
    const record = feed([
      ...stderr,
      '1,,ui,error,==> amazon-ebs: a\\nError: builders.0.instance_type is not valid',
      '1,,ui,error,    ==> web: prod: Error: the script said so',
      "1,,ui,error,Failed to initialize build 'api': error initializing builder 'amazon-ebz': Unknown builder amazon-ebz"
    ])
    // Packer's own error still counts, however many lines a script wrote to stderr before it.
    expect(record.errors).toEqual(["Failed to initialize build 'api': error initializing builder 'amazon-ebz': Unknown builder amazon-ebz"])
  })

  it("tells when Packer's errors say AWS refused its credentials as expired: its waiter's own error does not, its clean-up's do", () => {
    // Packer 1.6.6's lines once the session expired while it waited for its instance.
    const waited = [
      '1,,ui,error,==> amazon-ebs.demo: Error waiting for instance (i-00000000000000010) to become ready: ResourceNotReady: exceeded wait attempts',
      '1,,ui,say,==> amazon-ebs.demo: Terminating the source AWS instance...'
    ]
    expect(feed(waited).credentialsExpired).toBe(false)
    const cleanedUp = '1,,ui,error,==> amazon-ebs.demo: Error terminating instance%!(PACKER_COMMA) may still be around: RequestExpired: Request has expired.\\n==> amazon-ebs.demo: \\tstatus code: 400'
    expect(feed([...waited, cleanedUp]).credentialsExpired).toBe(true)
    expect(feed(['1,amazon-ebs,error,Error creating AMI: ExpiredToken: The security token included in the request is expired']).credentialsExpired).toBe(true)
    // A script that prints the word is not AWS refusing Packer.
    expect(feed(['1,,ui,say,    amazon-ebs.demo: RequestExpired is what EC2 says']).credentialsExpired).toBe(false)
  })

  it('gives the ui errors, once each, when no build said why it failed (validate)', () => {
    const record = feed(['1,,ui,error,Error: Unsupported argument', '1,,ui,error,Error: Unsupported argument'])
    expect(record.errors).toEqual(['Error: Unsupported argument'])
  })

  it("keeps Packer's own warnings, each on its own, read as the runner reads them (bytes) or as events", () => {
    const lines = [
      '1,,ui,say,Warning: Warning when preparing build: "web"\\n\\nspot_price_auto_product is deprecated%!(PACKER_COMMA) see\\nthe docs.\\n\\n' +
        'Warning: Warning when preparing build: "api"\\n\\nspot_price_auto_product is deprecated%!(PACKER_COMMA) see\\nthe docs.\\n\\n',
      '1,,ui,say,    web: Warning: a provisioner printed this',
      '1,,ui,message,Warning: Undefined variable\\n\\nA "regoin" variable was set.'
    ]
    const expected = [
      'Warning: Warning when preparing build: "web"\n\nspot_price_auto_product is deprecated, see\nthe docs.',
      'Warning: Warning when preparing build: "api"\n\nspot_price_auto_product is deprecated, see\nthe docs.',
      'Warning: Undefined variable\n\nA "regoin" variable was set.'
    ]
    expect(feed(lines).warnings).toEqual(expected)
    const asBytes = feedText(lines)
    expect(asBytes.warnings).toEqual(expected)
    expect(asBytes.errors).toEqual([])
  })

  it("takes each build's key pair, security group and instance from its builder's lines, not from its provisioners' output", () => {
    // Two builds at once; from Packer 1.13 on, a provisioner's output has the builder's `==> ` prefix too.
    const lines = [
      '1,,ui,say,==> amazon-ebs.web: Creating temporary keypair: packer_6601',
      '1,,ui,say,==> amazon-ebs.api: Creating temporary keypair: packer_6602',
      '1,,ui,say,==> amazon-ebs.web: Creating temporary security group for this instance: packer_6603',
      '1,,ui,message,    amazon-ebs.web: Instance ID: i-0aaaaaaaaaaaaaaa1',
      '1,,ui,say,==> amazon-ebs.web: Provisioning with shell script: /tmp/report.sh',
      '1,,ui,say,==> amazon-ebs.web: Instance ID: i-0bbbbbbbbbbbbbbb2',
      '1,,ui,say,==> amazon-ebs.web: Creating temporary keypair: prod-deploy',
      '1,,ui,message,    amazon-ebs.web: Creating temporary security group for this instance: prod-web',
      '1,,ui,say,==> amazon-ebs.api: Instance ID: i-0ccccccccccccccc3',
      '1,,ui,say,==> amazon-ebs.api: Instance ID: i-0ddddddddddddddd4'
    ]
    const expected = {
      ...noTemporaryResources(),
      instanceIds: ['i-0aaaaaaaaaaaaaaa1', 'i-0ccccccccccccccc3'],
      keyPairs: ['packer_6601', 'packer_6602'],
      securityGroups: ['packer_6603']
    }
    expect(feed(lines).temporaryResources).toEqual(expected)
    expect(feedText(lines).temporaryResources).toEqual(expected)
  })

  it("takes the AMI a build makes from its builder's last lines, and forgets a build once Packer says it finished", () => {
    // As Packer 1.6.6 prints two builds: web finishes, api is still copying its AMI.
    const lines = [
      '1,,ui,say,==> amazon-ebs.web: Creating temporary keypair: packer_6601',
      '1,,ui,message,    amazon-ebs.web: Instance ID: i-0aaaaaaaaaaaaaaa1',
      '1,,ui,say,==> amazon-ebs.api: Creating temporary keypair: packer_6602',
      '1,,ui,message,    amazon-ebs.api: Instance ID: i-0ccccccccccccccc3',
      // A provisioner's output, before the builder makes its AMI.
      '1,,ui,message,    amazon-ebs.api: AMI: ami-0eeeeeeeeeeeeeee5',
      '1,,ui,say,==> amazon-ebs.web: Creating AMI web-1 from instance i-0aaaaaaaaaaaaaaa1',
      '1,,ui,message,    amazon-ebs.web: AMI: ami-0aaaaaaaaaaaaaaa6',
      '1,,ui,say,==> amazon-ebs.api: Creating AMI api-1 from instance i-0ccccccccccccccc3',
      '1,,ui,message,    amazon-ebs.api: AMI: ami-0ccccccccccccccc7',
      '1,,ui,say,==> amazon-ebs.api: Copying/Encrypting AMI (ami-0ccccccccccccccc7) to other regions...',
      "1,,ui,say,Build 'amazon-ebs.web' finished after 2 minutes 3 seconds.",
      // A build that finished says nothing more that counts.
      '1,,ui,message,    amazon-ebs.web: AMI: ami-0fffffffffffffff8'
    ]
    const expected = {
      ...noTemporaryResources(),
      instanceIds: ['i-0ccccccccccccccc3'],
      keyPairs: ['packer_6602'],
      images: ['ami-0ccccccccccccccc7'],
      imageInstances: ['i-0ccccccccccccccc3']
    }
    expect(feed(lines).temporaryResources).toEqual(expected)
    expect(feedText(lines).temporaryResources).toEqual(expected)
    expect(feedText(lines).finishedImages).toEqual([{ build: 'amazon-ebs.web', ami: 'ami-0aaaaaaaaaaaaaaa6' }])
    // Each with the build that announced it, whose region it is in.
    const announcedBy = { packer_6602: 'amazon-ebs.api', 'i-0ccccccccccccccc3': 'amazon-ebs.api', 'ami-0ccccccccccccccc7': 'amazon-ebs.api' }
    expect(feed(lines).announcedBy).toEqual(announcedBy)
    expect(feedText(lines).announcedBy).toEqual(announcedBy)
    const saved: unknown[] = []
    const record = new RunRecord((resources) => saved.push(structuredClone(resources)))
    for (const line of lines) record.observe(parseEventLine(line)!)
    // Saved as each is announced, and once more when web finished.
    expect(saved.at(-1)).toEqual(expected)
    expect(saved.at(-2)).toMatchObject({ images: ['ami-0aaaaaaaaaaaaaaa6', 'ami-0ccccccccccccccc7'] })
  })

  it('loses neither AMI of two builds Packer names alike, whose lines interleave, and forgets what they launched only once both finished', () => {
    // Packer 1.6.6, two HCL2 build blocks with no name that build one source: every line of both is `amazon-ebs.demo`'s.
    const lines = [
      '1,,ui,say,==> amazon-ebs.demo: Creating temporary keypair: packer_6b148904-62d7',
      '1,,ui,say,==> amazon-ebs.demo: Creating temporary keypair: packer_6b148903-152a',
      '1,,ui,say,==> amazon-ebs.demo: Creating temporary security group for this instance: packer_6b148904-80f9',
      '1,,ui,message,    amazon-ebs.demo: Instance ID: i-00000000000000015',
      '1,,ui,say,==> amazon-ebs.demo: Creating temporary security group for this instance: packer_6b148904-2abf',
      '1,,ui,say,==> amazon-ebs.demo: Creating AMI two-20261205215827 from instance i-00000000000000015',
      '1,,ui,say,==> amazon-ebs.demo: Authorizing access to port 0 from [0.0.0.0/0] in the temporary security groups...',
      '1,,ui,message,    amazon-ebs.demo: AMI: ami-00000000000000019',
      '1,,ui,message,    amazon-ebs.demo: Instance ID: i-0000000000000001c',
      '1,,ui,say,==> amazon-ebs.demo: Creating AMI one-20261205215827 from instance i-0000000000000001c',
      '1,,ui,message,    amazon-ebs.demo: AMI: ami-00000000000000022',
      "1,,ui,say,Build 'amazon-ebs.demo' finished after 396 milliseconds 395 microseconds."
    ]
    const names = ['amazon-ebs.demo', 'amazon-ebs.demo', 'slow.amazon-ebs.demo']
    for (const record of [feed(lines, names), feedText(lines, names)]) {
      // No line tells whose each AMI is: both count as finished, and neither is removed.
      expect(record.finishedImages.map(({ build, ami }) => [build, ami])).toEqual([
        ['amazon-ebs.demo', 'ami-00000000000000019'],
        ['amazon-ebs.demo', 'ami-00000000000000022']
      ])
      // The other build of that name still runs: its instance, key pair and group are still the post step's.
      expect(record.temporaryResources).toMatchObject({
        instanceIds: ['i-00000000000000015', 'i-0000000000000001c'],
        keyPairs: ['packer_6b148904-62d7', 'packer_6b148903-152a'],
        securityGroups: ['packer_6b148904-80f9', 'packer_6b148904-2abf'],
        images: [],
        imageInstances: [],
        // Packer deleted the finished build's group: a group not found later is no surprise.
        groupsMayBeGone: ['packer_6b148904-80f9', 'packer_6b148904-2abf']
      })
    }
    const both = [...lines, "1,,ui,say,Build 'amazon-ebs.demo' finished after 419 milliseconds 367 microseconds."]
    for (const record of [feed(both, names), feedText(both, names)]) {
      expect(record.finishedImages).toHaveLength(2)
      expect(record.temporaryResources.instanceIds).toEqual([])
    }
  })

  it('takes the regions a build copies its AMI to from the lines of its copy step; those of a build that finished go with its AMI', () => {
    // As Packer 1.6.6 and the Amazon plugin print them (step_ami_region_copy); api encrypts, so copies into its own region too.
    const lines = [
      '1,,ui,message,    amazon-ebs.web: Instance ID: i-0aaaaaaaaaaaaaaa1',
      '1,,ui,message,    amazon-ebs.api: Instance ID: i-0ccccccccccccccc3',
      // A provisioner's output, before the build copies anything.
      '1,,ui,message,    amazon-ebs.api: Copying to: ap-south-1',
      '1,,ui,say,==> amazon-ebs.web: Creating AMI web-1 from instance i-0aaaaaaaaaaaaaaa1',
      '1,,ui,message,    amazon-ebs.web: AMI: ami-0aaaaaaaaaaaaaaa6',
      '1,,ui,say,==> amazon-ebs.web: Copying/Encrypting AMI (ami-0aaaaaaaaaaaaaaa6) to other regions...',
      '1,,ui,message,    amazon-ebs.web: Copying to: sa-east-1',
      '1,,ui,message,    amazon-ebs.web: Waiting for all copies to complete...',
      '1,,ui,say,==> amazon-ebs.api: Creating AMI api-1 from instance i-0ccccccccccccccc3',
      '1,,ui,message,    amazon-ebs.api: AMI: ami-0ccccccccccccccc7',
      '1,,ui,say,==> amazon-ebs.api: Copying/Encrypting AMI (ami-0ccccccccccccccc7) to other regions...',
      '1,,ui,message,    amazon-ebs.api: Copying to: us-west-2',
      '1,,ui,message,    amazon-ebs.api: Copying to: us-east-1',
      '1,,ui,message,    amazon-ebs.api: Copying to: eu-west-1',
      // A region's name is all a `Copying to:` line counts for.
      '1,,ui,message,    amazon-ebs.api: Copying to: /tmp/elsewhere',
      '1,,ui,message,    amazon-ebs.api: Waiting for all copies to complete...',
      "1,,ui,say,Build 'amazon-ebs.web' finished after 2 minutes 3 seconds."
    ]
    const expected = {
      ...noTemporaryResources(),
      instanceIds: ['i-0ccccccccccccccc3'],
      images: ['ami-0ccccccccccccccc7'],
      imageInstances: ['i-0ccccccccccccccc3'],
      copyRegions: ['us-west-2', 'us-east-1', 'eu-west-1']
    }
    expect(feed(lines).temporaryResources).toEqual(expected)
    expect(feedText(lines).temporaryResources).toEqual(expected)
    // Its copies are no temporary resource, but they are web's AMIs: the main step asks EC2 for them.
    const finished = [{ build: 'amazon-ebs.web', ami: 'ami-0aaaaaaaaaaaaaaa6', copyRegions: ['sa-east-1'] }]
    expect(feed(lines).finishedImages).toEqual(finished)
    expect(feedText(lines).finishedImages).toEqual(finished)
    const saved: unknown[] = []
    const record = new RunRecord((resources) => saved.push(structuredClone(resources)))
    for (const line of lines) record.observe(parseEventLine(line)!)
    // Saved as each region is announced, before its copy begins.
    expect(saved).toContainEqual(expect.objectContaining({ copyRegions: ['sa-east-1', 'us-west-2'] }))
    expect(saved.at(-1)).toEqual(expected)
  })

  it("takes a build's AMI only from the line right after it says it makes one, never from its provisioners' output", () => {
    const lines = [
      '1,,ui,message,    amazon-ebs.web: Instance ID: i-0aaaaaaaaaaaaaaa1',
      '1,,ui,message,    amazon-ebs.api: Instance ID: i-0ccccccccccccccc3',
      '1,,ui,message,    amazon-ebssurrogate.db: Instance ID: i-0ddddddddddddddd4',
      '1,,ui,message,    amazon-ebs.tag: Instance ID: i-0eeeeeeeeeeeeeee5',
      // Provisioners that echo the source AMI, or an instance's AMI line, as scripts may.
      '1,,ui,message,    amazon-ebs.web: AMI: ami-0abcdef1234567890',
      '1,,ui,say,==> amazon-ebs.api: Creating AMI api-1 from instance i-0bbbbbbbbbbbbbbb2',
      '1,,ui,message,    amazon-ebs.api: AMI: ami-0bbbbbbbbbbbbbbb2',
      // The builders' own: an amazon-ebssurrogate build registers its AMI; the Amazon plugin
      // says whether it attaches run tags first.
      '1,,ui,say,==> amazon-ebssurrogate.db: Registering the AMI...',
      '1,,ui,say,==> amazon-ebssurrogate.db: AMI: ami-0ddddddddddddddd4',
      '1,,ui,say,==> amazon-ebs.tag: Creating AMI tag-1 from instance i-0eeeeeeeeeeeeeee5',
      '1,,ui,say,==> amazon-ebs.tag: Skipping attaching run tags to AMI...',
      '1,,ui,message,    amazon-ebs.tag: AMI: ami-0eeeeeeeeeeeeeee5',
      // Only the first AMI line after that counts.
      '1,,ui,message,    amazon-ebs.tag: AMI: ami-0fffffffffffffff6'
    ]
    const expected = {
      ...noTemporaryResources(),
      instanceIds: ['i-0aaaaaaaaaaaaaaa1', 'i-0ccccccccccccccc3', 'i-0ddddddddddddddd4', 'i-0eeeeeeeeeeeeeee5'],
      images: ['ami-0ddddddddddddddd4', 'ami-0eeeeeeeeeeeeeee5'],
      imageInstances: ['i-0bbbbbbbbbbbbbbb2', 'i-0eeeeeeeeeeeeeee5']
    }
    expect(feed(lines).temporaryResources).toEqual(expected)
    expect(feedText(lines).temporaryResources).toEqual(expected)
    // A line of the build between its `Creating AMI` and an AMI line: that AMI line is not the builder's.
    const interrupted = [
      '1,,ui,message,    amazon-ebs.web: Instance ID: i-0aaaaaaaaaaaaaaa1',
      '1,,ui,say,==> amazon-ebs.web: Creating AMI web-1 from instance i-0aaaaaaaaaaaaaaa1',
      '1,,ui,message,    amazon-ebs.web: hello from a script',
      '1,,ui,message,    amazon-ebs.web: AMI: ami-0abcdef1234567890'
    ]
    expect(feedText(interrupted).temporaryResources.images).toEqual([])
    expect(feed(interrupted).temporaryResources.images).toEqual([])
  })

  it("tells when a build writes its scripts' lines as its builder's, as Packer 1.13 and later do: a script may then name a volume or AMI as the builder does", () => {
    // Packer 1.13 on (packer/ui.go TargetedUI.Message calls Say): every line of a build is
    // `ui,say,==> <build>: `, its builder's messages and its scripts' output alike.
    const newer = [
      '1,,ui,say,==> amazon-ebssurrogate.db: Creating temporary keypair: packer_7701',
      '1,,ui,say,==> amazon-ebssurrogate.db: Instance ID: i-0ddddddddddddddd4',
      '1,,ui,say,==> amazon-ebssurrogate.db: Provisioning with shell script: /tmp/packer-shell1',
      // A script that reports on another's backup.
      '1,,ui,say,==> amazon-ebssurrogate.db: Creating snapshot of EBS Volume vol-0eeeeeeeeeeeeeee5...',
      '1,,ui,say,==> amazon-ebssurrogate.db: Registering the AMI...',
      '1,,ui,say,==> amazon-ebssurrogate.db: AMI: ami-0eeeeeeeeeeeeeee5'
    ]
    for (const record of [feed(newer), feedText(newer)]) {
      expect(record.scriptLinesAlike).toBe(true)
      expect(record.temporaryResources).toMatchObject({ snapshotVolumes: ['vol-0eeeeeeeeeeeeeee5'], images: ['ami-0eeeeeeeeeeeeeee5'] })
    }
    // Packer 1.6.6 to 1.12: the builder's messages and its scripts' output begin `    <build>: `, its steps `==> `.
    const older = newer.map((line) => line.replace('ui,say,==> amazon-ebssurrogate.db: Instance', 'ui,message,    amazon-ebssurrogate.db: Instance'))
    const scripts = older.map((line) => line.replace(/ui,say,==> (amazon-ebssurrogate\.db: (?:Creating snapshot|Registering|AMI))/, 'ui,message,    $1'))
    for (const record of [feed(scripts), feedText(scripts)]) {
      expect(record.scriptLinesAlike).toBe(false)
      expect(record.temporaryResources).toMatchObject({ instanceIds: ['i-0ddddddddddddddd4'], snapshotVolumes: [], images: [] })
    }
  })

  it('reads the AMIs a build deregistered (force_deregister, a failed build\'s clean-up), also once another build of its name finished, never from a script', () => {
    const lines = [
      '1,,ui,say,==> amazon-ebs.web: Force Deregister flag found%!(PACKER_COMMA) skipping prevalidating AMI Name',
      '1,,ui,message,    amazon-ebs.web: Instance ID: i-0aaaaaaaaaaaaaaa1',
      '1,,ui,say,Build \'amazon-ebs.web\' finished after 1 second.',
      '1,,ui,say,==> amazon-ebs.web: Deregistered AMI release-1%!(PACKER_COMMA) id: ami-0aaaaaaaaaaaaaaa1',
      '1,,ui,say,==> amazon-ebs.web: Deregistered AMI id: ami-0bbbbbbbbbbbbbbb2',
      // A script's line (Packer 1.6.6 to 1.12 write them `    <build>: `).
      '1,,ui,message,    amazon-ebs.web: Deregistered AMI old%!(PACKER_COMMA) id: ami-0ccccccccccccccc3'
    ]
    for (const record of [feed(lines, ['amazon-ebs.web', 'amazon-ebs.web']), feedText(lines, ['amazon-ebs.web', 'amazon-ebs.web'])]) {
      expect(record.deregisteredImages).toEqual(['ami-0aaaaaaaaaaaaaaa1', 'ami-0bbbbbbbbbbbbbbb2'])
    }
    // Packer 1.13 and later write a script's lines as the builder's: none is taken then.
    const newer = ['1,,ui,say,==> amazon-ebs.web: Instance ID: i-0aaaaaaaaaaaaaaa1', ...lines.slice(3)]
    for (const record of [feed(newer), feedText(newer)]) expect(record.deregisteredImages).toEqual([])
  })

  it("tells a failed build's clean-up from force_deregister, with the build's last error line, never a script's", () => {
    const lines = [
      '1,,ui,message,    amazon-ebs.web: Instance ID: i-0aaaaaaaaaaaaaaa1',
      '1,,ui,say,==> amazon-ebs.web: Deregistered AMI release-1%!(PACKER_COMMA) id: ami-0aaaaaaaaaaaaaaa1',
      '1,,ui,say,==> amazon-ebs.web: Creating AMI release-1 from instance i-0aaaaaaaaaaaaaaa1',
      '1,,ui,message,    amazon-ebs.web: AMI: ami-0bbbbbbbbbbbbbbb2',
      // A script's stderr (Packer 1.6.6 to 1.12 write it `    <build>: `), then the builder's error.
      '1,,ui,error,    amazon-ebs.web: Error: not the reason',
      '1,,ui,error,==> amazon-ebs.web: Error interpolating AMI description: template: root:1:11: bad',
      '1,,ui,say,==> amazon-ebs.web: Deregistering the AMI and deleting associated snapshots because of cancellation%!(PACKER_COMMA) or error...',
      '1,,ui,say,==> amazon-ebs.web: Deregistered AMI id: ami-0bbbbbbbbbbbbbbb2'
    ]
    // As a run reads them: `ui,say` and `ui,message` lines as text, the others as events.
    const asRead = new RunRecord()
    for (const line of lines) {
      const bytes = Buffer.from(`${line}\n`)
      const text = uiTextStart(bytes, 0, bytes.length - 1)
      if (text >= 0) asRead.observeText(bytes, text, bytes.length - 1)
      else asRead.observe(parseEventLine(line) as PackerEvent)
    }
    for (const record of [feed(lines), asRead]) {
      expect(record.deregisteredImages).toEqual(['ami-0aaaaaaaaaaaaaaa1', 'ami-0bbbbbbbbbbbbbbb2'])
      expect(record.cleanedUpImages).toEqual([
        { build: 'amazon-ebs.web', ami: 'ami-0bbbbbbbbbbbbbbb2', error: 'Error interpolating AMI description: template: root:1:11: bad' }
      ])
    }
  })

  it("hands on, with the AMI of a build whose scripts' lines are written as its builder's, the instances EC2 must tie it to", () => {
    // Packer 1.13: a script prints another's AMI as the builder would, before the builder's own
    // line; a post-processor's script does after it, under its own name.
    const lines = [
      '1,,ui,say,==> amazon-ebs.web: Instance ID: i-0aaaaaaaaaaaaaaa1',
      '1,,ui,say,==> amazon-ebs.web: Provisioning with shell script: /tmp/packer-shell1',
      '1,,ui,say,==> amazon-ebs.web: Registering the AMI...',
      '1,,ui,say,==> amazon-ebs.web: AMI: ami-0eeeeeeeeeeeeeee5',
      '1,,ui,say,==> amazon-ebs.web: Creating AMI web-1 from instance i-0aaaaaaaaaaaaaaa1',
      '1,,ui,say,==> amazon-ebs.web: AMI: ami-0aaaaaaaaaaaaaaa6',
      '1,,ui,say,==> amazon-ebs.web (shell-local): Registering the AMI...',
      '1,,ui,say,==> amazon-ebs.web (shell-local): AMI: ami-0fffffffffffffff7',
      "1,,ui,say,Build 'amazon-ebs.web' finished after 2 minutes 3 seconds."
    ]
    const finished = [{ build: 'amazon-ebs.web', ami: 'ami-0aaaaaaaaaaaaaaa6', instances: ['i-0aaaaaaaaaaaaaaa1'] }]
    expect(feed(lines).finishedImages).toEqual(finished)
    expect(feedText(lines).finishedImages).toEqual(finished)
  })

  it('reads the announcements of a JSON build whose name holds ": ", as the template names it', () => {
    // Builders named `web: prod` and `web`: Packer writes each line after the build's full name.
    const lines = [
      '1,,ui,say,==> web: prod: Creating temporary keypair: packer_7701',
      '1,,ui,say,==> web: prod: Creating temporary security group for this instance: sg-0aaaaaaaaaaaaaaa1',
      '1,,ui,message,    web: prod: Instance ID: i-0aaaaaaaaaaaaaaa1',
      '1,,ui,say,==> web: Creating temporary keypair: packer_7702',
      '1,,ui,message,    web: Instance ID: i-0bbbbbbbbbbbbbbb2',
      // web's provisioner, whose words begin as web: prod's would.
      '1,,ui,message,    web: prod: AMI: ami-0ddddddddddddddd4',
      '1,,ui,say,==> web: prod: Creating AMI prod-1 from instance i-0aaaaaaaaaaaaaaa1',
      '1,,ui,message,    web: prod: AMI: ami-0ccccccccccccccc3',
      "1,,ui,say,Build 'web' finished after 2 minutes 3 seconds."
    ]
    const expected = {
      ...noTemporaryResources(),
      instanceIds: ['i-0aaaaaaaaaaaaaaa1'],
      keyPairs: ['packer_7701'],
      securityGroups: ['sg-0aaaaaaaaaaaaaaa1'],
      images: ['ami-0ccccccccccccccc3'],
      imageInstances: ['i-0aaaaaaaaaaaaaaa1']
    }
    expect(feed(lines, ['web: prod', 'web']).temporaryResources).toEqual(expected)
    expect(feedText(lines, ['web: prod', 'web']).temporaryResources).toEqual(expected)
    // Without the names, the first ": " ends the build's name: nothing of web: prod's is kept.
    expect(feedText(lines).temporaryResources).toEqual(noTemporaryResources())
  })

  it("takes the launch template a spot build announces before its instance, not one its provisioners print", () => {
    // As the Amazon plugin prints a spot build (step_run_spot_instance), then a script's output.
    const lines = [
      '1,,ui,say,==> amazon-ebs.web: Launching a spot AWS instance...',
      '1,,ui,message,    amazon-ebs.web: Creating Spot Fleet launch template...',
      '1,,ui,message,    amazon-ebs.web: Created Spot Fleet launch template: lt-0aaaaaaaaaaaaaaa1',
      '1,,ui,message,    amazon-ebs.web: Instance ID: i-0aaaaaaaaaaaaaaa1',
      '1,,ui,say,==> amazon-ebs.web: Created Spot Fleet launch template: lt-0bbbbbbbbbbbbbbb2',
      '1,,ui,message,    amazon-ebs.web: Created Spot Fleet launch template: lt-0ccccccccccccccc3'
    ]
    const expected = {
      ...noTemporaryResources(),
      instanceIds: ['i-0aaaaaaaaaaaaaaa1'],
      launchTemplates: ['lt-0aaaaaaaaaaaaaaa1']
    }
    expect(feed(lines).temporaryResources).toEqual(expected)
    expect(feedText(lines).temporaryResources).toEqual(expected)
  })

  it("takes the temporary instance profile and role a build announces before its instance, named as Packer names them", () => {
    // As Packer prints step_iam_instance_profile, then a script's output (with the builder's prefix from 1.13 on).
    const name = 'packer-6b133811-040e-de2f-43a3-72dab3c1b6a6'
    const lines = [
      `1,,ui,say,==> amazon-ebs.web: Creating temporary instance profile for this instance: ${name}`,
      `1,,ui,say,==> amazon-ebs.web: Creating temporary role for this instance: ${name}`,
      `1,,ui,say,==> amazon-ebs.web: Attaching policy to the temporary role: ${name}`,
      '1,,ui,say,==> amazon-ebs.api: Creating temporary role for this instance: deploy-admin',
      '1,,ui,message,    amazon-ebs.web: Instance ID: i-0aaaaaaaaaaaaaaa1',
      '1,,ui,say,==> amazon-ebs.web: Creating temporary role for this instance: packer-6b133811-0000-0000-0000-000000000000'
    ]
    const expected = { ...noTemporaryResources(), instanceIds: ['i-0aaaaaaaaaaaaaaa1'], instanceProfiles: [name], roles: [name] }
    expect(feed(lines).temporaryResources).toEqual(expected)
    expect(feedText(lines).temporaryResources).toEqual(expected)
  })

  it("reads no line of an amazon-chroot build as an announcement: it runs on the runner's own instance and starts none", () => {
    // Its scripts may well print the instance they run on, or a key pair they make.
    const lines = [
      '1,,ui,say,==> amazon-chroot.host: Gathering information about this EC2 instance...',
      '1,,ui,message,    amazon-chroot.host: Instance ID: i-0aaaaaaaaaaaaaaa1',
      '1,,ui,say,==> amazon-chroot.host: Creating temporary keypair: deploy',
      '1,,ui,say,==> golden.amazon-chroot.host: Instance ID: i-0aaaaaaaaaaaaaaa1',
      '1,,ui,say,==> amazon-chroot: Instance ID: i-0aaaaaaaaaaaaaaa1',
      '1,,ui,say,==> base-ubuntu: Creating temporary security group for this instance: sg-0aaaaaaaaaaaaaaa1',
      '1,,ui,say,==> base-ubuntu: AMI: ami-0aaaaaaaaaaaaaaa1',
      // An amazon-ebs build beside them is read as ever.
      '1,,ui,message,    amazon-ebs.web: Instance ID: i-0bbbbbbbbbbbbbbb2'
    ]
    const expected = { ...noTemporaryResources(), instanceIds: ['i-0bbbbbbbbbbbbbbb2'] }
    expect(feed(lines, [], ['base-ubuntu']).temporaryResources).toEqual(expected)
    expect(feedText(lines, [], ['base-ubuntu']).temporaryResources).toEqual(expected)
    expect(feedText(lines).temporaryResources.securityGroups).toEqual(['sg-0aaaaaaaaaaaaaaa1'])
  })

  it("reads no line of a post-processor as an announcement: a script it runs may print anything, after the build's own lines", () => {
    const lines = [
      '1,,ui,message,    web: Instance ID: i-0aaaaaaaaaaaaaaa1',
      '1,,ui,say,==> web: Creating AMI web-1 from instance i-0aaaaaaaaaaaaaaa1',
      '1,,ui,message,    web: AMI: ami-0aaaaaaaaaaaaaaa1',
      '1,,ui,say,==> web: Running post-processor: shell-local',
      '1,,ui,message,    web (shell-local): Instance ID: i-0bbbbbbbbbbbbbbb2',
      '1,,ui,message,    web (shell-local): Created Spot Fleet launch template: lt-0bbbbbbbbbbbbbbb2',
      '1,,ui,message,    amazon-ebs.api (shell-local): Instance ID: i-0ccccccccccccccc3'
    ]
    const expected = { ...noTemporaryResources(), instanceIds: ['i-0aaaaaaaaaaaaaaa1'], imageInstances: ['i-0aaaaaaaaaaaaaaa1'], images: ['ami-0aaaaaaaaaaaaaaa1'] }
    // Known builds or not: Packer names a post-processor's lines `<build> (<type>)`.
    for (const template of [{}, { buildNames: ['web', 'amazon-ebs.api'], everyBuild: true }]) {
      const record = new RunRecord(undefined, template)
      for (const line of lines) record.observe(parseEventLine(line)!)
      expect(record.temporaryResources).toEqual(expected)
      const asBytes = new RunRecord(undefined, template)
      for (const line of lines) {
        const bytes = Buffer.from(line)
        asBytes.observeText(bytes, uiTextStart(bytes, 0, bytes.length), bytes.length)
      }
      expect(asBytes.temporaryResources).toEqual(expected)
    }
    // A build named as Packer names no build, when every build is known, is none.
    const known = new RunRecord(undefined, { buildNames: ['web'], everyBuild: true })
    known.observe(parseEventLine('1,,ui,message,    web [canary]: Instance ID: i-0ddddddddddddddd4')!)
    expect(known.temporaryResources).toEqual(noTemporaryResources())
    // A build whose own name reads so is one, once the template says so.
    const named = new RunRecord(undefined, { buildNames: ['web (blue)'] })
    named.observe(parseEventLine('1,,ui,message,    web (blue): Instance ID: i-0eeeeeeeeeeeeeee5')!)
    expect(named.temporaryResources.instanceIds).toEqual(['i-0eeeeeeeeeeeeeee5'])
  })

  it("keeps Packer's cancellation notice apart from the errors", () => {
    const record = feed(['1,,ui,error,Cancelling build after receiving terminated'])
    expect(record.errors).toEqual([])
  })
})

describe('renderEvent', () => {
  it('shows say and message lines as text and ui errors as errors', () => {
    expect(renderEvent(parseEventLine('1,,ui,say,==> amazon-ebs: Creating AMI\\n')!)).toEqual({
      level: 'info',
      text: '==> amazon-ebs: Creating AMI'
    })
    expect(renderEvent(parseEventLine('1,,ui,error,nope')!)).toEqual({ level: 'error', text: 'nope' })
  })

  it('keeps bookkeeping events out of the log', () => {
    expect(renderEvent(parseEventLine('1,amazon-ebs,artifact,0,end')!)).toBeUndefined()
    expect(renderEvent(parseEventLine('1,amazon-ebs,error,boom')!)).toBeUndefined()
  })
})

describe('hclDiagnostics', () => {
  it("splits Packer's one error about an HCL2 template into its diagnostics, each with its place", () => {
    // As Packer 1.6.6 validates a source block with a misspelt argument and a misspelt variable.
    const unsupported =
      'Error: Unsupported argument\n\n  on a.pkr.hcl line 7:\n  (source code not available)\n\n' +
      'An argument named "instance_typo" is not expected here. Did you mean\n"instance_type"?'
    const attribute =
      'Error: Unsupported attribute\n\n  on a.pkr.hcl line 5:\n  (source code not available)\n\n' +
      'This object does not have an attribute named "regoin".'
    expect(hclDiagnostics(`${unsupported}\n\n${attribute}\n\n`)).toEqual([unsupported, attribute])
    expect(hclDiagnostics(`${unsupported}\n\n`)).toEqual([unsupported])
  })

  it('keeps a warning apart, and a block that a builder refused whole', () => {
    const refused =
      'Error: 2 error(s) occurred:\n\n* ami_name must be between 3 and 128 characters long\n* An ssh_username must be specified\n' +
      '  Note: some builders used to default ssh_username to "root".\n\n  on a.pkr.hcl line 1:\n  (source code not available)'
    const warning = 'Warning: Deprecated argument\n\n  on a.pkr.hcl line 9:\n  (source code not available)\n\nUse "x" instead.'
    expect(hclDiagnostics(`${warning}\n\n${refused}\n\n`)).toEqual([warning, refused])
  })

  it("keeps apart a diagnostic about a value given on the command line, whose place is not the template's", () => {
    // As Packer 1.6.6 validates a misspelt block with -var volume_size=8GB for a number variable.
    const block =
      'Error: Unsupported block type\n\n  on t.pkr.hcl line 4, in sorce "null" "b":\n   4: sorce "null" "b" {}\n\n' +
      'Blocks of type "sorce" are not expected here. Did you mean "source"?'
    const value =
      'Error: Invalid argument value for -var variable\n\n  on  line 0:\n  (source code not available)\n\n' +
      "The received arg value for volume_size is not compatible with the variable's\ntype constraint: a number is required."
    const literal = 'Error: Invalid number literal\n\n  on <value for var.size from arguments> line 1:\n  (source code not available)\n\nFailed to recognize the value of this number literal.'
    expect(hclDiagnostics(`${block}\n\n${value}\n\n${literal}\n\n`)).toEqual([block, value, literal])
    expect(locateError(value)).toBeUndefined()
    expect(locateError(literal)).toBeUndefined()
  })

  it('splits apart the unset variables, which name no place, to be placed each on its own declaration', () => {
    const unset = (name: string): string =>
      `Error: Unset variable "${name}"\n\nA used variable must be set or have a default value; see\nhttps://packer.io/docs/configuration/from-1.5/syntax for details.`
    expect(hclDiagnostics(`${unset('region')}\n\n${unset('source_ami')}\n`)).toEqual([unset('region'), unset('source_ami')])
  })

  it('splits apart the variables declared twice, to be placed each on the declaration Packer refused', () => {
    // As Packer 1.6.6 writes them: a `variable` block's names no place, a `variables` attribute's does
    // (1.16.0 words both the same: hcl2template/types.variables.go, decodeVariableBlock and decodeVariable).
    const duplicate = (name: string): string => `Error: Duplicate variable\n\nDuplicate ${name} variable definition found.`
    const placed = 'Error: Duplicate variable\n\n  on b.pkr.hcl line 4, in variables:\n   4:   size = 3\n\nDuplicate size variable definition found.'
    expect(hclDiagnostics(`${duplicate('region')}\n\n${duplicate('size')}\n\n${placed}\n\n`)).toEqual([duplicate('region'), duplicate('size'), placed])
    expect([duplicate('region'), placed].map(duplicateVariable)).toEqual(['region', undefined])
  })

  it('splits off the warnings of variables set but not declared, which Packer 1.6.6 writes after its errors', () => {
    const refused = 'Error: Unsupported block type\n\n  on a.pkr.hcl line 3, in packer:\n   3:   required_plugins {\n\nBlocks of type "required_plugins" are not expected here.'
    const undeclared = 'Warning: Undefined variable\n\nA "arch" variable was set but was not found in known variables. To declare\nvariable "arch", place this block in one of your .pkr files.'
    expect(hclDiagnostics(`${refused}\n\n${undeclared}\n\n${undeclared.replace(/arch/g, 'tpye')}\n`)).toEqual([
      refused,
      undeclared,
      undeclared.replace(/arch/g, 'tpye')
    ])
  })

  it('leaves whole a detail that holds an "Error: " line but names no place of its own', () => {
    const message =
      'Error: Failed preparing provisioner-block "shell" ""\n\n  on a.pkr.hcl line 11:\n  (source code not available)\n\n' +
      'the plugin said:\n\nError: something went wrong'
    expect(hclDiagnostics(message)).toEqual([message])
    expect(hclDiagnostics('Error: no place at all')).toEqual(['Error: no place at all'])
  })
})

describe('locateError', () => {
  it('finds the file and line of an HCL2 diagnostic', () => {
    expect(locateError('Error: Unsupported argument\n\n  on ami.pkr.hcl line 3:\n')).toEqual({
      file: 'ami.pkr.hcl',
      line: 3,
      column: undefined
    })
    expect(locateError('Error: Invalid expression\n\n  on bad.pkr.hcl line 2, in source "x":')).toMatchObject({
      file: 'bad.pkr.hcl',
      line: 2
    })
  })

  it('finds a file whose name holds a space only where it is one Packer read, never a guess at where the name ends', () => {
    // hcl's text writer (v2.6.0, diagnostic_text.go): `  on %s line %d%s:`, the name as Packer read it.
    const message = 'Error: Unsupported argument\n\n  on my line 2 images/ami.pkr.hcl line 7, in source "amazon-ebs" "x line 9":\n'
    const read = (name: string): boolean => name === 'my line 2 images/ami.pkr.hcl'
    expect(locateError(message, read)).toEqual({ file: 'my line 2 images/ami.pkr.hcl', line: 7 })
    expect(locateError(message)).toBeUndefined()
    const inner = 'Error: Failed preparing provisioner-block "shell" ""\n\n  on my images/a.pkr.hcl line 11:\n\nmy images/a.pkr.hcl:13,5-11: Unsupported argument; …'
    expect(locateError(inner, (name) => name === 'my images/a.pkr.hcl')).toEqual({ file: 'my images/a.pkr.hcl', line: 13, column: 5 })
  })

  it("prefers a plugin's diagnostic inside Packer's, which names the attribute rather than its block", () => {
    // As Packer 1.6.6 says it of a provisioner with an unknown argument on line 13.
    const message =
      'Error: Failed preparing provisioner-block "shell" ""\n\n  on a.pkr.hcl line 11:\n  (source code not available)\n\n' +
      'a.pkr.hcl:13,5-11: Unsupported argument; An argument named "scirpt" is not\nexpected here. Did you mean "script"?\n\n'
    expect(locateError(message)).toEqual({ file: 'a.pkr.hcl', line: 13, column: 5 })
  })

  it('finds the line and column of a JSON template parse error', () => {
    expect(locateError('Error parsing JSON: invalid character\nAt line 4, column 4 (offset 48):')).toEqual({
      line: 4,
      column: 4
    })
  })

  it('says nothing when the message has no location', () => {
    expect(locateError('* ami_name must be specified')).toBeUndefined()
  })
})

describe("RunRecord: Packer's crash", () => {
  const crashOf = (lines: string[]): RunRecord['crash'] => {
    const record = new RunRecord()
    for (const line of lines) record.observeStderr(line)
    return record.crash
  }
  const panic = 'panic: runtime error: index out of range [1] with length 1'

  it('is the first panic line on stderr; a line that only holds the word is none', () => {
    expect(crashOf(['2026/01/01 [INFO] a plugin said panic: no'])).toBeUndefined()
    expect(crashOf([panic, 'panic: a second'])).toEqual({ panic })
  })

  it("names the plugin the stack names first, not the plugin SDK Packer is built with, and not a frame of Packer's own", () => {
    const frames = [
      panic,
      '',
      'goroutine 7 [running]:',
      'github.com/hashicorp/packer-plugin-sdk/multistep.(*BasicRunner).Run(0xc0)',
      '\tgithub.com/hashicorp/packer-plugin-sdk@v0.5.2/multistep/basic_runner.go:77 +0x1',
      'github.com/acme/packer-plugin-tart/builder/tart.(*stepRun).Run(0xc0)',
      '\tgithub.com/acme/packer-plugin-tart@v1.2.0/builder/tart/step_run.go:40 +0x2',
      'github.com/hashicorp/packer-plugin-amazon/builder/ebs.(*Builder).Run(0xc0)'
    ]
    expect(crashOf(frames)).toEqual({ panic, plugin: 'github.com/acme/packer-plugin-tart' })
    expect(crashOf([panic, 'github.com/hashicorp/packer/hcl2template.(*PackerConfig).GetBuilds(0xc0)'])).toEqual({ panic })
  })
})

describe('failedValidation', () => {
  // As Packer 1.6.6 refuses -var stage=qa and PKR_VAR_stage=qa where `validation` allows dev or prod.
  const refused = (from: string, rule: string): string =>
    `Error: Invalid value for ${from} variable\n\n  on  line 0:\n  (source code not available)\n\n` +
    `The stage must be dev or prod.\n\nThis was checked by the validation rule at ${rule}.`

  it('reads the value\'s origin, what the rule says and where the rule is, though hcl wraps a long path', () => {
    expect(failedValidation(refused('cmd', 'main.pkr.hcl:3,3-13'))).toEqual({
      from: 'arguments',
      detail: 'The stage must be dev or prod.',
      file: 'main.pkr.hcl',
      line: 3,
      column: 3
    })
    const long = 'images/with/a/rather/long/path/to/its/template/files/main.pkr.hcl'
    const wrapped = refused('env', 'main.pkr.hcl:3,3-13').replace('rule at main.pkr.hcl:3,3-13', `rule at\n${long}:12,3-13`)
    expect(failedValidation(wrapped)).toEqual({ from: 'env', detail: 'The stage must be dev or prod.', file: long, line: 12, column: 3 })
  })

  it('leaves a value from a variables file or a default, whose place Packer names', () => {
    const fromFile = refused('varfile', 'main.pkr.hcl:3,3-13').replace('on  line 0:', 'on prod.pkrvars.hcl line 1:')
    expect(failedValidation(fromFile)).toBeUndefined()
  })
})

describe('isLoggedEventLine', () => {
  const is = (line: string): boolean => isLoggedEventLine(Buffer.from(line), 0, Buffer.byteLength(line))

  it("tells Packer's debug log copy of a machine-readable line (PACKER_LOG) from its other lines", () => {
    expect(is('2026/12/07 05:59:09 1796623149,,ui,message,    amazon-ebs: Adding tag: "Pw": "a%!(PACKER_COMMA)b"')).toBe(true)
    expect(is('2026/12/07 05:59:09 1796623149,amazon-ebs.demo,artifact-count,2')).toBe(true)
    expect(is('2026/12/07 05:59:09.123456 1796623149,amazon-ebs,error,Timeout waiting for SSH.')).toBe(true)
    expect(is('2026/12/07 05:59:09 packer-builder-amazon-ebs plugin: [INFO] AWS Auth provider used: "EnvProvider"')).toBe(false)
    expect(is('2026/12/07 05:59:09 [INFO] Packer version: 1.6.6 [go1.19.8 linux amd64]')).toBe(false)
    // The line itself, on stdout, and a panic's first line.
    expect(is('1796623149,,ui,say,==> amazon-ebs: Prevalidating AMI Name')).toBe(false)
    expect(is('panic: runtime error: invalid memory address or nil pointer dereference')).toBe(false)
  })
})
