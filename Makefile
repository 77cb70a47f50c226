# SPDX-License-Identifier: GPL-2.0
# shakeoff: one binary, BPF objects embedded as libbpf skeletons.
#
#   make            build ./shakeoff
#   make deps       install the Debian packages build, tests, demo and bench need
#   make test       unit + integration tests (root)
#   make demo       guard in front of a kernel server on a veth pair (root)
#   make bench      SYN->reply rates (reflector, guard, kernel, nft synproxy);
#                   serve vs a kernel epoll echo server (root)
#   make install    PREFIX=/usr/local DESTDIR=
#   V=1             show the commands

.DELETE_ON_ERROR:
.SECONDARY:
.DEFAULT_GOAL := all

VERSION := 0.1.0
OUTPUT ?= .output
BIN ?= shakeoff
PREFIX ?= /usr/local
DESTDIR ?=

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine)
PYTHON := /usr/bin/python3

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -Wall -Wextra -Werror -Wno-unused-parameter \
	-I$(OUTPUT) -Iinclude -Ibpf -I$(ARCH_INC)
CFLAGS ?= -O2 -g
# Beyond -Wall -Wextra; the tree builds clean with them (packet fields through core/unaligned.h).
WARN_CFLAGS ?= -Wmissing-prototypes -Wformat=2
CFLAGS += -Wall -Wextra -Werror -Wno-missing-field-initializers $(WARN_CFLAGS) -std=gnu11 \
	-I$(OUTPUT) -Iinclude -Iuser -DSHAKEOFF_VERSION='"$(VERSION)"'
LDLIBS := -lbpf -lxdp -lelf -lz -lm

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
BPF_HDRS := $(wildcard bpf/lib/*.h include/shakeoff/*.h)

ROOMS := cmd core guard serve tcp apps
USER_SRCS := user/main.c $(foreach r,$(ROOMS),$(wildcard user/$(r)/*.c))
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
USER_HDRS := $(foreach r,$(ROOMS),$(wildcard user/$(r)/*.h)) $(wildcard include/shakeoff/*.h)

# Unit tests link the user modules they test, minus main().
LIB_OBJS := $(filter-out $(OUTPUT)/user/main.o,$(USER_OBJS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(OUTPUT)/bench/%,$(BENCH_SRCS))

.PHONY: all deps test test-unit test-integration bench demo install clean help format

all: $(BIN)

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/tests $(OUTPUT)/bench:
	$(Q)mkdir -p $@

$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,BTF,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(OUTPUT)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(OUTPUT)/user/%.o: user/%.c $(USER_HDRS) $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BIN): $(USER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(OUTPUT)/tests/%: tests/unit/%.c $(LIB_OBJS) $(USER_HDRS) $(SKELS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(LIB_OBJS) -o $@ $(LDLIBS)

$(OUTPUT)/bench/%: tests/bench/%.c $(LIB_OBJS) $(USER_HDRS) $(SKELS) | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB_OBJS) -o $@ $(LDLIBS)

deps:
	$(Q)scripts/deps.sh

test: deps all $(UNIT_BINS)
	$(Q)tests/run.sh

test-unit: all $(UNIT_BINS)
	$(Q)tests/run.sh unit

test-integration: all
	$(Q)tests/run.sh integration

bench: deps all $(BENCH_BINS)
	$(Q)scripts/bench.sh

demo: deps all
	$(Q)scripts/demo.sh

install: all
	$(Q)install -d $(DESTDIR)$(PREFIX)/sbin
	$(Q)install -m 0755 shakeoff $(DESTDIR)$(PREFIX)/sbin/shakeoff

format:
	$(Q)clang-format -i $(BPF_SRCS) $(wildcard bpf/lib/*.h include/shakeoff/*.h user/*.c $(foreach r,$(ROOMS),user/$(r)/*.[ch]) tests/unit/*.[ch])

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf $(OUTPUT) shakeoff

help:
	@sed -n '2,12p' Makefile | sed 's/^# \{0,1\}//'
