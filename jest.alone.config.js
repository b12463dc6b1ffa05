// The tests that measure the action's process (its peak memory) run on their own, after the
// rest: on a shared machine, test files running beside them move the figures they assert.
import base from './jest.config.js'

/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: ['**/__tests__/alone/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/']
}
