// Jest runs the TypeScript sources as ES modules (the @actions/* toolkit is ESM-only).
/** @type {import('jest').Config} */
export default {
  // Node's, with a watchdog that ends what the tests started when jest ends (Ctrl-C included).
  testEnvironment: '<rootDir>/__tests__/support/test-environment.mjs',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
    // GitHub's parser imports its schema JSON without an import attribute: add it.
    '/node_modules/@actions/workflow-parser/.+\\.js$': '<rootDir>/__tests__/support/json-import-attributes.cjs'
  },
  transformIgnorePatterns: ['/node_modules/(?!@actions/workflow-parser/)'],
  globalSetup: '<rootDir>/__tests__/support/global-setup.ts',
  globalTeardown: '<rootDir>/__tests__/support/global-teardown.ts',
  testMatch: ['**/__tests__/**/*.test.ts'],
  // __tests__/alone/ runs after the rest, by itself (jest.alone.config.js).
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/__tests__/alone/'],
  collectCoverageFrom: ['src/**/*.ts'],
  testTimeout: 60000
}
