/** Issue 12 (5): which requests NO_PROXY exempts, and the proxy named in messages. */
import { describe, expect, it } from 'vitest'
import { bypassesProxy, proxyFor, proxySettings } from '../../src/proxy.js'

describe('issue 12 (5): NO_PROXY as curl reads it', () => {
  it.each([
    ['https://login.microsoftonline.com/x', 'microsoftonline.com', true],
    ['https://login.microsoftonline.com/x', '.microsoftonline.com', true],
    ['https://login.microsoftonline.com/x', '*.microsoftonline.com', true],
    ['https://login.microsoftonline.com/x', 'online.com', false],
    ['https://127.0.0.1:8443/x', '127.0.0.1', true],
    ['https://127.0.0.1:8443/x', '127.0.0.1:8443', true],
    ['https://127.0.0.1:8443/x', '127.0.0.1:443', false],
    ['https://[::1]:8443/x', '::1', true],
    ['https://localhost/x', 'example.com, localhost', true],
    ['https://graph.microsoft.com/v1.0/me', '*', true],
    ['https://graph.microsoft.com/v1.0/me', '', false],
  ])('%s with NO_PROXY=%j: bypass %s', (url, noProxy, expected) => {
    expect(bypassesProxy(new URL(url), noProxy)).toBe(expected)
  })

  it('loopback goes through the proxy unless NO_PROXY names it; credentials never appear in messages', () => {
    const p = proxySettings({ HTTPS_PROXY: 'http://user:pw@proxy.corp:3128' })
    expect(proxyFor('https://127.0.0.1:8443/x', p)).toBe('http://proxy.corp:3128')
    expect(proxyFor('https://graph.microsoft.com/v1.0/me', p)).toBe('http://proxy.corp:3128')
    expect(
      proxyFor(
        'https://127.0.0.1:8443/x',
        proxySettings({ HTTPS_PROXY: 'http://p:1', NO_PROXY: '127.0.0.1' }),
      ),
    ).toBe(undefined)
  })

  it('lower-case variables win over upper-case ones; HTTP_PROXY covers https without HTTPS_PROXY; none set is no proxy', () => {
    expect(proxySettings({ https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:1' })).toEqual({
      httpsProxy: 'http://a:1',
      httpProxy: undefined,
      noProxy: undefined,
    })
    expect(proxyFor('https://x.example/', proxySettings({ HTTP_PROXY: 'http://c:1' }))).toBe('http://c:1')
    expect(proxySettings({ PATH: '/bin' })).toBeUndefined()
  })
})
