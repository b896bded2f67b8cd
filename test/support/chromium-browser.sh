#!/bin/sh
# Headless Chromium as the CLI's --browser, for tests: opens "$1" (the CLI's launch page, a file:// URL;
# Chromium reads it natively and its CSP-allowed location.replace goes on to the authorize URL), follows
# redirects to the loopback callback, and dumps the final page's DOM.
#
#   CHROMIUM_BIN   the binary (default /usr/bin/chromium, Debian package "chromium")
#   CHROMIUM_DUMP  file that receives the final DOM (default /dev/null); its stderr goes to
#                  "$CHROMIUM_DUMP.log" (else to /dev/null: Chromium is noisy about D-Bus and GPU)
#   CHROMIUM_SCREENSHOT  also a PNG of the final page, this file (--screenshot, no scrollbars), in a
#                  window of CHROMIUM_WINDOW_SIZE (default 800,600)
#   CHROMIUM_COLOR_SCHEME  "dark": pages see prefers-color-scheme: dark (--force-dark-mode)
#
# The stand-in's certificate is accepted through --ignore-certificate-errors (Chromium does not read
# NODE_EXTRA_CA_CERTS). Each run gets a fresh profile directory under ${TMPDIR:-/tmp} that is not removed
# (exec leaves nothing behind to clean up): point TMPDIR at a per-test temp dir to collect them.
# Observed with Debian's chromium 156: --dump-dom follows the launch page's script navigation (a bare
# 0-second meta refresh is not waited for without --virtual-time-budget; a script-less page would need it)
# and the 302 to http://localhost:PORT/callback, waits
# for that page (also for a slow one, and for form_post's script-driven POST) and dumps it; then it also
# GETs /favicon.ico from the callback server. There is no timeout of its own if a server never answers.
# exec keeps one process, so the CLI can stop the browser by its pid.
set -eu

if [ "$#" -lt 1 ]; then
  echo "usage: $0 <url>" >&2
  exit 2
fi

bin="${CHROMIUM_BIN:-/usr/bin/chromium}"
profile="$(mktemp -d "${TMPDIR:-/tmp}/entra-login-chromium.XXXXXX")"
dump="${CHROMIUM_DUMP:-/dev/null}"
log=/dev/null
if [ -n "${CHROMIUM_DUMP:-}" ]; then
  log="$CHROMIUM_DUMP.log"
fi

url="$1"
set --
if [ -n "${CHROMIUM_SCREENSHOT:-}" ]; then
  set -- "$@" --screenshot="$CHROMIUM_SCREENSHOT" --window-size="${CHROMIUM_WINDOW_SIZE:-800,600}" --hide-scrollbars
fi
if [ "${CHROMIUM_COLOR_SCHEME:-}" = dark ]; then
  set -- "$@" --force-dark-mode
fi

exec "$bin" \
  --headless \
  --no-sandbox \
  --disable-gpu \
  --disable-quic \
  --no-first-run \
  --disable-background-networking \
  --disable-component-update \
  --disable-sync \
  --ignore-certificate-errors \
  --user-data-dir="$profile" \
  --dump-dom \
  "$@" \
  "$url" >"$dump" 2>"$log"
