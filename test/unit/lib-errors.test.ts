/**
 * The library's error mapping (src/lib-errors.ts), as a table: a failure of the token path (a
 * CliError's code, message, hint and detail lines) → the class the Azure SDK expects and its exact
 * message; the hints worded for the library; the look-alike classes against `@azure/identity`'s.
 */
import * as sdk from '@azure/identity'
import { describe, expect, it } from 'vitest'
import { CliError, type ErrorCode } from '../../src/errors.js'
import { EntraLoginCredential } from '../../src/lib.js'
import {
  AuthenticationError,
  CredentialUnavailableError,
  describeFailure,
  forLibrary,
  toError,
} from '../../src/lib-errors.js'
import { Redactor } from '../../src/redact.js'

const none = (text: string) => text

/** code, message, hint, details → the failure. */
const ROWS: [ErrorCode, string, string | undefined, string[], ReturnType<typeof describeFailure>][] = [
  [
    'NOT_SIGNED_IN',
    'not signed in',
    'run `entra-login login` to sign in',
    [],
    {
      kind: 'unavailable',
      message: 'EntraLoginCredential: not signed in; run `entra-login login` to sign in',
    },
  ],
  [
    'NOT_SIGNED_IN',
    'sign-in required: invalid_grant: AADSTS50173: The provided grant has expired due to it being revoked.',
    'the password was changed or the sessions were revoked: sign in again',
    ['trace id: t, correlation id: c'],
    {
      kind: 'unavailable',
      message:
        'EntraLoginCredential: sign-in required: invalid_grant: AADSTS50173: The provided grant has expired due to it being revoked.; the password was changed or the sessions were revoked: sign in again; run `entra-login login` to sign in again',
    },
  ],
  [
    'GRAPH_UNAUTHORIZED',
    'Microsoft Graph rejected the token: InvalidAuthenticationToken',
    undefined,
    [],
    {
      kind: 'unavailable',
      message:
        'EntraLoginCredential: Microsoft Graph rejected the token: InvalidAuthenticationToken; run `entra-login login` to sign in again',
    },
  ],
  [
    'SECRET_MISSING',
    'the cached token expired and a refresh needs the client secret, which is not set',
    'set ENTRA_CLIENT_SECRET, or store it once with `entra-login secret set`',
    [],
    {
      kind: 'unavailable',
      message:
        'EntraLoginCredential: the cached token expired and a refresh needs the client secret, which is not set; set ENTRA_CLIENT_SECRET, or store it once with `entra-login secret set`',
    },
  ],
  [
    'CERTIFICATE',
    'the private key in /app.pem is encrypted and no passphrase was given',
    'set ENTRA_CERTIFICATE_PASSWORD, or run on a terminal to be asked for it',
    [],
    {
      kind: 'unavailable',
      message:
        'EntraLoginCredential: the private key in /app.pem is encrypted and no passphrase was given; set ENTRA_CERTIFICATE_PASSWORD (the library never asks)',
    },
  ],
  [
    'USAGE',
    '2 accounts are signed in (adele@contoso.com, bob@contoso.com) and none is chosen',
    'choose one with --account <username>, or make one the default: `entra-login config set account <username>`',
    [],
    {
      kind: 'unavailable',
      message:
        'EntraLoginCredential: 2 accounts are signed in (adele@contoso.com, bob@contoso.com) and none is chosen; choose one with the `account` option, or make one the default: `entra-login config set account <username>`',
    },
  ],
  [
    'STORAGE',
    'the keychain is locked',
    'unlock it',
    [],
    { kind: 'unavailable', message: 'EntraLoginCredential: the keychain is locked; unlock it' },
  ],
  [
    'KEYCHAIN_DUPLICATE',
    'several keychain items',
    undefined,
    [],
    { kind: 'unavailable', message: 'EntraLoginCredential: several keychain items' },
  ],
  [
    'IDP_ERROR',
    'the client secret was refused (AADSTS7000215: invalid client secret)',
    'the secret came from the environment variable ENTRA_CLIENT_SECRET',
    ['trace id: t, correlation id: c'],
    {
      kind: 'authentication',
      statusCode: 400,
      error: 'IDP_ERROR',
      description:
        'EntraLoginCredential: the client secret was refused (AADSTS7000215: invalid client secret); the secret came from the environment variable ENTRA_CLIENT_SECRET; trace id: t, correlation id: c',
    },
  ],
  [
    'INVALID_TOKEN_RESPONSE',
    'the token response has no access token',
    undefined,
    [],
    {
      kind: 'authentication',
      statusCode: 400,
      error: 'INVALID_TOKEN_RESPONSE',
      description: 'EntraLoginCredential: the token response has no access token',
    },
  ],
  [
    'NETWORK',
    'cannot reach the identity provider',
    'check your network connection and --authority',
    [],
    {
      kind: 'authentication',
      statusCode: 0,
      error: 'NETWORK',
      description:
        'EntraLoginCredential: cannot reach the identity provider; check your network connection and --authority',
    },
  ],
  [
    'THROTTLED',
    'the identity provider is throttling',
    undefined,
    [],
    {
      kind: 'authentication',
      statusCode: 0,
      error: 'THROTTLED',
      description: 'EntraLoginCredential: the identity provider is throttling',
    },
  ],
]

