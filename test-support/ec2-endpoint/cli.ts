// Starts the loopback EC2 endpoint and prints one JSON line on stdout:
// {"url":"http://127.0.0.1:PORT","regions":[...],"sourceAmi":"ami-..."}
// It serves until SIGTERM or SIGINT.
//
// Options: --regions r1,r2,r3   --port N   --record FILE (appends each answered call as a
// JSON line)   --describes N and --after-ms N (see AutoAdvance)   --hold-instances-pending
// (instances never start, so a build waits until it is cancelled)   --networks FILE (a JSON
// array of SeedNetwork: VPCs and subnets, with their tags, seeded into every region)
// --instance-profiles FILE (a JSON array of SeedInstanceProfile: IAM instance profiles, and
// their roles, that a template's `iam_instance_profile` may name)   --page-size N (the most
// items one page of a list answer holds; see paging.ts)

import { appendFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { startEc2Endpoint, type Ec2Call } from './endpoint.js'
import { readSeedInstanceProfiles, readSeedNetworks, SOURCE_AMI_ID, SOURCE_AMI_NAME } from './world.js'

function count(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (!Number.isInteger(number) || number < 0) {
    throw new Error(`${flag} expects a whole number, got "${value}"`)
  }
  return number
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      regions: { type: 'string' },
      port: { type: 'string' },
      record: { type: 'string' },
      describes: { type: 'string' },
      'after-ms': { type: 'string' },
      'hold-instances-pending': { type: 'boolean' },
      networks: { type: 'string' },
      'instance-profiles': { type: 'string' },
      'page-size': { type: 'string' }
    }
  })
  const record = values.record
  const pageSize = count(values['page-size'], '--page-size')
  if (pageSize === 0) throw new Error('--page-size expects a whole number above 0, got "0"')
  const endpoint = await startEc2Endpoint({
    regions: values.regions
      ?.split(',')
      .map((region) => region.trim())
      .filter((region) => region !== ''),
    port: count(values.port, '--port'),
    pageSize,
    seedNetworks: values.networks === undefined ? undefined : readSeedNetworks(values.networks),
    seedInstanceProfiles: values['instance-profiles'] === undefined ? undefined : readSeedInstanceProfiles(values['instance-profiles']),
    autoAdvance: {
      describes: count(values.describes, '--describes'),
      afterMs: count(values['after-ms'], '--after-ms')
    },
    onCall:
      record === undefined
        ? undefined
        : (call: Ec2Call) => appendFileSync(record, `${JSON.stringify(call)}\n`)
  })
  if (values['hold-instances-pending'] === true) endpoint.faults.holdInstancesPending()
  process.stdout.write(
    `${JSON.stringify({
      url: endpoint.url,
      regions: endpoint.regions,
      sourceAmi: SOURCE_AMI_ID,
      sourceAmiName: SOURCE_AMI_NAME
    })}\n`
  )
  const stop = () => {
    endpoint.close().then(
      () => process.exit(0),
      () => process.exit(1)
    )
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
