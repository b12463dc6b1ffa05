// Loaded with `node --import` before the action: when the process exits, writes to the file
// named by BUILTINS_AFTER_BUILD_FILE, as JSON, the Node built-ins it loaded after the last
// `packer build` it started had exited. What loads then, the job waits for; what the job needs
// after the build loads while Packer builds.
import childProcess from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'

const file = process.env.BUILTINS_AFTER_BUILD_FILE
if (file) {
  let builtAt
  const spawn = childProcess.spawn
  childProcess.spawn = function (command, args, ...rest) {
    const child = spawn.call(this, command, args, ...rest)
    if (Array.isArray(args) && args[0] === 'build') child.on('exit', () => (builtAt = process.moduleLoadList.length))
    return child
  }
  syncBuiltinESMExports()
  process.on('exit', () => {
    const loaded = builtAt === undefined ? null : process.moduleLoadList.slice(builtAt)
    writeFileSync(file, JSON.stringify(loaded))
  })
}
