#!/usr/bin/env bash
# The changelog gate: fragments and changelogs/changelog.yaml lint clean, and CHANGELOG.md is exactly
# what antsibull-changelog generates from changelog.yaml (edit the YAML or a fragment, never the .md).
#
# Usage: tests/changelog_check.sh        (antsibull-changelog on PATH; make changelog-lint)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

antsibull-changelog lint
antsibull-changelog lint-changelog-yaml --strict changelogs/changelog.yaml

# Regenerate in a scratch copy so a check never rewrites the checkout (or its plugin cache).
work=$(mktemp -d "${TMPDIR:-/tmp}/changelog-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -R galaxy.yml changelogs "$work/"
rm -f "$work/changelogs/.plugin-cache.yaml"
(cd "$work" && antsibull-changelog generate >/dev/null)
if ! diff -u CHANGELOG.md "$work/CHANGELOG.md"; then
    echo "changelog_check.sh: CHANGELOG.md is not what changelogs/changelog.yaml generates; run antsibull-changelog generate" >&2
    exit 1
fi
echo "changelog_check.sh: fragments, changelog.yaml and CHANGELOG.md are consistent"
