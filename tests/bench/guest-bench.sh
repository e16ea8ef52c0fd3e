#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The benchmark matrix, run INSIDE the guest by run-bench.sh through tests/vm/run.
# kmqtt (loaded by the harness) listens on 127.0.0.1:1883; Debian's mosquitto is
# started here on 127.0.0.1:1884.  Cases run one after the other with the two brokers
# interleaved (the order alternates between repetitions); each result is one JSON
# line appended to $KMQTT_OUT/results.jsonl:
#   {"case":..,"broker":..,"rep":..,"cpus":..,"rc":..,"result":{loadgen JSON},"mem":{..}}
#
# options: --quick  --repeat N  --brokers "kmqtt mosquitto"  --cases "a b ..."
#          --scaling hotplug|none|only   hotplug: also run the scaling cases with only
#                                        cpu0 online; only: just the scaling cases
#          --paced-rate R  --duration S  --warmup S  --storm-conns N  --tag TEXT
#          --profile     after the matrix, guest-profile.sh (perf profiles of the default
#                        profile cases) into $KMQTT_OUT/profile; the storm's slab/meminfo
#                        snapshots (last repetition) go there too
set -u
here=$(cd "$(dirname "$0")" && pwd)
LG=$here/loadgen
out=${KMQTT_OUT:?run me through tests/vm/run}
scratch=${KMQTT_SCRATCH:-/tmp}/bench
mkdir -p "$scratch"

quick=${BENCH_QUICK:-} repeat= brokers="kmqtt mosquitto" cases= scaling=hotplug
paced= dur= warm= storm_conns= tag= profile=
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 ;;
	--repeat) repeat=$2; shift ;;
	--brokers) brokers=$2; shift ;;
	--cases) cases=$2; shift ;;
	--scaling) scaling=$2; shift ;;
	--paced-rate) paced=$2; shift ;;
	--duration) dur=$2; shift ;;
	--warmup) warm=$2; shift ;;
	--storm-conns) storm_conns=$2; shift ;;
	--tag) tag=$2; shift ;;
	--profile) profile=1 ;;
	*) echo "guest-bench: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
if [ -n "$quick" ]; then
	: "${repeat:=1}" "${dur:=2}" "${warm:=0.5}" "${storm_conns:=500}" "${paced:=500}"
	sdur=1 swarm=0.3 ssteps=2 settle_max=30
else
	: "${repeat:=3}" "${dur:=8}" "${warm:=2}" "${storm_conns:=2000}" "${paced:=1000}"
	sdur=3 swarm=1 ssteps=5 settle_max=120
fi
[ -x "$LG" ] || { echo "guest-bench: $LG missing (make -C tests/bench)" >&2; exit 2; }

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
ncpu=$(nproc)

# ---- the matrix -------------------------------------------------------------------------
me=guest-bench
. "$here/guest-lib.sh"
bench_matrix "$paced" "$ssteps" "$sdur" "$swarm" "$storm_conns"
all="fanout-q0 fanin-q0 pairs-q0 fanout-q1 fanin-q1 pairs-q1 fanout-q2 fanin-q2 pairs-q2
     fanin-q1-max cpu-q0 cpu-q1 latency-q0 latency-q1 latency-q2 storm"
scale_cases="fanout-q0 fanin-q0 pairs-q0"
[ -n "$cases" ] || cases=$all
if [ "$scaling" = hotplug ] && [ -z "${KMQTT_GUEST:-}" ]; then
	echo "guest-bench: not in a tests/vm guest: no CPU hotplug, scaling runs skipped" >&2
	scaling=none
fi
if [ "$scaling" = only ]; then	# a separate 1-vCPU boot: just the scaling cases
	cases=$scale_cases scaling=none
fi

# ---- brokers ----------------------------------------------------------------------------
trap mosq_stop EXIT
brokers_up "$brokers"

# ---- facts about this guest --------------------------------------------------------------
kver=$(uname -r)
kmqtt_ver=$(cat /sys/module/kmqtt/version 2>/dev/null || cat /sys/module/kmqtt/srcversion 2>/dev/null || echo)
mosq_ver=$(mosquitto -h 2>/dev/null | awk '/version/ { print $3; exit }')
printf '{"guest_kernel":"%s","guest_cpus":%d,"guest_mem_kb":%s,"guest_cpu_model":"%s","kmqtt_version":"%s","mosquitto_version":"%s","brokers":"%s","quick":%s,"repeat":%d,"duration_s":%s,"warmup_s":%s,"paced_rate":%s,"storm_conns":%s,"scaling":"%s","tag":"%s"}\n' \
	"$kver" "$ncpu" "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" \
	"$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" "$kmqtt_ver" "$mosq_ver" \
	"${have[*]}" "$([ -n "$quick" ] && echo true || echo false)" "$repeat" "$dur" "$warm" "$paced" \
	"$storm_conns" "$scaling" "$tag" >"$out/guest.json"

