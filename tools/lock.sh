#!/usr/bin/env bash
# Write constraints.txt: the exact version of every Python package the app, the
# tests and the bundle install (dependencies' dependencies too), read off .venv
# after `./bootstrap.sh test`. bootstrap.sh installs with `-c constraints.txt`,
# so a release published later cannot change a fresh machine.
#
#   tools/lock.sh          after changing dependencies in pyproject.toml:
#                          pip install -e '.[dev,bundle]' (no -c), run the tests, then this.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
{
  echo "# Made by tools/lock.sh on $(date -u +%Y-%m-%d) from a venv with every extra; do not edit by hand."
  echo "# pip==$("$py" -m pip --version | awk '{print $2}')"
  # `pip list` names a version even for a package installed from a file (freeze names the file).
  "$py" -m pip list --format=freeze --exclude-editable | grep -v -E '^(pip|setuptools|wheel)=='
} > constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) packages"
