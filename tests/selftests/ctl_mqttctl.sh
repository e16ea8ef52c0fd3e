#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mqttctl, command by command (TAP 13): every subcommand and its --help,
# -j output that parses as JSON, the one-line errors (unknown key, bad
# values, port in use, no such object, permission denied for a uid without
# CAP_NET_ADMIN), show | apply round trip, and apply refusing a bad file
# with FILE:LINE while changing nothing. Restores the configuration it found.
#
# Runs as root in the VM with kmqtt loaded. KMQTT_TEST=GLOB runs only the
# matching cases (names as printed).
set -u
here=$(cd "$(dirname "$0")" && pwd)
M=${KMQTT_MQTTCTL:-$here/../../mqttctl/mqttctl}
PY=${PYTHON:-/usr/bin/python3}
PORT2=${KMQTT_CTL_PORT2:-18850}

skip_all() { echo "TAP version 13"; echo "1..0 # SKIP $*"; exit 4; }
[ "${KMQTT_BROKER:-kmqtt}" = kmqtt ] || skip_all "kmqtt only"
[ -d /proc/net/kmqtt ] || skip_all "kmqtt is not loaded"
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -x "$M" ] || skip_all "$M not built (make -C mqttctl)"

tmp=$(mktemp -d "${KMQTT_OUT:-/tmp}/ctl-mqttctl.XXXXXX") || exit 1
"$M" show > "$tmp/saved.conf" || { echo "Bail out! mqttctl show failed"; exit 1; }
restore() { "$M" apply "$tmp/saved.conf" || echo "# restore failed"; }
trap 'restore; rm -rf "$tmp"' EXIT

# Password hashing needs sha512, a module on Debian's kernel.
modprobe -q sha512_generic 2>/dev/null || true

echo "TAP version 13"
n=0 failed=0
# case NAME COMMANDS...: run COMMANDS in a subshell; ok if it exits 0.
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
	restore > /dev/null 2>&1
}
# expect_fail STATUS PATTERN CMD...: CMD fails with STATUS and one stderr line
# matching PATTERN.
expect_fail() {
	want=$1 pat=$2; shift 2
	set +e
	"$@" > "$tmp/ef.out" 2> "$tmp/ef.err"
	st=$?
	set -e
	lines=$(wc -l < "$tmp/ef.err")
	if [ "$st" != "$want" ] || [ "$lines" != 1 ] || ! grep -q -- "$pat" "$tmp/ef.err"; then
		echo "expected exit $want and one line /$pat/ from: $*"
		echo "got exit $st: $(cat "$tmp/ef.err")"
		return 1
	fi
	echo "refused as expected: $(cat "$tmp/ef.err")"
}
json() { # CMD...: output parses as JSON
	"$@" > "$tmp/j.json"
	"$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/j.json"
}
unpriv() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }
# "! cmd" does not fail under set -e: use "not cmd".
not() { if "$@"; then echo "unexpectedly succeeded: $*"; return 1; fi; }

t_help() {
	"$M" --help | grep -q 'usage: mqttctl'
	for o in listener limit user acl client retained stats show apply; do
		"$M" "$o" --help | grep -q "usage: mqttctl" || { echo "no help: $o"; return 1; }
	done
	"$M" --version | grep -q mqttctl
	expect_fail 2 "unknown object" "$M" bogus
}

t_listener() {
	"$M" listener add 127.0.0.1 "$PORT2"
	"$M" listener add ::1 "$PORT2"
	"$M" listener list | grep -q "^127.0.0.1 *$PORT2 "
	"$M" listener list | grep -q "^::1 *$PORT2 "
	grep -q "^127.0.0.1:$PORT2 " /proc/net/kmqtt/listeners
	json "$M" -j listener list
	grep -q "\"port\":$PORT2" "$tmp/j.json"
	expect_fail 1 "already listening" "$M" listener add 127.0.0.1 "$PORT2"
	"$M" listener del ::1 "$PORT2"
	expect_fail 1 "no such listener" "$M" listener del ::1 "$PORT2"
	expect_fail 2 "bad address" "$M" listener add 1.2.3 "$PORT2"
	expect_fail 2 "bad port" "$M" listener add 127.0.0.1 0
	expect_fail 2 "bad port" "$M" listener add 127.0.0.1 65536
	expect_fail 1 "not available" "$M" listener add 192.0.2.1 "$PORT2"
	"$M" listener del 127.0.0.1 "$PORT2"
	not grep -q ":$PORT2 " /proc/net/kmqtt/listeners
}

