#!/usr/bin/env bash
# Installs what dockerlab needs on a Debian machine and builds the VM image (cached, so later runs
# take seconds). Run by `npm start` and `npm test`; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(qemu-system-x86 socat strace qemu-utils mmdebstrap apt-utils dpkg-dev e2fsprogs busybox-static util-linux gcc libc6-dev chromium fonts-noto-cjk python3 make g++)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" > /dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "缺少软件包 / missing Debian packages: ${missing[*]}" >&2
    echo "请以 root 运行 / as root, run: apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "==> 安装软件包 / installing: ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci"
  npm ci --no-audit --no-fund
fi
# QEMU runs as this unprivileged user, never as root (engine/sandbox/vm.ts); kvm for /dev/kvm.
if [ "$(id -u)" = 0 ] && ! id dockerlab > /dev/null 2>&1; then
  echo "==> 创建用户 dockerlab / creating the system user dockerlab (QEMU runs as it)"
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin dockerlab
fi
if [ "$(id -u)" = 0 ] && getent group kvm > /dev/null; then usermod -aG kvm dockerlab; fi
if [ "$(id -u)" = 0 ]; then bash scripts/ksm.sh; fi
echo "==> 虚拟机镜像与快照 / VM image and snapshot"
node bin/dockerlab.js sandbox build
