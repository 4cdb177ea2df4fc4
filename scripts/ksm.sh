#!/usr/bin/env bash
# Turns on KSM (kernel samepage merging) on the host, so the labs' VMs share their identical pages:
# every lab is restored from the same snapshot, and QEMU marks guest RAM mergeable by default
# (-machine mem-merge=on). Run by setup.sh as root; a host without KSM, or where /sys is read-only
# (a container), only gets a note: labs then just take more memory.
# KSM_DIR picks another folder (the test's).
set -euo pipefail
dir=${KSM_DIR:-/sys/kernel/mm/ksm}
if [ ! -e "$dir/run" ]; then
  echo "注意：本机内核没有 KSM，实验机器之间不能共享相同的内存页 / note: no KSM in this kernel: labs share no memory pages"
  exit 0
fi
if [ "$(cat "$dir/run")" = 1 ]; then exit 0; fi
# 1000 pages (4 MB) every 50 ms: six idle labs' pages are merged within 2–3 minutes; ksmd keeps
# scanning at that rate while labs run, about 1 % of one core however many (docs/bench.md).
if { echo 1000 > "$dir/pages_to_scan" && echo 50 > "$dir/sleep_millisecs" && echo 1 > "$dir/run"; } 2>/dev/null; then
  echo "==> KSM 已开启 / KSM on: labs share identical memory pages"
else
  echo "注意：不能开启 KSM（$dir 只读？）/ note: could not turn KSM on ($dir read-only?): labs take more memory"
fi
