// The testResultsProcessor that npm test (scripts/test.mjs) gives each run of jest: it writes how
// many tests ran to the file NPM_TEST_RAN_FILE names, and passes the results on as they are.
import { writeFileSync } from 'node:fs'

export default function testsRan(results) {
  const file = process.env.NPM_TEST_RAN_FILE
  if (file) writeFileSync(file, String(results.numPassedTests + results.numFailedTests))
  return results
}
