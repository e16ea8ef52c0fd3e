#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: kmqtt against Debian's mosquitto in one QEMU guest (stock Debian kernel,
# 2 vCPUs, TCG), scenario by scenario interleaved, repeated, medians -> BENCHMARKS.md.
# Never part of `make check`.
#
#   tests/bench/run-bench.sh [options]
#     --quick               seconds per scenario, one repetition (also BENCH_QUICK=1)
#     --repeat N            repetitions (default 3; BENCH_REPEAT)
#     --no-kmqtt            mosquitto only (automatic when the module cannot be built)
#     --cases "A B ..."     subset of the matrix (see guest-bench.sh; BENCH_CASES)
#     --scaling MODE        hotplug (default): 1-vCPU runs in the same boot with cpu1
#                           offline; boot: a second boot with --smp 1; none
#     --paced-rate R        msg/s of the fixed paced load for CPU per message (1000)
#     --out DIR             raw results (default /var/tmp/kmqtt-bench/DATE; BENCH_OUT)
#     --note TEXT           a line for the report's Run table (what else shared the host; BENCH_NOTE)
#     --report FILE         where to write the report (default: BENCHMARKS.md at the top)
#     --no-report           keep the raw results only
#     --profile | --no-profile   after the matrix, in the same boot, perf profiles of the
#                           missed-target cases (guest-profile.sh, ~5 min) -> "Where the time
#                           goes" in the report; default on for the full run, off with
#                           --quick or --cases (BENCH_PROFILE=0|1)
# The raw results are JSON lines (one per loadgen run); tests/bench/report.py turns them
# into the report and can be rerun on them at any time.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cmdline="tests/bench/run-bench.sh${*:+ $*}"
[ -n "${MAKELEVEL:-}" ] && cmdline="make bench${BENCH_QUICK:+ BENCH_QUICK=$BENCH_QUICK} ($cmdline)"

quick=${BENCH_QUICK:-} repeat=${BENCH_REPEAT:-} no_kmqtt=${BENCH_NO_KMQTT:-} cases=${BENCH_CASES:-}
scaling=${BENCH_SCALING:-hotplug} paced=${BENCH_PACED_RATE:-} out=${BENCH_OUT:-}
report=$top/BENCHMARKS.md do_report=1 profile=${BENCH_PROFILE:-} run_note=${BENCH_NOTE:-}
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 ;;
	--repeat) repeat=$2; shift ;;
	--no-kmqtt|--no-module) no_kmqtt=1 ;;
	--cases) cases=$2; shift ;;
	--scaling) scaling=$2; shift ;;
	--paced-rate) paced=$2; shift ;;
	--out) out=$2; shift ;;
	--report) report=$2; shift ;;
	--no-report) do_report= ;;
	--profile) profile=1 ;;
	--no-profile) profile=0 ;;
	--note) run_note=$2; shift ;;
	-h|--help) sed -n '3,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "run-bench: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case $scaling in hotplug|boot|none) ;; *) echo "run-bench: --scaling hotplug|boot|none" >&2; exit 2 ;; esac

note() { echo "run-bench: $*" >&2; }
command -v mosquitto >/dev/null || { note "mosquitto missing (apt-get install mosquitto)"; exit 2; }
[ -x "$top/tests/vm/run" ] || { note "tests/vm/run missing"; exit 2; }
make -s -C "$here" loadgen >/dev/null || exit 2

vmargs=()
if [ -z "$no_kmqtt" ] && ! "$top/tests/vm/build-module" --kernel stock kmqtt >/dev/null; then
	note "kmqtt.ko does not build for the stock kernel: measuring mosquitto only"
	no_kmqtt=1
fi
gargs=()
if [ -n "$no_kmqtt" ]; then
	vmargs+=(--no-module)
	gargs+=(--brokers mosquitto)
fi
[ -n "$quick" ] && gargs+=(--quick)
[ -n "$repeat" ] && gargs+=(--repeat "$repeat")
[ -n "$cases" ] && gargs+=(--cases "$cases")
[ -n "$paced" ] && gargs+=(--paced-rate "$paced")
if [ -z "$profile" ]; then	# default: on for the full matrix only
	profile=$([ -z "$quick" ] && [ -z "$cases" ] && echo 1 || echo 0)
fi
if [ "$profile" = 1 ] && ! command -v perf >/dev/null; then
	note "perf missing (apt-get install linux-perf): no profiles"
	profile=0
fi
pflag=()
[ "$profile" = 1 ] && pflag=(--profile)	# first (2-vCPU) boot only

