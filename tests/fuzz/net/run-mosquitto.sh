#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run COMMAND against a Mosquitto started for it on a free loopback port:
#
#   tests/fuzz/net/run-mosquitto.sh COMMAND [ARGS...]
#
# COMMAND gets KMQTT_HOST=127.0.0.1, KMQTT_PORT=<port>, KMQTT_BROKER=mosquitto.
# Mosquitto gets kmqtt's default limits where it has the same knob (maximum
# packet size 256 KiB: without it Mosquitto allocates whatever a remaining
# length claims, up to 256 MiB per connection).  Scratch (config, log) goes
# to a mktemp directory, kept when the command fails.
set -eu

[ $# -ge 1 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
MOSQUITTO=${MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}
[ -x "$MOSQUITTO" ] || { echo "mosquitto not found (apt-get install mosquitto)" >&2; exit 2; }

out=$(mktemp -d "${TMPDIR:-/tmp}/netfuzz-mosq.XXXXXX")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$out/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
max_packet_size 262144
max_queued_messages 1000
max_inflight_messages 20
log_dest file $out/mosquitto.log
log_type error
log_type warning
CONF
# Mosquitto started as root drops to user "mosquitto": let it write its log.
chmod 755 "$out"
: > "$out/mosquitto.log"
chmod 666 "$out/mosquitto.log"
"$MOSQUITTO" -c "$out/mosquitto.conf" &
mpid=$!
cleanup() {
	kill "$mpid" 2>/dev/null || true
	wait "$mpid" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

i=0
until mosquitto_pub -h 127.0.0.1 -p "$port" -t netfuzz/ready -m x >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 50 ] || ! kill -0 "$mpid" 2>/dev/null; then
		echo "mosquitto did not start; see $out/mosquitto.log" >&2
		exit 2
	fi
	sleep 0.1
done
echo "# mosquitto on 127.0.0.1:$port (scratch $out)"
rc=0
KMQTT_HOST=127.0.0.1 KMQTT_PORT=$port KMQTT_BROKER=mosquitto "$@" || rc=$?
if ! kill -0 "$mpid" 2>/dev/null; then
	echo "# mosquitto died during the run; see $out/mosquitto.log"
	rc=1
fi
[ $rc -ne 0 ] || rm -rf "$out"
exit $rc
