// Without reuse, the fingerprint for the tags is hashed while packer validate runs. When validate
// refuses the template, nothing needs it: the step ends with validate's error, and does not wait
// for a large folder to be hashed to the end first. Through the bundled action, with the real
// Packer and the loopback EC2 endpoint; how much the step read is what Linux counted of its
// reads (/proc/self/io), written as it exits.
import { afterEach, beforeEach, expect, it } from '@jest/globals'
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startEc2Endpoint, type Ec2Endpoint } from '../test-support/ec2-endpoint/index.js'
import { loopbackEnvironment, pushToMain, runAction } from './support/action-process.js'
import { demoWorkspace } from './support/demo.js'
import { describeWithPacker, packerVersion } from './support/runtimes.js'

const countsReads = existsSync('/proc/self/io')
const disks = ['a-disk-0.img', 'a-disk-1.img', 'a-disk-2.img', 'a-disk-3.img']
/** Each disk's size: sparse, so no disk space, but read and hashed as any file is. */
const diskBytes = 4 * 1024 ** 3

describeWithPacker('a template packer validate refuses, in a large folder, through the bundled action', () => {
  let endpoint: Ec2Endpoint
  let workspace: string
  beforeEach(async () => {
    endpoint = await startEc2Endpoint({ regions: ['us-east-1', 'eu-west-1', 'us-west-2'] })
    workspace = demoWorkspace('fingerprint-validate-fails-')
  })
  afterEach(async () => {
    await endpoint.close()
    rmSync(workspace, { recursive: true, force: true })
  })

  ;(countsReads ? it : it.skip)('the step ends with the error, without hashing the folder to its end', async () => {
    // A shell-local script that is not there: the action leaves it to Packer, whose validate refuses it.
    const template = join(workspace, 'hcl2', 'ami.pkr.hcl')
    const provisioner = '  provisioner "shell-local" {\n    scripts = ["${path.root}/scripts/missing.sh"]\n  }\n'
    writeFileSync(template, readFileSync(template, 'utf8').replace(/\n}\s*$/, `\n${provisioner}}\n`))
    for (const name of disks) {
      const descriptor = openSync(join(workspace, 'hcl2', name), 'w')
      ftruncateSync(descriptor, diskBytes)
      closeSync(descriptor)
    }
    const counted = join(workspace, 'read-bytes')
    const preload = join(workspace, 'count-reads.cjs')
    writeFileSync(
      preload,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(counted)}, require('node:fs').readFileSync('/proc/self/io', 'utf8')))\n`
    )
    const result = await runAction({
      workspace,
      nodeArgs: ['--require', preload],
      inputs: { 'packer-version': packerVersion(), 'working-directory': 'hcl2', template: 'ami.pkr.hcl', 'var-file': 'loopback.pkrvars.hcl' },
      env: { ...pushToMain, ...loopbackEnvironment(endpoint.url, workspace) }
    })
    expect(result.exitCode).toBe(1)
    expect(result.errors.at(-1)?.message).toBe('packer validate found problems in hcl2/ami.pkr.hcl (see the errors above); nothing was built.')
    expect(endpoint.calls).toEqual([])
    // Hashed to the end, the disks alone are read whole; the step read less than one of them.
    const read = Number(/^rchar: (\d+)$/m.exec(readFileSync(counted, 'utf8'))?.[1])
    expect(read).toBeGreaterThan(0)
    expect(read).toBeLessThan(diskBytes)
  }, 300_000)
})
