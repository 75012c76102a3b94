#!/usr/bin/env bash
# Set up everything Image2Model Desktop needs on this machine, then run it.
#
#   ./bootstrap.sh            set up, then open the window (offline engine unless a FAL key is set)
#   ./bootstrap.sh test       set up, then run every check (lint, types, tests, self-test, bundle)
#   ./bootstrap.sh bundle     set up, then build the PyInstaller bundle into dist/Image2Model
#   ./bootstrap.sh cli ARGS   set up, then run `image2model ARGS` (e.g. generate resources/samples/*)
#
# Works on a fresh Debian 12 as root (installs system packages with apt); as a
# normal user it uses sudo when the packages are missing. Safe to run again:
# each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
ROOT=$PWD
VENV=$ROOT/.venv
STAMP=$VENV/.bootstrap-stamp
# One set of extras for every command, so switching commands never reinstalls.
EXTRAS=dev,bundle

# Qt's xcb platform and the OpenGL (Mesa; llvmpipe without a GPU) of the 3D preview.
APT_PACKAGES=(
  python3 python3-venv ca-certificates
  xvfb xauth libgl1 libegl1 libgl1-mesa-dri libxkbcommon-x11-0 libxcb-cursor0
  libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libdbus-1-3 libfontconfig1 libglib2.0-0
  binutils  # PyInstaller needs objdump, and the bundle's strip step needs strip
  chromium  # the API's real-browser test (Playwright drives it; no browser download)
)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -q '^installed$' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "Installing system packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_system_packages() {
  command -v dpkg-query >/dev/null 2>&1 || { say "Not a Debian-like system: install the equivalents of: ${APT_PACKAGES[*]}"; return 0; }
  ensure_packages "${APT_PACKAGES[@]}"
  # PyInstaller needs the Python shared library, which Debian ships apart from python3.
  local version
  version=$("$(find_python)" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  if apt-cache show "libpython$version" >/dev/null 2>&1; then
    ensure_packages "libpython$version"
  fi
}

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  say "Python 3.11 or newer is required."; exit 2
}

setup_venv() {
  local extras=$1 want have=""
  want="$(sha256sum pyproject.toml | cut -c1-16)-$extras"
  [ -f "$STAMP" ] && have=$(cat "$STAMP")
  if [ -x "$VENV/bin/python" ] && [ "$have" = "$want" ]; then return 0; fi
  if [ ! -x "$VENV/bin/python" ]; then
    say "Creating the virtual environment in .venv"
    "$(find_python)" -m venv "$VENV"
  fi
  say "Installing Python packages (first run: about a minute)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[$extras]"
  echo "$want" > "$STAMP"
}

run_app() {
  if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    say "No display found: opening the window on a virtual screen (xvfb-run)."
    exec xvfb-run -a -s "-screen 0 1600x1000x24" "$VENV/bin/image2model" "$@"
  fi
  exec "$VENV/bin/image2model" "$@"
}

run_tests() {
  local py=$VENV/bin/python
  say "Lint (ruff)"
  "$VENV/bin/ruff" check .
  "$VENV/bin/ruff" format --check .
  say "Types (mypy --strict on the whole package)"
  "$VENV/bin/mypy"
  say "Tests (pytest)"
  export PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring
  unset FAL_KEY
  local rc=0
  timeout --signal=INT --kill-after=60 1500 "$py" -m pytest -p no:cacheprovider "$@" || rc=$?
  # pytest exits 5 when it collected nothing: that is a failure here, not a pass.
  [ $rc -eq 0 ] || { say "pytest failed (exit $rc)"; exit 1; }
  local shots
  shots=$(mktemp -d)
  say "Self-test (window + offline engine + 3D preview under Xvfb)"
  timeout 300 xvfb-run -a -s "-screen 0 1600x1000x24" "$VENV/bin/image2model" --self-test --screenshot "$shots/self-test.png"
  say "Bundle (PyInstaller build, then its self-test and CLI from a clean environment)"
  timeout 900 "$py" bench/bundle.py --build --runs 3 --screenshot "$shots/bundle-self-test.png"
  say "All checks passed; screenshots in $shots"
}

main() {
  local command=${1:-app}
  [ $# -gt 0 ] && shift
  install_system_packages
  case "$command" in
    app) setup_venv "$EXTRAS"; run_app "$@" ;;
    test) setup_venv "$EXTRAS"; run_tests "$@" ;;
    bundle) setup_venv "$EXTRAS"; exec "$VENV/bin/python" bench/bundle.py --build "$@" ;;
    cli) setup_venv "$EXTRAS"; exec "$VENV/bin/image2model" "$@" ;;
    *) say "Unknown command '$command' (use: app, test, bundle, cli)"; exit 2 ;;
  esac
}

main "$@"
