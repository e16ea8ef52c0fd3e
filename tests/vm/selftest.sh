#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Harness self-test (TAP): proves that tests/vm/run really fails when the kernel reports
# a bug. A throwaway module (tests/vm/selftest/kasan_plant.c) writes one byte past a
# kmalloc() on init; on the debug kernel KASAN reports it and the run must fail and show
# the report with its stack. A clean stock run must pass through COMMAND's exit status.
#   tests/vm/selftest.sh [--no-stock]
here=$(cd "$(dirname "$0")" && pwd)
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }
stock=1; [ "${1:-}" = --no-stock ] && stock=

echo "TAP version 13"
echo "1..$([ -n "$stock" ] && echo 6 || echo 3)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

if B=$("$here/build-module" --kernel debug selftest 2>"$tmp/build.err"); then
	"$here/run" -q --kernel debug --no-module --insmod "$B/kasan_plant.ko" --timeout 600 -- true \
		>"$tmp/plant.out" 2>&1
	rc=$?
	sed 's/^/# /' "$tmp/plant.out" | grep -E 'FAIL|BUG: KASAN|kasan_plant_init|Write of size' | head -8
	check "planted KASAN bug fails the run (exit $rc)" test "$rc" = 1
	check "KASAN report is printed" grep -q 'BUG: KASAN: slab-out-of-bounds' "$tmp/plant.out"
	check "report carries the stack (kasan_plant_init)" grep -q 'kasan_plant_init' "$tmp/plant.out"
else
	sed 's/^/# /' "$tmp/build.err"
	for i in 1 2 3; do nok "debug kernel/self-test module build ($i)"; done
fi

if [ -n "$stock" ]; then
	if B=$("$here/build-module" --kernel stock selftest 2>"$tmp/build.err"); then
		"$here/run" -q --kernel stock --no-module --insmod "$B/vmtest_dummy.ko" --timeout 300 \
			-- sh -c 'echo guest-said-hello; exit 7' >"$tmp/stock.out" 2>&1
		rc=$?
		check "COMMAND's exit status comes back (7 = $rc)" test "$rc" = 7
		check "COMMAND's output comes back" grep -qx 'guest-said-hello' "$tmp/stock.out"
		check "clean run reports nothing" bash -c "! grep -q 'FAIL\|kernel log reports' '$tmp/stock.out'"
		[ $failed = 0 ] || sed 's/^/# /' "$tmp/stock.out" | tail -20
	else
		sed 's/^/# /' "$tmp/build.err"
		for i in 4 5 6; do nok "stock self-test module build ($i)"; done
	fi
fi
[ $failed = 0 ]