describe('issue 13 (1): a token-path failure → the Azure SDK error (the table)', () => {
  for (const [code, message, hint, details, expected] of ROWS) {
    it(`${code}: ${message}`, () => {
      const err = new CliError(code, message, { hint, details })
      expect(describeFailure(err, {}, none)).toEqual(expected)
    })
  }

  it('not a CliError (a bug): AuthenticationError, INTERNAL, status 0, its message redacted', () => {
    const redactor = new Redactor()
    redactor.add('s3cret-value-123')
    expect(
      describeFailure(new TypeError('boom near s3cret-value-123'), {}, (t) => redactor.redact(t)),
    ).toEqual({
      kind: 'authentication',
      statusCode: 0,
      error: 'INTERNAL',
      description: 'EntraLoginCredential: unexpected error: boom near [redacted]',
    })
  })

  it('never a secret or token in a message: the run’s redactor and the token shapes', () => {
    const redactor = new Redactor()
    redactor.add('Abc8Q~the-client-secret')
    const err = new CliError('IDP_ERROR', 'refused Abc8Q~the-client-secret', {
      hint: 'Bearer eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl',
    })
    expect(describeFailure(err, {}, (t) => redactor.redact(t))).toEqual({
      kind: 'authentication',
      statusCode: 400,
      error: 'IDP_ERROR',
      description: 'EntraLoginCredential: refused [redacted]; Bearer [redacted]',
    })
  })
})

describe('issue 13 (1): hints worded for the library', () => {
  const rows: [string, { profile?: string; home?: string }, string][] = [
    ['run `entra-login login` to sign in', {}, 'run `entra-login login` to sign in'],
    [
      'run `entra-login login` to sign in',
      { profile: 'work' },
      'run `entra-login login --profile work` to sign in',
    ],
    [
      'run `entra-login login` to sign in',
      { profile: 'work', home: '/home/ada/my logins' },
      "run `ENTRA_LOGIN_HOME='/home/ada/my logins' entra-login login --profile work` to sign in",
    ],
    [
      'create it with `entra-login login --profile later`; `entra-login profile list` shows the profiles',
      { profile: 'later', home: '/h' },
      'create it with `ENTRA_LOGIN_HOME=/h entra-login login --profile later`; `ENTRA_LOGIN_HOME=/h entra-login profile list` shows the profiles',
    ],
    ['invalid account "a b" (from --account)', {}, 'invalid account "a b" (from the account option)'],
    ['invalid profile name "A" (from --profile)', {}, 'invalid profile name "A" (from the profile option)'],
  ]
  for (const [text, sel, expected] of rows) {
    it(`${JSON.stringify(text)} with ${JSON.stringify(sel)}`, () => {
      expect(forLibrary(text, sel)).toBe(expected)
    })
  }
})

describe('issue 13 (1): the look-alike classes match @azure/identity’s', () => {
  it('CredentialUnavailableError: the same name and message', () => {
    const own = new CredentialUnavailableError('EntraLoginCredential: not signed in')
    const theirs = new sdk.CredentialUnavailableError('EntraLoginCredential: not signed in')
    expect([own.name, own.message, own instanceof Error]).toEqual([
      'CredentialUnavailableError',
      'EntraLoginCredential: not signed in',
      true,
    ])
    expect([theirs.name, theirs.message]).toEqual([own.name, own.message])
  })

  it('AuthenticationError: the same name, message, statusCode and errorResponse', () => {
    const body = { error: 'IDP_ERROR', error_description: 'EntraLoginCredential: refused' }
    const own = new AuthenticationError(400, body)
    const theirs = new sdk.AuthenticationError(400, body)
    expect({
      name: own.name,
      message: own.message,
      statusCode: own.statusCode,
      errorResponse: own.errorResponse,
    }).toEqual({
      name: 'AuthenticationError',
      message: 'IDP_ERROR Status code: 400\nMore details:\nEntraLoginCredential: refused,',
      statusCode: 400,
      errorResponse: { error: 'IDP_ERROR', errorDescription: 'EntraLoginCredential: refused' },
    })
    expect({
      name: theirs.name,
      message: theirs.message,
      statusCode: theirs.statusCode,
      errorResponse: theirs.errorResponse,
    }).toEqual({
      name: own.name,
      message: own.message,
      statusCode: own.statusCode,
      errorResponse: {
        ...own.errorResponse,
        correlationId: undefined,
        errorCodes: undefined,
        timestamp: undefined,
        traceId: undefined,
      },
    })
  })

  it('toError builds the class of the failure’s kind', () => {
    const classes = { CredentialUnavailableError, AuthenticationError }
    const a = toError({ kind: 'unavailable', message: 'm' }, classes)
    const b = toError({ kind: 'authentication', statusCode: 0, error: 'NETWORK', description: 'd' }, classes)
    expect([a.name, a.message, b.name, b.message]).toEqual([
      'CredentialUnavailableError',
      'm',
      'AuthenticationError',
      'NETWORK Status code: 0\nMore details:\nd,',
    ])
  })
})

describe('issue 13 (1): EntraLoginCredential reads nothing until getToken', () => {
  it('a bad option does not throw at construction; getToken rejects with CredentialUnavailableError naming it', async () => {
    const credential = new EntraLoginCredential({ profile: 42 as unknown as string })
    const err = await credential.getToken('User.Read').catch((e: Error) => e)
    expect([(err as Error).name, (err as Error).message]).toEqual([
      'CredentialUnavailableError',
      'EntraLoginCredential: the profile option must be a non-empty string',
    ])
  })
})
