/**
 * Ends the test output with one plain line, `N passed, N failed` (and skipped, and files that
 * failed to load, e.g. a privileged file in CI without the privilege), that any CI log reader
 * understands.
 */
import type { Reporter, TestModule } from 'vitest/node'

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    let unloaded = 0
    for (const m of testModules) {
      if (m.errors().length > 0) unloaded++ // failed while loading: its tests never ran
      for (const t of m.children.allTests()) {
        const state = t.result().state
        if (state === 'passed') passed++
        else if (state === 'failed') failed++
        else skipped++
      }
    }
    const notLoaded = unloaded > 0 ? `, ${unloaded} file${unloaded === 1 ? '' : 's'} failed to load` : ''
    process.stdout.write(
      `\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}${notLoaded}\n`,
    )
  }
}
