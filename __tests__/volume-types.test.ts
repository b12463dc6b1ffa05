// The EBS volume types the action checks a template's volume_type against are EC2's: those of
// the SDK's VolumeType, so that an SDK that adds one shows the list to update.
import { describe, expect, it } from '@jest/globals'
import { VolumeType } from '@aws-sdk/client-ec2'
import { volumeTypeMistake, volumeTypes } from '../src/inputs/volume-types.js'

describe('volume types', () => {
  it("are EC2's, as the SDK lists them", () => {
    expect([...volumeTypes].sort()).toEqual(Object.values(VolumeType).sort())
  })

  it('leave alone a type EC2 has, and a value only Packer works out', () => {
    for (const value of [...volumeTypes, '{{user `type`}}', '${var.type}']) expect(volumeTypeMistake('launch_block_device_mappings', value)).toBeUndefined()
  })

  it('leave alone an empty type, which Packer leaves out of the mapping for EC2 to give its default', () => {
    for (const setting of ['launch_block_device_mappings', 'ami_block_device_mappings', 'ebs_volumes']) expect(volumeTypeMistake(setting, '')).toBeUndefined()
  })

  it('name the type meant when only case or spaces differ', () => {
    expect(volumeTypeMistake('ebs_volumes', ' Standard')).toContain('did you mean "standard"?')
  })
})
