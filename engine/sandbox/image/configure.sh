#!/usr/bin/env bash
# Configures the VM's root filesystem. Usage: configure.sh ROOTFS GUEST_DIR REGISTRY_DIR DEBS_DIR
set -euo pipefail
root=$1 guest=$2 registry=$3 debs=$4
install -D -m 0755 "$guest/agent.py" "$root/usr/local/lib/dockerlab/agent.py"
for unit in dockerlab-agent dockerlab-mirror dockerlab-apt dockerlab-dns; do
  install -D -m 0644 "$guest/$unit.service" "$root/etc/systemd/system/$unit.service"
done
install -D -m 0644 "$guest/mirror.yml" "$root/etc/dockerlab/mirror.yml"
install -D -m 0644 "$guest/daemon.json" "$root/etc/docker/daemon.json"
install -D -m 0644 "$guest/container-limits.conf" "$root/etc/systemd/system/docker-.scope.d/dockerlab.conf"
install -D -m 0644 "$guest/docker-service.conf" "$root/etc/systemd/system/docker.service.d/dockerlab.conf"
install -D -m 0644 "$guest/bashrc" "$root/root/.bashrc"
install -D -m 0644 "$guest/profile" "$root/root/.profile"
# root's .bashrc loads Tab completion at the first Tab; this file loaded it eagerly, a second time.
rm -f "$root/etc/profile.d/bash_completion.sh"
# /etc/profile runs `id -u` (a process start, ~40 ms under TCG) in every login shell; bash has $EUID.
sed -i 's/"$(id -u)"/"${EUID:-$(id -u)}"/' "$root/etc/profile"
grep -q 'EUID:-' "$root/etc/profile"
# mmdebstrap leaves the build machine's resolv.conf; the VM has its own resolver (dockerlab-dns).
rm -f "$root/etc/resolv.conf"
install -m 0644 "$guest/resolv.conf" "$root/etc/resolv.conf"
mkdir -p "$root/var/lib/dockerlab" "$root/srv/debian"
cp -a "$registry" "$root/var/lib/dockerlab/mirror"
cp -a "$debs"/. "$root/srv/debian/"

echo dockerlab > "$root/etc/hostname"
echo "/dev/vda / ext4 defaults,noatime 0 1" > "$root/etc/fstab"
printf '127.0.0.1 localhost\n' > "$root/etc/hosts"
: > "$root/etc/machine-id"
passwd --root "$root" -d root > /dev/null
# Modules the lessons need, loaded at boot so the first `docker run` or `ovs-vsctl` is not slower.
printf '%s\n' overlay br_netfilter veth vxlan openvswitch bridge > "$root/etc/modules-load.d/dockerlab.conf"

systemctl --root="$root" enable dockerlab-agent.service dockerlab-mirror.service dockerlab-apt.service \
  dockerlab-dns.service > /dev/null
systemctl --root="$root" disable docker-registry.service > /dev/null 2>&1 || true
# Nothing here can reach the internet and boot time under TCG is precious: drop the timers and
# services that would only wait for a network or rebuild caches.
for unit in apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer fstrim.timer \
  systemd-timesyncd.service dpkg-db-backup.timer logrotate.timer; do
  systemctl --root="$root" mask "$unit" > /dev/null 2>&1 || true
done
systemctl --root="$root" set-default multi-user.target > /dev/null
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=16M\n' > "$root/etc/systemd/journald.conf.d/dockerlab.conf"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
