#!/bin/bash
# Gives this VM its own identity after a cold boot or a snapshot restore, so VMs made from one
# snapshot never share one. Usage: identity.sh HOSTNAME ADDR/PREFIX MAC EPOCH_SECONDS SEED_HEX HOSTS...
# where each HOSTS entry is NAME=ADDR (this VM included). Run by the host over the agent channel.
set -euo pipefail
name=$1 addr=$2 mac=$3 now=$4 seed=$5
shift 5
date -s "@$now" > /dev/null
# Mix the host's random bytes into the pool (printf, not python: a python start costs ~0.3 s here).
printf "$(sed 's/../\\x&/g' <<< "$seed")" > /dev/urandom
hostname "$name"
echo "$name" > /etc/hostname
{
  echo "127.0.0.1 localhost"
  echo "::1 localhost ip6-localhost ip6-loopback"
  for entry in "$@"; do echo "${entry#*=} ${entry%%=*}"; done
} > /etc/hosts
ip link set eth0 down
ip link set eth0 address "$mac"
ip addr flush dev eth0
ip addr add "$addr" dev eth0
ip link set eth0 up
# A new machine-id, and a new engine id for dockerd (it keeps it in key.json on 20.10 and in
# engine-id on newer releases), which means restarting it.
tr -d - < /proc/sys/kernel/random/uuid > /etc/machine-id
# Learners restart dockerd often (daemon.json lessons); systemd's default limit of 3 starts a minute
# would leave them with "start request repeated too quickly".
# The reload (~1-2 s under TCG) runs after dockerd is back, off the lab's start-up path.
mkdir -p /etc/systemd/system/docker.service.d
printf '[Unit]\nStartLimitIntervalSec=0\n' > /etc/systemd/system/docker.service.d/dockerlab.conf
# Unconditionally: right after a resume dockerd may still be settling ("activating"), and a VM
# must never keep the snapshot's engine id.
rm -f /etc/docker/key.json /var/lib/docker/engine-id
systemctl restart docker
# Learner shells have their own task limit inside the agent's cgroup (agent.py, Limits: 2000);
# the service's default TasksMax (15% of threads-max, ~1100 in 1 GiB) is lower and would let a fork
# bomb in a shell stop the agent forking the host's commands. (Runtime-only here, so no image rebuild;
# belongs in dockerlab-agent.service at the next rebuild.)
setsid sh -c 'systemctl set-property --runtime dockerlab-agent.service TasksMax=infinity; systemctl daemon-reload' \
  < /dev/null > /dev/null 2>&1 &
