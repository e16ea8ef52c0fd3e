#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host-only self-check of the load generator (no VM, loopback only, ~1-2 minutes):
#  1. every scenario at every QoS against a private mosquitto on a free 127.0.0.1 port;
#  2. against fakebroker.py, which drops, duplicates or reorders one message on purpose,
#     the load generator must report exactly that (and fail the run where it should).
set -u
here=$(cd "$(dirname "$0")" && pwd)
LG=${LOADGEN:-$here/loadgen}
tmp=$(mktemp -d)
pids=()
cleanup() { local p; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
nok() { echo "not ok - $*"; fail=$((fail + 1)); }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2], {}, d))' "$1" "$2"; }
wait_port() { for _ in $(seq 50); do "$LG" -s storm -C 1 -p "$1" --setup-timeout 1 --quiet >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

port=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\n' "$port" >"$tmp/m.conf"
mosquitto -c "$tmp/m.conf" 2>"$tmp/m.err" &
pids+=($!)
mpid=$!
wait_port "$port" || { echo "mosquitto did not start"; exit 1; }

for scn in "fanin -P 4" "fanout -S 4" "pairs -n 4" "latency -r 200"; do
	for q in 0 1 2; do
		pace=()	# unpaced fan-in at QoS 1/2 overflows mosquitto's queue: it drops
		[ "${scn%% *}" = fanin ] && [ "$q" != 0 ] && pace=(-r 2000)
		j=$("$LG" -s $scn -q "$q" "${pace[@]}" -p "$port" -d 1 -w 0.3 -t 2 --broker-pid "$mpid" --quiet)
		if [ "$(field "$j" 'ok and delivered > 0 and lost == 0 and dup == 0')" = True ]; then
			ok "$scn qos $q: $(field "$j" 'delivered_per_s') msg/s"
		else
			nok "$scn qos $q: $j"
		fi
	done
done
j=$("$LG" -s storm -C 300 -p "$port" --quiet --hook "$here/memprobe.sh $tmp/mem")
[ "$(field "$j" 'ok and connected == 300')" = True ] && [ -s "$tmp/mem.loaded.json" ] &&
	ok "storm 300: $(field "$j" 'connects_per_s') conn/s" || nok "storm: $j"
j=$("$LG" -s fanin -q 1 -P 2 -p "$port" -d 0.5 -w 0.2 --find-max-rate --rate-start 500 \
	--rate-max 4000 --settle 0 --quiet)
[ "$(field "$j" 'max_rate >= 500')" = True ] && ok "find-max-rate: $(field "$j" 'max_rate')" ||
	nok "find-max-rate: $j"

# the checker against a broker that misbehaves on purpose (message 50 of 200)
check_fake() {	# MODE QOS EXPECT-EXPR
	local p j
	p=$(free_port)
	python3 "$here/fakebroker.py" "$p" "$1" 50 &
	pids+=($!)
	wait_port "$p" || { nok "fakebroker $1 did not start"; return; }
	j=$("$LG" -s pairs -n 1 -q "$2" -r 200 -d 1 -w 0 -p "$p" --drain-idle 0.5 --quiet)
	if [ "$(field "$j" "$3")" = True ]; then ok "fake $1 qos $2 detected: $3"; else nok "fake $1 qos $2: $j"; fi
}
check_fake ok 1 'ok and lost == 0 and dup == 0 and ooo == 0'
check_fake drop 1 'not ok and lost == 1'
check_fake drop 0 'ok and lost == 1'
check_fake dup 1 'ok and dup == 1 and lost == 0'
check_fake dup 2 'not ok and dup == 1'
check_fake reorder 1 'ok and ooo == 1 and lost == 0'

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
