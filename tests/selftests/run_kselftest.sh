#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kmqtt selftest runner, in the spirit of the kernel's run_kselftest.sh and
# kselftest/runner.sh: runs each test program and prints one TAP 13 stream.
#
#   run_kselftest.sh [-l] [-s] [PROGRAM...]
#     -l         list the programs that would run, and exit
#     PROGRAM    run only these (names as listed by -l)
#
# Environment: KMQTT_HOST (127.0.0.1), KMQTT_PORT (1883),
# KMQTT_BROKER (kmqtt|mosquitto, default kmqtt), KMQTT_TEST (run one test
# inside each program, see README.md), KMQTT_OUT (scratch directory),
# KMQTT_PROG_TIMEOUT (seconds per program, default from ./settings),
# KMQTT_NO_PROBE=1 (do not check first that a broker answers CONNECT).
#
# Output format (documented in README.md): results are FLATTENED.  Every
# test case of every program becomes one top-level line
#     ok N PROGRAM: CASE            or   not ok N PROGRAM: CASE
# with "# SKIP reason" appended for skipped cases.  Everything else a program
# prints (its own TAP header and plan included) is passed through as a
# "# " comment.  A program that prints no results at all counts as one case
# named after the program, judged by its exit status (0 pass, 4 skip).  A
# program that crashes, times out or reports fewer results than its plan
# adds one "not ok" line.  Before any program, one case checks that a
# broker answers CONNECT; if none does, "Bail out!" ends the run.  The plan "1..N" comes last, as TAP allows, since
# the number of cases is only known at the end; a "# Totals:" line precedes
# it.  The exit status is 0 when nothing failed.

set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here" || exit 1

export KMQTT_HOST="${KMQTT_HOST:-127.0.0.1}"
export KMQTT_PORT="${KMQTT_PORT:-1883}"
export KMQTT_BROKER="${KMQTT_BROKER:-kmqtt}"
# Debian's interpreter: paho-mqtt is installed for it, not for pyenv & co.
export PYTHON="${PYTHON:-/usr/bin/python3}"

# Per-program timeout, as kselftest's "settings" file.
timeout=600
if [ -r "$here/settings" ]; then
	t=$(sed -n 's/^timeout=\([0-9]*\).*/\1/p' "$here/settings")
	[ -n "$t" ] && timeout=$t
fi
timeout=${KMQTT_PROG_TIMEOUT:-$timeout}

# Our programs in order, then the control and hardening engineers' ones.
OWN="raw_violations raw_protocol paho_c_test paho_py_test.py mosquitto_clients.sh"
others() {
	for f in ctl_* hardening_*; do
		[ -f "$f" ] && [ -x "$f" ] || continue
		case "$f" in *.c|*.h|*.o|*.d|*.orig|*~) continue ;; esac
		echo "$f"
	done
}

list=
if [ $# -gt 0 ] && [ "$1" = "-l" ]; then
	for p in $OWN $(others); do echo "$p"; done
	exit 0
fi
if [ $# -gt 0 ]; then
	list="$*"
else
	list="$OWN $(others)"
fi

base=${KMQTT_OUT:-${KMQTT_SCRATCH:-${TMPDIR:-/tmp}}}
mkdir -p "$base" 2>/dev/null
tmp=$(mktemp -d "$base/kst-run.XXXXXX") || { echo "cannot create scratch dir in $base" >&2; exit 1; }
trap 'rm -rf "$tmp"' EXIT
export KMQTT_OUT="${KMQTT_OUT:-$tmp}"

echo "TAP version 13"
echo "# kmqtt selftests: broker=$KMQTT_BROKER at $KMQTT_HOST:$KMQTT_PORT"
n=0 pass=0 fail=0 skip=0

# Emit one top-level result of our own.
result() { # status name [directive]
	n=$((n + 1))
	case "$1" in
	ok) pass=$((pass + 1)); echo "ok $n $2${3:+ # $3}" ;;
	skip) skip=$((skip + 1)); echo "ok $n $2 # SKIP${3:+ $3}" ;;
	*) fail=$((fail + 1)); echo "not ok $n $2${3:+ # $3}" ;;
	esac
}