t_limit() {
	"$M" limit set retained-max 123 max-queued-bytes 1m allow-anonymous no
	"$M" limit show | grep -qx "retained-max 123"
	"$M" limit show | grep -qx "max-queued-bytes 1048576"
	"$M" limit show | grep -qx "allow-anonymous false"
	json "$M" -j limit show
	grep -q '"retained-max":123' "$tmp/j.json"
	expect_fail 1 "unknown limit key 'nope'" "$M" limit set nope 1
	expect_fail 1 "out of range" "$M" limit set max-inflight 70000
	expect_fail 1 "out of range" "$M" limit set max-packet-size 10
	expect_fail 1 "bad value" "$M" limit set allow-anonymous maybe
	expect_fail 2 "KEY VALUE" "$M" limit set max-inflight
	"$M" limit set max-connections unlimited
	"$M" limit show | grep -qx "max-connections 0"
}

t_user() {
	modprobe -q sha512_generic 2>/dev/null || true
	"$M" user add ctl-u1 --password pw1
	echo pw2 | "$M" user add ctl-u2 --password-stdin
	"$M" user add ctl-u3 --password pw3 --iterations 7
	"$M" user add ctl-u4 --hash '$7$101$xWvwFOVs9x25fJPk$vC7owv6rDJ8nM32HmoTBnR93JUeqC0Xbg2jgp9J/GUrXZexRpa7KdXeojV5YmKHDZpLN80paXE3A62LjkrNWuA=='
	"$M" user list | grep -qx "ctl-u1 pbkdf2-sha512 1000"
	"$M" user list | grep -qx "ctl-u3 pbkdf2-sha512 7"
	"$M" user list | grep -qx "ctl-u4 pbkdf2-sha512 101"
	json "$M" -j user list
	# mosquitto_passwd's own hash verifies in the kernel (password carolpw).
	mosquitto_pub -h 127.0.0.1 -p "${KMQTT_PORT:-1883}" -i ctl-u4c -u ctl-u4 -P carolpw -t ctl/u -m x
	not mosquitto_pub -h 127.0.0.1 -p "${KMQTT_PORT:-1883}" -i ctl-u4c -u ctl-u4 -P wrong -t ctl/u -m x 2>/dev/null
	mosquitto_pub -h 127.0.0.1 -p "${KMQTT_PORT:-1883}" -i ctl-u2c -u ctl-u2 -P pw2 -t ctl/u -m x
	expect_fail 1 "hash must be" "$M" user add ctl-u5 --hash '$7$0$AAAA$AAAA'
	expect_fail 1 "iterations must be" "$M" user add ctl-u5 --password x --iterations 100001
	expect_fail 1 "bad user name" "$M" user add 'a b' --password x
	"$M" user del ctl-u1
	expect_fail 1 "no such user" "$M" user del ctl-u1
	printf '# mosquitto_passwd file\nctl-i1:$7$101$xWvwFOVs9x25fJPk$vC7owv6rDJ8nM32HmoTBnR93JUeqC0Xbg2jgp9J/GUrXZexRpa7KdXeojV5YmKHDZpLN80paXE3A62LjkrNWuA==\nctl-i2:plain\n' > "$tmp/pw"
	"$M" user import "$tmp/pw"
	[ "$("$M" user list | cut -d' ' -f1 | tr '\n' ' ')" = "ctl-i1 ctl-i2 " ]
	printf 'ctl-i3:$7$1$AA==$AA==\n' > "$tmp/pw"
	expect_fail 1 "pw:1: hash must be" "$M" user import "$tmp/pw"
	[ "$("$M" user list | cut -d' ' -f1 | tr '\n' ' ')" = "ctl-i1 ctl-i2 " ]
}

