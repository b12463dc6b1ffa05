import js from '@eslint/js'
import tseslint from 'typescript-eslint'

// The job's stages in order: a stage may use what an earlier one made, never a later one.
const stages = ['inputs', 'install', 'plugins', 'packer', 'artifacts', 'aws', 'report']
const stageOrder = stages.map((stage, index) => ({
  files: [`src/${stage}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: stages.slice(index + 1).map((later) => ({
          group: [`../${later}/*`],
          message: `src/${stage}/ runs before src/${later}/ in the job, so it may not import from it.`
        }))
      }
    ]
  }
}))

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', setInterval: 'readonly', console: 'readonly' }
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  },
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }]
    }
  },
  {
    // A function that does not fit on a screen does more than one thing.
    files: ['src/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }] }
  },
  ...stageOrder
)
