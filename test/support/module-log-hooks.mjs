// ESM resolve hook for test/support/module-log.cjs (runs on Node's hooks thread): appends each
// resolved URL to the log file handed over by register().
import { appendFileSync } from 'node:fs'

let file = ''

export function initialize(data) {
  file = data.file
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context)
  appendFileSync(file, `${resolved.url}\n`)
  return resolved
}
