#!/usr/bin/env node
// The command `entra-login exec` runs in the tests (test/e2e/exec.test.ts). What it does is
// chosen by variables, so its arguments can be anything (they are recorded as they came):
//   EXEC_CHILD_DUMP  the JSON file it writes: its argv, environment, /proc/self/cmdline, its
//                    parent's (entra-login's) cmdline, every process whose cmdline holds the token,
//                    and the signals it received
//   EXEC_CHILD_MODE  dump (default): write and exit EXEC_CHILD_EXIT (default 0);
//                    trap: catch SIGINT, SIGTERM, SIGHUP and SIGQUIT, write <dump>.ready, and after
//                    the first signal wait 500 ms (a second delivery would be counted), write and
//                    exit 42 (INT), 43 (TERM), 44 (HUP) or 45 (QUIT);
//                    kill: write, then SIGKILL itself
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'

const dump = process.env.EXEC_CHILD_DUMP
const mode = process.env.EXEC_CHILD_MODE ?? 'dump'
const token = process.env.ENTRA_ACCESS_TOKEN
const signals = []

/** A /proc cmdline split at NUL, or null when it cannot be read. */
function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1)
  } catch {
    return null
  }
}

/** Every process whose command line holds `text`. */
function holding(text) {
  if (!text) return []
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => (cmdline(pid) ?? []).some((word) => word.includes(text)))
    .map(Number)
}

function write() {
  if (!dump) return
  writeFileSync(
    dump,
    JSON.stringify({
      argv: process.argv.slice(2),
      env: process.env,
      cmdline: cmdline('self'),
      parentCmdline: cmdline(process.ppid),
      holdingToken: holding(token),
      signals,
    }),
  )
}

if (mode === 'trap') {
  const codes = { SIGINT: 42, SIGTERM: 43, SIGHUP: 44, SIGQUIT: 45 }
  for (const [name, code] of Object.entries(codes)) {
    process.on(name, () => {
      signals.push(name)
      if (signals.length === 1) {
        setTimeout(() => {
          write()
          process.exit(code)
        }, 500)
      }
    })
  }
  setInterval(() => {}, 1000)
  writeFileSync(`${dump}.ready`, String(process.pid))
} else if (mode === 'kill') {
  write()
  process.kill(process.pid, 'SIGKILL')
} else {
  write()
  process.exit(Number(process.env.EXEC_CHILD_EXIT ?? 0))
}
