#!/usr/bin/env node
/**
 * A slow pipe reader for tests: waits `SLOW_READER_DELAY_MS` (default 1000) before reading
 * anything, so the writer fills the pipe (64 KiB on Linux) and must wait, then copies stdin to
 * stdout 4 KiB at a time with a 5 ms pause between reads, until end of file.
 */
import { readSync, writeSync } from 'node:fs'

const delay = Number(process.env.SLOW_READER_DELAY_MS ?? 1000)
const buf = Buffer.alloc(4096)

function step() {
  let n
  try {
    n = readSync(0, buf, 0, buf.length, null)
  } catch (err) {
    if (err.code === 'EAGAIN') return setTimeout(step, 5)
    if (err.code === 'EOF') return
    throw err
  }
  if (n === 0) return
  writeSync(1, buf, 0, n)
  setTimeout(step, 5)
}

setTimeout(step, delay)
