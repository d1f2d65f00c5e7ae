# chainsniff - plain Makefile.  `make`, `make check`, `make demo`, `make unit [T=name]`,
# `make check SANITIZE=1` (ASan+UBSan in a separate object directory),
# `make SANITIZE=thread` (ThreadSanitizer, build/tsan),
# `make install [PREFIX=/usr/local] [DESTDIR=...]`, `make uninstall`.

CC      ?= cc
SHELL   := /bin/bash
PKGS    := libpcap libcrypto jansson
VERSION := 0.1.0

ifeq ($(SANITIZE),1)
B        := build/asan
OPT      := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDSAN    := -fsanitize=address,undefined
else ifeq ($(SANITIZE),thread)
# ThreadSanitizer: the judge's thread and the --workers threads
B        := build/tsan
OPT      := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
LDSAN    := -fsanitize=thread
else
B        := build/release
# link-time optimisation for the binary (about 17% less CPU on the bench's
# handshake profile: the cursor and flow-table calls inline across files);
# fat objects, so the unit tests link the plain code without an LTO pass
OPT      := -O2 -g -D_FORTIFY_SOURCE=2 -flto=auto -ffat-lto-objects
LDSAN    :=
LTO      := -flto=auto
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wconversion -Wstrict-prototypes \
        -Wmissing-prototypes -Wcast-qual -Wformat=2 -Wvla -Wno-sign-conversion
CPPFLAGS += -Iinclude -D_GNU_SOURCE -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED \
            -DCS_VERSION='"$(VERSION)"'
CFLAGS   += -std=c11 $(OPT) $(WARN) -pthread -fstack-protector-strong -fPIE -MMD -MP \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS  += -pie -Wl,-z,relro,-z,now -pthread $(LDSAN)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lpcap -lcrypto -ljansson) -lm
CMOCKA   := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

