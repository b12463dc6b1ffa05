// Loaded with `node --import` before the action, by the bench and the tests: when the process
// exits, writes to the file named by DIST_LOADED_FILE, as JSON, the paths of the files it loaded
// as modules (`modules`, seen by a module loader hook, whether imported or required) and of
// those it read as data with fs's readFile or readFileSync (`read`, such as the HCL parser's
// WebAssembly). The reader picks out those of dist/: what a run of the action loads of it.
import fs, { writeFileSync } from 'node:fs'
import fsPromises from 'node:fs/promises'
import module, { syncBuiltinESMExports } from 'node:module'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const file = process.env.DIST_LOADED_FILE
if (file) {
  const modules = new Set()
  const read = new Set()
  // Node 22.15 and 24 have module.registerHooks, whose hooks run in this thread.
  if (typeof module.registerHooks !== 'function') throw new Error(`scripts/dist-loaded.mjs needs Node 22.15 or later, not ${process.version}`)
  module.registerHooks({
    load(url, context, nextLoad) {
      if (url.startsWith('file:')) modules.add(fileURLToPath(url))
      return nextLoad(url, context)
    }
  })
  // A path given as a string or a file: URL; a file descriptor or handle names no file.
  const remember = (path) => {
    if (typeof path === 'string') read.add(resolve(path))
    else if (path instanceof URL && path.protocol === 'file:') read.add(fileURLToPath(path))
  }
  const readFile = fsPromises.readFile
  fsPromises.readFile = function (path, ...rest) {
    remember(path)
    return readFile.call(this, path, ...rest)
  }
  const readFileSync = fs.readFileSync
  fs.readFileSync = function (path, ...rest) {
    remember(path)
    return readFileSync.call(this, path, ...rest)
  }
  const readFileCallback = fs.readFile
  fs.readFile = function (path, ...rest) {
    remember(path)
    return readFileCallback.call(this, path, ...rest)
  }
  syncBuiltinESMExports()
  process.on('exit', () => writeFileSync(file, JSON.stringify({ modules: [...modules], read: [...read] })))
}
