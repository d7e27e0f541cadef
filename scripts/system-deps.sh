#!/usr/bin/env bash
# Installs the Debian packages that tests, the demo and benchmarks call, when missing.
set -euo pipefail
need=()
command -v hashdeep >/dev/null || need+=(hashdeep)
command -v 7z >/dev/null || need+=(p7zip-full)
command -v zip >/dev/null || need+=(zip)
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
