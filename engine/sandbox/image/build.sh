#!/usr/bin/env bash
# Builds the sandbox VM image from Debian packages only. Usage: build.sh OUT_DIR
# Prints "::step N/TOTAL what" lines that the caller turns into a progress bar, and
# "::time N SECONDS" when step N ends (the VM system, step 3, is installed alongside step 2).
# Outputs in OUT_DIR: vmlinuz, initrd.img, disk.qcow2 (images are pulled into dockerd later, in the VM).
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
guest=$(cd "$here/../guest" && pwd)
suite=${DOCKERLAB_SUITE:-bookworm}
work="$out/work"
total=6
started=$SECONDS
step() { echo "::step $1/$total $2"; }
took() { echo "::time $1 $(($SECONDS - $2))"; }
list() { grep -v '^\s*#' "$1" | grep -v '^\s*$' | paste -sd, -; }
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1735689600} # fixed, so image layers don't differ by build date
rm -rf "$work"; mkdir -p "$work"
no_recommends=(--aptopt='Apt::Install-Recommends "false"' --aptopt='Acquire::Retries "3"')

step 1 "下载容器软件包 / downloading container packages"
t=$SECONDS
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
# The busybox image's busybox: Debian 13's static build. Bookworm's (1.35, and the build machine's
# busybox-static) is built without FEATURE_WGET_TIMEOUT, and there `wget -T 5` writes through a
# NULL pointer and crashes (exit 139). A static binary needs nothing else from trixie.
bb="$work/busybox-apt"
mkdir -p "$bb/lists/partial" "$bb/archives/partial" "$bb/deb"
echo "deb http://deb.debian.org/debian trixie main" > "$bb/sources.list"
bb_apt=(-o Dir::Etc::SourceList="$bb/sources.list" -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$bb/lists"
  -o Dir::Cache="$bb" -o Dir::Cache::archives="$bb/archives" -o Acquire::Languages=none -o APT::Sandbox::User=root
  -o Acquire::Retries=3)
apt-get -qq "${bb_apt[@]}" update
(cd "$bb" && apt-get -qq "${bb_apt[@]}" download busybox-static)
dpkg-deb -x "$bb"/busybox-static_*.deb "$bb/deb"
install -m 0755 "$(ls "$bb"/deb/usr/bin/busybox "$bb"/deb/bin/busybox 2> /dev/null | head -1)" "$work/busybox"
rm -rf "$bb"
took 1 $t

# The Docker images (from the local repository) and the VM system (from the Debian archive) do not
# depend on each other: install the VM system in the background meanwhile (both cores get work).
step 2 "构建 Docker 镜像（同时安装虚拟机系统）/ building the Docker images (and the VM system alongside)"
t=$SECONDS
(
  mmdebstrap --quiet --variant=minbase "${no_recommends[@]}" \
    --include="$(list "$here/packages.txt")" "$suite" "$work/rootfs" > "$work/rootfs.log" 2>&1
  echo "$(($SECONDS - t))" > "$work/rootfs.seconds"
) &
rootfs_job=$!
python3 "$here/mkimages.py" --mirror "$local_mirror" --suite "$suite" --work "$work/images" \
  --registry "$work/registry" --apt-url "http://10.254.254.254:3142/debian" --busybox "$work/busybox"
took 2 $t

step 3 "安装虚拟机系统 / installing the VM system"
t=$SECONDS
if ! wait "$rootfs_job"; then
  tail -30 "$work/rootfs.log" >&2
  echo "mmdebstrap of the VM system failed (log above)" >&2
  exit 1
fi
echo "  the VM system took $(cat "$work/rootfs.seconds") s in all, beside step 2"
took 3 $t

step 4 "配置虚拟机 / configuring the VM"
t=$SECONDS
bash "$here/configure.sh" "$work/rootfs" "$guest" "$work/registry" "$work/debs"
took 4 $t

step 5 "生成磁盘 / writing the disk image"
t=$SECONDS
cp "$(ls "$work"/rootfs/boot/vmlinuz-* | sort -V | tail -1)" "$out/vmlinuz"
cp "$(ls "$work"/rootfs/boot/initrd.img-* | sort -V | tail -1)" "$out/initrd.img"
mkfs.ext4 -q -F -L dockerlab -d "$work/rootfs" "$work/disk.raw" "${DOCKERLAB_DISK_SIZE:-12G}"
qemu-img convert -O qcow2 "$work/disk.raw" "$out/disk.qcow2"
took 5 $t

step 6 "清理 / cleaning up"
t=$SECONDS
rm -rf "$work"
took 6 $t
echo "  build.sh took $(($SECONDS - started)) s"
