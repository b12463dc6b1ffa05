import { describe, expect, it } from '@jest/globals'
import { packerDebugLog, shownArguments } from '../src/packer/commands.js'

describe('packerDebugLog', () => {
  it("turns Packer's debug log on for a run with the runner's debug logging, unless the step sets PACKER_LOG itself", () => {
    expect(packerDebugLog(true, {})).toEqual({ PACKER_LOG: '1' })
    expect(packerDebugLog(false, {})).toEqual({})
    expect(packerDebugLog(true, { PACKER_LOG: '0' })).toEqual({})
    expect(packerDebugLog(true, { PACKER_LOG: '1' })).toEqual({})
  })
})

describe('shownArguments', () => {
  it("leaves each -var's value out, and shows the rest as given", () => {
    const args = ['build', '-machine-readable', '-var-file=secret.pkrvars.hcl', '-var', 'token=a=b\nc', '-var', 'region=us-east-1', 'ami.pkr.hcl']
    expect(shownArguments(args)).toBe('build -machine-readable -var-file=secret.pkrvars.hcl -var token=… -var region=… ami.pkr.hcl')
  })
})
