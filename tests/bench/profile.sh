#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where the time goes: boots ONE stock-kernel guest (2 vCPUs, TCG) with kmqtt loaded,
# starts Mosquitto as guest-bench.sh does, and for each chosen case runs the load
# generator against each broker under `perf record -a -g -e cpu-clock` (TCG has no PMU),
# then writes perf reports and grouped summaries (tests/bench/profsum.py); with --mem
# (default) also the per-connection slab/meminfo breakdown of a 2000-connection storm.
#
#   tests/bench/profile.sh [options]          (make -C tests/bench profile)
#     --cases "A B@1 ..."   cases of guest-bench.sh; CASE@N = with N vCPUs online
#                           (default "cpu-q0 fanin-q0 pairs-q0 pairs-q0@1"; PROFILE_CASES)
#     --brokers "kmqtt mosquitto"   --duration S (5)   --warmup S (1)   --freq HZ (999)
#     --no-mem | --mem-only        --storm-conns N (2000)
#     --out DIR             default /var/tmp/kmqtt-bench/profile-DATE (PROFILE_OUT)
#     --slab-merge          boot without slab_nomerge (default: slab_nomerge, so that the
#                           memory breakdown names every slab cache on its own)
#     --report FILE         also write a report (report.py --profile) of the profiles only
# Output: OUT/profile/CASE.BROKER.{txt,sym.txt,dso.txt,calls.txt,json,folded,...},
# OUT/profile/mem.BROKER.txt; `python3 tests/bench/report.py --profile OUT/profile ...`
# embeds them in BENCHMARKS.md ("Where the time goes").  Takes ~8 minutes.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${PROFILE_OUT:-} report= gargs=() vmargs=(--append slab_nomerge)
[ -n "${PROFILE_CASES:-}" ] && gargs+=(--cases "$PROFILE_CASES")
while [ $# -gt 0 ]; do
	case "$1" in
	--cases|--brokers|--duration|--warmup|--freq|--storm-conns|--paced-rate)
		gargs+=("$1" "$2"); shift ;;
	--no-mem|--mem|--mem-only|--no-keep-data) gargs+=("$1") ;;
	--slab-merge) vmargs=() ;;
	--out) out=$2; shift ;;
	--report) report=$2; shift ;;
	-h|--help) sed -n '3,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "profile: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
command -v perf >/dev/null || { echo "profile: perf missing (apt-get install linux-perf)" >&2; exit 2; }
command -v mosquitto >/dev/null || { echo "profile: mosquitto missing" >&2; exit 2; }
make -s -C "$here" loadgen >/dev/null || exit 2
: "${out:=/var/tmp/kmqtt-bench/profile-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out" && chmod 777 "$out" || exit 2
out=$(realpath "$out")
echo "profile: booting the guest; results in $out/profile" >&2
(cd "$top" && exec tests/vm/run --kernel stock --smp 2 --mem 2048 --timeout 2400 \
	--out "$out" --log "$out/console.log" "${vmargs[@]}" -- tests/bench/guest-profile.sh "${gargs[@]}") \
	>"$out/output.txt" 2>&1 &
pid=$!
tail -n +1 -f --pid="$pid" "$out/output.txt" &
tpid=$!
trap 'kill $pid 2>/dev/null' INT TERM
wait "$pid"; rc=$?
trap - INT TERM
sleep 0.5; kill "$tpid" 2>/dev/null; wait "$tpid" 2>/dev/null
python3 "$here/profsum.py" post "$out/profile" || rc=2
if [ -n "$report" ]; then
	python3 "$here/report.py" --profile "$out/profile" --out "$report" || rc=2
fi
echo "profile: summaries:" "$out"/profile/*.txt | sed 's/ /\n  /g' >&2
exit "$rc"
