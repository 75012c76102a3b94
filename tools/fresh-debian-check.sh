#!/usr/bin/env bash
# Prove the README's promise on a *fresh* Debian 12: debootstrap a minimal system
# (like the debian:12 image: no python3, git, ca-certificates or sudo), clone the
# committed HEAD into it, and run `.ci/run` there as root with a clean environment.
#
#   sudo tools/fresh-debian-check.sh [ROOT_DIR]              (default /var/tmp/image2model-fresh)
#   sudo tools/fresh-debian-check.sh --deb [DEB] [ROOT_DIR]  the Debian package instead
#
# With --deb (DEB defaults to the newest dist/image2model_*.deb, made by
# `./bootstrap.sh deb`): install it with `apt install ./….deb` (its Depends
# only: --no-install-recommends), run `image2model --self-test` under xvfb-run
# and `image2model generate` of a bundled sample photo, then
# `apt remove --purge` it (and autoremove what it pulled in) and check that
# /opt and /usr hold exactly what they held before.
#
# Needs root and debootstrap (apt-get install debootstrap). Takes about 6 minutes.
# It found two gaps that every run on a developer machine missed (binutils and
# libpython3.11 for the bundle build).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
MODE=source
DEB=
if [ "${1:-}" = "--deb" ]; then
  MODE=deb
  shift
  if [ -n "${1:-}" ] && [ "${1%.deb}" != "$1" ]; then DEB=$(readlink -f "$1"); shift; fi
  [ -n "$DEB" ] || DEB=$(find "$REPO/dist" -maxdepth 1 -name 'image2model_*.deb' -printf '%T@ %p\n' 2>/dev/null |
    sort -rn | head -1 | cut -d' ' -f2-)
  [ -f "$DEB" ] || { echo "No .deb given or in dist/: run ./bootstrap.sh deb first." >&2; exit 2; }
fi
ROOT=${1:-/var/tmp/image2model-fresh}
# The same Debian mirror this machine's apt uses.
MIRROR=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
  | grep -oE '^(URIs:|deb) +[a-z]+://[^ ]+' | awk '{print $2}' | grep -v security | head -1 || true)
[ -n "$MIRROR" ] || { echo "No Debian mirror found in this machine's apt sources." >&2; exit 2; }

rm -rf "$ROOT"
echo "==> debootstrap bookworm (minbase) into $ROOT"
debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >/dev/null
cat > "$ROOT/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
SOURCES
# Networks that inspect TLS hand their CA to hosts through this folder; a plain
# machine has none, and then nothing is copied.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$ROOT/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
fi
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$ROOT/etc/hosts"
for m in proc sys dev dev/pts dev/shm; do mount --bind "/$m" "$ROOT/$m"; done
trap 'for m in dev/shm dev/pts dev sys proc; do umount -l "$ROOT/$m" 2>/dev/null || true; done' EXIT
CLEAN_ENV=(env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=xterm CI=true LANG=C.UTF-8)

if [ "$MODE" = source ]; then
  git clone -q "$REPO" "$ROOT/root/image2model"
  echo "==> .ci/run on $(git -C "$ROOT/root/image2model" log --oneline -1)"
  "${CLEAN_ENV[@]}" chroot "$ROOT" bash -c 'cd /root/image2model && bash .ci/run' </dev/null
  echo "==> fresh Debian 12: all checks passed"
  exit 0
fi

cp "$DEB" "$ROOT/root/"
echo "==> apt install ./$(basename "$DEB") in a fresh Debian 12"
# shellcheck disable=SC2016 # expanded by the chroot's shell
"${CLEAN_ENV[@]}" DEB="/root/$(basename "$DEB")" chroot "$ROOT" bash -euo pipefail -c '
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The test harness only: a virtual screen for the window.
  apt-get install -y -qq --no-install-recommends xvfb xauth >/dev/null
  # /opt itself belongs to no Debian package: dpkg takes it away with the last
  # package that had files there (as for any package in /opt), so it is not compared.
  listing() { { find /opt /usr -xdev 2>/dev/null || true; } | grep -vx /opt | sort; }
  listing > /root/before.txt
  apt-get install -y -qq --no-install-recommends "$DEB" >/dev/null
  dpkg -s image2model | grep -E "^(Version|Depends|Recommends|Installed-Size):"
  echo "==> image2model on PATH: $(command -v image2model) -> $(readlink -f "$(command -v image2model)")"
  test -f /usr/share/applications/image2model.desktop
  test -f /usr/share/icons/hicolor/256x256/apps/image2model.png
  cd /tmp
  echo "==> image2model --self-test (xvfb-run)"
  timeout 300 xvfb-run -a -s "-screen 0 1600x1000x24" image2model --self-test --screenshot /tmp/self-test.png
  test -s /tmp/self-test.png
  echo "==> image2model generate (offline engine)"
  timeout 300 image2model generate /opt/image2model/_internal/resources/samples/mug.jpg \
    --engine offline --out /tmp/models
  ls /tmp/models/*.glb
  echo "==> apt remove --purge image2model (and what it pulled in)"
  apt-get remove --purge -y -qq image2model >/dev/null
  apt-get autoremove --purge -y -qq >/dev/null
  listing > /root/after.txt
  if ! diff -u /root/before.txt /root/after.txt; then
    echo "Removing the package left /opt or /usr different (above)." >&2
    exit 1
  fi
  echo "==> removed cleanly: /opt and /usr hold what they held before ($(wc -l < /root/after.txt) paths)"
' </dev/null
echo "==> fresh Debian 12: the package installed, ran and removed cleanly"
