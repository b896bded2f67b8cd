/**
 * The library's hand-written types (types/lib.d.ts, shipped as dist/lib.d.ts and dist/lib.d.cts) hold
 * for the implementation (src/lib.ts) and for the Azure SDK: an EntraLoginCredential is a
 * `TokenCredential` of `@azure/identity`. Checked by `tsc --noEmit` (these lines do not compile when a
 * type is off); the runtime expectations only say the file ran.
 */
import type { AccessToken as SdkAccessToken, TokenCredential } from '@azure/identity'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { EntraLoginCredential } from '../../src/lib.js'
import type * as Declared from '../../types/lib.js'

describe('issue 13 (1): the library’s types', () => {
  it('the implementation is the declared class (constructor and getToken), and the declared options are what it takes', () => {
    const asDeclared: typeof Declared.EntraLoginCredential = EntraLoginCredential
    expectTypeOf<ConstructorParameters<typeof EntraLoginCredential>>().toEqualTypeOf<
      [options?: Declared.EntraLoginCredentialOptions]
    >()
    expectTypeOf<EntraLoginCredential['getToken']>().toEqualTypeOf<
      Declared.EntraLoginCredential['getToken']
    >()
    expect(asDeclared).toBe(EntraLoginCredential)
  })

  it('the declared class is an Azure SDK TokenCredential, and its AccessToken the SDK’s', () => {
    const credential: TokenCredential = new (EntraLoginCredential as typeof Declared.EntraLoginCredential)()
    expectTypeOf<Declared.AccessToken>().toExtend<SdkAccessToken>()
    expectTypeOf<Declared.EntraLoginCredential>().toExtend<TokenCredential>()
    expect(typeof credential.getToken).toBe('function')
  })
})
