#!/usr/bin/env bash
# Build and install the collection, start the emulator, run the demo playbook (list, report, check,
# remediate, check again), print the report as it stands after remediation, stop the emulator.
# Expects ansible-galaxy, ansible-playbook and python on PATH (make demo provides them: .venv-demo,
# from demo/requirements.txt).
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

# The last word is the state after remediation: what the compliance check now sees.
echo "== After remediation: the report rendered again through the lookup"
cat "$work/demo/connectors-report-after.md"
