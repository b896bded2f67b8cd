#!/usr/bin/env bash
# Runs a command (the test suite) with what the tests meet for real:
#   - Debian's Chromium (headless browser test), GNU time (peak memory of a child), tmux (a terminal's
#     rendered screen), zsh and fish (shell completion scripts, loaded by the real shells), curl (the
#     README's `exec` example),
#   - a private D-Bus session with an unlocked gnome-keyring (the Secret Service).
# Missing Debian packages are installed when running as root (CI, fresh machines);
# set ENTRA_TEST_NO_INSTALL=1 to skip that. Nothing is written to $HOME: the keyring
# lives in a throw-away folder and the daemons end with the command.
set -euo pipefail

packages=(chromium gnome-keyring dbus libsecret-tools time tmux zsh fish curl)
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v gnome-keyring-daemon >/dev/null 2>&1 || need+=(gnome-keyring)
command -v dbus-run-session >/dev/null 2>&1 || need+=(dbus)
command -v secret-tool >/dev/null 2>&1 || need+=(libsecret-tools)
[ -x /usr/bin/time ] || need+=(time)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v zsh >/dev/null 2>&1 || need+=(zsh)
command -v fish >/dev/null 2>&1 || need+=(fish)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && [ -z "${ENTRA_TEST_NO_INSTALL:-}" ] && command -v apt-get >/dev/null 2>&1; then
    echo "with-test-env: installing ${need[*]} (apt)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  else
    echo "with-test-env: missing ${need[*]}; install them (apt-get install ${packages[*]}) or run as root" >&2
    exit 1
  fi
fi

state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
mkdir -p "$state/data" "$state/runtime"
chmod 700 "$state/runtime"

export WITH_TEST_ENV_OLD_XDG_DATA_HOME="${XDG_DATA_HOME-}" WITH_TEST_ENV_OLD_XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR-}"
export XDG_DATA_HOME="$state/data" XDG_RUNTIME_DIR="$state/runtime"
unset DISPLAY WAYLAND_DISPLAY # a display would let a locked keyring hang on an unlock prompt

exec dbus-run-session -- bash -c '
  set -euo pipefail
  pw=$(head -c 24 /dev/urandom | base64)
  printf %s "$pw" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  for _ in $(seq 1 200); do
    if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
         org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true" &&
       dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets/collection/login \
         org.freedesktop.DBus.Properties.Get string:org.freedesktop.Secret.Collection string:Locked 2>/dev/null |
         grep -q "boolean false"; then
      # gnome-keyring-daemon was seen dying mid-run ("Message recipient disconnected from message bus
      # without replying"); D-Bus then starts a new, locked one and every later keychain test fails
      # with "the keyring is locked". A watchdog puts back an unlocked daemon (same keyring, same
      # password) and says so on stderr each time, so a crash is visible, never silent.
      main=$$ # the command below runs as this process (exec)
      (
        while sleep 0.5; do
          kill -0 "$main" 2>/dev/null || exit 0
          if ! dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets/collection/login \
               org.freedesktop.DBus.Properties.Get string:org.freedesktop.Secret.Collection string:Locked 2>/dev/null |
               grep -q "boolean false"; then
            echo "with-test-env: the Secret Service was gone or locked; restarting gnome-keyring-daemon unlocked" >&2
            printf %s "$pw" | gnome-keyring-daemon --replace --unlock --components=secrets >/dev/null 2>&1 || true
          fi
        done
      ) </dev/null >/dev/null &
      exec "$@"
    fi
    sleep 0.1
  done
  echo "with-test-env: the Secret Service did not come up unlocked within 20 s" >&2
  exit 125
' with-test-env "$@"
