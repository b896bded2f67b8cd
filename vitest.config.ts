import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One file at a time: the files share one Secret Service (scripts/with-test-env.sh), and under
    // two files' load at once gnome-keyring was seen answering a run as if locked.
    fileParallelism: false,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
})
