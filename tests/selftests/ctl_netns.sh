#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# One broker per network namespace (TAP 13): a new namespace starts with an
# empty broker and no listener; a listener there may use the port the
# initial namespace uses; clients of one namespace never see the other's
# topics; limits, users and ACLs are per namespace; deleting the namespace
# tears its broker down and closes its clients (seen from the initial
# namespace over a veth pair).
#
# Runs as root in the VM with kmqtt loaded. KMQTT_TEST=GLOB selects cases.
set -u
here=$(cd "$(dirname "$0")" && pwd)
M=${KMQTT_MQTTCTL:-$here/../../mqttctl/mqttctl}
PY=${PYTHON:-/usr/bin/python3}
P=${KMQTT_PORT:-1883}
NS=kmqtt-ctl-$$
SCALE=${KMQTT_TIMEOUT_SCALE:-1}

skip_all() { echo "TAP version 13"; echo "1..0 # SKIP $*"; exit 4; }
[ "${KMQTT_BROKER:-kmqtt}" = kmqtt ] || skip_all "kmqtt only"
[ -d /proc/net/kmqtt ] || skip_all "kmqtt is not loaded"
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -x "$M" ] || skip_all "$M not built (make -C mqttctl)"
command -v ip > /dev/null || skip_all "no ip(8)"
mkdir -p /run/netns 2>/dev/null
ip netns add "$NS" 2> /dev/null || skip_all "cannot create a network namespace"
ip netns exec "$NS" ip link set lo up

tmp=$(mktemp -d "${KMQTT_OUT:-/tmp}/ctl-netns.XXXXXX") || exit 1
"$M" show > "$tmp/saved.conf"
cleanup() {
	ip netns del "$NS" 2> /dev/null
	ip link del veth-kc0 2> /dev/null
	"$M" apply "$tmp/saved.conf"
	rm -rf "$tmp"
}
trap cleanup EXIT
inns() { ip netns exec "$NS" "$@"; }
not() { if "$@"; then echo "unexpectedly succeeded: $*"; return 1; fi; }
# until_ok CMD...: retry CMD (a hang guard, not a timing assertion).
until_ok() {
	i=0
	until "$@" > /dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt $((300 * SCALE)) ] || { echo "gave up waiting for: $*"; return 1; }
		sleep 0.1
	done
}

echo "TAP version 13"
n=0 failed=0
case_() {
	name=$1; shift
	if [ -n "${KMQTT_TEST:-}" ]; then
		case "$name" in $KMQTT_TEST) ;; *) return 0 ;; esac
	fi
	n=$((n + 1))
	if ( set -e; "$@" ) > "$tmp/out" 2>&1; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		sed 's/^/# /' "$tmp/out"
		failed=$((failed + 1))
	fi
}

t_empty() {
	inns test -d /proc/net/kmqtt
	[ -z "$(inns "$M" listener list)" ]
	inns grep -qx "connections_total 0" /proc/net/kmqtt/stats
	inns grep -qx "listeners 0" /proc/net/kmqtt/stats
}

t_listener() {
	inns "$M" listener add 127.0.0.1 "$P"
	inns "$M" listener list | grep -q "^127.0.0.1 *$P "
	inns mosquitto_pub -h 127.0.0.1 -p "$P" -i ctl-ns-p -t ctl/ns/hello -m hi -q 1
	inns grep -qx "connects 1" /proc/net/kmqtt/stats
	# The initial namespace's figures did not move.
	"$M" client list | not grep -q ctl-ns-p
}

t_isolated() {
	mosquitto_pub -h 127.0.0.1 -p "$P" -i ctl-ns-r -t ctl/ns/retained -m secret -r -q 1
	[ -z "$(inns "$M" retained list 'ctl/ns/#')" ]
	inns mosquitto_sub -h 127.0.0.1 -p "$P" -i ctl-ns-sub -t 'ctl/ns/#' -C 1 -q 1 -W $((60 * SCALE)) > "$tmp/sub" 2>&1 &
	sub=$!
	until_ok sh -c "ip netns exec $NS $M client list | grep '^ctl-ns-sub ' | grep -q ' up '"
	mosquitto_pub -h 127.0.0.1 -p "$P" -i ctl-ns-leak -t ctl/ns/leak -m leak -q 1
	inns mosquitto_pub -h 127.0.0.1 -p "$P" -i ctl-ns-mark -t ctl/ns/marker -m marker -q 1
	wait $sub
	[ "$(cat "$tmp/sub")" = marker ]
	mosquitto_pub -h 127.0.0.1 -p "$P" -i ctl-ns-r -t ctl/ns/retained -m '' -r -q 1
}

t_config() {
	modprobe -q sha512_generic 2>/dev/null || true
	inns "$M" limit set retained-max 7
	inns "$M" user add ctl-ns-user --password pw
	inns "$M" acl add topic read 'ctl/#'
	inns "$M" limit show | grep -qx "retained-max 7"
	"$M" limit show | not grep -qx "retained-max 7"
	[ -z "$("$M" acl list)" ] || "$M" acl list | not grep -q "ctl/#"
	"$M" user list | not grep -q ctl-ns-user
	# Users apply to this namespace's clients only.
	not inns mosquitto_pub -h 127.0.0.1 -p "$P" -i ctl-ns-bad -u ctl-ns-user -P wrong -t x -m x
	mosquitto_pub -h 127.0.0.1 -p "$P" -i ctl-ns-any -u ctl-ns-user -P wrong -t ctl/x -m x
}

t_teardown() {
	modprobe -q veth 2> /dev/null || true
	ip link add veth-kc0 type veth peer name veth-kc1 || { echo "no veth"; return 1; }
	ip link set veth-kc1 netns "$NS"
	ip addr add 10.231.0.1/24 dev veth-kc0
	ip link set veth-kc0 up
	inns ip addr add 10.231.0.2/24 dev veth-kc1
	inns ip link set veth-kc1 up
	inns "$M" listener add 10.231.0.2 "$P"
	# A client in the initial namespace, connected to the namespace's broker.
	"$PY" - "$tmp/client" "$P" <<'EOF' &
import socket, sys
s = socket.create_connection(("10.231.0.2", int(sys.argv[2])), timeout=120)
s.sendall(b"\x10\x13\x00\x04MQTT\x04\x02\x00\x3c\x00\x07ctl-vth")
ack = s.recv(4)
open(sys.argv[1], "w").write("connack %s\n" % ack.hex())
try:
    while s.recv(100):
        pass
    res = "closed"
except ConnectionResetError:
    res = "closed"
except socket.timeout:
    res = "still open"
open(sys.argv[1], "a").write(res + "\n")
EOF
	client=$!
	until_ok grep -q connack "$tmp/client"
	grep -qx "connack 20020000" "$tmp/client"
	inns "$M" client list | grep -q '^ctl-vth '
	ip netns del "$NS"
	wait $client
	cat "$tmp/client"
	grep -qx closed "$tmp/client"
	# A new namespace of the same name starts from scratch.
	ip netns add "$NS"
	[ -z "$(inns "$M" listener list)" ]
	inns grep -qx "connections_total 0" /proc/net/kmqtt/stats
	[ -z "$(inns "$M" acl list)" ]
}

case_ "a new namespace has an empty broker, no listener" t_empty
case_ "listener in a namespace on the initial namespace's port" t_listener
case_ "clients of one namespace do not see the other's topics" t_isolated
case_ "limits, users and ACLs are per namespace" t_config
case_ "deleting the namespace tears its broker down" t_teardown
echo "1..$n"
echo "# $failed failed"
[ "$failed" = 0 ]
