# sockbin -- a pre-fork TCP server daemon (sockbind) and its client (sockbin).
#
#   make run      install missing packages (as root), build, run on etc/sockbind.ini
#   make test     the same set-up, then every test, then again under ASan+UBSan
#   make          build build/sockbind and build/sockbin

PREFIX     ?= /usr/local
SYSCONFDIR ?= $(PREFIX)/etc
PKG_CONFIG ?= pkg-config
PYTHON     ?= python3
BUILD      ?= build
CC         ?= cc
CFLAGS     ?= -O2 -g

PKGS      := libbsd-overlay libsodium sqlite3 libsystemd
WARNINGS  := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-missing-field-initializers
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS)) -liniparser
ALL_CFLAGS = -std=gnu11 $(WARNINGS) -I. -D_GNU_SOURCE \
             -DSOCKBIND_CONF='"$(SYSCONFDIR)/sockbind/sockbind.ini"' \
             -DSOCKBIN_CONF='"$(SYSCONFDIR)/sockbind/sockbin.ini"' \
             $(PKG_CFLAGS) -MMD -MP $(CFLAGS) $(CPPFLAGS)
ALL_LDFLAGS = $(LDFLAGS)

SHARED_SRC := $(wildcard shared/*.c)
DAEMON_SRC := $(filter-out daemon/main.c,$(wildcard daemon/*.c daemon/services/*.c))
CLIENT_SRC := $(filter-out client/main.c,$(wildcard client/*.c))
UNIT_SRC   := $(wildcard tests/unit/*.c)
INTEG_SRC  := $(wildcard tests/integration/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

SOCKBIND := $(BUILD)/sockbind
SOCKBIN  := $(BUILD)/sockbin
UNIT     := $(BUILD)/tests/unit
INTEG    := $(BUILD)/tests/integration

.PHONY: all deps run demo test check check-unit check-integration \
        check-interop sanitize clean format
.DEFAULT_GOAL := all

all: $(SOCKBIND) $(SOCKBIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(SOCKBIND): $(call obj,daemon/main.c $(DAEMON_SRC) $(SHARED_SRC))
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(SOCKBIN): $(call obj,client/main.c $(CLIENT_SRC) $(SHARED_SRC))
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(UNIT): $(call obj,$(UNIT_SRC) $(DAEMON_SRC) $(SHARED_SRC))
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcriterion

$(INTEG): $(call obj,$(INTEG_SRC) $(SHARED_SRC))
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcriterion

deps:
	@sh scripts/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p var
	./$(SOCKBIND) -c etc/sockbind.ini

# The lab's concurrency test: a pre-fork pool against an iterative server.
demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh

# Criterion runs each test in its own process; integration tests start the
# real daemon (SOCKBIND_BIN) on 127.0.0.1 with a port range of their own.
check-unit: $(UNIT)
	./$(UNIT) --jobs 2
check-integration: $(INTEG) $(SOCKBIND) $(SOCKBIN)
	SOCKBIND_BIN=$(CURDIR)/$(SOCKBIND) SOCKBIN_BIN=$(CURDIR)/$(SOCKBIN) \
	    ./$(INTEG) --jobs 2
check-interop: $(SOCKBIND) $(SOCKBIN)
	SOCKBIND_BIN=$(CURDIR)/$(SOCKBIND) SOCKBIN_BIN=$(CURDIR)/$(SOCKBIN) \
	    $(PYTHON) -m unittest discover -s tests/interop -v
check: check-unit check-integration check-interop

# The same suite, built and run under AddressSanitizer and UBSan.
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all
SAN_ENV   := LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
             UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
sanitize: deps
	@$(SAN_ENV) $(MAKE) --no-print-directory BUILD=build/asan \
	    CFLAGS="$(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" check

test: deps
	@$(MAKE) --no-print-directory check
	@$(MAKE) --no-print-directory sanitize

format:
	clang-format -i $(wildcard shared/*.[ch] daemon/*.[ch] daemon/services/*.c client/*.[ch] tests/*/*.[ch])

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
