# hplab — UDP NAT hole punching, real and testable.
#
#   make                 build hpserver, hpclient and the lab runner into $(O)
#   make check           unit tests (cmocka) + layout + loopback integration + lab tests
#   make SANITIZE=1 check  the same under ASan+UBSan (own build dir)
#   make check STRICT=1  ... and a skipped test counts as a failure (CI)
#   make bench           speed and accuracy figures (lab setup, RTTs, matrix)
#   make soak            the lossy chat 200 times (RUNS=N), two at a time
#   make install         PREFIX=/usr/local DESTDIR= (programs and man pages)
#
# Honours CC, CFLAGS, CPPFLAGS, LDFLAGS, PREFIX, BINDIR, MANDIR, DESTDIR,
# V=1, O=builddir, WERROR=1 (warnings are errors: what CI builds with).

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DESTDIR  ?=
PKG_CONFIG ?= pkg-config
CC       ?= cc

ifeq ($(SANITIZE),1)
O        ?= build/san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
O        ?= build
SAN_FLAGS :=
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

# The version is written once, in src/common/version.h (the programs'
# --version): read, never retyped.
VERSION  := $(shell sed -n 's/^\#define HP_RELEASE "\(.*\)"$$/\1/p' src/common/version.h)

CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Wshadow -Wformat=2 -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN     += -Werror
endif
BASE_CPPFLAGS := -D_GNU_SOURCE -Isrc/common -Isrc
# The layer line: src/kern is kernel plumbing (netns, rtnetlink, nfnetlink,
# conntrack, the queue engine, child processes, signals, state records).
# Its objects are compiled with an include path of only src/kern and
# src/common - not src, not src/lab - so a kern file that includes a
# policy header ("args.h", "report.h", "lab/...") fails to compile. The
# lab and the tests see the kern headers by their plain names.
KERN_CPPFLAGS := -D_GNU_SOURCE -Isrc/kern -Isrc/common
PKGS_COMMON := libsodium
PKGS_LAB    := libmnl libnl-3.0 libnl-route-3.0 libpcap libnftables
PKGS_TEST   := cmocka

pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

ALL_CFLAGS  = $(BASE_CPPFLAGS) $(CPPFLAGS) -std=gnu11 $(WARN) $(SAN_FLAGS) $(CFLAGS)
KERN_CFLAGS = $(KERN_CPPFLAGS) $(CPPFLAGS) -std=gnu11 $(WARN) $(SAN_FLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SAN_FLAGS) $(LDFLAGS)

