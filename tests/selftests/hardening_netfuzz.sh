#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Network fuzz pass (issue 6): tests/fuzz/net/netfuzz against the broker at
# KMQTT_HOST:KMQTT_PORT (default 127.0.0.1:1883) for NETFUZZ_TIME seconds
# (default 30), 64 concurrent mutated sessions (NETFUZZ_CONNS) beside a
# checker that must get every QoS 1/2 message.  TAP 13 on stdout (netfuzz's
# own).  On the debug kernel the VM harness fails the run on any KASAN,
# UBSAN, lockdep, WARN or kmemleak report, whatever this prints.
#
#   NETFUZZ_SEED   reuse a seed (printed by every run) to replay a run
#   NETFUZZ_ARGS   extra netfuzz options (see netfuzz --help)
#   NETFUZZ_BIN    a prebuilt netfuzz
#
# netfuzz is built on the host by `make -C tests/fuzz/net`; when it is
# missing or stale (and the tree is read-only, as in the VM) it is built into
# $KMQTT_SCRATCH or a temporary directory.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../fuzz/net" 2>/dev/null && pwd) || src=
bin=${NETFUZZ_BIN:-}

skip() {
	echo "TAP version 13"
	echo "1..0 # SKIP $*"
	exit 4	# kselftest's KSFT_SKIP
}

stale() {	# $1 binary: older than any source?
	[ -x "$1" ] || return 0
	for f in "$src"/*.c "$src"/*.h; do
		[ "$f" -nt "$1" ] && return 0
	done
	return 1
}

if [ -z "$bin" ]; then
	[ -n "$src" ] && [ -f "$src/netfuzz.c" ] || skip "tests/fuzz/net not found"
	bin=$src/netfuzz
	if stale "$bin"; then
		if [ -w "$src" ] && make -s -C "$src" netfuzz >&2; then
			:
		else
			out=${KMQTT_SCRATCH:-}
			[ -n "$out" ] && [ -d "$out" ] && [ -w "$out" ] ||
				out=$(mktemp -d "${TMPDIR:-/tmp}/netfuzz.XXXXXX")
			bin=$out/netfuzz
			if stale "$bin"; then
				command -v "${CC:-gcc}" >/dev/null 2>&1 ||
					skip "netfuzz not built and no compiler"
				"${CC:-gcc}" -O2 -std=gnu11 -o "$bin" "$src"/netfuzz.c \
					"$src"/nf_gen.c "$src"/nf_check.c \
					"$src"/nf_util.c >&2 ||
					skip "netfuzz does not build"
			fi
		fi
	fi
fi

set -- --duration "${NETFUZZ_TIME:-30}" --conns "${NETFUZZ_CONNS:-64}" \
	--host "${KMQTT_HOST:-127.0.0.1}" --port "${KMQTT_PORT:-1883}"
[ -n "${NETFUZZ_SEED:-}" ] && set -- "$@" --seed "$NETFUZZ_SEED"
# NETFUZZ_ARGS is split on blanks on purpose.
# shellcheck disable=SC2086
exec "$bin" "$@" ${NETFUZZ_ARGS:-}
