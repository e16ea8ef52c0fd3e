# SPDX-License-Identifier: GPL-2.0
# Shared by guest-bench.sh and guest-profile.sh, sourced INSIDE the guest: the scenario
# table, the brokers (kmqtt loaded by the harness on 127.0.0.1:1883, Debian's mosquitto
# started here on 127.0.0.1:1884) and CPU hotplug. The caller sets LG (the loadgen),
# scratch (a writable directory) and me (its name, for messages).

# bench_matrix PACED SEARCH_STEPS SEARCH_DURATION SEARCH_WARMUP STORM_CONNS: fills C[CASE]
# with the loadgen options of every scenario.
bench_matrix() {
	local q
	declare -gA C
	for q in 0 1 2; do
		C[fanout-q$q]="-s fanout -q $q -P 1 -S 32"
		C[fanin-q$q]="-s fanin -q $q -P 16 -S 1"
		C[pairs-q$q]="-s pairs -q $q -n 16"
		C[latency-q$q]="-s latency -q $q -n 1 -r 1000"
	done
	# CPU per message: one loadgen thread, sends batched per 10 ms tick, so that the
	# load generator's own wakeups (expensive under TCG) weigh as little as possible
	for q in 0 1; do
		C[cpu-q$q]="-s fanin -q $q -P 16 -S 1 -r $1 -t 1 --tick-us 10000"
	done
	C[fanin-q1-max]="-s fanin -q 1 -P 16 -S 1 --find-max-rate --rate-start 500 --search-steps $2 -d $3 -w $4 --drain-idle 1"
	C[storm]="-s storm -C $5 --hold 0"
}

probe() {	# PORT: does an MQTT broker answer CONNECT there?
	"$LG" -s storm -C 1 -p "$1" --setup-timeout 3 --quiet >/dev/null 2>&1
}

MOSQ_PID=
mosq_start() {
	cat >"$scratch/mosquitto.conf" <<-CONF
	listener 1884 127.0.0.1
	allow_anonymous true
	persistence false
	user root
	log_dest file $scratch/mosquitto.log
	log_type error
	log_type warning
	CONF
	mosquitto -c "$scratch/mosquitto.conf" 2>>"$scratch/mosquitto.stderr" &
	MOSQ_PID=$!
	for _ in $(seq 50); do probe 1884 && return 0; sleep 0.2; done
	echo "$me: mosquitto did not come up" >&2
	return 1
}
mosq_stop() {
	[ -n "$MOSQ_PID" ] || return 0
	kill "$MOSQ_PID" 2>/dev/null
	wait "$MOSQ_PID" 2>/dev/null
	MOSQ_PID=
}

# brokers_up "kmqtt mosquitto": the ones that answer, in have[]; mosquitto is started.
brokers_up() {
	local b
	have=()
	for b in $1; do
		case $b in
		kmqtt)
			if [ -d /sys/module/kmqtt ] && probe 1883; then
				have+=(kmqtt)
			else
				echo "$me: kmqtt is not loaded or not answering on 127.0.0.1:1883: skipped" >&2
			fi ;;
		mosquitto)
			command -v mosquitto >/dev/null && mosq_start && have+=(mosquitto) ;;
		*) echo "$me: unknown broker $b" >&2 ;;
		esac
	done
	[ ${#have[@]} -gt 0 ] || { echo "$me: no broker to measure" >&2; exit 2; }
}

set_cpus() {	# N: keep cpus 0..N-1 online
	local c f
	for f in /sys/devices/system/cpu/cpu[0-9]*/online; do
		c=${f#/sys/devices/system/cpu/cpu}; c=${c%/online}
		echo $(( c < $1 ? 1 : 0 )) >"$f" 2>/dev/null
	done
	sleep 0.5
}
