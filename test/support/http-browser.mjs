#!/usr/bin/env node
// A minimal stand-in for a web browser, for tests: the CLI runs it with its launch page (a file:// URL, or
// a plain path) as its only argument. Like a browser it reads the page and goes where its meta refresh
// points (the authorize URL); an http(s) argument is opened directly. It GETs the URL, follows up to 10
// redirects (absolute or relative Location), and stops at the first response that is not a redirect.
// No cookies, no scripts, no forms (a form_post page is the end).
//
// TLS: the test CA reaches it through NODE_EXTRA_CA_CERTS inherited from the parent process.
//
// Env: HTTP_BROWSER_PROXY=http://127.0.0.1:<port> sends every https request through that CONNECT proxy
// (TLS end to end, SNI and Host the URL's own name), as a browser set up with a proxy does: how the
// national-cloud tests reach `login.microsoftonline.us` & co. without DNS (the proxy maps the names to
// the stand-in). It is its own variable, not HTTPS_PROXY: the CLI's proxy settings, which the CLI passes
// on to the browser, must not reroute this browser in the proxy tests. http (the loopback) goes direct.
//
// Env: HTTP_BROWSER_DUMP=<file> appends one JSON line per run:
//   { argv, cmdline, env, launchFile, chain: [{ url, status }], finalStatus, finalBody, error? }
// cmdline is /proc/self/cmdline split at NUL (what any local user can read; null off Linux), launchFile
// { path, mode: "600", url } when the argument was a launch page (mode in octal, as read by this process).
// Exit status: 0 when a final response arrived (whatever its status), 1 on a network error, a launch page
// without a refresh URL, or a redirect loop (the error goes to stderr).
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import tls from 'node:tls'
import { fileURLToPath } from 'node:url'

const MAX_REDIRECTS = 10
const MAX_BODY = 1024 * 1024
const TIMEOUT_MS = 15_000
const REDIRECTS = new Set([301, 302, 303, 307, 308])

/**
 * A TLS socket to `url`'s host through the CONNECT proxy at `proxy`.
 * @param {URL} url
 * @param {string} proxy
 * @returns {Promise<import('node:tls').TLSSocket>}
 */
function tunnel(url, proxy) {
  const p = new URL(proxy)
  const target = `${url.hostname}:${url.port || 443}`
  return new Promise((resolve, reject) => {
    const req = http.request({ host: p.hostname, port: p.port, method: 'CONNECT', path: target })
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`proxy timeout: ${target}`)))
    req.on('error', reject)
    req.on('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy()
        reject(new Error(`proxy answered ${res.statusCode} for ${target}`))
        return
      }
      const secure = tls.connect({ socket, servername: url.hostname })
      secure.once('secureConnect', () => resolve(secure))
      secure.once('error', reject)
    })
    req.end()
  })
}

/**
 * @param {URL} url
 * @returns {Promise<{ status: number, location: string | undefined, body: string }>}
 */
async function get(url) {
  const client = url.protocol === 'https:' ? https : http
  const proxy = process.env.HTTP_BROWSER_PROXY
  const socket = url.protocol === 'https:' && proxy ? await tunnel(url, proxy) : undefined
  return new Promise((resolve, reject) => {
    const req = client.get(url, {
      headers: { 'user-agent': 'entra-login-test-browser/1.0', accept: 'text/html,*/*' },
      ...(socket ? { createConnection: () => socket, defaultPort: 443 } : {}),
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

/** @param {string} text */
function unescapeHtml(text) {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

/**
 * Reads a launch page (file:// URL or path) and returns where its meta refresh points.
 * @param {string} arg
 */
function readLaunchPage(arg) {
  const path = arg.startsWith('file:') ? fileURLToPath(arg) : arg
  const mode = (statSync(path).mode & 0o777).toString(8)
  const html = readFileSync(path, 'utf8')
  const m = /<meta http-equiv="refresh" content="0; url=([^"]+)">/.exec(html)
  if (!m?.[1]) throw new Error(`no meta refresh in the launch page ${path}`)
  return { path, mode, url: unescapeHtml(m[1]) }
}

async function main() {
  const arg = process.argv[2]
  /** @type {{ url: string, status: number }[]} */
  const chain = []
  const cmdline = existsSync('/proc/self/cmdline')
    ? readFileSync('/proc/self/cmdline', 'utf8').split('\0').slice(0, -1)
    : null
  /** @type {Record<string, unknown>} */
  const dump = {
    argv: process.argv.slice(2),
    cmdline,
    env: process.env,
    launchFile: null,
    chain,
    finalStatus: null,
    finalBody: null,
  }
  let exitCode = 0
  try {
    if (!arg) throw new Error('usage: http-browser.mjs <launch page | url>')
    let start = arg
    if (!/^https?:/i.test(arg)) {
      const page = readLaunchPage(arg)
      dump.launchFile = page
      start = page.url
    }
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
