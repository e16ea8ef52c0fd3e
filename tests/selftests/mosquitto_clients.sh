#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Protocol features exercised with Mosquitto's own command-line clients
# (mosquitto_pub / mosquitto_sub from Debian's mosquitto-clients), whatever
# the broker.  Output: TAP 13 (README.md); exit 0 pass, 1 failure, 4 skip.
#
#   ./mosquitto_clients.sh [-l] [NAME_GLOB...]     (or KMQTT_TEST=NAME_GLOB)
#
# A background subscriber is known to be subscribed when it has printed a
# retained "ready" message published on a private topic it subscribed to in
# the same SUBSCRIBE: no sleeps decide anything.

set -u
HOST=${KMQTT_HOST:-127.0.0.1}
PORT=${KMQTT_PORT:-1883}
SCALE=${KMQTT_TIMEOUT_SCALE:-1}
W=$((20 * SCALE))            # mosquitto_sub -W: seconds before giving up
U="$$$(date +%N | cut -c1-4)"
BASE="kst/sh$U"

TESTS="qos_matrix retained_flags_and_delete will_on_kill
will_retained persistent_session_offline_queue line_mode_order large_payload_file
mqtt31_clients username_password"

if [ "${1:-}" = "-l" ]; then
	for t in $TESTS; do echo "$t"; done
	exit 0
fi

sel=
for t in $TESTS; do
	want=0
	if [ $# -eq 0 ] && [ -z "${KMQTT_TEST:-}" ]; then want=1; fi
	for p in "$@" ${KMQTT_TEST:-}; do
		case "$t" in $p) want=1 ;; esac
	done
	[ $want = 1 ] && sel="$sel $t"
done

base=${KMQTT_OUT:-${KMQTT_SCRATCH:-${TMPDIR:-/tmp}}}
mkdir -p "$base" 2>/dev/null
D=$(mktemp -d "$base/kst-sh.XXXXXX") || exit 1
BG=
cleanup() {
	for p in $BG; do kill "$p" 2>/dev/null; done
	rm -rf "$D"
}
trap cleanup EXIT

PUB() { mosquitto_pub -h "$HOST" -p "$PORT" "$@"; }
SUB() { mosquitto_sub -h "$HOST" -p "$PORT" "$@"; }
log() { echo "# $*"; }
fail() { log "FAIL: $*"; return 1; }

# sub_bg NAME COUNT ARGS...: start "mosquitto_sub ARGS" in the background,
# wait until it is subscribed, expect COUNT messages besides "ready".
# Output lines "topic|qos|retain|payload" go to $D/NAME.out.
sub_bg() {
	name=$1 count=$2
	shift 2
	ready="$BASE/ready/$name"
	PUB -t "$ready" -r -q 1 -m ready || return 1
	# Not through SUB(): dash keeps a backgrounded function's original
	# stdout open, which would block will_client's $(...).
	mosquitto_sub -h "$HOST" -p "$PORT" -t "$ready" -C $((count + 1)) \
		-W "$W" -F '%t|%q|%r|%p' "$@" > "$D/$name.out" 2> "$D/$name.err" &
	eval "PID_$name=$!"
	BG="$BG $!"
	i=0
	until grep -q "^$ready|" "$D/$name.out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt $((W * 10)) ]; then
			PUB -t "$ready" -r -n
			fail "subscriber $name never became ready"
			return 1
		fi
		sleep 0.1
	done
}

# sub_wait NAME: wait for the background subscriber; its messages (without
# the ready line) are left in $D/NAME.msgs.
sub_wait() {
	eval "pid=\$PID_$1"
	wait "$pid"
	rc=$?
	# Deleting the ready message earlier would have sent it as a message.
	PUB -t "$BASE/ready/$1" -r -n
	grep -v "^$BASE/ready/$1|" "$D/$1.out" > "$D/$1.msgs"
	[ $rc -eq 0 ] || { log "mosquitto_sub $1 exit $rc"; cat "$D/$1.err" | sed 's/^/# /'; }
	return $rc
}

expect_file() { # NAME EXPECTED
	printf '%s\n' "$2" > "$D/$1.want"
	if ! cmp -s "$D/$1.want" "$D/$1.msgs"; then
		log "$1: got:"; sed 's/^/#   /' "$D/$1.msgs"
		log "$1: want:"; sed 's/^/#   /' "$D/$1.want"
		return 1
	fi
}

# ---- tests ------------------------------------------------------------------

# Publish at QoS 0/1/2 to subscribers at QoS 0/1/2: delivered at the minimum.
qos_matrix() {
	for s in 0 1 2; do
		sub_bg "qm$s" 3 -q "$s" -t "$BASE/qm/$s" || return 1
	done
	for s in 0 1 2; do
		for q in 0 1 2; do
			PUB -t "$BASE/qm/$s" -q "$q" -m "s${s}q$q" || return 1
		done
	done
	for s in 0 1 2; do
		sub_wait "qm$s" || return 1
		want=
		for q in 0 1 2; do
			m=$((q < s ? q : s))
			want="$want${want:+
}$BASE/qm/$s|$m|0|s${s}q$q"
		done
		expect_file "qm$s" "$want" || return 1
	done
}

