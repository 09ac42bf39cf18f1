#!/usr/bin/env bash
# make ee-demo: build an execution environment (EE) with ansible-builder and podman, then run the
# demo playbook inside it against the emulator on the host network, the way AWX and Automation
# Platform run a job: ansible-runner transmit | ansible-runner worker (in the EE) | ansible-runner process.
# The emulator serves HTTPS with a certificate of a CA made here and added to the EE's trust store.
#
# Expects podman, openssl, ansible-builder, ansible-runner, ansible-galaxy and python on PATH (make
# ee-demo provides the last four). Everything it makes goes to build/ee/.
#   EE_BASE_IMAGE  base image (default localhost/upstash-ee-base:bookworm, made by demo/ee_base.sh if missing)
#   EE_IMAGE       tag of the image built (default localhost/upstash-cloud-ee:latest)
#   CONTAINERS_CONF  podman settings; by default build/ee/containers.conf with modest ulimits, as a
#                  root podman on runc may not raise a container's limits to its usual defaults
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/ee
base=${EE_BASE_IMAGE:-localhost/upstash-ee-base:bookworm}
image=${EE_IMAGE:-localhost/upstash-cloud-ee:latest}
command -v podman >/dev/null || { echo "ee.sh: podman is not installed" >&2; exit 1; }
# shellcheck source=demo/emulator.sh
. "$root/demo/emulator.sh"
trap stop_emulator EXIT
rm -rf "$out/collection" "$out/context" "$out/job"
mkdir -p "$out/collection" "$out/job"
if [ -z "${CONTAINERS_CONF:-}" ]; then
  printf '[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n' >"$out/containers.conf"
  export CONTAINERS_CONF=$out/containers.conf
fi

if ! podman image exists "$base"; then
  "$root/demo/ee_base.sh" "$base"
fi

# An internal CA, as the guide describes: the emulator serves HTTPS with a certificate the EE trusts
# only through its system trust store (no ca_path), as ansible.builtin.uri would.
tls=$out/tls
if [ ! -s "$tls/ca.pem" ] || ! openssl x509 -checkend 86400 -noout -in "$tls/ca.pem" >/dev/null; then
  mkdir -p "$tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj "/CN=upstash-cloud ee-demo CA" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,digitalSignature,keyCertSign" -addext "extendedKeyUsage=serverAuth" \
    -keyout "$tls/key.pem" -out "$tls/ca.pem" 2>/dev/null
fi

echo "== Building the EE $image on $base"
ansible-galaxy collection build "$root" --output-path "$out/collection" --force >/dev/null
python "$root/demo/ee_definition.py" "$out"/collection/upstash-cloud-*.tar.gz "$base" "$out/execution-environment.yml" \
  "$tls/ca.pem"
started=$SECONDS
ansible-builder build -f "$out/execution-environment.yml" -c "$out/context" -t "$image" \
  --container-runtime podman --extra-build-cli-args "--network host" >"$out/build.log" 2>&1 \
  || { tail -40 "$out/build.log" >&2; exit 1; }
echo "   built in $((SECONDS - started)) s (log: build/ee/build.log)"

start_emulator "$out" --tls-cert "$tls/ca.pem" --tls-key "$tls/key.pem"

echo "== Running demo/site.yml in the EE"
# The job as AWX hands it to runner: the project, an inventory, and the environment a credential
# of the guide's credential type injects.
job=$out/job
mkdir -p "$job/project" "$job/inventory" "$job/env"
cp -r "$root/demo/site.yml" "$root/demo/templates" "$job/project/"
echo localhost >"$job/inventory/hosts"
printf '{"UPSTASH_EMAIL": "%s", "UPSTASH_API_KEY": "%s", "UPSTASH_API_URL": "%s", "ANSIBLE_LOCALHOST_WARNING": "false"}\n' \
  "$demo_email" "$demo_api_key" "$api_url" >"$job/env/envvars"
started=$SECONDS
ansible-runner transmit "$job" -p site.yml \
  | podman run --rm -i --network host "$image" ansible-runner worker \
  | ansible-runner process "$job" | tee "$out/job.out"
echo "   ran in $((SECONDS - started)) s"
grep -q "NON-COMPLIANT: Failed connectors: pg-source" "$out/job.out" \
  || { echo "ee.sh: the demo did not report the failed connector" >&2; exit 1; }

echo "== Files of the job that hold the API key (runner's records of the job's environment only)"
holding=$(cd "$job" && grep -rl -- "$demo_api_key" . | sort)
while read -r file; do echo "   $file"; done <<<"$holding"
unexpected=$(echo "$holding" | grep -v -x -e ./env/envvars -e ./artifacts/command || true)
[ -z "$unexpected" ] || { echo "ee.sh: the API key is also in: $unexpected" >&2; exit 1; }
