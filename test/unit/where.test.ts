/**
 * Where the browser is (issue 9, point 2): the pure decision in src/auth/where.ts, one row per case,
 * the one-line reasons and the ready `ssh -L` command. The built CLI in real sessions (fake PATH of
 * browser programs, SSH/container/WSL environments): test/e2e/where.test.ts.
 */
import { describe, expect, it } from 'vitest'
import {
  browserDecision,
  CONTAINER_MARKERS,
  type HeadlessReason,
  headlessLine,
  sshForwardCommand,
} from '../../src/auth/where.js'
import { testHost } from '../support/test-runtime.js'

type Expected = `explicit: ${string}` | 'off' | 'system' | 'system (WSL)' | `headless: ${HeadlessReason}`

const SSH = { SSH_CONNECTION: '198.51.100.7 52144 192.0.2.10 22' }
const DOCKER = { '/.dockerenv': '' }
const PODMAN = { '/run/.containerenv': 'engine="podman-4.9.3"\n' }
const WSL2_KERNEL = {
  '/proc/version': 'Linux version 5.15.153.1-microsoft-standard-WSL2 (root@1f3c2b) #1 SMP\n',
}
const PLAIN_KERNEL = {
  '/proc/version': 'Linux version 6.8.0-45-generic (buildd@lcy02-amd64-075) #45-Ubuntu SMP\n',
}

