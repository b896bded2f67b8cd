/**
 * The first code `entra-login` runs, bundled as CommonJS (`dist/main.cjs`, required by the
 * CommonJS `bin/entra-login.js`): `token` on a cache hit is answered by `fast-token.ts`
 * (`dist/fast-token.cjs`, also CommonJS) without Node's ESM loader or the CLI being loaded;
 * everything else, and any doubt, imports the CLI (`dist/entra-login.js`, ESM, `main.ts`).
 */
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { fastToken as FastToken } from './fast-token.js'

/**
 * Node's on-disk compile cache (Node ≥ 22.1; a no-op where Node lacks it, such as Node 20): later
 * starts skip compiling our bundles. In the user's own cache folder, never a shared temp folder
 * where another user could plant entries.
 */
function enableCompileCache(): void {
  const mod = require('node:module') as { enableCompileCache?: (dir?: string) => unknown }
  if (typeof mod.enableCompileCache !== 'function') return
  const base =
    process.platform === 'win32'
      ? process.env.LOCALAPPDATA
      : process.platform === 'darwin'
        ? join(homedir(), 'Library', 'Caches')
        : process.env.XDG_CACHE_HOME || join(homedir(), '.cache')
  if (base) mod.enableCompileCache(join(base, 'entra-login', 'compile-cache'))
}

async function start(): Promise<void> {
  enableCompileCache()
  const argv = process.argv.slice(2)
  if (argv[0] === 'token') {
    // Built as its own bundle beside this one; `require` keeps it out of other commands' start-up.
    const { fastToken } = require('./fast-token.cjs') as { fastToken: typeof FastToken }
    const cached = await fastToken(argv, { ...process.env }, Date.now)
    if (cached !== undefined) {
      process.stdout.write(`${cached}\n`, () => process.exit(0))
      return
    }
  }
  // The CLI's ESM bundle beside this one (a variable: neither bundled here nor resolved by tsc).
  const cli = './entra-login.js'
  await import(cli)
}

void start()
