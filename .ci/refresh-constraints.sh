#!/usr/bin/env bash
# Rewrite constraints.txt: the newest releases that pyproject.toml allows, the test extras
# included, resolved in a fresh venv, pinned. Run it from anywhere, with the oldest Python the
# project supports (3.11), then run the test suite and commit the file.
#   .ci/refresh-constraints.sh            (python3)
#   PYTHON=python3.11 .ci/refresh-constraints.sh
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$(mktemp -d)"
trap 'rm -rf "$venv"' EXIT
"${PYTHON:-python3}" -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q -e '.[test]'
{
    echo "# Every dependency of the bot and of its tests, pinned: the README's commands, CI and the"
    echo "# Dockerfile install with -c constraints.txt. Made by .ci/refresh-constraints.sh"
    echo "# (Python $("$venv/bin/python" -c 'import platform; print(platform.python_version())')); do not edit by hand."
    "$venv/bin/pip" list --format=freeze --exclude-editable --exclude pip --exclude setuptools
} > constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) packages pinned"