/** [case, platform, env, files, explicit program, --no-browser, expected] */
// biome-ignore format: one row per line reads as a table
const TABLE: [string, NodeJS.Platform, Record<string, string>, Record<string, string>, string | undefined, boolean, Expected][] = [
  // Explicit wins, whatever the session.
  ['explicit program in an SSH session without a display, in a container', 'linux', SSH, DOCKER, '/usr/bin/w3m', false, 'explicit: /usr/bin/w3m'],
  ['explicit program with no display at all', 'linux', {}, PLAIN_KERNEL, 'firefox', false, 'explicit: firefox'],
  ['explicit program over SSH on macOS', 'darwin', SSH, {}, 'open', false, 'explicit: open'],
  // --no-browser: nothing is started.
  ['--no-browser on a desktop', 'linux', { DISPLAY: ':0' }, {}, undefined, true, 'off'],
  ['--no-browser on macOS', 'darwin', {}, {}, undefined, true, 'off'],
  // Linux/BSD: a display means the system browser.
  ['Linux with DISPLAY', 'linux', { DISPLAY: ':0' }, PLAIN_KERNEL, undefined, false, 'system'],
  ['Linux with WAYLAND_DISPLAY', 'linux', { WAYLAND_DISPLAY: 'wayland-0' }, {}, undefined, false, 'system'],
  ['Linux over SSH with X forwarding (DISPLAY)', 'linux', { ...SSH, DISPLAY: 'localhost:10.0' }, {}, undefined, false, 'system'],
  ['a container with DISPLAY', 'linux', { DISPLAY: ':1' }, DOCKER, undefined, false, 'system'],
  ['FreeBSD with DISPLAY', 'freebsd', { DISPLAY: ':0' }, {}, undefined, false, 'system'],
  // Linux/BSD headless.
  ['Linux over SSH (SSH_CONNECTION) without a display', 'linux', SSH, {}, undefined, false, 'headless: ssh'],
  ['Linux over SSH (SSH_CLIENT only)', 'linux', { SSH_CLIENT: '198.51.100.7 52144 22' }, {}, undefined, false, 'headless: ssh'],
  ['Linux over SSH (SSH_TTY only)', 'linux', { SSH_TTY: '/dev/pts/3' }, {}, undefined, false, 'headless: ssh'],
  ['SSH into a container without a display (SSH is the reason given)', 'linux', SSH, DOCKER, undefined, false, 'headless: ssh'],
  ['a Docker container (/.dockerenv) without a display', 'linux', {}, DOCKER, undefined, false, 'headless: container'],
  ['a Podman container (/run/.containerenv) without a display', 'linux', {}, PODMAN, undefined, false, 'headless: container'],
  ['Linux without DISPLAY or WAYLAND_DISPLAY', 'linux', {}, PLAIN_KERNEL, undefined, false, 'headless: no-display'],
  ['an empty DISPLAY counts as none', 'linux', { DISPLAY: '', WAYLAND_DISPLAY: '' }, {}, undefined, false, 'headless: no-display'],
  ['FreeBSD without a display', 'freebsd', {}, {}, undefined, false, 'headless: no-display'],
  // WSL: the Windows browser, display or not, unless over SSH.
  ['WSL told by WSL_DISTRO_NAME', 'linux', { WSL_DISTRO_NAME: 'Ubuntu-24.04' }, {}, undefined, false, 'system (WSL)'],
  ['WSL told by WSL_INTEROP', 'linux', { WSL_INTEROP: '/run/WSL/1234_interop' }, {}, undefined, false, 'system (WSL)'],
  ['WSL told by /proc/version alone', 'linux', {}, WSL2_KERNEL, undefined, false, 'system (WSL)'],
  ['WSLg (DISPLAY and WAYLAND_DISPLAY set) still opens the Windows browser', 'linux', { WSL_DISTRO_NAME: 'Ubuntu', DISPLAY: ':0', WAYLAND_DISPLAY: 'wayland-0' }, {}, undefined, false, 'system (WSL)'],
  ['SSH into WSL without a display', 'linux', { ...SSH, WSL_DISTRO_NAME: 'Ubuntu' }, WSL2_KERNEL, undefined, false, 'headless: ssh'],
  ['a Docker Desktop container (WSL kernel in /proc/version, /.dockerenv) is a container, not WSL', 'linux', {}, { ...WSL2_KERNEL, ...DOCKER }, undefined, false, 'headless: container'],
  // macOS and Windows: always, unless SSH.
  ['macOS', 'darwin', {}, {}, undefined, false, 'system'],
  ['Windows', 'win32', {}, {}, undefined, false, 'system'],
  ['macOS over SSH', 'darwin', SSH, {}, undefined, false, 'headless: ssh'],
  ['macOS over SSH with DISPLAY (X forwarding does not bring `open` to the user)', 'darwin', { ...SSH, DISPLAY: 'localhost:10.0' }, {}, undefined, false, 'headless: ssh'],
  ['Windows over SSH (SSH_CLIENT)', 'win32', { SSH_CLIENT: '198.51.100.7 52144 22' }, {}, undefined, false, 'headless: ssh'],
  ['/.dockerenv means nothing on macOS', 'darwin', {}, DOCKER, undefined, false, 'system'],
  // The test-only marker list replaces the real one.
  ['ENTRA_LOGIN_TEST_CONTAINER_MARKER naming an existing file', 'linux', { ENTRA_LOGIN_TEST_CONTAINER_MARKER: '/tmp/t/marker' }, { '/tmp/t/marker': '' }, undefined, false, 'headless: container'],
  ['ENTRA_LOGIN_TEST_CONTAINER_MARKER naming a missing file hides /.dockerenv', 'linux', { ENTRA_LOGIN_TEST_CONTAINER_MARKER: '/tmp/t/none' }, DOCKER, undefined, false, 'headless: no-display'],
]

function summary(d: ReturnType<typeof browserDecision>): Expected {
  if (d.kind === 'headless') return `headless: ${d.reason}`
  if (d.kind === 'system') return d.wsl ? 'system (WSL)' : 'system'
  if (d.kind === 'explicit') return `explicit: ${d.program}`
  return d.kind
}

