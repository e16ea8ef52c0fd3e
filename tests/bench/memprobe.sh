#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Memory snapshot for the connection-storm case, called by
#   loadgen --hook "memprobe.sh PREFIX"   as   memprobe.sh PREFIX baseline|loaded
# and writing PREFIX.PHASE.json.
#
# Whole-system memory in use = MemTotal - (MemAvailable + pages parked on the
# per-CPU free lists).  Those per-CPU pages (/proc/zoneinfo "pagesets" ->
# "count:") are free but not counted in MemFree/MemAvailable, and move by
# 8-17 MB between two samples, which is more than the quantity we measure.
# $BENCH_BROKER_PID (userspace broker) and $LOADGEN_PID get their VmRSS.
# /proc/slabinfo and /proc/meminfo are copied to PREFIX.PHASE.{slabinfo,meminfo} for the
# per-cache breakdown (tests/bench/profsum.py slab).
prefix=$1 phase=$2
sleep "${MEMPROBE_SETTLE:-1}"	# let RCU-deferred frees and socket timers settle
rss() { [ -n "$1" ] && awk '/^VmRSS:/ { print $2; f = 1 } END { if (!f) print "null" }' "/proc/$1/status" 2>/dev/null || echo null; }
mi() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
pcp=$(awk '$1 == "count:" { s += $2 } END { print s + 0 }' /proc/zoneinfo)
tcpmem=$(awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "mem") print $(i + 1) }' /proc/net/sockstat)
brss=null
[ -n "${BENCH_BROKER_PID:-}" ] && brss=$(rss "$BENCH_BROKER_PID")
lrss=null
[ -n "${LOADGEN_PID:-}" ] && lrss=$(rss "$LOADGEN_PID")
printf '{"phase":"%s","mem_total_kb":%s,"mem_available_kb":%s,"mem_free_kb":%s,"pcp_pages":%s,"page_kb":%s,"slab_kb":%s,"sunreclaim_kb":%s,"anon_kb":%s,"kernel_stack_kb":%s,"page_tables_kb":%s,"tcp_mem_pages":%s,"broker_rss_kb":%s,"loadgen_rss_kb":%s}\n' \
	"$phase" "$(mi MemTotal)" "$(mi MemAvailable)" "$(mi MemFree)" "$pcp" \
	"$(( $(getconf PAGESIZE) / 1024 ))" "$(mi Slab)" "$(mi SUnreclaim)" "$(mi AnonPages)" "$(mi KernelStack)" "$(mi PageTables)" "${tcpmem:-null}" \
	"${brss:-null}" "${lrss:-null}" >"$prefix.$phase.json"
cat /proc/slabinfo >"$prefix.$phase.slabinfo" 2>/dev/null
cat /proc/meminfo >"$prefix.$phase.meminfo"
