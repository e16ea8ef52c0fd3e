# Shared helpers for tests/vm/run, tests/vm/build-module and tests/run-check (bash, sourced).
# shellcheck shell=bash

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_TOP=$(cd "$VM_DIR/../.." && pwd)
VM_CACHE=${KMQTT_CACHE:-/var/cache/kmqtt}

vm_die() { echo "kmqtt-vm: $*" >&2; exit 2; }
vm_note() { [ -n "${VM_QUIET:-}" ] || echo "kmqtt-vm: $*" >&2; }

# Newest installed Debian kernel that has modules and headers (the "stock" kernel).
vm_stock_kver() {
	local v best=
	for v in $(ls /lib/modules 2>/dev/null | sort -V); do
		[ -e "/boot/vmlinuz-$v" ] && [ -e "/lib/modules/$v/build/Makefile" ] && best=$v
	done
	[ -n "$best" ] || return 1
	echo "$best"
}

# vm_resolve_kernel stock|debug: sets VM_KIND VM_KVER VM_KIMAGE VM_KDIR
vm_resolve_kernel() {
	VM_KIND=$1
	case "$1" in
	stock)
		VM_KVER=$(vm_stock_kver) || vm_die "no installed kernel with modules+headers (apt-get install linux-image-amd64 linux-headers-amd64)"
		VM_KIMAGE=/boot/vmlinuz-$VM_KVER
		VM_KDIR=/lib/modules/$VM_KVER/build
		;;
	debug)
		VM_KDIR=$("$VM_DIR/build-debug-kernel") || vm_die "debug kernel build failed"
		VM_KIMAGE=$VM_KDIR/arch/x86/boot/bzImage
		VM_KVER=$(cat "$VM_KDIR/include/config/kernel.release")
		;;
	*) vm_die "unknown kernel '$1' (stock|debug)" ;;
	esac
	[ -r "$VM_KIMAGE" ] || vm_die "$VM_KIMAGE is not readable"
}

# vm_build_ext NAME SRCROOT PATH... : copy PATHs (relative to SRCROOT; sources only) into a
# per-kernel build directory and build them there as one external module tree against
# VM_KDIR, so that builds for different kernels (and the user's in-tree `make`) never
# clobber each other. Sets VM_BUILD. mtimes are preserved, so rebuilds are incremental.
vm_build_ext() {
	local name=$1 src=$2 tag; shift 2
	tag=$(printf '%s' "$VM_KDIR" | sha256sum | cut -c1-8)
	VM_BUILD=$VM_CACHE/build/$VM_KVER-$tag/$name
	mkdir -p "$VM_BUILD"
	(
		flock 8
		(cd "$src" && tar -cf - --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
			--exclude='*.mod.c' --exclude='.*.cmd' --exclude='*.a' --exclude='modules.order' \
			--exclude='Module.symvers' --exclude='.*.d' --exclude='*.tmp' "$@") |
			tar -C "$VM_BUILD" -xf -
		make -s -C "$VM_KDIR" M="$VM_BUILD" modules >"$VM_BUILD/build.log" 2>&1
	) 8>"$VM_BUILD.lock" || { cat "$VM_BUILD/build.log" >&2; vm_die "building $name for $VM_KVER failed (log: $VM_BUILD/build.log)"; }
}

# Build kmqtt.ko (and the KUnit module when the kernel has CONFIG_KUNIT) for VM_KDIR.
vm_build_kmqtt() {
	[ -e "$VM_TOP/kmod/Kbuild" ] || vm_die "kmod/Kbuild missing: the module is not buildable yet"
	local p paths=()
	for p in Kbuild VERSION kmod uapi; do [ -e "$VM_TOP/$p" ] && paths+=("$p"); done
	vm_build_ext kmqtt "$VM_TOP" "${paths[@]}"
	VM_MODULE=$VM_BUILD/kmod/kmqtt.ko
	[ -e "$VM_MODULE" ] || vm_die "build produced no kmod/kmqtt.ko (log: $VM_BUILD/build.log)"
}

# shell single-quoting usable by both busybox sh and bash
vm_sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