# ---- running one case ---------------------------------------------------------------------
# Wait until the guest is idle again (< 15 % busy): a broker may still be working
# through the backlog an unpaced run left behind, which must not be charged to the
# next run.  In the load generator because fork+exec costs ~50 ms under TCG.
settle() {
	"$LG" --wait-idle "$settle_max" ||
		echo "guest-bench: guest still busy after ${settle_max}s, going on" >&2
}

run_one() {	# CASE BROKER REP CPUS
	local name=$1 broker=$2 rep=$3 cpus=$4 port extra=() json rc mem=
	local -x BENCH_BROKER_PID=
	if [ "$broker" = mosquitto ]; then
		port=1884
		if [ "$name" = storm ]; then	# a fresh process: its heap growth is part of the cost
			mosq_stop; mosq_start || return
		fi
		extra=(--broker-pid "$MOSQ_PID")
		BENCH_BROKER_PID=$MOSQ_PID
	else
		port=1883
	fi
	settle
	if [ "$name" = storm ]; then
		rm -f "$scratch"/mem.*.json
		extra+=(--hook "$here/memprobe.sh $scratch/mem")
	fi
	# shellcheck disable=SC2086
	json=$("$LG" -t "$cpus" -d "$dur" -w "$warm" ${C[$name]} -p "$port" "${extra[@]}" \
		--label "$name" 2>"$scratch/human")
	rc=$?
	json=$(printf '%s\n' "$json" | tail -n 1)
	case $json in "{"*"}") ;; *) json="{\"ok\":false,\"fail\":\"loadgen exited $rc without a result\"}" ;; esac
	if [ "$name" = storm ] && [ -e "$scratch/mem.loaded.json" ]; then
		mem=",\"mem\":{\"baseline\":$(cat "$scratch/mem.baseline.json"),\"loaded\":$(cat "$scratch/mem.loaded.json")}"
		# per-cache breakdown (tests/bench/profsum.py post): the last repetition's
		if [ "$cpus" = "$ncpu" ] && [ -e "$scratch/mem.loaded.slabinfo" ]; then
			mkdir -p "$out/profile"
			for f in "$scratch"/mem.baseline.* "$scratch"/mem.loaded.*; do
				cp "$f" "$out/profile/mem.$broker.${f#"$scratch"/mem.}"
			done
			printf '%s\n' "$json" >"$out/profile/mem.$broker.result.json"
		fi
	fi
	printf '{"case":"%s","broker":"%s","rep":%d,"cpus":%d,"rc":%d,"result":%s%s}\n' \
		"$name" "$broker" "$rep" "$cpus" "$rc" "$json" "$mem" >>"$out/results.jsonl"
	printf '[%s rep %d, %d cpu] %s\n' "$broker" "$rep" "$cpus" "$(grep -v '^search trial' "$scratch/human" | tail -n 2 | tr '\n' ' ')"
}

run_case() {	# CASE REP CPUS: every broker, order alternating with REP
	local order=("${have[@]}") b
	if [ $(( $2 % 2 )) = 0 ] && [ ${#have[@]} = 2 ]; then order=("${have[1]}" "${have[0]}"); fi
	for b in "${order[@]}"; do run_one "$1" "$b" "$2" "$3"; done
}

echo "guest-bench: kernel $kver, $ncpu cpus, brokers: ${have[*]}, $repeat repetition(s), cases: $(echo $cases)"
start=$(date +%s)
for rep in $(seq "$repeat"); do
	for name in $cases; do
		[ -n "${C[$name]+x}" ] || { echo "guest-bench: unknown case $name" >&2; continue; }
		run_case "$name" "$rep" "$ncpu"
		if [ "$scaling" != none ] && [ "$ncpu" -gt 1 ] && [[ " $scale_cases " == *" $name "* ]]; then
			set_cpus 1
			run_case "$name" "$rep" 1
			set_cpus "$ncpu"
		fi
	done
done
echo "guest-bench: matrix done in $(( $(date +%s) - start )) s; results in $out/results.jsonl"
if [ -n "$profile" ]; then
	mosq_stop	# guest-profile.sh starts its own
	pargs=(--no-mem --out "$out/profile")
	if [ -n "$quick" ]; then pargs+=(--duration 2 --warmup 0.5 --paced-rate "$paced")
	else pargs+=(--duration 4 --warmup 1 --paced-rate "$paced"); fi	# ~5 min
	"$here/guest-profile.sh" "${pargs[@]}" || echo "guest-bench: profiling failed" >&2
fi
echo "guest-bench: done in $(( $(date +%s) - start )) s"
