#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness acceptance tests (issue 2), run inside the guest by tests/run-check:
# kmqtt.ko is loaded, answers MQTT on IPv4 and IPv6 loopback, unloads cleanly with and
# without open client connections, and loads again. TAP 13 on stdout.
#   tests/vm/run [--modparam ...] -- tests/vm/tests/module-lifecycle.sh
port=${KMQTT_TEST_PORT:-1883}
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
t() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }

loaded() { [ -d /sys/module/kmqtt ]; }
load() { set -f; insmod "$KMQTT_MODULE" $KMQTT_MODPARAM; local r=$?; set +f; return $r; }
unload() { timeout 60 rmmod kmqtt && ! loaded; }

# MQTT in plain bash (/dev/tcp): python3 starts slowly on the debug kernel under TCG.
# mqtt_open FD HOST: connect, send CONNECT (3.1.1, clean session), expect CONNACK rc 0.
mqtt_open() {
	local fd=$1 host=$2 ack
	eval "exec $fd<>/dev/tcp/$host/$port" 2>/dev/null || return 1
	printf '\x10\x0f\x00\x04MQTT\x04\x02\x00\x3c\x00\x03lc%d' "$fd" >&"$fd" || return 1
	ack=$(timeout 10 dd bs=4 count=1 iflag=fullblock <&"$fd" 2>/dev/null | od -An -tx1 | tr -d ' \n')
	[ "$ack" = 20020000 ] || { echo "# $host:$port: no CONNACK (got '$ack')"; return 1; }
}
mqtt_close() { eval "exec $1>&-"; }
# reach HOST: a CONNACK within ~20 s (the listener may still be coming up)
reach() {
	local i
	for i in $(seq 20); do
		if mqtt_open 3 "$1" 2>/dev/null; then mqtt_close 3; return 0; fi
		sleep 1
	done
	mqtt_open 3 "$1"; local r=$?; mqtt_close 3; return $r
}
# eof FD: the server closed the connection (read returns EOF or an error, not a timeout)
eof() { timeout 20 cat <&"$1" >/dev/null 2>&1; [ $? != 124 ]; }
unload_busy() {
	local fd r=0
	for fd in 4 5 6; do mqtt_open $fd 127.0.0.1 || { echo "# client $fd could not connect"; r=1; }; done
	[ $r = 0 ] || return 1
	unload || { echo "# rmmod failed with 3 open connections"; r=1; }
	for fd in 4 5 6; do
		eof $fd || { echo "# connection $fd still open after the unload"; r=1; }
		mqtt_close $fd
	done
	return $r
}

echo "TAP version 13"
echo "1..9"
if [ -z "${KMQTT_MODULE:-}" ]; then
	echo "Bail out! KMQTT_MODULE not set (run under tests/vm/run)"; exit 1
fi
t "kmqtt is loaded" loaded
t "CONNACK on 127.0.0.1:$port" reach 127.0.0.1
t "CONNACK on [::1]:$port" reach ::1
t "rmmod without connections" unload
t "insmod again" load
t "CONNACK after reload" reach 127.0.0.1
t "rmmod with 3 open client connections closes them" unload_busy
t "insmod after a busy unload" load
t "CONNACK after second reload" reach 127.0.0.1
echo "# $failed of $n failed"
[ $failed = 0 ]
