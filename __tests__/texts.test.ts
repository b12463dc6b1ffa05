import { describe, expect, it } from '@jest/globals'
import { plural } from '../src/report/texts.js'

describe('plural', () => {
  it('counts a noun, with an s unless the count is 1', () => {
    expect(plural(1, 'AMI')).toBe('1 AMI')
    expect(plural(0, 'AMI')).toBe('0 AMIs')
    expect(plural(3, 'AMI')).toBe('3 AMIs')
  })

  it('follows the count with the verb that agrees with it', () => {
    expect(plural(1, 'AMI', ['is', 'are'])).toBe('1 AMI is')
    expect(plural(3, 'AMI', ['is', 'are'])).toBe('3 AMIs are')
    expect(plural(1, 'AMI', ['that is', 'that are'])).toBe('1 AMI that is')
  })
})
