/**
 * The run of `entra-login graph` (loaded when the command runs): everything the command line says
 * is checked first (method, headers, URL, scopes, body: exit 2 before any request), then the token
 * (`TokenService.silent`, as `token` and `whoami` get it), then the request through HttpClient
 * (its 429/502/503/504 retries), one forced refresh and retry after a 401, and `--all`'s pages.
 */
import { readFile } from 'node:fs/promises'
import { usageError } from '../errors.js'
import {
  allPages,
  checkBody,
  checkGraphScopes,
  foreignLink,
  graphFailure,
  graphHeaders,
  graphMethod,
  graphRequestUrl,
  onGraphOrigin,
  printableAnswer,
} from '../graph-request.js'
import { GRAPH_MAX_BYTES, type HttpResponse } from '../http.js'
import { readAll, sanitize, toJson, writeOut } from '../io.js'
import { DEFAULT_SCOPES } from '../validate.js'
import type { GraphOptions } from './graph.js'

/** The body `--body` names: the text itself, `@file` (the file's text) or `-` (standard input). */
async function readBody(o: GraphOptions, body: string): Promise<{ text: string; from: string }> {
  if (body === '-') {
    if (o.clientSecretStdin) {
      throw usageError(
        '--body - and --client-secret-stdin both read standard input',
        'give the body as @file, or the secret through ENTRA_CLIENT_SECRET or the keychain',
      )
    }
    return { text: await readAll(o.io.stdin), from: 'the --body from standard input' }
  }
  if (body.startsWith('@')) {
    const file = body.slice(1)
    const name = JSON.stringify(sanitize(file, 200))
    try {
      return { text: await readFile(file, 'utf8'), from: `the --body file ${name}` }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable'
      throw usageError(
        `cannot read the --body file ${name} (${code})`,
        'give @ and the path of a readable file',
      )
    }
  }
  return { text: body, from: '--body' }
}

/** Sends the request `o` describes and prints the answer. */
export async function graphRun(o: GraphOptions): Promise<void> {
  const method = graphMethod(o.method, o.body !== undefined)
  if (o.all && method !== 'GET') {
    throw usageError('--all follows the pages of a GET', 'drop --all, or the method')
  }
  const headers = graphHeaders(o.headers)
  const graphUrl = o.graphUrl()
  const url = graphRequestUrl(graphUrl, o.path, o.api, o.query)
  checkGraphScopes(o.scopes, graphUrl)
  let body: string | undefined
  if (o.body !== undefined) {
    const given = await readBody(o, o.body)
    body = checkBody(given.text, given.from, headers['content-type'])
    headers['content-type'] ??= 'application/json'
  }

  const tokens = o.tokens()
  const http = o.http()
  const scopes = o.scopes.length > 0 ? o.scopes : DEFAULT_SCOPES
  const acquire = async (forceRefresh: boolean) => {
    const { accessToken } = await tokens.silent({ scopes, forceRefresh })
    o.onToken(accessToken)
    return accessToken
  }
  let token: string | undefined
  let refreshed = false
  /** One request (the body with the first only: `--all` pages are GETs); never off the Graph origin. */
  const send = async (target: string, withBody: boolean): Promise<HttpResponse> => {
    if (!onGraphOrigin(target, graphUrl)) throw foreignLink(target, graphUrl)
    token ??= await acquire(false)
    const request = () =>
      http.send({
        method,
        url: target,
        headers: { ...headers, authorization: `Bearer ${token}` },
        ...(withBody && body !== undefined ? { body } : {}),
        maxBytes: GRAPH_MAX_BYTES,
      })
    let res = await request()
    if (res.status === 401 && !refreshed) {
      refreshed = true
      o.debug?.('graph: 401, refreshing the token once and retrying')
      token = await acquire(true)
      res = await request()
    }
    if (res.status < 200 || res.status >= 300) throw graphFailure(res, scopes)
    return res
  }

  const first = await send(url, true)
  const merged = o.all ? await allPages(first, (next) => send(next, false)) : undefined
  const text = merged === undefined ? printableAnswer(first, o.io.stdoutIsTTY) : toJson(merged)
  if (text !== '') await writeOut(o.io.stdout, text)
}
