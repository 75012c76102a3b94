#!/usr/bin/env bash
# Run a command on a virtual screen (Xvfb) of its own:  tools/virtual-screen.sh COMMAND [ARG...]
#
# Unlike xvfb-run, the X server runs in a session of its own: a Ctrl-C in the
# terminal reaches the command only, which closes its window cleanly, and the
# screen goes when the command has ended. (Under xvfb-run the Ctrl-C also
# killed Xvfb, so the window lost its display mid-close and crashed.)
set -euo pipefail
n=99
while [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ]; do n=$((n + 1)); done
auth=$(mktemp)
xauth -q -f "$auth" add ":$n" . "$(mcookie)"
setsid Xvfb ":$n" -screen 0 "${SCREEN:-1600x1000x24}" -nolisten tcp -auth "$auth" >/dev/null 2>&1 &
xvfb=$!
trap 'kill "$xvfb" 2>/dev/null; wait "$xvfb" 2>/dev/null; rm -f "$auth"' EXIT
for _ in $(seq 100); do
  [ -e "/tmp/.X11-unix/X$n" ] && break
  kill -0 "$xvfb" 2>/dev/null || { echo "Xvfb did not start." >&2; exit 2; }
  sleep 0.1
done
rc=0
DISPLAY=":$n" XAUTHORITY="$auth" "$@" || rc=$?
exit "$rc"
