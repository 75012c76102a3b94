#!/usr/bin/env bash
# Run a command on a virtual screen (Xvfb) of its own:  tools/virtual-screen.sh COMMAND [ARG...]
#
# Unlike xvfb-run, the X server runs in a session of its own: a Ctrl-C in the
# terminal reaches the command only, which closes its window cleanly, and the
# screen goes when the command has ended. (Under xvfb-run the Ctrl-C also
# killed Xvfb, so the window lost its display mid-close and crashed.)
set -euo pipefail
auth=$(mktemp)
xvfb=
trap '[ -n "$xvfb" ] && kill "$xvfb" 2>/dev/null; wait 2>/dev/null; rm -f "$auth"' EXIT

# A display number whose server starts: a free lock file is not enough, since a
# server elsewhere (another container or chroot on this host) can hold the same
# number in the abstract socket namespace; then Xvfb exits at once and the next is tried.
for n in $(seq 99 199); do
  if [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ]; then continue; fi
  xauth -q -f "$auth" add ":$n" . "$(mcookie)"
  setsid Xvfb ":$n" -screen 0 "${SCREEN:-1600x1000x24}" -nolisten tcp -auth "$auth" >/dev/null 2>&1 &
  xvfb=$!
  for _ in $(seq 100); do
    kill -0 "$xvfb" 2>/dev/null || break
    [ -e "/tmp/.X11-unix/X$n" ] && break 2
    sleep 0.1
  done
  kill "$xvfb" 2>/dev/null || true
  wait "$xvfb" 2>/dev/null || true
  xvfb=
done
[ -n "$xvfb" ] || { echo "No virtual screen could be started (Xvfb)." >&2; exit 2; }
rc=0
DISPLAY=":$n" XAUTHORITY="$auth" "$@" || rc=$?
exit "$rc"
