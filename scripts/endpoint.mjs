// npm run endpoint: the loopback EC2 endpoint (test-support/ec2-endpoint) on its own, for
// `npm run local-action`, a debugger, or the AWS CLI. It serves on 127.0.0.1 until Ctrl-C.
//
//   npm run endpoint                     # http://127.0.0.1:4599, the address in .env.example
//   npm run endpoint -- --port 0         # any free port
//   npm run endpoint -- --regions us-east-1,eu-central-1
//   npm run endpoint -- --networks networks.json   # tagged VPCs, subnets and security groups for
//                                                  # vpc_filter, subnet_filter and
//                                                  # security_group_filter (a JSON array of
//                                                  # SeedNetwork, see test-support/ec2-endpoint/README.md)
//   npm run endpoint -- --instance-profiles profiles.json   # IAM instance profiles that a
//                                                  # template's iam_instance_profile names (a JSON
//                                                  # array of SeedInstanceProfile)
//   npm run endpoint -- --page-size 2    # list answers in pages of at most 2 items
import { parseArgs } from 'node:util'
import { loadEc2Endpoint } from './loopback.mjs'

/** The port .env.example points AWS_ENDPOINT_URL_EC2 at. */
const defaultPort = 4599

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: String(defaultPort) },
    regions: { type: 'string' },
    networks: { type: 'string' },
    'instance-profiles': { type: 'string' },
    'page-size': { type: 'string' }
  }
})
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`endpoint: --port expects a port number (0 for any free port), got "${values.port}"`)
  process.exit(1)
}
const pageSize = values['page-size'] === undefined ? undefined : Number(values['page-size'])
if (pageSize !== undefined && (!Number.isInteger(pageSize) || pageSize < 1)) {
  console.error(`endpoint: --page-size expects a whole number above 0, got "${values['page-size']}"`)
  process.exit(1)
}
const regions = values.regions
  ?.split(',')
  .map((region) => region.trim())
  .filter(Boolean)

const { startEc2Endpoint, readSeedNetworks, readSeedInstanceProfiles, SOURCE_AMI_ID } = await loadEc2Endpoint()
let seedNetworks
let seedInstanceProfiles
try {
  seedNetworks = values.networks === undefined ? undefined : readSeedNetworks(values.networks)
  const profiles = values['instance-profiles']
  seedInstanceProfiles = profiles === undefined ? undefined : readSeedInstanceProfiles(profiles)
} catch (error) {
  console.error(`endpoint: ${error.message}`)
  process.exit(1)
}
let endpoint
try {
  endpoint = await startEc2Endpoint({ port, regions, seedNetworks, seedInstanceProfiles, pageSize })
} catch (error) {
  console.error(`endpoint: cannot listen on 127.0.0.1:${port}: ${error.message}`)
  process.exit(1)
}
console.log(endpoint.url)
console.log(
  `Loopback EC2 endpoint for ${endpoint.regions.join(', ')}; source AMI ${SOURCE_AMI_ID}.\n` +
    `Point the AWS SDK, the AWS CLI or Packer at it with AWS_ENDPOINT_URL_EC2=${endpoint.url}\n` +
    'and any access key. Ctrl-C stops it.'
)
const stop = () => endpoint.close().then(() => process.exit(0))
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