SRCS     := $(sort $(wildcard src/*.c))
LIBSRCS  := $(filter-out src/main.c,$(SRCS))
# data compiled in: the root-store timeline (src/timeline.c)
GENOBJS  := $(B)/obj/timeline_data.o
LIBOBJS  := $(LIBSRCS:src/%.c=$(B)/obj/%.o) $(GENOBJS)
TESTSRCS := $(sort $(wildcard tests/unit/test_*.c))
TESTBINS := $(TESTSRCS:tests/unit/%.c=$(B)/tests/%)
# the unit tests' shared library (tests/unit/README.md), linked into each
TESTLIB  := $(B)/tests/testlib.o
TESTHDRS := $(wildcard tests/unit/*.h)
# `make unit T=tls`: build and run tests/unit/test_tls.c alone
UNITBINS := $(if $(T),$(B)/tests/test_$(T),$(TESTBINS))
FUZZSRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZBINS := $(FUZZSRCS:tests/fuzz/%.c=$(B)/fuzz/%)
BIN      := $(B)/chainsniff
# the man page, generated from the option table (src/cli.c) by the binary
MAN      := $(B)/chainsniff.8

# install as tcpdump does: PREFIX for the layout, DESTDIR for staging
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/chainsniff
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
DOCS       := README.md docs/operations.md docs/report-format.md docs/metrics.md \
              docs/problems.md docs/exit-codes.md docs/trust-timeline.md

.PHONY: all deps check unit e2e fuzz-replay fuzz demo bench bench-tools clean install uninstall \
	problems-table problems-table-check format format-check
all: $(BIN) $(MAN)

deps:
	@scripts/deps.sh

$(B)/obj/%.o: src/%.c | $(B)/obj
	@echo "  CC  $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/gen/timeline_data.c: data/root-timeline.json scripts/embed.sh | $(B)/gen
	@echo "  GEN $@"
	@scripts/embed.sh timeline_builtin $< > $@.tmp && mv $@.tmp $@

$(B)/obj/%.o: $(B)/gen/%.c | $(B)/obj
	@echo "  CC  $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/libchainsniff.a: $(LIBOBJS)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(B)/obj/main.o $(B)/libchainsniff.a
	$(CC) $(CFLAGS) $(LTO) $(LDFLAGS) -o $@ $^ $(LDLIBS)
	ln -sf $(abspath $@) build/chainsniff$(if $(filter 1,$(SANITIZE)),-asan,$(if $(filter thread,$(SANITIZE)),-tsan,))

$(MAN): $(BIN)
	@echo "  MAN $@"
	@$(BIN) --help-man > $@.tmp && mv $@.tmp $@

# The unit and the logrotate file name the installed paths.
install: $(BIN) $(MAN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/chainsniff
	install -m 0644 $(MAN) $(DESTDIR)$(MANDIR)/man8/chainsniff.8
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	install -m 0755 scripts/daily-summary.sh $(DESTDIR)$(DOCDIR)/examples/daily-summary.sh
	install -m 0644 scripts/rsyslog-chainsniff.conf $(DESTDIR)$(DOCDIR)/examples/rsyslog-chainsniff.conf
	sed -e 's#/usr/local/bin/chainsniff#$(BINDIR)/chainsniff#g' \
	    -e 's#/usr/local/share/doc/chainsniff#$(DOCDIR)#g' scripts/chainsniff.service \
		> $(DESTDIR)$(UNITDIR)/chainsniff.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/chainsniff.service
	install -m 0644 scripts/chainsniff.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/chainsniff

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/chainsniff $(DESTDIR)$(MANDIR)/man8/chainsniff.8 \
		$(DESTDIR)$(UNITDIR)/chainsniff.service $(DESTDIR)$(SYSCONFDIR)/logrotate.d/chainsniff
	rm -rf $(DESTDIR)$(DOCDIR)

$(TESTLIB): tests/unit/testlib.c $(TESTHDRS) | $(B)/tests
	@echo "  CC  $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -fno-lto -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(TESTLIB) $(TESTHDRS) $(B)/libchainsniff.a | $(B)/tests
	@echo "  CC  $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-prototypes -fno-lto -o $@ $< $(TESTLIB) $(LDFLAGS) $(B)/libchainsniff.a $(CMOCKA) $(LDLIBS)

$(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/replay.c $(B)/libchainsniff.a | $(B)/fuzz
	@echo "  CC  $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-prototypes -fno-lto -o $@ $< tests/fuzz/replay.c $(LDFLAGS) $(B)/libchainsniff.a $(LDLIBS)

$(B)/obj $(B)/tests $(B)/fuzz $(B)/gen:
	mkdir -p $@

# docs/problems.md's summary table, written from the catalogue (src/problems.c)
PROBLEMSTABLE := $(B)/tools/problemstable

$(PROBLEMSTABLE): scripts/problemstable.c $(B)/libchainsniff.a | $(B)/tools
	@echo "  CC  $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LDFLAGS) $(B)/libchainsniff.a $(LDLIBS)

$(B)/tools:
	mkdir -p $@

problems-table: $(PROBLEMSTABLE)
	@$(PROBLEMSTABLE) docs/problems.md > docs/problems.md.tmp && mv docs/problems.md.tmp docs/problems.md

problems-table-check: $(PROBLEMSTABLE)
	@$(PROBLEMSTABLE) docs/problems.md | cmp -s - docs/problems.md || \
	  { echo "docs/problems.md: the summary table differs from the catalogue (src/problems.c):" \
	    "run make problems-table"; $(PROBLEMSTABLE) docs/problems.md | diff docs/problems.md - | head -20; exit 1; }
	@echo "docs/problems.md: the summary table is the catalogue's"

unit: $(UNITBINS)
	@fail=0; for t in $(UNITBINS); do echo "== $$t"; $$t || fail=1; done; exit $$fail

# selftest first: it proves the harness can fail (about 2 s, no binary needed)
E2E := selftest run live livefilter state merge formats analysis events notices evidence ops \
	install html windows fanout workers rsyslog stream

# every script runs; the last line adds their "N passed, N failed" lines up
e2e: $(BIN)
	@fail=0; : > $(B)/e2e.log; for t in $(E2E); do \
	  timeout -k 10 900 tests/e2e/$$t.sh $(BIN) | tee -a $(B)/e2e.log; [ $${PIPESTATUS[0]} -eq 0 ] || fail=1; done; \
	  awk '/^[0-9]+ passed, [0-9]+ failed/ {p += $$1; f += $$3} \
	       END {printf "e2e: %d passed, %d failed\n", p, f}' $(B)/e2e.log; exit $$fail

fuzz-replay: $(FUZZBINS)
	@fail=0; for f in $(FUZZBINS); do n=$$(basename $$f); \
	  $$f tests/fuzz/corpus/$${n#fuzz_} || fail=1; done; exit $$fail

# libFuzzer (clang, outside `make check`): `make fuzz` builds every target in
# build/libfuzzer/; `make fuzz RUN=diag SECONDS=1800` then runs one from the
# repository root on a copy of its corpus (new inputs land in the copy).
FUZZ_CC    ?= clang
FUZZB      := build/libfuzzer
FUZZFLAGS  := -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
LIBFUZZERS := $(FUZZSRCS:tests/fuzz/%.c=$(FUZZB)/%)
SECONDS    ?= 60

$(FUZZB)/%: tests/fuzz/%.c $(LIBSRCS) $(B)/gen/timeline_data.c | $(FUZZB)
	@echo "  FUZZ $@"
	@$(FUZZ_CC) $(CPPFLAGS) $(FUZZFLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
		-o $@ $< $(LIBSRCS) $(B)/gen/timeline_data.c $(LDLIBS) -pthread

$(FUZZB):
	mkdir -p $@

fuzz: $(LIBFUZZERS)
	@if [ -n "$(RUN)" ]; then mkdir -p $(FUZZB)/corpus-$(RUN) && \
	  cp -n tests/fuzz/corpus/$(RUN)/* $(FUZZB)/corpus-$(RUN)/ && \
	  $(FUZZB)/fuzz_$(RUN) -max_total_time=$(SECONDS) -max_len=65536 -print_final_stats=1 \
		$(FUZZB)/corpus-$(RUN); fi

# The C sources as .clang-format lays them out (hand-laid tables are fenced
# with clang-format off/on); format-check fails on any difference.
FORMAT_FILES = $(shell git ls-files 'src/*.[ch]' 'include/*.h' 'tests/unit/*.[ch]' \
	'tests/fuzz/*.[ch]' 'scripts/*.c' 'scripts/benchgen/*.[ch]' 2>/dev/null)

format:
	clang-format -i $(FORMAT_FILES)

format-check: deps
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format-check: $(words $(FORMAT_FILES)) files as .clang-format lays them out"

check: deps
	@$(MAKE) --no-print-directory $(BIN) $(MAN) $(TESTBINS) $(FUZZBINS)
	@$(MAKE) --no-print-directory unit fuzz-replay e2e problems-table-check

demo: deps
	@$(MAKE) --no-print-directory $(BIN)
	$(BIN) -r pcaps/real/zeek__tls__missing-intermediate.pcap -r pcaps/lab/freq-three-servers.pcap \
		--add-ca pcaps/lab/pki/root.pem --all

# Benchmark tools (not part of chainsniff): the workload generator and the
# bare libpcap read loop, with the project's warnings, always optimised.
BENCHB     := build/bench
BENCHTOOLS := $(BENCHB)/benchgen $(BENCHB)/pcaploop
BENCHFLAGS := -std=c11 -O2 -g $(WARN) -fstack-protector-strong -fPIE \
              -D_GNU_SOURCE -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED
BENCHGEN   := scripts/benchgen.c $(sort $(wildcard scripts/benchgen/*.c))

bench-tools: $(BENCHTOOLS)

$(BENCHB)/benchgen: $(BENCHGEN) scripts/benchgen/benchgen.h | $(BENCHB)
	@echo "  CC  $@"
	@$(CC) $(BENCHFLAGS) $(shell pkg-config --cflags libcrypto 2>/dev/null) -o $@ $(BENCHGEN) \
		-pie -Wl,-z,relro,-z,now $(shell pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto) -lm

$(BENCHB)/pcaploop: scripts/pcaploop.c | $(BENCHB)
	@echo "  CC  $@"
	@$(CC) $(BENCHFLAGS) $(shell pkg-config --cflags libpcap 2>/dev/null) -o $@ $< \
		-pie -Wl,-z,relro,-z,now $(shell pkg-config --libs libpcap 2>/dev/null || echo -lpcap)

$(BENCHB):
	mkdir -p $@

# BENCH_ARGS: options of scripts/bench.sh (--quick, --profiles a,b, --live, ...)
bench: deps
	@scripts/deps.sh --bench
	@$(MAKE) --no-print-directory $(BIN) bench-tools
	scripts/bench.sh --bin $(BIN) $(BENCH_ARGS)

clean:
	rm -rf build

-include $(LIBOBJS:.o=.d) $(B)/obj/main.d