# One probe first: a missing or silent broker would otherwise cost every
# test its full timeout.  KMQTT_NO_PROBE=1 skips it.
if [ -z "${KMQTT_NO_PROBE:-}" ]; then
	if [ -x ./kst_probe ] && ./kst_probe > "$tmp/probe" 2>&1; then
		result ok "selftests: broker answers CONNECT at $KMQTT_HOST:$KMQTT_PORT"
	else
		sed 's/^/# /' "$tmp/probe" 2>/dev/null
		[ -x ./kst_probe ] || echo "# kst_probe not built (run make on the host)"
		result fail "selftests: broker answers CONNECT at $KMQTT_HOST:$KMQTT_PORT"
		echo "Bail out! no broker at $KMQTT_HOST:$KMQTT_PORT"
		echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
		echo "1..$n"
		exit 1
	fi
fi

for prog in $list; do
	echo "# selftests: kmqtt: $prog"
	if [ ! -e "$prog" ]; then
		echo "# $prog is missing (not built? run make on the host)"
		result fail "$prog" "missing"
		continue
	fi
	if [ ! -x "$prog" ]; then
		echo "# $prog is not executable"
		result fail "$prog" "not executable"
		continue
	fi
	rm -f "$tmp/rc" "$tmp/counts"
	# stdout and stderr of the program, flattened into our stream.
	{ timeout -k 10 "$timeout" "./$prog"; echo $? > "$tmp/rc"; } 2>&1 |
	awk -v start="$n" -v prog="$prog" -v counts="$tmp/counts" '
	BEGIN { n = start; pass = 0; fail = 0; skip = 0; res = 0; plan = -1; last = "" }
	/^TAP version/ { print "# " $0; next }
	/^1\.\.[0-9]+/ { p = $0; sub(/^1\.\./, "", p); plan = p + 0; print "# " $0; next }
	/^(not )?ok([ \t]|$)/ {
		line = $0
		bad = (line ~ /^not /)
		match(line, /^(not )?ok[ \t]*[0-9]*[ \t]*(-[ \t]+)?/)
		rest = substr(line, RLENGTH + 1)
		dir = ""
		h = index(rest, "#")
		if (h > 0) { dir = substr(rest, h + 1); rest = substr(rest, 1, h - 1) }
		sub(/^[ \t]+/, "", dir); sub(/[ \t]+$/, "", rest)
		name = rest
		# kselftest_harness (6.1) prints "ok N # SKIP reason" without the
		# test name: take it from the last "RUN" line.
		if (name == "") name = (last != "" ? last : "case" (res + 1))
		n++; res++
		if (toupper(substr(dir, 1, 4)) == "SKIP") {
			skip++; print "ok " n " " prog ": " name " # " dir
		} else if (bad && toupper(substr(dir, 1, 4)) != "TODO") {
			fail++; print "not ok " n " " prog ": " name (dir != "" ? " # " dir : "")
		} else {
			pass++; print "ok " n " " prog ": " name (dir != "" ? " # " dir : "")
		}
		fflush(); next
	}
	{
		if (match($0, /^#[ \t]+RUN[ \t]+/)) {
			last = substr($0, RLENGTH + 1); sub(/ \.\.\.$/, "", last)
		}
		print "# " $0
		fflush()
	}
	END { print n, pass, fail, skip, res, plan > counts }
	'
	rc=$(cat "$tmp/rc" 2>/dev/null || echo 255)
	read -r n2 p2 f2 s2 res plan < "$tmp/counts" || { n2=$n p2=0 f2=0 s2=0 res=0 plan=-1; }
	n=$n2 pass=$((pass + p2)) fail=$((fail + f2)) skip=$((skip + s2))
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		result fail "$prog" "TIMEOUT $timeout seconds"
	elif [ "$res" -eq 0 ]; then
		case "$rc" in
		0) result ok "$prog" ;;
		4) result skip "$prog" ;;
		*) result fail "$prog" "exit=$rc" ;;
		esac
	elif [ "$plan" -ge 0 ] && [ "$res" -lt "$plan" ]; then
		result fail "$prog" "exit=$rc, only $res of $plan results"
	elif [ "$rc" != 0 ] && [ "$rc" != 4 ] && [ "$f2" -eq 0 ]; then
		result fail "$prog" "exit=$rc with no failed case"
	fi
done

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
echo "1..$n"
[ "$fail" -eq 0 ]