t_acl() {
	"$M" acl flush
	"$M" acl add topic read 'ctl/a/#'
	"$M" acl add user ctl-x topic readwrite 'ctl/x/#'
	"$M" acl add pattern write 'ctl/dev/%c/#'
	"$M" acl add topic deny 'ctl/a/b c'
	"$M" acl list > "$tmp/acl"
	grep -qx '1 topic read ctl/a/#' "$tmp/acl"
	grep -qx '2 user ctl-x topic readwrite ctl/x/#' "$tmp/acl"
	grep -qx '3 pattern write ctl/dev/%c/#' "$tmp/acl"
	grep -qx '4 topic deny ctl/a/b c' "$tmp/acl"
	json "$M" -j acl list
	"$M" acl del 2
	"$M" acl list | grep -qx '2 pattern write ctl/dev/%c/#'
	expect_fail 1 "no rule 9" "$M" acl del 9
	expect_fail 1 "access must be" "$M" acl add topic full 'x'
	expect_fail 1 "invalid ACL topic filter" "$M" acl add topic read 'a/#/b'
	expect_fail 1 "only in patterns" "$M" acl add topic read 'a/%c'
	expect_fail 1 "no 'user NAME'" "$M" acl add user u pattern read 'a'
	printf '# acl_file\ntopic read pub/#\n\nuser ctl-y\ntopic ctl/y/#\ntopic deny ctl/y/secret\npattern read dev/%%u/#\n' > "$tmp/aclf"
	"$M" acl load "$tmp/aclf"
	"$M" acl list > "$tmp/acl"
	grep -qx '1 topic read pub/#' "$tmp/acl"
	grep -qx '2 user ctl-y topic readwrite ctl/y/#' "$tmp/acl"
	grep -qx '3 user ctl-y topic deny ctl/y/secret' "$tmp/acl"
	grep -qx '4 pattern read dev/%u/#' "$tmp/acl"
	printf 'topic read ok/#\ntopic read bad/#/x\n' > "$tmp/aclf2"
	expect_fail 1 "aclf2:2: invalid ACL topic filter" "$M" acl load "$tmp/aclf2"
	printf 'topic read ok/#\nbogus line\n' > "$tmp/aclf2"
	expect_fail 1 "aclf2:2: expected user, topic or pattern" "$M" acl load "$tmp/aclf2"
	[ "$("$M" acl list | wc -l)" = 4 ]
	"$M" acl flush
	[ -z "$("$M" acl list)" ]
}

stat_() { sed -n "s/^$1 //p" /proc/net/kmqtt/stats; }

t_client() {
	mosquitto_sub -h 127.0.0.1 -p "${KMQTT_PORT:-1883}" -i ctl-c1 -t 'ctl/c/#' -q 1 > /dev/null 2>&1 &
	pid=$!
	i=0
	until "$M" client list | grep -q '^ctl-c1 .* up '; do
		i=$((i + 1)); [ $i -lt 300 ] || { kill $pid; echo "client never listed"; return 1; }
		sleep 0.1
	done
	json "$M" -j client list
	grep -q '"id":"ctl-c1"' "$tmp/j.json"
	grep -q '^ctl-c1 127.0.0.1:' /proc/net/kmqtt/clients
	before=$(stat_ connects)
	"$M" client kick ctl-c1
	# mosquitto_sub reconnects when its connection is closed: that proves it.
	i=0
	until [ "$(stat_ connects)" -gt "$before" ]; do
		i=$((i + 1)); [ $i -lt 600 ] || { kill $pid; echo "kicked client did not reconnect"; return 1; }
		sleep 0.1
	done
	kill $pid; wait $pid 2>/dev/null || true
	"$M" client del ctl-c1 2>/dev/null || true
	expect_fail 1 "no connected client" "$M" client kick ctl-c1
	expect_fail 1 "no session" "$M" client del ctl-none
}

t_retained() {
	mosquitto_pub -h 127.0.0.1 -p "${KMQTT_PORT:-1883}" -i ctl-r -t ctl/r/a -m 'hello' -r -q 1
	mosquitto_pub -h 127.0.0.1 -p "${KMQTT_PORT:-1883}" -i ctl-r -t ctl/r/b -m 'world' -r -q 1
	"$M" retained list 'ctl/r/#' | grep -q '^ctl/r/a .* hello$'
	json "$M" -j retained list 'ctl/r/#'
	grep -q '"payload":"hello"' "$tmp/j.json"
	[ "$("$M" retained del ctl/r/a)" = "deleted 1" ]
	expect_fail 1 "no retained message" "$M" retained del ctl/r/a
	[ "$("$M" retained del 'ctl/r/#')" = "deleted 1" ]
	expect_fail 1 "invalid topic filter" "$M" retained list 'ctl/#/x'
	"$M" retained list '$SYS/#' | grep -q 'SYS/broker/version'
}

t_stats() {
	"$M" stats > "$tmp/s"
	for k in connections_total msgs_in_qos0 bytes_out dropped_acl proto_errors connections_now retained_count memory_bytes uptime; do
		grep -q "^$k [0-9]*$" "$tmp/s" || { echo "missing $k"; return 1; }
	done
	json "$M" -j stats
	grep -q '"version":' "$tmp/j.json"
	# Same names, same order as /proc.
	[ "$(cut -d' ' -f1 "$tmp/s")" = "$(cut -d' ' -f1 /proc/net/kmqtt/stats)" ]
}

