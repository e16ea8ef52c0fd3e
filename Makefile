# SPDX-License-Identifier: GPL-2.0
# kmqtt: user-facing build. Kbuild (not this file) drives the kernel build of kmod/.
#
#   make [KDIR=...]   build kmod/kmqtt.ko and mqttctl/mqttctl
#   make install      install the module (modules_install + depmod) and mqttctl
#   make check        every test, ends with "N passed, N failed"   (tests/run-check)
#   make run          boot Debian's kernel in QEMU with kmqtt on 127.0.0.1:$(PORT)
#   make style        checkpatch.pl over kmod/ and uapi/
#   make dkms         dkms add + build + install for KDIR's kernel
#   make bench | fuzz | clean

VERSION := $(shell cat VERSION)
KVER ?= $(shell uname -r)

# KDIR: the running kernel's build tree, else the newest installed one (saying which).
ifeq ($(origin KDIR),undefined)
  KDIR := $(wildcard /lib/modules/$(KVER)/build)
  ifeq ($(KDIR),)
    KDIR := $(shell ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n1)
    ifeq ($(KDIR),)
      KDIR := $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n1)
    endif
    KDIR_NOTE := kmqtt: no /lib/modules/$(KVER)/build; building against $(KDIR)
  endif
endif
KERNELRELEASE_OF_KDIR = $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)

PREFIX ?= /usr/local
PORT ?= 1883
HAVE_MQTTCTL := $(wildcard mqttctl/Makefile)

.PHONY: all modules mqttctl install modules_install clean clean-modules style check \
	run bench profile fuzz dkms kdir-check

all: modules mqttctl

kdir-check:
	$(if $(KDIR_NOTE),@echo "$(KDIR_NOTE)")
	@test -n "$(KDIR)" -a -e "$(KDIR)/Makefile" || \
	  { echo "kmqtt: no kernel build tree; pass KDIR=... (apt-get install linux-headers-amd64)" >&2; exit 1; }

modules: kdir-check
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

mqttctl:
ifneq ($(HAVE_MQTTCTL),)
	$(MAKE) -C mqttctl
else
	@echo "kmqtt: mqttctl/Makefile not there yet; skipping mqttctl"
endif

modules_install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=extra modules_install

install: modules_install mqttctl
ifneq ($(HAVE_MQTTCTL),)
	install -D -m 0755 mqttctl/mqttctl $(DESTDIR)$(PREFIX)/sbin/mqttctl
endif

clean-modules: kdir-check
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
ifneq ($(HAVE_MQTTCTL),)
	-$(MAKE) -C mqttctl clean
endif
	-for d in tests/unit tests/fuzz tests/selftests tests/bench; do \
	  test -f $$d/Makefile && $(MAKE) -C $$d clean; done; true

style:
	@tests/vm/checkpatch kmod uapi

check:
	@tests/run-check

run:
	@tests/vm/serve --port $(PORT)

bench:
	$(MAKE) -C tests/bench

# perf profiles of kmqtt and Mosquitto in one guest (tests/bench/profile.sh)
profile:
	$(MAKE) -C tests/bench profile

fuzz:
	$(MAKE) -C tests/fuzz fuzz

# dkms: register this tree as kmqtt/$(VERSION) and build + install it for KDIR's kernel
dkms: kdir-check
	dkms status kmqtt/$(VERSION) | grep -q . || dkms add $(CURDIR)
	dkms build kmqtt/$(VERSION) -k $(KERNELRELEASE_OF_KDIR)
	dkms install kmqtt/$(VERSION) -k $(KERNELRELEASE_OF_KDIR)