# Retained: RETAIN=1 on subscribe, 0 on live delivery, replaced, deleted.
retained_flags_and_delete() {
	t="$BASE/ret"
	PUB -t "$t" -r -q 1 -m r1 || return 1
	out=$(SUB -t "$t" -q 1 -C 1 -W "$W" -F '%q|%r|%p') || return 1
	[ "$out" = "1|1|r1" ] || fail "first subscribe got '$out'" || return 1
	sub_bg live 2 -q 1 -t "$t" || return 1
	# "live" also gets r1 (retained) first, then r2 without RETAIN.
	PUB -t "$t" -r -q 1 -m r2 || return 1
	sub_wait live || return 1
	expect_file live "$t|1|1|r1
$t|1|0|r2" || return 1
	out=$(SUB -t "$t" -q 0 -C 1 -W "$W" -F '%q|%r|%p') || return 1
	[ "$out" = "0|1|r2" ] || fail "replaced retained: got '$out'" || return 1
	PUB -t "$t" -r -n || return 1
	# Only retained messages are printed; the first live one ends it.
	sub_bg gone 1 --retained-only -t "$t" || return 1
	PUB -t "$t" -m marker || return 1
	sub_wait gone
	[ ! -s "$D/gone.msgs" ] || fail "retained message survived deletion:
$(cat "$D/gone.msgs")"
}

# start a client with a will; wait until it is connected; print its pid
will_client() { # NAME ARGS...
	name=$1
	shift
	sub_bg "$name" 1000 "$@" || return 1
	eval "echo \$PID_$name"
}

# A will is published when the client dies without DISCONNECT.
will_on_kill() {
	t="$BASE/will"
	sub_bg watch 1 -q 1 -t "$t" || return 1
	pid=$(will_client wk -t "$BASE/nothing" --will-topic "$t" \
		--will-payload gone --will-qos 1) || return 1
	kill -9 "$pid"
	PUB -t "$BASE/ready/wk" -r -n
	sub_wait watch || return 1
	expect_file watch "$t|1|0|gone"
}

will_retained() {
	t="$BASE/willr"
	pid=$(will_client wr -t "$BASE/nothing" --will-topic "$t" \
		--will-payload gone-r --will-qos 2 --will-retain) || return 1
	kill -9 "$pid"
	PUB -t "$BASE/ready/wr" -r -n
	# The retained will may take a moment: read it when it is there.
	out=$(SUB -t "$t" -q 2 -C 1 -W "$W" -F '%q|%r|%p') || return 1
	PUB -t "$t" -r -n
	[ "$out" = "2|1|gone-r" ] || fail "retained will: '$out'"
}

# Clean session 0 (-c): subscription and QoS 1/2 messages kept while away.
persistent_session_offline_queue() {
	id="kst-sh-$U"
	t="$BASE/ps"
	SUB -i "$id" -c -q 2 -t "$t" -E || return 1
	PUB -t "$t" -q 1 -m one && PUB -t "$t" -q 1 -m two &&
		PUB -t "$t" -q 2 -m three || return 1
	out=$(SUB -i "$id" -c -q 2 -t "$t" -C 3 -W "$W" -F '%q|%p') || return 1
	# drop the session
	SUB -i "$id" -t "$t" -E > /dev/null
	# In order within each QoS (the only order 4.6 promises).
	q1=$(echo "$out" | grep '^1|' | tr '\n' ' ')
	q2=$(echo "$out" | grep '^2|' | tr '\n' ' ')
	[ "$q1" = "1|one 1|two " ] && [ "$q2" = "2|three " ] ||
		fail "queued: '$out'"
}

# 300 lines, one message each, QoS 1, arrive complete and in order.
line_mode_order() {
	t="$BASE/lines"
	sub_bg lines 300 -q 1 -t "$t" || return 1
	seq 1 300 | PUB -t "$t" -q 1 -l || return 1
	sub_wait lines || return 1
	expect_file lines "$(seq 1 300 | sed "s|^|$t\|1\|0\||")"
}

# A 200000-byte payload from a file (below the 256 KiB packet limit).
large_payload_file() {
	t="$BASE/big"
	head -c 200000 /dev/zero | tr '\0' 'k' > "$D/big.in"
	sub_bg big 1 -q 2 -t "$t" || return 1
	PUB -t "$t" -q 2 -f "$D/big.in" || return 1
	sub_wait big || return 1
	want="$t|2|0|$(cat "$D/big.in")"
	expect_file big "$want"
}

mqtt31_clients() {
	t="$BASE/v31"
	sub_bg v31 1 -V mqttv31 -q 1 -t "$t" || return 1
	PUB -V mqttv31 -t "$t" -q 1 -m v31 || return 1
	sub_wait v31 || return 1
	expect_file v31 "$t|1|0|v31"
}

# The user name and password fields are accepted (no users configured).
username_password() {
	PUB -u kst-user -P kst-pass -t "$BASE/up" -q 1 -m x || return 1
	PUB -u kst-user -t "$BASE/up" -q 1 -m x
}

# ---- runner -----------------------------------------------------------------

echo "TAP version 13"
set -- $sel
echo "1..$#"
if ! command -v mosquitto_pub > /dev/null || ! command -v mosquitto_sub > /dev/null; then
	n=0
	for t in $sel; do
		n=$((n + 1))
		echo "ok $n $t # SKIP mosquitto-clients not installed"
	done
	exit 4
fi
n=0 fails=0
for t in $sel; do
	n=$((n + 1))
	echo "#  RUN $t"
	# Each case in a subshell; its background subscribers die with it.
	if (
		$t
		rc=$?
		for p in $BG; do kill "$p" 2>/dev/null; done
		exit $rc
	); then
		echo "ok $n $t"
	else
		fails=$((fails + 1))
		echo "not ok $n $t"
	fi
done
echo "# Totals: pass:$((n - fails)) fail:$fails xfail:0 xpass:0 skip:0 error:0"
[ $fails -eq 0 ]
