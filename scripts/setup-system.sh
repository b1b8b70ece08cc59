#!/usr/bin/env bash
# Installs the Debian packages Polychip uses, when they are missing:
#   dataset-fashion-mnist   the full Fashion-MNIST set (else @polychip/datasets uses its embedded subset)
#   chromium                browser tests (/usr/bin/chromium, driven by playwright-core) and its
#                           SwiftShader Vulkan driver, which WebGPU uses without a GPU
#   libvulkan1              the Vulkan loader Dawn (the `webgpu` npm package) needs to find SwiftShader
#   python3-torch, python3-numpy   only with POLYCHIP_GOLDEN=1, to regenerate golden fixtures
# Idempotent and quiet when everything is there. Needs root or password-less sudo; without them,
# or without apt, it warns and exits 0 so callers (CI, pnpm scripts) carry on with the fallbacks.
# POLYCHIP_SKIP_SYSTEM_SETUP=1 skips it entirely.
set -u

warn() { echo "setup-system: warning: $*" >&2; }

[ "${POLYCHIP_SKIP_SYSTEM_SETUP:-0}" = 1 ] && exit 0

has_package() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || missing+=(dataset-fashion-mnist)
[ -x /usr/bin/chromium ] || missing+=(chromium)
has_package libvulkan1 || missing+=(libvulkan1)
if [ "${POLYCHIP_GOLDEN:-0}" = 1 ]; then
  has_package python3-torch || missing+=(python3-torch)
  has_package python3-numpy || missing+=(python3-numpy)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  warn "apt-get not found; not installing ${missing[*]} (datasets fall back to the embedded subset)"
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  warn "not root and no password-less sudo; not installing ${missing[*]} (datasets fall back to the embedded subset)"
  exit 0
fi

log=$(mktemp "${TMPDIR:-/tmp}/polychip-setup-system.XXXXXX.log")
apt() { "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@" >>"$log" 2>&1; }

echo "setup-system: installing ${missing[*]}"
# One update per run, and only because something is missing: a stale or empty list would not find the packages.
apt update || warn "apt-get update failed (see $log); trying the install with the lists already there"
if apt install --no-install-recommends "${missing[@]}"; then
  rm -f "$log"
  exit 0
fi

# All at once failed (one unknown package spoils the batch): try each one so the rest still land.
for package in "${missing[@]}"; do
  apt install --no-install-recommends "$package" || warn "could not install $package (see $log)"
done
exit 0