: "${out:=/var/tmp/kmqtt-bench/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out" || exit 2
out=$(realpath "$out")
timeout=$([ -n "$quick" ] && echo 1800 || echo 10800)
read -r load1 _ </proc/loadavg
if [ "${load1%.*}" -ge 1 ]; then
	note "the host is busy (load $load1, $(pgrep -c -f '^qemu-system' || true) QEMU running):" \
		"TCG guests have no steal time, so expect noisy figures"
fi

# ---- the machine -----------------------------------------------------------------------
jstr() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
{
	printf '{"date":%s,' "$(jstr "$(date -u '+%Y-%m-%d %H:%M:%S UTC')")"
	printf '"command":%s,' "$(jstr "$cmdline")"
	printf '"host_cpu":%s,' "$(jstr "$(lscpu | awk -F': *' '/^Model name/ { print $2; exit }')")"
	printf '"host_cpus":%s,' "$(nproc)"
	printf '"host_mem_kb":%s,' "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
	printf '"host_kernel":%s,' "$(jstr "$(uname -r)")"
	printf '"qemu":%s,' "$(jstr "$(qemu-system-x86_64 --version | head -n 1)")"
	printf '"git":%s,' "$(jstr "$(git -C "$top" describe --always --dirty 2>/dev/null || echo none)")"
	printf '"host_load_start":%s,' "$(jstr "$(cut -d' ' -f1-3 /proc/loadavg)")"
	printf '"host_qemus_start":%s,' "$(pgrep -c -f '^qemu-system' || true)"
	[ -n "$run_note" ] && printf '"note":%s,' "$(jstr "$run_note")"
	printf '"out":%s}\n' "$(jstr "$out")"
} >"$out/host.json"
# The host is shared: count QEMU guests every 10 s (ours included) for the report.
( while :; do pgrep -c -f '^qemu-system' || true; sleep 10; done ) >"$out/host-qemus.log" 2>/dev/null &
qemus_pid=$!

boot() {	# SMP DIR GUEST-ARGS...
	local smp=$1 dir=$2; shift 2
	mkdir -p "$dir"; chmod 777 "$dir"
	note "booting the guest with $smp vCPU(s); raw results in $dir"
	# Not a pipe into tee: a child of the harness that outlives it (its timeout
	# watchdog) would keep the pipe open, and us waiting, until it expires.
	(cd "$top" && exec tests/vm/run --kernel stock --smp "$smp" --mem 2048 --timeout "$timeout" \
		--out "$dir" --log "$dir/console.log" "${vmargs[@]}" -- tests/bench/guest-bench.sh "$@") \
		>"$dir/output.txt" 2>&1 &
	local pid=$! rc
	tail -n +1 -f --pid="$pid" "$dir/output.txt" &
	local tpid=$!
	trap 'kill $pid 2>/dev/null' INT TERM
	wait "$pid"; rc=$?
	trap - INT TERM
	sleep 0.5; kill "$tpid" 2>/dev/null; wait "$tpid" 2>/dev/null
	return "$rc"
}

rc=0
case $scaling in
hotplug) boot 2 "$out/smp2" "${gargs[@]}" "${pflag[@]}" || rc=$? ;;
none) boot 2 "$out/smp2" "${gargs[@]}" "${pflag[@]}" --scaling none || rc=$? ;;
boot)
	boot 2 "$out/smp2" "${gargs[@]}" "${pflag[@]}" --scaling none || rc=$?
	boot 1 "$out/smp1" "${gargs[@]}" --scaling only || rc=$?
	;;
esac
[ "$rc" = 0 ] || note "the guest run ended with status $rc (partial results are still reported)"
kill "$qemus_pid" 2>/dev/null
python3 - "$out/host.json" "$out/host-qemus.log" <<'PY'
import json, sys
p = sys.argv[1]
h = json.load(open(p))
h["host_load_end"] = " ".join(open("/proc/loadavg").read().split()[:3])
counts = [int(x) for x in open(sys.argv[2]).read().split() if x.isdigit()]
if counts:
    h["host_qemus_max_others"] = max(counts) - 1
json.dump(h, open(p, "w"))
PY

for p in "$out"/smp*/profile; do	# perf reports: on the host (minutes under TCG)
	[ -d "$p" ] && python3 "$here/profsum.py" post "$p"
done
if [ -n "$do_report" ]; then
	python3 "$here/report.py" --out "$report" "$out" || exit 2
	note "wrote $report"
fi
exit "$rc"
