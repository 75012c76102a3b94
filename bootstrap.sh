#!/usr/bin/env bash
# Set up everything Image2Model Desktop needs on this machine, then run it.
#
#   ./bootstrap.sh            set up, then open the window (offline engine unless a FAL key is set)
#   ./bootstrap.sh test       set up, then run every check (lint, types, tests, self-test, bundle)
#   ./bootstrap.sh bundle     set up, then build the PyInstaller bundle into dist/Image2Model
#   ./bootstrap.sh deb        set up, build the bundle, then dist/image2model_<version>_<arch>.deb
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
# Every Python package's exact version (the dependencies' dependencies too): a
# release published tomorrow cannot change what a fresh machine installs.
# Made by tools/lock.sh from a venv with every extra.
CONSTRAINTS=$ROOT/constraints.txt

# What running the app needs: Python, Qt's xcb platform, the OpenGL (Mesa;
# llvmpipe without a GPU) of the 3D preview, and Xvfb for a machine with no display.
APT_RUN=(
  python3 python3-venv ca-certificates
  xvfb xauth libgl1 libegl1 libgl1-mesa-dri libxkbcommon-x11-0 libxcb-cursor0
  libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libdbus-1-3 libfontconfig1 libglib2.0-0
)
# What building the bundle adds: PyInstaller needs objdump and the Python shared
# library (added by install_system_packages), the strip step needs strip; the
# small ffmpeg (tools/build-ffmpeg.sh) a C compiler, nasm and curl; the smaller
# ICU data for Qt (packaging/icu.py) ICU's own tools.
APT_BUNDLE=(binutils gcc libc6-dev make nasm pkg-config curl xz-utils icu-devtools)
# What the Debian package adds (dpkg-deb is part of dpkg): its dependencies are
# read from the libraries installed here, so the ones only Qt's Wayland plugin
# links must be installed too.
APT_DEB=(libwayland-cursor0 libwayland-egl1)
# What the tests add on top of running and bundling: the API's real-browser test
# (Debian's Chromium, driven by Playwright; no browser download). Playwright's
# own Node.js links libatomic.so.1, which a minimal Debian lacks (the browser
# test failed on a fresh machine while every machine that had it stayed green).
# The web export's browser test installs three.js from the npm registry with npm
# (Debian 12: nodejs 18, and npm as a package of its own; see install_npm).
APT_TEST=(chromium libatomic1 nodejs)

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

# install_system_packages PACKAGE... : the listed packages, plus the Python
# shared library when binutils is among them (the bundle build).
install_system_packages() {
  command -v dpkg-query >/dev/null 2>&1 || { say "Not a Debian-like system: install the equivalents of: $*"; return 0; }
  ensure_packages "$@"
  case " $* " in *" binutils "*) ;; *) return 0 ;; esac
  # PyInstaller needs the Python shared library, which Debian ships apart from python3.
  local version
  version=$("$(find_python)" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  if apt-cache show "libpython$version" >/dev/null 2>&1; then
    ensure_packages "libpython$version"
  fi
}

# Debian's npm, unless an npm is already there: NodeSource's nodejs package
# carries its own npm and conflicts with Debian's, so apt would refuse it.
install_npm() {
  command -v npm >/dev/null 2>&1 || install_system_packages npm
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

# setup_venv [EXTRA...] : .venv with the app and the named extras. Skipped when
# the same pyproject.toml and constraints were installed with those extras or more,
# so `./bootstrap.sh` after `./bootstrap.sh test` installs nothing.
setup_venv() {
  local want_hash have_hash="" have_extras="" extra missing=0 spec=.
  want_hash="$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
  if [ -f "$STAMP" ]; then read -r have_hash have_extras < "$STAMP" || true; fi
  for extra in "$@"; do
    case ",$have_extras," in *",$extra,"*) ;; *) missing=1 ;; esac
  done
  if [ -x "$VENV/bin/python" ] && [ "$have_hash" = "$want_hash" ] && [ $missing -eq 0 ]; then
    return 0
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    say "Creating the virtual environment in .venv"
    "$(find_python)" -m venv "$VENV"
  fi
  # Keep the extras installed before (a later `app` must not forget `test`'s).
  local extras
  extras=$(printf '%s\n' "$@" ${have_extras//,/ } | sort -u | paste -sd, -)
  [ -n "$extras" ] && spec=".[$extras]"
  say "Installing Python packages${extras:+ with $extras} (first run: a minute or two)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade "pip==$(pip_version)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -c "$CONSTRAINTS" -e "$spec"
  echo "$want_hash $extras" > "$STAMP"
}

# The pip release constraints.txt was made with (tools/lock.sh writes it there).
pip_version() { sed -n 's/^# pip==//p' "$CONSTRAINTS"; }

run_app() {
  if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    say "No display found: opening the window on a virtual screen (Xvfb)."
    exec "$ROOT/tools/virtual-screen.sh" "$VENV/bin/image2model" "$@"
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
  say "Layers (import-linter's contracts in pyproject.toml)"
  "$VENV/bin/lint-imports" --no-cache
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
  case "$command" in
    app) install_system_packages "${APT_RUN[@]}"; setup_venv; run_app "$@" ;;
    cli) install_system_packages "${APT_RUN[@]}"; setup_venv; exec "$VENV/bin/image2model" "$@" ;;
    bundle)
      install_system_packages "${APT_RUN[@]}" "${APT_BUNDLE[@]}"
      setup_venv bundle
      exec "$VENV/bin/python" bench/bundle.py --build "$@" ;;
    deb)
      install_system_packages "${APT_RUN[@]}" "${APT_BUNDLE[@]}" "${APT_DEB[@]}"
      setup_venv bundle
      "$VENV/bin/python" bench/bundle.py --build "$@"
      exec "$VENV/bin/python" packaging/deb.py ;;
    test)
      install_system_packages "${APT_RUN[@]}" "${APT_BUNDLE[@]}" "${APT_TEST[@]}"
      install_npm
      setup_venv dev bundle
      run_tests "$@" ;;
    *) say "Unknown command '$command' (use: app, test, bundle, deb, cli)"; exit 2 ;;
  esac
}

main "$@"
