import { describe, expect, it } from 'vitest'
import { hintFor, idLines, parseIdpError, summary } from '../../src/auth/hints.js'
import { escapeHtml } from '../../src/auth/pages.js'
import { parseRetryAfter } from '../../src/http.js'
import { sanitize, sanitizeLines, toJson } from '../../src/io.js'
import { Redactor } from '../../src/redact.js'

describe('README Security › Secrets: server-supplied text (unit)', () => {
  it('sanitize shows control characters as escapes and cuts long text', () => {
    expect(sanitize('a\x1b]0;pwn\x07b\r\n')).toBe('a\\x1b]0;pwn\\x07b\\r\\n')
    expect(sanitize('x'.repeat(10), 4)).toBe('xxxx…')
  })

  it('escapeHtml escapes markup for the result pages', () => {
    expect(escapeHtml(`<script>alert("x")</script>&'`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;',
    )
  })
})

describe('README Security › Secrets: --debug redaction (unit)', () => {
  it('the Redactor removes registered secrets and secret-shaped values', () => {
    const r = new Redactor()
    r.add('super-secret-value')
    const text =
      'secret super-secret-value; code=abc123&state=xyz; "refresh_token":"rt-1"; Authorization: Bearer abc.def; eyJhbGciOi.eyJzdWIiOi.sig'
    const out = r.redact(text)
    expect(out).not.toContain('super-secret-value')
    expect(out).not.toContain('abc123')
    expect(out).not.toContain('rt-1')
    expect(out).not.toContain('abc.def')
    expect(out).not.toContain('eyJhbGciOi')
    expect(out).toContain('code=[redacted]')
  })
})

describe('README Security › Secrets: passwords in a logged Graph request body (unit)', () => {
  it('"password", "newPassword" and "currentPassword" values are redacted; other fields stay', () => {
    const r = new Redactor()
    expect(
      r.redact(
        'http:   request body: {"passwordProfile":{"password":"P@ss w0rd!"},"displayName":"Adele","newPassword":"n3w","currentPassword":"0ld"}',
      ),
    ).toBe(
      'http:   request body: {"passwordProfile":{"password":"[redacted]"},"displayName":"Adele","newPassword":"[redacted]","currentPassword":"[redacted]"}',
    )
  })
})

describe('README Security › AADSTS hints (unit)', () => {
  const body = {
    error: 'invalid_client',
    error_description: 'AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t\r\nCorrelation ID: c',
    error_codes: [7000215],
    trace_id: '11111111-1111-1111-1111-111111111111',
    correlation_id: '22222222-2222-2222-2222-222222222222',
  }
  it('parses an Entra error body into a one-line summary, its hint and the trace and correlation ids', () => {
    const e = parseIdpError(body)
    expect(e?.errorCodes).toEqual([7000215])
    expect(summary(e as NonNullable<typeof e>)).toBe(
      'invalid_client: AADSTS7000215: Invalid client secret provided.',
    )
    expect(hintFor([7000215])).toBe("use the client secret's Value, not its Secret ID")
    expect(idLines(e as NonNullable<typeof e>)[0]).toBe(
      'trace id: 11111111-1111-1111-1111-111111111111, correlation id: 22222222-2222-2222-2222-222222222222',
    )
  })
  it('without error_codes takes the AADSTS number from the description', () => {
    expect(
      parseIdpError({ error: 'invalid_grant', error_description: 'AADSTS700082: expired' })?.errorCodes,
    ).toEqual([700082])
    expect(parseIdpError({ nope: 1 })).toBeUndefined()
  })
})

describe('README Security › Faults: honouring Retry-After (unit)', () => {
  it('parseRetryAfter reads delta-seconds and HTTP dates (rounded up, never negative)', () => {
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT')
    expect(parseRetryAfter('7', now)).toBe(7)
    expect(parseRetryAfter(' 120 ', now)).toBe(120)
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:05 GMT', now)).toBe(5)
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:05 GMT', now + 500)).toBe(5)
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:27:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
  })
})

describe('README Security › Secrets: --debug redaction of cut-off JSON (unit)', () => {
  it('the Redactor redacts a secret whose string never closes', () => {
    const out = new Redactor().redact('{"access_token": "abc.def.ghi-SENTINEL')
    expect(out).not.toContain('SENTINEL')
    expect(out).toContain('"access_token":"[redacted]"')
  })
})

describe('README Security › Secrets: C1 controls and bidi overrides in server text (unit)', () => {
  const evil = 'a\u0085b\u009b31mc\u202ed\u2066e\u2069f\u007fg\u2028h'

  it('sanitize shows C1 and DEL as \\xNN, bidi controls and U+2028 as \\uNNNN', () => {
    expect(sanitize(evil)).toBe('a\\x85b\\x9b31mc\\u202ed\\u2066e\\u2069f\\x7fg\\u2028h')
    expect(sanitize('\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069')).toBe(
      '\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069',
    )
    expect(sanitize('é ü ✓ код \u00a0')).toBe('é ü ✓ код \u00a0')
  })

  it('sanitizeLines keeps the newlines and escapes the rest', () => {
    expect(sanitizeLines('x\u001b[31m\ny\u202e\n')).toBe('x\\x1b[31m\ny\\u202e\n')
  })

  it('toJson writes them as \\uXXXX: valid JSON that parses back to the same value', () => {
    const value = { name: evil, esc: '\u001b]0;x\u0007', plain: 'é ✓' }
    const text = toJson(value)
    expect(text).toBe(
      '{\n' +
        '  "name": "a\\u0085b\\u009b31mc\\u202ed\\u2066e\\u2069f\\u007fg\\u2028h",\n' +
        '  "esc": "\\u001b]0;x\\u0007",\n' +
        '  "plain": "é ✓"\n' +
        '}\n',
    )
    expect(JSON.parse(text)).toEqual(value)
  })
})

describe('README Security › Secrets: every encoded form of a known secret is redacted (unit)', () => {
  it('redacts the raw, percent-encoded, form-encoded and JSON-escaped forms, wherever they stand', () => {
    const r = new Redactor()
    r.add("ab+cd'efgh1234XYZ")
    r.add('Pa ss&w=rd%41"q\\z~Tail9K')
    expect(r.redact("client_secret=ab%2Bcd'efgh1234XYZ&grant_type=x")).toBe(
      'client_secret=[redacted]&grant_type=x',
    )
    expect(r.redact("a ab+cd'efgh1234XYZ b ab%2Bcd'efgh1234XYZ c ab%2Bcd%27efgh1234XYZ d")).toBe(
      'a [redacted] b [redacted] c [redacted] d',
    )
    expect(
      r.redact(
        '{"s":"Pa ss&w=rd%41\\"q\\\\z~Tail9K"} Pa+ss%26w%3Drd%2541%22q%5Cz%7ETail9K Pa%20ss%26w%3Drd%2541%22q%5Cz~Tail9K !',
      ),
    ).toBe('{"s":"[redacted]"} [redacted] [redacted] !')
  })

  it('a secret-bearing parameter is redacted up to the next & even when its value holds a quote', () => {
    expect(new Redactor().redact("x code=ab'cd'ef&state=q'r y")).toBe('x code=[redacted]&state=[redacted] y')
  })
})