describe('browserDecision: explicit wins; otherwise the system browser only where the session can show one', () => {
  // The expected outcome third, so that the test name reads "<case> (<platform>) → <outcome>".
  const rows = TABLE.map(
    ([name, platform, env, files, program, noBrowser, expected]) =>
      [name, platform, expected, env, files, program, noBrowser] as const,
  )
  it.each(rows)('%s (%s) → %s', (_name, platform, expected, env, files, program, noBrowser) => {
    const d = browserDecision({ program, noBrowser }, env, testHost({ platform, files }))
    expect(summary(d)).toBe(expected)
  })

  it("the container markers are Docker's /.dockerenv and Podman's /run/.containerenv", () => {
    expect(CONTAINER_MARKERS).toEqual(['/.dockerenv', '/run/.containerenv'])
  })

  it('reports what the session offers with the decision', () => {
    const d = browserDecision(
      { program: undefined, noBrowser: false },
      { ...SSH, WSL_DISTRO_NAME: 'Ubuntu' },
      testHost({ files: DOCKER }),
    )
    expect(d).toEqual({
      kind: 'headless',
      reason: 'ssh',
      session: { ssh: true, display: false, container: true, wsl: true },
    })
  })
})

describe('headlessLine: one line saying why no browser is started', () => {
  it.each([
    ['ssh', 'linux', 'No browser: this is an SSH session without a display.'],
    ['ssh', 'darwin', 'No browser: this is an SSH session.'],
    ['ssh', 'win32', 'No browser: this is an SSH session.'],
    ['container', 'linux', 'No browser: this is a container without a display.'],
    ['no-display', 'linux', 'No browser: there is no display (DISPLAY and WAYLAND_DISPLAY are not set).'],
  ] as const)('%s on %s: %s', (reason, platform, line) => {
    expect(headlessLine(reason, platform)).toBe(line)
  })
})

describe("sshForwardCommand: the ready `ssh -L` for the user's own computer", () => {
  const host = testHost({ hostname: () => 'build-7f3c', userName: () => 'account' })
  it.each([
    [
      "SSH_CONNECTION's server address and USER",
      { ...SSH, USER: 'alice', LOGNAME: 'other' },
      'ssh -L 5001:localhost:5001 alice@192.0.2.10',
    ],
    [
      'a server port other than 22 becomes -p',
      { SSH_CONNECTION: '198.51.100.7 52144 192.0.2.10 2222', USER: 'alice' },
      'ssh -L 5001:localhost:5001 -p 2222 alice@192.0.2.10',
    ],
    [
      'an IPv6 server address as it is',
      { SSH_CONNECTION: '2001:db8::7 52144 2001:db8::10 22', USER: 'alice' },
      'ssh -L 5001:localhost:5001 alice@2001:db8::10',
    ],
    [
      'an IPv4-mapped IPv6 address as IPv4',
      { SSH_CONNECTION: '::ffff:198.51.100.7 52144 ::ffff:192.0.2.10 22', USER: 'alice' },
      'ssh -L 5001:localhost:5001 alice@192.0.2.10',
    ],
    [
      "a link-local address with a zone (this machine's interface): the host name instead",
      { SSH_CONNECTION: 'fe80::7%eth0 52144 fe80::10%eth0 22', USER: 'alice' },
      'ssh -L 5001:localhost:5001 alice@build-7f3c',
    ],
    [
      'SSH_CLIENT only (no server address): the host name',
      { SSH_CLIENT: '198.51.100.7 52144 22', USER: 'alice' },
      'ssh -L 5001:localhost:5001 alice@build-7f3c',
    ],
    ['LOGNAME without USER', { ...SSH, LOGNAME: 'bob' }, 'ssh -L 5001:localhost:5001 bob@192.0.2.10'],
    [
      'neither USER nor LOGNAME: the account name',
      { ...SSH, USER: '' },
      'ssh -L 5001:localhost:5001 account@192.0.2.10',
    ],
  ])('%s', (_name, env, command) => {
    expect(sshForwardCommand(5001, env, host)).toBe(command)
  })
})
