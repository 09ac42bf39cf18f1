#!/usr/bin/env bash
# Build and install the collection, start the emulator, run the demo playbook, stop the emulator.
# Expects ansible-galaxy, ansible-playbook and python on PATH (make demo provides them).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
# shellcheck source=demo/emulator.sh
. "$root/demo/emulator.sh"
cleanup() {
  stop_emulator
  rm -rf "$work"
}
trap cleanup EXIT

echo "== Building and installing upstash.cloud"
ansible-galaxy collection build "$root" --output-path "$work" --force >/dev/null
ANSIBLE_COLLECTIONS_PATH="$work/collections" \
  ansible-galaxy collection install "$work"/upstash-cloud-*.tar.gz -p "$work/collections" --force >/dev/null

start_emulator "$work"

echo "== Running demo/site.yml"
cp -r "$root/demo/." "$work/demo"
UPSTASH_API_URL="$api_url" UPSTASH_EMAIL="$demo_email" UPSTASH_API_KEY="$demo_api_key" \
  ANSIBLE_COLLECTIONS_PATH="$work/collections" ANSIBLE_LOCALHOST_WARNING=false \
  ANSIBLE_INVENTORY_UNPARSED_WARNING=false \
  ansible-playbook "$work/demo/site.yml"

echo "== The report rendered through the lookup"
cat "$work/demo/connectors-report.md"
