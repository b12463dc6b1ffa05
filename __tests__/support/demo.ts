// The demo templates (demo/), which build against the loopback EC2 endpoint, as the end-to-end
// tests start from them.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { projectRoot } from './action-process.js'

/** A new workspace holding a copy of demo/. */
export function demoWorkspace(prefix: string): string {
  const workspace = mkdtempSync(join(tmpdir(), prefix))
  cpSync(join(projectRoot, 'demo'), workspace, { recursive: true })
  return workspace
}

/**
 * Gives the demo JSON template two builds: the first (`web`) as it is, copying its AMI to the
 * other regions, and the second (`api`) in its home region only.
 */
export function withTwoBuilds(workspace: string, [first, second] = ['web', 'api']): void {
  const path = join(workspace, 'json', 'packer-template.json')
  const template = JSON.parse(readFileSync(path, 'utf8'))
  const [builder] = template.builders
  template.builders = [
    { ...builder, name: first },
    { ...builder, name: second, ami_regions: '', ami_name: `${second}-{{timestamp}}` }
  ]
  writeFileSync(path, JSON.stringify(template, null, 2))
}

/**
 * Makes the demo JSON template's build an amazon-ebssurrogate one: it snapshots a volume of its
 * instance and registers its AMI from the snapshot (EC2 ties that AMI to no instance).
 */
export function asSurrogateBuild(workspace: string): void {
  surrogateBuild(workspace, false)
}

/** As asSurrogateBuild, with the snapshotted volume kept when the instance is terminated. */
export function asSurrogateBuildKeepingItsVolume(workspace: string): void {
  surrogateBuild(workspace, true)
}

function surrogateBuild(workspace: string, keepVolume: boolean): void {
  const path = join(workspace, 'json', 'packer-template.json')
  const template = JSON.parse(readFileSync(path, 'utf8'))
  const volume = { volume_size: 8, volume_type: 'gp2', delete_on_termination: !keepVolume }
  template.builders[0] = {
    ...template.builders[0],
    type: 'amazon-ebssurrogate',
    ami_virtualization_type: 'hvm',
    launch_block_device_mappings: [{ device_name: '/dev/xvdf', ...volume }],
    ami_root_device: { source_device_name: '/dev/xvdf', device_name: '/dev/xvda', ...volume }
  }
  writeFileSync(path, JSON.stringify(template, null, 2))
}

/**
 * Makes the demo JSON template's build a spot one: Packer makes a launch template, launches its
 * instance from it with an instant EC2 Fleet, and deletes the launch template as it cleans up.
 */
export function asSpotBuild(workspace: string): void {
  const path = join(workspace, 'json', 'packer-template.json')
  const template = JSON.parse(readFileSync(path, 'utf8'))
  template.builders[0] = { ...template.builders[0], spot_price: 'auto' }
  writeFileSync(path, JSON.stringify(template, null, 2))
}

/**
 * Gives the demo JSON template's build a temporary IAM instance profile: Packer makes an
 * instance profile and a role with this policy for its instance, and deletes them as it cleans
 * up (Packer 1.6.6 sends IAM's calls to custom_endpoint_ec2, the loopback endpoint).
 */
export function withTemporaryInstanceProfile(workspace: string): void {
  const path = join(workspace, 'json', 'packer-template.json')
  const template = JSON.parse(readFileSync(path, 'utf8'))
  template.builders[0] = {
    ...template.builders[0],
    temporary_iam_instance_profile_policy_document: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::build-artifacts/*'] }]
    }
  }
  writeFileSync(path, JSON.stringify(template, null, 2))
}
