#!/usr/bin/env bash
# Run a command with this checkout visible to Ansible as upstash.cloud, so tools that resolve
# upstash.cloud.* names (ansible-lint's syntax check, ansible-doc) find the working tree.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/ansible_collections/upstash"
ln -s "$root" "$tmp/ansible_collections/upstash/cloud"
cd "$root"
ANSIBLE_COLLECTIONS_PATH="$tmp" "$@"
