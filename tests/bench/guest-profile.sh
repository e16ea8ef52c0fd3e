#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Whole-guest CPU profiles and the per-connection memory breakdown, run INSIDE the guest
# (tests/bench/profile.sh, or guest-bench.sh --profile after the matrix).  kmqtt
# (loaded by the harness) on 127.0.0.1:1883, Debian's mosquitto started here on 1884
# (nothing else may listen there).  For each case and broker:
#   perf record -a -g -e cpu-clock -F FREQ -- loadgen ...
# into OUT (default $KMQTT_OUT/profile): CASE[@N].BROKER.perf.data, .result.json (the
# loadgen JSON line), kallsyms (this boot's, for kmqtt.ko's symbols); with --mem the
# slabinfo/meminfo snapshots of an idle-connection storm, mem.BROKER.*.
# The reports are made on the host (perf under TCG takes minutes):
#   python3 tests/bench/profsum.py post OUT     (profile.sh and run-bench.sh do it)
#
# options: --cases "cpu-q0 fanin-q0 pairs-q0 pairs-q0@1"  (CASE@N: with N vCPUs online)
#          --brokers "kmqtt mosquitto"  --duration S (5)  --warmup S (1)  --freq HZ (999)
#          --paced-rate R (1000)  --mem | --no-mem  --mem-only  --storm-conns N (2000)
#          --out DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
LG=$here/loadgen
base=${KMQTT_OUT:?run me through tests/vm/run}
scratch=${KMQTT_SCRATCH:-/tmp}/prof
mkdir -p "$scratch"

cases="cpu-q0 fanin-q0 pairs-q0 pairs-q0@1" brokers="kmqtt mosquitto"
dur=5 warm=1 freq=999 paced=1000 do_mem=1 mem_only= conns=2000 out=
while [ $# -gt 0 ]; do
	case "$1" in
	--cases) cases=$2; shift ;;
	--brokers) brokers=$2; shift ;;
	--duration) dur=$2; shift ;;
	--warmup) warm=$2; shift ;;
	--freq) freq=$2; shift ;;
	--paced-rate) paced=$2; shift ;;
	--mem) do_mem=1 ;;
	--no-mem) do_mem= ;;
	--mem-only) do_mem=1 mem_only=1 ;;
	--storm-conns) conns=$2; shift ;;
	--out) out=$2; shift ;;
	*) echo "guest-profile: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
: "${out:=$base/profile}"
mkdir -p "$out" || exit 2
[ -x "$LG" ] || { echo "guest-profile: $LG missing (make -C tests/bench)" >&2; exit 2; }
command -v perf >/dev/null || { echo "guest-profile: perf missing (apt-get install linux-perf)" >&2; exit 2; }
export HOME=$scratch	# perf's ~/.debug build-id cache: not on the read-only root
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
ncpu=$(nproc)
echo 0 >/proc/sys/kernel/kptr_restrict 2>/dev/null
echo -1 >/proc/sys/kernel/perf_event_paranoid 2>/dev/null

me=guest-profile
. "$here/guest-lib.sh"
bench_matrix "$paced" 5 3 1 "$conns"
trap mosq_stop EXIT
brokers_up "$brokers"

settle() { "$LG" --wait-idle 60 || echo "guest-profile: guest still busy, going on" >&2; }

prof_one() {	# CASE CPUS BROKER
	local name=$1 cpus=$2 broker=$3 tag port extra=() t0
	tag=$name$([ "$cpus" != "$ncpu" ] && echo "@$cpus").$broker
	if [ "$broker" = mosquitto ]; then port=1884; extra=(--broker-pid "$MOSQ_PID")
	else port=1883; fi
	settle
	t0=$(date +%s)
	# -B -N: no build-id post-processing (slow under TCG); the host resolves symbols
	# from the same files (the guest's / is the host's) and the guest's kallsyms
	# shellcheck disable=SC2086
	perf record -q -B -N -a -g -e cpu-clock -F "$freq" -o "$scratch/perf.data" -- \
		"$LG" -t "$cpus" -d "$dur" -w "$warm" ${C[$name]} -p "$port" "${extra[@]}" \
		--label "profile-$name" >"$out/$tag.result.json" 2>"$scratch/human"
	mv "$scratch/perf.data" "$out/$tag.perf.data"	# recorded on tmpfs, not over 9p
	printf '[profile %s] %s (%d s)\n' "$tag" "$(tail -n 1 "$scratch/human")" $(( $(date +%s) - t0 ))
}

mem_one() {	# BROKER
	local broker=$1 port=1883 pfx=$scratch/mem rc
	local -x BENCH_BROKER_PID=
	if [ "$broker" = mosquitto ]; then	# fresh process, as in guest-bench.sh
		mosq_stop; mosq_start || return
		port=1884 BENCH_BROKER_PID=$MOSQ_PID
	fi
	settle
	rm -f "$pfx".*
	"$LG" -s storm -C "$conns" --hold 0 -p "$port" -t "$ncpu" \
		--hook "$here/memprobe.sh $pfx" >"$out/mem.$broker.result.json" 2>"$scratch/human"
	rc=$?
	for ph in baseline loaded; do
		for x in json slabinfo meminfo; do
			[ -e "$pfx.$ph.$x" ] && cp "$pfx.$ph.$x" "$out/mem.$broker.$ph.$x"
		done
	done
	[ -e "$pfx.loaded.slabinfo" ] ||
		echo "guest-profile: storm against $broker gave no snapshots (rc $rc)" >&2
	echo "[mem $broker] $(tail -n 1 "$scratch/human")"
}

cat /proc/kallsyms >"$out/kallsyms"	# for the host's perf report (kmqtt.ko's symbols)
# which caches are merged (SLUB aliases): the growth of a merged cache is reported
# under one of its names
ls -l /sys/kernel/slab/ 2>/dev/null | awk '$1 ~ /^l/ { print $(NF-2), $NF }' >"$out/slab-aliases.txt"
printf '{"slab_nomerge":%s,"guest_kernel":"%s","guest_cpus":%d,"freq":%s,"duration_s":%s,"warmup_s":%s,"paced_rate":%s,"storm_conns":%s,"cases":"%s","brokers":"%s"}\n' \
	"$(grep -qw slab_nomerge /proc/cmdline && echo true || echo false)" "$(uname -r)" "$ncpu" "$freq" "$dur" "$warm" "$paced" "$conns" "$cases" "${have[*]}" \
	>"$out/profile.json"

start=$(date +%s)
if [ -z "$mem_only" ]; then
	for spec in $cases; do
		name=${spec%@*} cpus=$ncpu
		[ "$spec" != "$name" ] && cpus=${spec#*@}
		[ -n "${C[$name]+x}" ] || { echo "guest-profile: unknown case $name" >&2; continue; }
		[ "$cpus" -le "$ncpu" ] || { echo "guest-profile: $spec: only $ncpu cpus" >&2; continue; }
		[ "$cpus" != "$ncpu" ] && set_cpus "$cpus"
		for b in "${have[@]}"; do prof_one "$name" "$cpus" "$b"; done
		[ "$cpus" != "$ncpu" ] && set_cpus "$ncpu"
	done
fi
if [ -n "$do_mem" ]; then
	for b in "${have[@]}"; do mem_one "$b"; done
fi
echo "guest-profile: done in $(( $(date +%s) - start )) s; results in $out"
