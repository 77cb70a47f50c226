# SPDX-License-Identifier: GPL-2.0
# shakeoff: one binary, BPF objects embedded as libbpf skeletons.
#
#   make            build ./shakeoff
#   make deps       install the Debian packages build, tests, demo and bench need
#   make test       unit + integration tests (root)
#   make demo       guard in front of a kernel server on a veth pair (root)
#   make bench      SYN->reply rates (reflector, guard, kernel, nft synproxy);
#                   serve vs a kernel epoll echo server (root)
#   make experiment  experiments/default.exp (a few minutes): every defence
#                   against a SYN flood, results in .output/experiment (root)
#   make fuzz       the BPF fuzzer (SECONDS=300 SEED=1, REPLAY=file) and the
#                   libFuzzer harnesses of the TCP engine, frame and HTTP parsers (root)
#   make check      formatting, the warning build, static analysis (clang-tidy)
#   make install    PREFIX=/usr/local DESTDIR= (binary, man page, bash completion,
#                   systemd units); make uninstall removes them
#   SAN=1           build (and test) with ASan + UBSan into .output-san/
#   V=1             show the commands

SHELL := /bin/bash
.DELETE_ON_ERROR:
.SECONDARY:
.DEFAULT_GOAL := all

VERSION := 0.1.0
ifeq ($(SAN),1)
OUTPUT ?= .output-san
BIN ?= $(OUTPUT)/shakeoff
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
OUTPUT ?= .output
BIN ?= shakeoff
SAN_FLAGS :=
endif
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
WARN_CFLAGS ?= -Wshadow -Wmissing-prototypes -Wvla -Wformat=2 -Wcast-align=strict
CFLAGS += -Wall -Wextra -Werror -Wno-missing-field-initializers $(WARN_CFLAGS) -std=gnu11 \
	-I$(OUTPUT) -Iinclude -Iuser -DSHAKEOFF_VERSION='"$(VERSION)"' $(SAN_FLAGS)
