// Bundles the CLI (and the demo runner) into single ESM files under dist/.
// One file roughly halves start-up compared with loading msal-node's 120+ ESM modules.
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

await build({ ...common, entryPoints: { 'entra-login': 'src/main.ts' }, outdir: 'dist' })
// The demo bundles the test stand-in (a dev dependency, present after `npm ci`).
await build({
  ...common,
  entryPoints: { demo: 'scripts/demo.ts', bench: 'scripts/bench.ts' },
  outdir: 'dist',
}).catch((err) => {
  if (!process.env.npm_lifecycle_event?.startsWith('prepare')) throw err
  console.warn('demo not built (dev dependencies missing?):', err.message)
})
