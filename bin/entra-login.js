#!/usr/bin/env node
// CommonJS (bin/package.json): `token` on a cache hit is answered without Node's ESM loader.
require('../dist/main.cjs')
