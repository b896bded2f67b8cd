/**
 * The end-session endpoint, `/{tenant}/oauth2/v2.0/logout`: back to a registered
 * `post_logout_redirect_uri` (with `state`), else a "signed out" page.
 *
 * @module
 */
import { isRegisteredRedirectUri, type RequestContext, type StandInState } from './state.js'

/** `logout`. */
export function handleLogout(s: StandInState, { res, query }: RequestContext): void {
  const post = query.post_logout_redirect_uri
  if (post !== undefined && isRegisteredRedirectUri(s, post)) {
    const state = query.state === undefined ? '' : `?state=${encodeURIComponent(query.state)}`
    res.writeHead(302, { location: `${post}${state}`, 'content-length': '0' })
    res.end()
  } else {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end('<!DOCTYPE html><html><body><h1>You signed out of your account</h1></body></html>\n')
  }
}
