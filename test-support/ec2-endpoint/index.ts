// A loopback EC2 Query API endpoint for tests: real SDKs and a real Packer talk to it over HTTP.

export {
  startEc2Endpoint,
  type Ec2Call,
  type Ec2Endpoint,
  type Ec2EndpointOptions,
  type Ec2Image,
  type Ec2Instance,
  type Ec2KeyPair,
  type Ec2LaunchTemplate,
  type Ec2SecurityGroup,
  type Ec2Snapshot,
  type Ec2Volume
} from './endpoint.js'
export type { Ec2Faults, ErrorFault, ExpiryFault, HangFault, ThrottleFault } from './faults.js'
export {
  AMAZON_ACCOUNT_ID,
  DEFAULT_REGIONS,
  SELF_ACCOUNT_ID,
  SOURCE_AMI_ID,
  SOURCE_AMI_NAME,
  SOURCE_SNAPSHOT_ID,
  readSeedInstanceProfiles,
  readSeedNetworks,
  type AutoAdvance,
  type SeedImage,
  type SeedInstanceProfile,
  type SeedNetwork,
  type SeedSecurityGroup,
  type SeedSubnet
} from './world.js'
export { EC2_NAMESPACE } from './xml.js'
