#!/bin/bash
# Gives this VM its own identity after a cold boot or a snapshot restore, so VMs made from one
# snapshot never share one. Usage: identity.sh HOSTNAME ADDR/PREFIX MAC EPOCH_SECONDS SEED_HEX HOSTS...
# where each HOSTS entry is NAME=ADDR (this VM included). Run by the host over the agent channel.
#
# Or: identity.sh --restore EPOCH_SECONDS SEED_HEX HOSTS... for a VM restored from a snapshot made
# for its host slot (image.ts ensureSlotSnapshot), which already has its hostname, address, MAC,
# machine-id and engine id: only the clock, the random pool and /etc/hosts (the lab's hosts) change.
set -euo pipefail
seed_and_hosts() {
  # Mix the host's random bytes into the pool (printf, not python: a python start costs ~0.3 s
  # here), then have the kernel reseed its generator from the pool at once, so VMs restored from
  # one snapshot do not draw the same numbers (RNDRESEEDCRNG; perl, as python starts slowly).
  printf "$(sed 's/../\\x&/g' <<< "$1")" > /dev/urandom
  perl -e 'open(my $f, ">", "/dev/urandom") or exit 0; ioctl($f, 0x5207, 0)' 2>/dev/null || true
  shift
  {
    echo "127.0.0.1 localhost"
    echo "::1 localhost ip6-localhost ip6-loopback"
    for entry in "$@"; do echo "${entry#*=} ${entry%%=*}"; done
  } > /etc/hosts
}
name=$1 addr=$2 mac=$3 now=$4 seed=$5
shift 5
date -s "@$now" > /dev/null
seed_and_hosts "$seed" "$@"
hostname "$name"
echo "$name" > /etc/hostname
ip link set eth0 down
ip link set eth0 address "$mac"
ip addr flush dev eth0
ip addr add "$addr" dev eth0
ip link set eth0 up
# A new machine-id, and a new engine id for dockerd (it keeps it in key.json on 20.10 and in
# engine-id on newer releases), which means restarting it. (dockerd's start limit and the agent's
# TasksMax=infinity, once set here, are in the image: guest/docker-service.conf and
# dockerlab-agent.service.)
tr -d - < /proc/sys/kernel/random/uuid > /etc/machine-id
# Unconditionally: right after a resume dockerd may still be settling ("activating"), and a VM
# must never keep the snapshot's engine id.
rm -f /etc/docker/key.json /var/lib/docker/engine-id
systemctl restart docker
