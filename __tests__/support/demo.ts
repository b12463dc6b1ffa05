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
