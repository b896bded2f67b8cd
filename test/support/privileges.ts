/**
 * Tests that need a privilege (mount rights, `unshare`, root) run wherever it is there, are a
 * visible skip on a developer machine without it, and fail in CI (`CI=true`), where a missing
 * privilege means the proof silently did not happen.
 *
 * @example
 * ```ts
 * const canMountTmpfs = requireCapability('mount a tmpfs (unshare -m)', probe())
 * it.skipIf(!canMountTmpfs)('…', async () => { … })
 * ```
 */

/**
 * Returns whether to run the tests that need `name`: `available` itself, except that with
 * `CI=true` an absent capability throws an Error naming it (failing the test file at load).
 */
export function requireCapability(name: string, available: boolean): boolean {
  if (!available && process.env.CI === 'true') {
    throw new Error(
      `CI=true but the capability "${name}" is missing: the tests that need it would be skipped; run CI as root with namespaces allowed`,
    )
  }
  return available
}
