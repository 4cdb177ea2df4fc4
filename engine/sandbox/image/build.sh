#!/usr/bin/env bash
# Builds the sandbox VM image from Debian packages only. Usage: build.sh OUT_DIR
# Prints "::step N/TOTAL what" lines that the caller turns into a progress bar.
# Outputs in OUT_DIR: vmlinuz, initrd.img, disk.qcow2 (images are pulled into dockerd later, in the VM).
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
guest=$(cd "$here/../guest" && pwd)
suite=${DOCKERLAB_SUITE:-bookworm}
work="$out/work"
total=6
step() { echo "::step $1/$total $2"; }
list() { grep -v '^\s*#' "$1" | grep -v '^\s*$' | paste -sd, -; }
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1735689600} # fixed, so image layers don't differ by build date
rm -rf "$work"; mkdir -p "$work"
no_recommends=(--aptopt='Apt::Install-Recommends "false"' --aptopt='Acquire::Retries "3"')

step 1 "下载容器软件包 / downloading container packages"
mmdebstrap --quiet --variant=minbase "${no_recommends[@]}" --skip=essential/unlink,cleanup/apt/cache \
  --include="$(list "$here/container-packages.txt")" "$suite" "$work/pkgroot"
mkdir -p "$work/debs"
mv "$work/pkgroot"/var/cache/apt/archives/*.deb "$work/debs/"
rm -rf "$work/pkgroot"
# A flat repository with a Release naming the suite, so apt (and mmdebstrap's patterns) see "$suite".
(cd "$work/debs" && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null > Packages && gzip -kf Packages &&
  apt-ftparchive -o APT::FTPArchive::Release::Suite="$suite" -o APT::FTPArchive::Release::Codename="$suite" \
    -o APT::FTPArchive::Release::Architectures=amd64 -o APT::FTPArchive::Release::Components=main release . > Release)
local_mirror="deb [trusted=yes] copy://$work/debs ./"

step 2 "构建 Docker 镜像 / building the Docker images"
python3 "$here/mkimages.py" --mirror "$local_mirror" --suite "$suite" --work "$work/images" \
  --registry "$work/registry" --apt-url "http://10.254.254.254:3142/debian"

step 3 "安装虚拟机系统 / installing the VM system"
mmdebstrap --quiet --variant=minbase "${no_recommends[@]}" \
  --include="$(list "$here/packages.txt")" "$suite" "$work/rootfs"

step 4 "配置虚拟机 / configuring the VM"
bash "$here/configure.sh" "$work/rootfs" "$guest" "$work/registry" "$work/debs"

step 5 "生成磁盘 / writing the disk image"
cp "$(ls "$work"/rootfs/boot/vmlinuz-* | sort -V | tail -1)" "$out/vmlinuz"
cp "$(ls "$work"/rootfs/boot/initrd.img-* | sort -V | tail -1)" "$out/initrd.img"
mkfs.ext4 -q -F -L dockerlab -d "$work/rootfs" "$work/disk.raw" "${DOCKERLAB_DISK_SIZE:-12G}"
qemu-img convert -O qcow2 "$work/disk.raw" "$out/disk.qcow2"

step 6 "清理 / cleaning up"
rm -rf "$work"