LDLIBS := -lbpf -lxdp -lelf -lz -lm -lpthread

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
BPF_HDRS := $(wildcard bpf/lib/*.h include/shakeoff/*.h)

ROOMS := cmd core guard serve tcp apps metrics lab trace
USER_SRCS := user/main.c $(foreach r,$(ROOMS),$(wildcard user/$(r)/*.c))
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
USER_HDRS := $(foreach r,$(ROOMS),$(wildcard user/$(r)/*.h)) $(wildcard include/shakeoff/*.h)

# Unit tests link the user modules they test, minus main().
LIB_OBJS := $(filter-out $(OUTPUT)/user/main.o,$(USER_OBJS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
FUZZ_DIR := $(OUTPUT)/fuzz
FUZZ_BPF_SRCS := tests/fuzz/bpf_fuzz.c tests/fuzz/fz_gen.c tests/fuzz/fz_wire.c tests/fuzz/fz_target.c
FUZZ_BPF := $(FUZZ_DIR)/bpf_fuzz
# Test-only XDP programs (a next program, a root that tail-calls stages), outside tests/ binaries.
TEST_BPF_DIR := $(OUTPUT)/tests-bpf
TEST_BPF_OBJS := $(patsubst tests/bpf/%.bpf.c,$(TEST_BPF_DIR)/%.bpf.o,$(wildcard tests/bpf/*.bpf.c))
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(OUTPUT)/bench/%,$(BENCH_SRCS))

.PHONY: fuzz fuzz-build all deps experiment test test-unit test-integration bench demo install uninstall \
	clean help format check format-check tidy verifier-stats

all: $(BIN)

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/tests $(OUTPUT)/bench $(FUZZ_DIR):
	$(Q)mkdir -p $@

$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,BTF,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(OUTPUT)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(TEST_BPF_DIR)/%.bpf.o: tests/bpf/%.bpf.c $(OUTPUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
# guard without its limits (bench only) is guard.bpf.c compiled once more
$(OUTPUT)/guard_nolimits.bpf.o: bpf/guard.bpf.c
# and guard without the trace's hooks (bench only)
$(OUTPUT)/guard_notrace.bpf.o: bpf/guard.bpf.c

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(OUTPUT)/user/%.o: user/%.c $(USER_HDRS) $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# The live page of --metrics, as bytes for user/metrics/page.c.
$(OUTPUT)/metrics_page.h: user/metrics/page.html | $(OUTPUT)
	$(call msg,XXD,$@)
	$(Q){ xxd -i < $< && echo ', 0x00'; } > $@

$(OUTPUT)/user/metrics/page.o: $(OUTPUT)/metrics_page.h

$(BIN): $(USER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(OUTPUT)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(LIB_OBJS) $(USER_HDRS) $(SKELS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $< $(LIB_OBJS) -o $@ $(LDLIBS)

$(OUTPUT)/bench/%: tests/bench/%.c $(LIB_OBJS) $(USER_HDRS) $(SKELS) | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB_OBJS) -o $@ $(LDLIBS)

$(FUZZ_BPF): $(FUZZ_BPF_SRCS) tests/fuzz/fz.h $(LIB_OBJS) $(USER_HDRS) $(SKELS) | $(FUZZ_DIR)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/fuzz $(FUZZ_BPF_SRCS) $(LIB_OBJS) -o $@ $(LDLIBS)

deps:
	$(Q)scripts/deps.sh

# SAN=1 test: the unit tests and guard's and serve's integration tests (with serve's faults
# and --metrics) under the sanitizers.
TEST_ENV := SHAKEOFF=$(abspath $(BIN)) UNIT_DIR=$(OUTPUT)/tests SAN=$(SAN) FUZZ_DIR=$(FUZZ_DIR) \
	TEST_BPF_DIR=$(abspath $(TEST_BPF_DIR)) \
	INTEGRATION="$(if $(filter 1,$(SAN)),test_guard test_serve test_serve_faults test_config test_metrics,)"

test: deps all $(UNIT_BINS) $(TEST_BPF_OBJS) fuzz-build
	$(Q)$(TEST_ENV) tests/run.sh all

# make fuzz [SECONDS=300] [SEED=1] [REPLAY=file]: longer rounds than make test's
SECONDS ?= 300
SEED ?= 1
LIBFUZZ_CC ?= clang
LIBFUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-std=gnu11 -Iinclude -Iuser -I$(OUTPUT) -Wall -Wextra -Werror -Wno-missing-field-initializers
FUZZ_TCP_SRCS := $(wildcard user/tcp/*.c)
FUZZ_RX_SRCS := user/serve/frame.c user/serve/trace.c user/core/csum.c tests/fuzz/fz_wire.c
FUZZ_HTTP_SRCS := user/metrics/http.c user/metrics/mbuf.c
FUZZ_LIBS := $(FUZZ_DIR)/tcp_fuzz $(FUZZ_DIR)/frame_fuzz $(FUZZ_DIR)/http_fuzz

$(FUZZ_DIR)/tcp_fuzz: tests/fuzz/tcp_fuzz.c $(FUZZ_TCP_SRCS) $(USER_HDRS) | $(FUZZ_DIR)
	$(call msg,FUZZ,$@)
	$(Q)$(LIBFUZZ_CC) $(LIBFUZZ_FLAGS) tests/fuzz/tcp_fuzz.c $(FUZZ_TCP_SRCS) -o $@

$(FUZZ_DIR)/frame_fuzz: tests/fuzz/frame_fuzz.c $(FUZZ_RX_SRCS) $(USER_HDRS) $(SKELS) | $(FUZZ_DIR)
	$(call msg,FUZZ,$@)
	$(Q)$(LIBFUZZ_CC) $(LIBFUZZ_FLAGS) -Itests/fuzz tests/fuzz/frame_fuzz.c $(FUZZ_RX_SRCS) -o $@

$(FUZZ_DIR)/http_fuzz: tests/fuzz/http_fuzz.c $(FUZZ_HTTP_SRCS) $(USER_HDRS) | $(FUZZ_DIR)
	$(call msg,FUZZ,$@)
	$(Q)$(LIBFUZZ_CC) $(LIBFUZZ_FLAGS) tests/fuzz/http_fuzz.c $(FUZZ_HTTP_SRCS) -o $@

fuzz-build: all $(FUZZ_BPF) $(FUZZ_LIBS)

fuzz: fuzz-build
	$(Q)$(FUZZ_BPF) --shakeoff $(abspath $(BIN)) --regress tests/fuzz/corpus/bpf/regress.txt \
		$(if $(REPLAY),--replay $(REPLAY),--seconds $(SECONDS) --seed $(SEED))
	$(Q)$(if $(REPLAY),true,tests/fuzz/libfuzz.sh $(FUZZ_DIR)/tcp_fuzz tests/fuzz/corpus/tcp \
		-max_total_time=$$(( $(SECONDS) / 4 + 1 )) -seed=$(SEED))
	$(Q)$(if $(REPLAY),true,tests/fuzz/libfuzz.sh $(FUZZ_DIR)/frame_fuzz tests/fuzz/corpus/frame \
		-max_total_time=$$(( $(SECONDS) / 4 + 1 )) -seed=$(SEED))
	$(Q)$(if $(REPLAY),true,tests/fuzz/libfuzz.sh $(FUZZ_DIR)/http_fuzz tests/fuzz/corpus/http \
		-max_total_time=$$(( $(SECONDS) / 4 + 1 )) -seed=$(SEED))

test-unit: all $(UNIT_BINS)
	$(Q)$(TEST_ENV) tests/run.sh unit

test-integration: all $(TEST_BPF_OBJS)
	$(Q)$(TEST_ENV) tests/run.sh integration

# The gate before every commit (and in CI before make test).
FORMAT_SRCS := $(BPF_SRCS) $(wildcard bpf/lib/*.h include/shakeoff/*.h user/*.c \
	$(foreach r,$(ROOMS),user/$(r)/*.[ch]) tests/unit/*.[ch] tests/bench/*.c tests/tools/*.c \
	tests/integration/*.c tests/fuzz/*.[ch] tests/bpf/*.c)

check: format-check all $(UNIT_BINS) $(BENCH_BINS) $(FUZZ_BPF) $(TEST_BPF_OBJS) tidy

format-check:
	$(call msg,FORMAT,check)
	$(Q)clang-format --dry-run -Werror $(FORMAT_SRCS)

tidy: $(SKELS) $(OUTPUT)/metrics_page.h
	$(call msg,TIDY,$(words $(USER_SRCS)) files)
	$(Q)scripts/tidy.sh $(OUTPUT) $(USER_SRCS)

bench: deps all $(BENCH_BINS)
	$(Q)scripts/bench.sh

demo: deps all
	$(Q)scripts/demo.sh

experiment: deps all
	$(Q)./$(BIN) lab run experiments/default.exp --out $(OUTPUT)/experiment

# What install puts where (uninstall removes exactly these). The binary is
# stripped on its way; ./shakeoff keeps its symbols. sbin: guard and serve are
# root daemons. etc/shakeoff/example.conf goes to /etc/shakeoff/ when the tree has it.
SBINDIR ?= $(PREFIX)/sbin
MAN8DIR ?= $(PREFIX)/share/man/man8
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR ?= $(PREFIX)/lib/systemd/system
# the units read /etc/shakeoff/IFACE.conf whatever the PREFIX
SYSCONFDIR ?= /etc
UNITS := shakeoff-guard@.service shakeoff-serve@.service
EXAMPLE_CONF := $(wildcard etc/shakeoff/example.conf)
STRIP ?= strip
# the scenario engine `shakeoff lab scenario` runs (found next to the binary: ../share/shakeoff)
SCENARIODIR ?= $(PREFIX)/share/shakeoff/scenarios
SCENARIO_FILES := $(wildcard lab/scenarios/*.py) lab/scenarios/README.md
INSTALLED := $(SBINDIR)/shakeoff $(MAN8DIR)/shakeoff.8 $(COMPLETIONDIR)/shakeoff \
	$(addprefix $(UNITDIR)/,$(UNITS)) $(if $(EXAMPLE_CONF),$(SYSCONFDIR)/shakeoff/example.conf) \
	$(addprefix $(SCENARIODIR)/,$(notdir $(SCENARIO_FILES)))

install: all
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MAN8DIR) $(DESTDIR)$(COMPLETIONDIR) \
		$(DESTDIR)$(UNITDIR)
	$(Q)install -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/shakeoff
	$(Q)$(STRIP) --strip-all $(DESTDIR)$(SBINDIR)/shakeoff
	$(Q)install -m 0644 doc/shakeoff.8 $(DESTDIR)$(MAN8DIR)/shakeoff.8
	$(Q)install -m 0644 dist/shakeoff.bash $(DESTDIR)$(COMPLETIONDIR)/shakeoff
	$(Q)install -d $(DESTDIR)$(SCENARIODIR)
	$(Q)install -m 0644 $(SCENARIO_FILES) $(DESTDIR)$(SCENARIODIR)/
	$(Q)for u in $(UNITS); do \
		sed 's|@SBINDIR@|$(SBINDIR)|g' dist/$$u.in > $(DESTDIR)$(UNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	$(Q)$(if $(EXAMPLE_CONF),install -D -m 0644 $(EXAMPLE_CONF) \
		$(DESTDIR)$(SYSCONFDIR)/shakeoff/example.conf,true)

# Only our files; a directory goes only if we left it empty (never a shared one that has others').
uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	$(Q)rmdir --ignore-fail-on-non-empty $(DESTDIR)$(SCENARIODIR) $(DESTDIR)$(dir $(SCENARIODIR))
	$(Q)$(if $(EXAMPLE_CONF),rmdir --ignore-fail-on-non-empty $(DESTDIR)$(SYSCONFDIR)/shakeoff,true)

format:
	$(Q)clang-format -i $(FORMAT_SRCS)

# Verifier cost of every program: processed instructions and translated size.
verifier-stats: $(BPF_OBJS) $(OUTPUT)/bench/verifier_stats
	$(Q)$(OUTPUT)/bench/verifier_stats $(BPF_OBJS)

$(OUTPUT)/bench/verifier_stats: tests/tools/verifier_stats.c | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ -lbpf

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf .output .output-san shakeoff

help:
	@sed -n '2,16p' Makefile | sed 's/^# \{0,1\}//'