COMMON_SRC := $(sort $(wildcard src/common/*.c))
SERVER_SRC := $(sort $(filter-out src/server/main.c,$(wildcard src/server/*.c)))
CLIENT_SRC := $(sort $(filter-out src/client/main.c,$(wildcard src/client/*.c)))
LAB_SRC    := $(sort $(filter-out src/lab/main.c,$(wildcard src/lab/*.c)))
KERN_SRC   := $(sort $(wildcard src/kern/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
TOOL_SRC   := $(sort $(wildcard tests/tools/*.c))

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))

LIB_COMMON := $(O)/libhplab.a
LIB_SERVER := $(O)/libhpserver.a
LIB_CLIENT := $(O)/libhpclient.a
LIB_LAB    := $(O)/liblab.a
LIB_KERN   := $(O)/libhpkern.a

HPSERVER := $(O)/hpserver
HPCLIENT := $(O)/hpclient
LABRUN   := $(O)/labrun
UNIT_BINS := $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRC))
TOOL_BINS := $(patsubst tests/tools/%.c,$(O)/tools/%,$(TOOL_SRC))

LIBS_COMMON = $(call pc_libs,$(PKGS_COMMON))
LIBS_LAB    = $(call pc_libs,$(PKGS_LAB)) -lm
LIBS_TEST   = $(call pc_libs,$(PKGS_TEST))

.SECONDARY:
.PHONY: all check unit integration labtest soak fuzz helptext bench install uninstall clean distclean
all: $(HPSERVER) $(HPCLIENT) $(LABRUN)

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(PKGS_COMMON) $(PKGS_LAB)) -MMD -MP -c -o $@ $<

# Kernel plumbing: its own include path (see KERN_CPPFLAGS).
$(O)/obj/src/kern/%.o: src/kern/%.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(KERN_CFLAGS) $(call pc_cflags,$(PKGS_LAB)) -MMD -MP -c -o $@ $<

# The lab and the tests include the kern headers by their plain names.
$(O)/obj/src/lab/%.o $(O)/obj/tests/%.o: BASE_CPPFLAGS += -Isrc/kern

$(O)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(PKGS_COMMON) $(PKGS_LAB) $(PKGS_TEST)) -MMD -MP -c -o $@ $<

define mklib
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^
endef

$(LIB_COMMON): $(call obj,$(COMMON_SRC)) ; $(mklib)
$(LIB_SERVER): $(call obj,$(SERVER_SRC)) ; $(mklib)
$(LIB_CLIENT): $(call obj,$(CLIENT_SRC)) ; $(mklib)
$(LIB_LAB):    $(call obj,$(LAB_SRC))    ; $(mklib)
$(LIB_KERN):   $(call obj,$(KERN_SRC))   ; $(mklib)

$(HPSERVER): $(call obj,src/server/main.c) $(LIB_SERVER) $(LIB_COMMON)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_COMMON)

$(HPCLIENT): $(call obj,src/client/main.c) $(LIB_CLIENT) $(LIB_COMMON)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_COMMON)

$(LABRUN): $(call obj,src/lab/main.c) $(LIB_LAB) $(LIB_KERN) $(LIB_COMMON)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_LAB) $(LIBS_COMMON)

# Unit tests link only what they test, so one component's breakage does not
# stop the others' tests from building: test_server_* link the server
# objects, test_client_* the client's, test_lab_* the lab's and the kernel
# plumbing's (policy and kern tests alike: the nfq tests build their rules
# with the lab's impair.c), the rest only the common library.
# Objects first, then the libraries in the order given (static archives
# only resolve what an earlier object needs).
TEST_LD = $(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(filter-out %.o,$^) \
	$(LIBS_TEST) $(LIBS_LAB) $(LIBS_COMMON)

$(O)/tests/test_server_%: $(O)/obj/tests/unit/test_server_%.o $(LIB_SERVER) $(LIB_COMMON)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(TEST_LD)

$(O)/tests/test_client_%: $(O)/obj/tests/unit/test_client_%.o $(LIB_CLIENT) $(LIB_COMMON)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(TEST_LD)

$(O)/tests/test_lab_%: $(O)/obj/tests/unit/test_lab_%.o $(LIB_LAB) $(LIB_KERN) $(LIB_COMMON)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(TEST_LD)

# The root tests of the queue engine, conntrack and the captures share one fixture:
# two namespaces joined by a veth (tests/unit/netpair.c).
$(O)/tests/test_lab_nfq $(O)/tests/test_lab_ct $(O)/tests/test_lab_capture: $(O)/obj/tests/unit/netpair.o
# The XML writers' tests parse what they wrote with one helper.
$(O)/tests/test_lab_matrix $(O)/tests/test_lab_report $(O)/tests/test_lab_html: $(O)/obj/tests/unit/xmlcheck.o

$(O)/tests/test_%: $(O)/obj/tests/unit/test_%.o $(LIB_COMMON)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(TEST_LD)

$(O)/tools/%: $(O)/obj/tests/tools/%.o $(LIB_COMMON)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_COMMON)

# Tests: every unit binary, then the shell-driven integration suites. Each
# script gets the build dir so it runs the binaries this build produced.
TEST_ENV = HPLAB_BIN=$(abspath $(O)) HPLAB_TOP=$(CURDIR)

# tests/run-suite runs every test even after a failure, prints PASS, FAIL
# or SKIP for each and ends with "N passed, N failed, N skipped";
# STRICT=1 fails on any skip. Not in check: `make soak` (RUNS=200 runs of
# the lossy chat, two at a time), for the rare failures one run cannot show.
RUN_SUITE = $(TEST_ENV) STRICT=$(STRICT) bash tests/run-suite

check: all $(UNIT_BINS) $(TOOL_BINS)
	@$(RUN_SUITE) $(UNIT_BINS) $(sort $(wildcard tests/style/*.sh)) \
		$(sort $(wildcard tests/integration/*.sh)) $(sort $(wildcard tests/lab/*.sh))

# every libFuzzer harness (tests/fuzz) under ASan+UBSan, FUZZ_SECS each
FUZZ_SECS ?= 30
fuzz:
	@bash tests/fuzz/all.sh $(FUZZ_SECS)

unit: $(UNIT_BINS)
	@$(RUN_SUITE) $(UNIT_BINS)

integration: all $(TOOL_BINS)
	@$(RUN_SUITE) $(sort $(wildcard tests/integration/*.sh))

labtest: all $(TOOL_BINS)
	@$(RUN_SUITE) $(sort $(wildcard tests/lab/*.sh))

soak: all $(TOOL_BINS)
	@$(RUN_SUITE) --soak $(or $(RUNS),200) tests/integration/90-loss.sh

# The per-command help the `lab` wrapper prints before a build, from the
# runner's own --help (tests/lab/05-tables.sh fails when it is stale).
helptext: $(LABRUN)
	@bash tests/lab-help-gen $(LABRUN) > src/lab/help.txt

bench: all
	@$(TEST_ENV) bash tests/bench.sh
	@$(TEST_ENV) bash tests/bench-chat.sh
	@$(TEST_ENV) bash tests/bench-wrapper.sh
	@$(TEST_ENV) bash tests/bench-server.sh
	@$(TEST_ENV) bash tests/bench-punch.sh
	@$(TEST_ENV) bash tests/bench-trials.sh

MAN1 := $(wildcard docs/man/*.1)
MAN8 := $(wildcard docs/man/*.8)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(HPSERVER) $(HPCLIENT) $(DESTDIR)$(BINDIR)/
	install -m 0755 $(LABRUN) $(DESTDIR)$(BINDIR)/hplab-labrun
	install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	@echo "installed hplab $(VERSION) in $(DESTDIR)$(PREFIX)"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/hpserver $(DESTDIR)$(BINDIR)/hpclient $(DESTDIR)$(BINDIR)/hplab-labrun
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8)))

clean:
	rm -rf $(O)

distclean:
	rm -rf build

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
