// Loaded with `node --import` before the action, by the tests and the bench: when the process
// exits, writes its peak resident set size in bytes (getrusage's ru_maxrss, this process only)
// to the file named by PEAK_RSS_FILE. Peak RSS is what a runner runs out of, not the JS heap.
// With CPU_TIME_FILE, it also writes there the CPU time the process used, user and system, in
// microseconds: on a runner with 2 CPUs, that is CPU that Packer does not get.
import { writeFileSync } from 'node:fs'

const file = process.env.PEAK_RSS_FILE
const cpuFile = process.env.CPU_TIME_FILE
if (file || cpuFile) {
  process.on('exit', () => {
    const usage = process.resourceUsage()
    if (file) writeFileSync(file, String(usage.maxRSS * 1024))
    if (cpuFile) writeFileSync(cpuFile, String(usage.userCPUTime + usage.systemCPUTime))
  })
}
