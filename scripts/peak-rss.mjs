// Loaded with `node --import` before the action, by the tests and the bench: when the process
// exits, writes its peak resident set size in bytes (getrusage's ru_maxrss, this process only)
// to the file named by PEAK_RSS_FILE. Peak RSS is what a runner runs out of, not the JS heap.
import { writeFileSync } from 'node:fs'

const file = process.env.PEAK_RSS_FILE
if (file) {
  process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)))
}