t_roundtrip() {
	modprobe -q sha512_generic 2>/dev/null || true
	"$M" listener add 127.0.0.1 "$PORT2"
	"$M" limit set max-inflight 11 retained-max 999 sys-interval 5
	"$M" user add ctl-rt --password rt
	"$M" acl add topic read 'ctl/rt/#'
	"$M" acl add pattern readwrite 'ctl/rt/%c/#'
	"$M" show > "$tmp/a.conf"
	json "$M" -j show
	"$M" apply "$tmp/a.conf"
	"$M" show > "$tmp/b.conf"
	diff "$tmp/a.conf" "$tmp/b.conf"
	"$M" show | "$M" apply -
	"$M" show | diff "$tmp/a.conf" -
	# Apply really replaces: an almost empty file resets everything else.
	printf 'listener 127.0.0.1 %s\nlimit max-inflight 3\n' "${KMQTT_PORT:-1883}" > "$tmp/c.conf"
	"$M" apply "$tmp/c.conf"
	"$M" show > "$tmp/c.show"
	grep -qx "listener 127.0.0.1 ${KMQTT_PORT:-1883}" "$tmp/c.show"
	[ "$(grep -c '^listener' "$tmp/c.show")" = 1 ]
	grep -qx 'limit max-inflight 3' "$tmp/c.show"
	grep -qx 'limit retained-max 100000' "$tmp/c.show"
	not grep -q '^user\|^acl' "$tmp/c.show"
	"$M" apply "$tmp/a.conf"
	"$M" show | diff "$tmp/a.conf" -
}

t_apply_bad() {
	"$M" show > "$tmp/before"
	for bad in \
		"listener 127.0.0.1 1\nlimit nope 1:2:unknown limit key" \
		"limit max-inflight 0:1:out of range" \
		"\n\nlistener 1.2.3.4.5 1883:3:bad address" \
		"acl topic read x/#/y:1:invalid ACL topic filter" \
		"user u \$7\$1\$QUFB\$QUFB:1:hash must be" \
		"listener 127.0.0.1 $PORT2\nlistener 127.0.0.1 $PORT2:2:duplicate listener" \
		"user a password x\nuser a password y:2:duplicate user" \
		"limit max-inflight 5\nlimit max-inflight 6:2:already set" \
		"frobnicate:1:unknown keyword"; do
		content=${bad%%:*}; rest=${bad#*:}; line=${rest%%:*}; msg=${rest#*:}
		printf "$content\n" > "$tmp/bad.conf"
		expect_fail 1 "bad.conf:$line: .*$msg" "$M" apply "$tmp/bad.conf"
	done
	"$M" show | diff "$tmp/before" -
	# The failing step may come late: a port in use after another listener
	# of the file was bound; that one is closed again.
	printf 'listener 127.0.0.1 %s\nlistener 127.0.0.1 %s\nlimit max-inflight 9\n' \
		$((PORT2 + 1)) "$PORT2" > "$tmp/bad.conf"
	"$PY" -c "import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1',$PORT2)); s.listen(1)
open(sys.argv[1], 'w').write('r'); time.sleep(600)" "$tmp/blk" &
	blocker=$!
	i=0; until [ -s "$tmp/blk" ]; do i=$((i + 1)); [ $i -lt 600 ] || return 1; sleep 0.1; done
	st=0
	expect_fail 1 "bad.conf:2: port in use" "$M" apply "$tmp/bad.conf" || st=1
	kill $blocker; wait $blocker 2>/dev/null || true
	[ $st = 0 ]
	"$M" show | diff "$tmp/before" -
	not grep -q ":$((PORT2 + 1)) " /proc/net/kmqtt/listeners
}

t_unprivileged() {
	for cmd in "listener add 127.0.0.1 $PORT2" "listener del 127.0.0.1 1883" \
		"limit set max-inflight 5" "user add x --password y" "user del x" \
		"user list" "acl add topic read x" "acl flush" "client kick x" \
		"client del x" "retained del x" "retained list" "show" "apply -"; do
		# shellcheck disable=SC2086
		expect_fail 1 "permission denied (CAP_NET_ADMIN required)" unpriv "$M" $cmd < "$tmp/saved.conf"
	done
	unpriv "$M" stats > /dev/null
	unpriv "$M" listener list > /dev/null
	unpriv "$M" limit show > /dev/null
	unpriv "$M" client list > /dev/null
	unpriv "$M" acl list > /dev/null
	"$M" show | diff "$tmp/saved.conf" -
}

case_ "help for every subcommand" t_help
case_ "listener add, list, del and errors" t_listener
case_ "limit set, show and errors" t_limit
case_ "user add (password, stdin, hash), list, del, import" t_user
case_ "acl add, list, del, load, flush and errors" t_acl
case_ "client list, kick, del" t_client
case_ "retained list and del" t_retained
case_ "stats, as in /proc" t_stats
case_ "show | apply round trip, apply replaces" t_roundtrip
case_ "apply refuses a bad file with FILE:LINE, changes nothing" t_apply_bad
case_ "unprivileged uid is refused, reads allowed" t_unprivileged
echo "1..$n"
echo "# $failed failed"
[ "$failed" = 0 ]
