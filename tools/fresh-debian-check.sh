#!/usr/bin/env bash
# Prove the README's promise on a *fresh* Debian 12: debootstrap a minimal system
# (like the debian:12 image: no python3, git, ca-certificates or sudo), clone the
# committed HEAD into it, and run `.ci/run` there as root with a clean environment.
#
#   sudo tools/fresh-debian-check.sh [ROOT_DIR]      (default /var/tmp/image2model-fresh)
#
# Needs root and debootstrap (apt-get install debootstrap). Takes about 6 minutes.
# It found two gaps that every run on a developer machine missed (binutils and
# libpython3.11 for the bundle build).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
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
git clone -q "$REPO" "$ROOT/root/image2model"
echo "==> .ci/run on $(git -C "$ROOT/root/image2model" log --oneline -1)"
env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=xterm CI=true \
  chroot "$ROOT" bash -c 'cd /root/image2model && bash .ci/run' </dev/null
echo "==> fresh Debian 12: all checks passed"
