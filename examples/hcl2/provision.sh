#!/bin/sh
# Bakes the web server into the image, so an instance launched from it serves at boot.
set -eux
export DEBIAN_FRONTEND=noninteractive
cloud-init status --wait || true
apt-get update
apt-get install -y --no-install-recommends nginx
systemctl enable nginx
apt-get clean
rm -rf /var/lib/apt/lists/*
