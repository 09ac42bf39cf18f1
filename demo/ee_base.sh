#!/usr/bin/env bash
# Make the base image make ee-demo builds on, without a registry: a minimal Debian made with
# debootstrap and imported into podman. Needs root and a Debian mirror.
#
# Usage: demo/ee_base.sh IMAGE      (DEBIAN_MIRROR overrides http://deb.debian.org/debian)
#
# Debian keeps pip off its system Python (ensurepip is disabled there), so ansible-builder gets a
# virtual environment, /opt/ee, first on PATH. The host's extra CAs (/usr/local/share/ca-certificates) go into the image's trust store, so pip in
# the image build trusts the same TLS proxy the host does.
set -euo pipefail
image=${1:?usage: ee_base.sh IMAGE}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" = 0 ] || { echo "ee_base.sh: debootstrap needs root" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "ee_base.sh: debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== Bootstrapping Debian bookworm from $mirror"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$work/rootfs/usr/local/share/ca-certificates/"
  chroot "$work/rootfs" update-ca-certificates >/dev/null
fi
chroot "$work/rootfs" python3 -m venv /opt/ee
rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*

echo "== Importing it as $image"
tar -C "$work/rootfs" -c . | podman import --quiet \
  --change 'ENV PATH=/opt/ee/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' --change 'CMD ["bash"]' - "$image" >/dev/null
