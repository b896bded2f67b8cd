/**
 * Constants and small helpers shared by the endpoint files.
 *
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'

export const GRAPH_RESOURCE = 'https://graph.microsoft.com'
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000'
/** What `https://graph.microsoft.com/.default` (or no resource scope at all) grants. */
export const GRAPH_CONSENTED_SCOPES = ['User.Read']
/** Graph scopes that allow reading `/me`. */
export const ME_SCOPES = new Set([
  'User.Read',
  'User.ReadWrite',
  'User.ReadBasic.All',
  'User.Read.All',
  'User.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
])
export const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access'])
const MAX_BODY = 1024 * 1024

export function isGuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)
}

export function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url')
}

export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url')
}

/** A secret that looks like one from the Entra portal: 40 characters, `~` at index 3. */
export function randomClientSecret(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-'
  const pick = (n: number) =>
    Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length])
      .join('')
      .replace(/^[-.]/, 'x')
  return `${pick(2)}8Q~${pick(36)}`
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

export function sha256b64url(s: string): string {
  return createHash('sha256').update(s, 'ascii').digest('base64url')
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a)
  const bb = Buffer.from(b)
  return ab.length === bb.length && timingSafeEqual(ab, bb)
}

/** Applies a merge object where `undefined` values delete keys. */
export function mergeOver(target: Record<string, unknown>, over: Record<string, unknown> | null): void {
  if (!over) return
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete target[k]
    else target[k] = v
  }
}

export function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY) {
        reject(new Error('request body too large'))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

/** Sends `body` as JSON with Entra's no-cache headers (`extra` overrides them). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store, no-cache',
    pragma: 'no-cache',
    ...extra,
  })
  res.end(JSON.stringify(body))
}
