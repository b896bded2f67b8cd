// A preload for `node --require`: appends every module the process resolves to the file named by
// MODULE_LOG, one per line: CommonJS through Module._resolveFilename (the entry point included),
// ESM (static and dynamic imports, chunks) through a resolve hook registered with module.register.
// Used by test/e2e/cache-hit-modules.test.ts to see whether a run loads MSAL.
'use strict'
const { appendFileSync } = require('node:fs')
const Module = require('node:module')
const { pathToFileURL } = require('node:url')

const file = process.env.MODULE_LOG
if (!file) throw new Error('module-log.cjs: set MODULE_LOG to the log file')

const resolveFilename = Module._resolveFilename
Module._resolveFilename = function (...args) {
  const resolved = resolveFilename.apply(this, args)
  appendFileSync(file, `${resolved}\n`)
  return resolved
}
Module.register(pathToFileURL(require.resolve('./module-log-hooks.mjs')).href, { data: { file } })
