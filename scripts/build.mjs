// Bundles the CLI (and the demo and bench runners) into ESM files under dist/.
// A few bundled chunks roughly halve start-up compared with loading msal-node's 120+ ESM modules.
import { copyFile, rm } from 'node:fs/promises'
import { build } from 'esbuild'

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  // Native addon, and libraries only some commands load (dynamic imports): from node_modules at
  // run time, so other commands never parse them. `open` stays bundled: from node_modules it
  // would run its own copy of xdg-open instead of the one on PATH.
  external: [
    '@napi-rs/keyring',
    '@inquirer/password',
    '@inquirer/input',
    '@inquirer/confirm',
    'yocto-spinner',
  ],
  // Some bundled CommonJS (msal's deps) calls require(); give ESM output a real one.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: 'warning',
}

// The CLI and the library are one build, split at their dynamic imports (MSAL, login's run, doctor's checks,
// undici): `token` on a cache hit, `--help` and `status` parse only the small main chunk, and the library
// (`import { EntraLoginCredential } from 'entra-login'`, package.json `exports`) shares MSAL's and undici's
// chunks with the CLI instead of shipping its own copies. `@azure/identity` (the library's optional peer) is
// never bundled: the host's copy is loaded when an error is thrown. Whitespace and syntax are minified (less
// to parse at every start); names are kept, so `--debug` stack traces stay readable.
await rm('dist/chunks', { recursive: true, force: true })
const split = await build({
  ...common,
  external: [...common.external, '@azure/identity'],
  entryPoints: { 'entra-login': 'src/main.ts', lib: 'src/lib.ts' },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  minifyWhitespace: true,
  minifySyntax: true,
  metafile: true,
})
/** The shared ESM chunk holding undici (the proxy agent), as `./chunks/undici-<hash>.js`. */
const undiciChunk = Object.keys(split.metafile.outputs).find((o) =>
  /^dist\/chunks\/undici-[^/]+\.js$/.test(o),
)
if (undiciChunk === undefined) throw new Error('build: no undici chunk in dist/chunks')
// What `bin/entra-login.js` (CommonJS) runs first, and `token`'s cache-hit path: CommonJS bundles,
// so a cache hit never starts Node's ESM loader (about 15 ms of a 50 ms start on these machines).
const cjs = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  minifyWhitespace: true,
  minifySyntax: true,
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  logLevel: 'warning',
}
await build({
  ...cjs,
  entryPoints: { main: 'src/fast-main.ts' },
  external: ['./fast-token.cjs', './entra-login.js'],
})
await build({ ...cjs, entryPoints: { 'fast-token': 'src/fast-token.ts' }, external: ['@napi-rs/keyring'] })
// The library for `require('entra-login')`: one CommonJS file. msal-node is required from node_modules (a
// dependency) when a refresh needs it; undici (bundled, not a dependency) is the ESM chunk above, imported
// only when a proxy is set (a dynamic import() works from CommonJS).
await build({
  ...cjs,
  entryPoints: { lib: 'src/lib.ts' },
  external: ['@napi-rs/keyring', '@azure/identity', '@azure/msal-node'],
  plugins: [
    {
      name: 'undici-chunk',
      setup(b) {
        b.onResolve({ filter: /^undici$/ }, () => ({
          path: `./${undiciChunk.slice('dist/'.length)}`,
          external: true,
        }))
      },
    },
  ],
})
await copyFile('types/lib.d.ts', 'dist/lib.d.ts')
await copyFile('types/lib.d.ts', 'dist/lib.d.cts')
// The demo bundles the test stand-in (a dev dependency, present after `npm ci`).
await build({
  ...common,
  entryPoints: { demo: 'scripts/demo.ts', bench: 'scripts/bench.ts' },
  outdir: 'dist',
}).catch((err) => {
  if (!process.env.npm_lifecycle_event?.startsWith('prepare')) throw err
  console.warn('demo not built (dev dependencies missing?):', err.message)
})
