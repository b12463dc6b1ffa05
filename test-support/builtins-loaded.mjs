// Loaded with `node --import` before the action: when the process exits, writes to the file
// named by BUILTINS_LOADED_FILE, as JSON, which Node built-ins it had loaded when it started
// `packer validate` (`beforeValidate`, what the job waits for before Packer starts), and which it
// loaded after the last `packer build` it started had exited (`afterBuild`, what the job waits
// for once Packer is done); null for a Packer command it did not run.
import childProcess from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'

const file = process.env.BUILTINS_LOADED_FILE
if (file) {
  let beforeValidate = null
  let builtAt
  const spawn = childProcess.spawn
  childProcess.spawn = function (command, args, ...rest) {
    if (Array.isArray(args) && args[0] === 'validate') beforeValidate ??= [...process.moduleLoadList]
    const child = spawn.call(this, command, args, ...rest)
    if (Array.isArray(args) && args[0] === 'build') child.on('exit', () => (builtAt = process.moduleLoadList.length))
    return child
  }
  syncBuiltinESMExports()
  process.on('exit', () => {
    const afterBuild = builtAt === undefined ? null : process.moduleLoadList.slice(builtAt)
    writeFileSync(file, JSON.stringify({ beforeValidate, afterBuild }))
  })
}
