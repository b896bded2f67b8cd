#!/usr/bin/env node
// A minimal stand-in for a web browser, for tests: the CLI runs it with the authorize URL as its only
// argument. It GETs the URL, follows up to 10 redirects (absolute or relative Location), and stops at the
// first response that is not a redirect. No cookies, no scripts, no forms (a form_post page is the end).
//
// TLS: the test CA reaches it through NODE_EXTRA_CA_CERTS inherited from the parent process.
//
// Env: HTTP_BROWSER_DUMP=<file> appends one JSON line per run:
//   { argv, env, chain: [{ url, status }], finalStatus, finalBody, error? }
// Exit status: 0 when a final response arrived (whatever its status), 1 on a network error or a redirect
// loop (the error goes to stderr).
import { appendFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'

const MAX_REDIRECTS = 10
const MAX_BODY = 1024 * 1024
const TIMEOUT_MS = 15_000
const REDIRECTS = new Set([301, 302, 303, 307, 308])

/**
 * @param {URL} url
 * @returns {Promise<{ status: number, location: string | undefined, body: string }>}
 */
function get(url) {
  const client = url.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    const req = client.get(url, {
      headers: { 'user-agent': 'entra-login-test-browser/1.0', accept: 'text/html,*/*' },
    })
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`timeout after ${TIMEOUT_MS} ms: ${url.href}`)))
    req.on('error', reject)
    req.on('response', (res) => {
      const chunks = []
      let size = 0
      res.on('data', (chunk) => {
        size += chunk.length
        if (size <= MAX_BODY) chunks.push(chunk)
      })
      res.on('error', reject)
      res.on('end', () => {
        const location = res.headers.location
        resolve({ status: res.statusCode ?? 0, location, body: Buffer.concat(chunks).toString('utf8') })
      })
    })
  })
}

async function main() {
  const start = process.argv[2]
  /** @type {{ url: string, status: number }[]} */
  const chain = []
  const dump = { argv: process.argv.slice(2), env: process.env, chain, finalStatus: null, finalBody: null }
  let exitCode = 0
  try {
    if (!start) throw new Error('usage: http-browser.mjs <url>')
    let url = new URL(start)
    for (let hops = 0; ; hops++) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new Error(`unsupported URL: ${url.href}`)
      const res = await get(url)
      chain.push({ url: url.href, status: res.status })
      if (REDIRECTS.has(res.status) && res.location) {
        if (hops >= MAX_REDIRECTS) throw new Error(`too many redirects (more than ${MAX_REDIRECTS})`)
        url = new URL(res.location, url)
        continue
      }
      dump.finalStatus = res.status
      dump.finalBody = res.body
      break
    }
  } catch (e) {
    exitCode = 1
    const message = e instanceof Error ? e.message : String(e)
    const cause = e instanceof Error && e.cause instanceof Error ? ` (${e.cause.message})` : ''
    process.stderr.write(`http-browser: ${message}${cause}\n`)
    Object.assign(dump, { error: message })
  }
  const dumpFile = process.env.HTTP_BROWSER_DUMP
  if (dumpFile) appendFileSync(dumpFile, `${JSON.stringify(dump)}\n`)
  process.exitCode = exitCode
}

await main()
