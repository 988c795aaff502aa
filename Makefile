# sockbin -- a pre-fork TCP server daemon (sockbind) and its client (sockbin).
#
#   make run      install missing packages (as root), build, run on etc/sockbind.ini
#                 (SERVICE=echo and PORT=N or MIN-MAX override the file)
#   make test     the same set-up, then every test, then again under ASan+UBSan
#   make          build build/sockbind and build/sockbin
#   make install  install them, the units and the configuration (PREFIX=/usr:
#                 the configuration in /etc); make deb: a Debian package

PREFIX     ?= /usr/local
# Under /usr (a distribution's prefix) the configuration is in /etc, as the
# Filesystem Hierarchy Standard and Debian policy say; else in PREFIX/etc.
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
# make install: DESTDIR is prepended to every one of these.
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share
DOCDIR     ?= $(PREFIX)/share/doc/sockbind
LOCALEDIR  ?= $(PREFIX)/share/locale
UNITDIR    ?= $(PREFIX)/lib/systemd/system
# firewalld and logrotate read only these, whatever the PREFIX.
FIREWALLDDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/firewalld/services,/etc/firewalld/services)
LOGROTATEDIR ?= /etc/logrotate.d
INSTALL    ?= install
PKG_CONFIG ?= pkg-config
PYTHON     ?= python3
BUILD      ?= build
CC         ?= cc
CFLAGS     ?= -O2 -g

PKGS      := libbsd-overlay libsodium sqlite3 libpq libsystemd libmicrohttpd
WARNINGS  := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-missing-field-initializers
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS)) -liniparser
ALL_CFLAGS = -std=gnu11 $(WARNINGS) -I. -D_GNU_SOURCE \
             -DSOCKBIND_CONF='"$(SYSCONFDIR)/sockbind/sockbind.ini"' \
             -DSOCKBIN_CONF='"$(SYSCONFDIR)/sockbind/sockbin.ini"' \
             -DSOCKBIN_LOCALEDIR='"$(LOCALEDIR)"' \
             $(PKG_CFLAGS) -MMD -MP $(CFLAGS) $(CPPFLAGS)
ALL_LDFLAGS = $(LDFLAGS)

SHARED_SRC := $(wildcard shared/*.c)
DAEMON_SRC := $(filter-out daemon/main.c,$(wildcard daemon/*.c daemon/services/*.c))
CLIENT_SRC := $(filter-out client/main.c,$(wildcard client/*.c))
UNIT_SRC   := $(wildcard tests/unit/*.c)
INTEG_SRC  := $(wildcard tests/integration/*.c)
PGTEST_SRC := tests/pg/pgtest.c

# The client's messages: po/LANG.po compiled (msgfmt -c: a bad format or
# header fails the build) into build/locale, where the built sockbin finds
# them; `make po` takes the marked messages out of the client's sources into
# po/sockbin.pot and merges them into each po/LANG.po (to translate).
LINGUAS   := ru uk
MSGFMT    ?= msgfmt
XGETTEXT  ?= xgettext
MSGMERGE  ?= msgmerge
# The shared code whose messages the client shows (shared/i18n.h).
I18N_SHARED := shared/conf.c shared/net.c
MO        := $(patsubst %,$(BUILD)/locale/%/LC_MESSAGES/sockbin.mo,$(LINGUAS))
XGETTEXT_FLAGS := -k_ -kN_ -kngettext:1,2 --from-code=UTF-8 \
                  --add-comments=TRANSLATORS: --add-location=file \
                  --package-name=sockbin --sort-by-file

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

SOCKBIND := $(BUILD)/sockbind
SOCKBIN  := $(BUILD)/sockbin
UNIT     := $(BUILD)/tests/unit
INTEG    := $(BUILD)/tests/integration

.PHONY: all deps run demo test check check-unit check-integration \
        check-interop check-ops check-grader sanitize clean format install \
        install-data uninstall FORCE
.DEFAULT_GOAL := all

all: $(SOCKBIND) $(SOCKBIN) $(MO)

$(BUILD)/obj/%.o: %.c $(BUILD)/paths
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# SYSCONFDIR and LOCALEDIR are compiled in (the default configuration
# paths, the client's catalogues): a build for others recompiles. `make
# install` does not do that behind the user's back (as root, with other
# paths than the build was tested with): it stops and names the build to
# run first.
$(BUILD)/paths: FORCE
	@mkdir -p $(@D)
	@echo '$(SYSCONFDIR) $(LOCALEDIR)' | cmp -s - $@ || \
	    echo '$(SYSCONFDIR) $(LOCALEDIR)' > $@
FORCE:
BUILT_FOR := $(shell cat $(BUILD)/paths 2>/dev/null)
ifneq ($(filter install,$(MAKECMDGOALS)),)
ifneq ($(BUILT_FOR),)
ifneq ($(BUILT_FOR),$(strip $(SYSCONFDIR) $(LOCALEDIR)))
$(error make install: $(BUILD)/ was built with its configuration and \
catalogues in $(BUILT_FOR), not $(SYSCONFDIR) $(LOCALEDIR); build for the \
install first: make $(strip $(foreach v,PREFIX SYSCONFDIR LOCALEDIR,$(if \
$(filter command line,$(origin $(v))),$(v)=$($(v))))), then make install \
again)
endif
endif
endif

$(SOCKBIND): $(call obj,daemon/main.c $(DAEMON_SRC) $(SHARED_SRC))
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(SOCKBIN): $(call obj,client/main.c $(CLIENT_SRC) $(SHARED_SRC))
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(UNIT): $(call obj,$(UNIT_SRC) $(PGTEST_SRC) $(DAEMON_SRC) $(SHARED_SRC))
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcriterion

$(INTEG): $(call obj,$(INTEG_SRC) $(PGTEST_SRC) $(SHARED_SRC))
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcriterion

$(BUILD)/locale/%/LC_MESSAGES/sockbin.mo: po/%.po
	@mkdir -p $(@D)
	$(MSGFMT) -c -o $@.tmp $<
	mv $@.tmp $@

# make pot POT=FILE: the template into another file (tests/interop/
# test_i18n.py compares it with the committed one).
POT ?= po/sockbin.pot
.PHONY: po pot
pot:
	$(XGETTEXT) $(XGETTEXT_FLAGS) -o $(POT) $(sort $(wildcard client/*.c)) \
	    $(I18N_SHARED)
po: pot
	@set -e; for l in $(LINGUAS); do \
	    echo "$(MSGMERGE) -U po/$$l.po po/sockbin.pot"; \
	    $(MSGMERGE) -q -U --backup=none po/$$l.po po/sockbin.pot; done

deps:
	@sh scripts/deps.sh

# make run SERVICE=echo PORT=7000: the command line's -s and -p.
run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p var
	./$(SOCKBIND) -c etc/sockbind.ini$(if $(SERVICE), -s $(SERVICE))$(if $(PORT), -p $(PORT))

# The lab's concurrency test: a pre-fork pool against an iterative server.
demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh

# Criterion runs each test in its own process; integration tests start the
# real daemon (SOCKBIND_BIN) on 127.0.0.1 with a port range of their own.
check-unit: $(UNIT)
	./$(UNIT) --jobs 2
check-integration: $(INTEG) $(SOCKBIND) $(SOCKBIN) $(MO)
	SOCKBIND_BIN=$(CURDIR)/$(SOCKBIND) SOCKBIN_BIN=$(CURDIR)/$(SOCKBIN) \
	    ./$(INTEG) --jobs 2
check-interop: $(SOCKBIND) $(SOCKBIN) $(MO)
	SOCKBIND_BIN=$(CURDIR)/$(SOCKBIND) SOCKBIN_BIN=$(CURDIR)/$(SOCKBIN) \
	    $(PYTHON) -m unittest discover -s tests/interop -v
# Unit files, firewall script, installed configuration and man pages, and a
# DESTDIR install and uninstall (tests/ops/).
check-ops: $(SOCKBIND) $(SOCKBIN) $(MO)
	SOCKBIND_BIN=$(CURDIR)/$(SOCKBIND) SOCKBIN_BIN=$(CURDIR)/$(SOCKBIN) \
	    OPS_BUILD=$(BUILD) $(PYTHON) tests/ops/run.py
# sockbin check against sockbind and against deliberately faulty lab
# servers (tests/check/*.py), with its JSON, JUnit and HTML reports.
check-grader: $(SOCKBIND) $(SOCKBIN)
	SOCKBIND_BIN=$(CURDIR)/$(SOCKBIND) SOCKBIN_BIN=$(CURDIR)/$(SOCKBIN) \
	    $(PYTHON) -m unittest discover -s tests/check -v
check: check-unit check-integration check-interop check-ops check-grader

# The same suite, built and run under AddressSanitizer and UBSan.
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all
SAN_ENV   := LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
             UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
sanitize: deps
	@$(SAN_ENV) $(MAKE) --no-print-directory BUILD=build/asan \
	    CFLAGS="$(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" check

# libFuzzer targets (tests/fuzz/fuzz_*.c), built with clang and the
# sanitizers into build/fuzz/ over the daemon's and shared objects, each run
# for FUZZ_SECONDS (fuzz-smoke: FUZZ_SMOKE_SECONDS) from its seeds in
# tests/fuzz/corpus/<name>/; check-fuzz is the smoke pass make test runs.
FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_PKGS := clang libclang-rt-14-dev
FUZZ_SAN  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all
FUZZ_BIN   = $(patsubst tests/fuzz/%.c,$(BUILD)/%,$(wildcard tests/fuzz/fuzz_*.c))
.PHONY: fuzz fuzz-smoke fuzz-build fuzz-bins check-fuzz
.PRECIOUS: $(BUILD)/obj/tests/fuzz/%.o

$(BUILD)/fuzz_%: $(call obj,tests/fuzz/fuzz_%.c $(DAEMON_SRC) $(SHARED_SRC))
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)

fuzz-bins: $(FUZZ_BIN)
fuzz-build: deps
	@sh scripts/deps.sh $(FUZZ_PKGS)
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=$(FUZZ_CC) \
	    CFLAGS="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" \
	    LDFLAGS="$(FUZZ_SAN)" fuzz-bins
fuzz: fuzz-build
	@sh tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS)
fuzz-smoke: fuzz-build
	@sh tests/fuzz/run.sh build/fuzz $(FUZZ_SMOKE_SECONDS)
check-fuzz: fuzz-smoke

# sockbind under valgrind's memcheck: requests of every kind, a clean stop,
# no error and no definite leak in any process (tests/valgrind/run.sh).
.PHONY: valgrind
valgrind: deps
	@sh scripts/deps.sh valgrind
	@$(MAKE) --no-print-directory all
	@sh tests/valgrind/run.sh $(SOCKBIND) $(SOCKBIN)

# The benchmark (docs/bench/README.md): sockbind's echo, log on, against Python's
# ForkingTCPServer, xinetd, socat and redis, in a private network namespace,
# then a profile of sockbind; writes docs/bench/ (scripts/bench.sh). As root
# it installs the packages it needs, which make test does not.
BENCH_LOAD := $(BUILD)/bench/load
.PHONY: bench
$(BENCH_LOAD): tests/bench/load.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARNINGS) -D_GNU_SOURCE $(CFLAGS) $(CPPFLAGS) \
	    $(LDFLAGS) -pthread -o $@ $<
bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_LOAD)
	LOAD=$(BENCH_LOAD) SOCKBIND=$(SOCKBIND) bash scripts/bench.sh
	LOAD=$(BENCH_LOAD) SOCKBIND=$(SOCKBIND) bash scripts/bench-elastic.sh

test: deps
	@$(MAKE) --no-print-directory check
	@$(MAKE) --no-print-directory sanitize
	@$(MAKE) --no-print-directory check-fuzz
	@$(MAKE) --no-print-directory valgrind

# make install [PREFIX=/usr/local] [SYSCONFDIR=$(PREFIX)/etc] [DESTDIR=]
# Configuration files (under SYSCONFDIR, FIREWALLDDIR, LOGROTATEDIR) are
# installed only where none exists; `make uninstall` removes them only if
# unchanged. Pristine copies go to DOCDIR/examples. The units, the firewall
# script and the man pages name the installed paths (SUBST below), and the
# installed sockbind.ini names the system directories (installed-ini.awk).
DIST      := $(BUILD)/dist
MANPAGES  := $(wildcard docs/*.[1-8])
DIST_MAN  := $(patsubst docs/%,$(DIST)/man/%,$(MANPAGES))
DIST_SUBST := $(DIST)/sockbind.service $(DIST)/sockbind@.service \
              $(DIST)/sockbind-firewall $(DIST_MAN)
CONF_DIR  := $(DESTDIR)$(SYSCONFDIR)/sockbind
INSTANCES := $(wildcard etc/instances/*.ini)
SUBST = sed -e 's|/usr/local/sbin/|$(SBINDIR)/|g' \
            -e 's|/usr/local/bin/|$(BINDIR)/|g' \
            -e 's|/usr/local/etc/sockbind|$(SYSCONFDIR)/sockbind|g' \
            -e 's|/usr/local/share/locale|$(LOCALEDIR)|g' \
            -e 's|/usr/local/lib/systemd/system|$(UNITDIR)|g' \
            -e 's|/etc/firewalld/services|$(FIREWALLDDIR)|g' \
            -e 's|/usr/local/share/sockbin|$(DATADIR)/sockbin|g'
DIST_DIRS = $(BINDIR) $(SBINDIR) $(SYSCONFDIR) $(UNITDIR) $(FIREWALLDDIR) \
            $(DATADIR) $(LOCALEDIR)
# The Python client: sockbin.py under DATADIR/sockbin, run by sockbin-py.
DIST_PY   := $(DIST)/sockbin.py $(DIST)/sockbin-py
# conf FILE DEST: install unless DEST exists; unconf FILE DEST: remove DEST
# if it is still FILE.
conf   = if cmp -s $(1) $(2); then :; elif [ -e $(2) ]; then \
	     echo "install: keeping $(2) (a new copy is in $(DOCDIR)/examples)"; \
	 else $(INSTALL) -m 644 $(1) $(2); fi
unconf = if cmp -s $(1) $(2); then rm -f $(2); elif [ -e $(2) ]; then \
	     echo "uninstall: keeping $(2): changed since it was installed"; fi

$(DIST)/dirs: FORCE
	@mkdir -p $(@D)
	@echo '$(DIST_DIRS)' | cmp -s - $@ || echo '$(DIST_DIRS)' > $@
$(DIST)/sockbind.ini: etc/sockbind.ini scripts/installed-ini.awk
	@mkdir -p $(@D)
	awk -f scripts/installed-ini.awk etc/sockbind.ini > $@.tmp
	mv $@.tmp $@
$(DIST)/%: systemd/% $(DIST)/dirs
	@mkdir -p $(@D)
	$(SUBST) $< > $@
$(DIST)/man/%: docs/% $(DIST)/dirs
	@mkdir -p $(@D)
	$(SUBST) $< > $@
$(DIST_PY): $(DIST)/%: client/python/% $(DIST)/dirs
	@mkdir -p $(@D)
	$(SUBST) $< > $@

install: all install-data
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR)
	$(INSTALL) -m 755 $(SOCKBIND) $(DESTDIR)$(SBINDIR)/sockbind
	$(INSTALL) -m 755 $(SOCKBIN) $(DESTDIR)$(BINDIR)/sockbin
	@set -e; for l in $(LINGUAS); do \
	    d=$(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES; \
	    echo "$(INSTALL) -m 644 $(BUILD)/locale/$$l/LC_MESSAGES/sockbin.mo $$d"; \
	    $(INSTALL) -d $$d; \
	    $(INSTALL) -m 644 $(BUILD)/locale/$$l/LC_MESSAGES/sockbin.mo $$d; \
	done
	@if [ -z '$(DESTDIR)' ]; then echo "installed; now: systemctl \
	daemon-reload && systemctl enable --now sockbind (see sockbind(8))"; fi

# Everything but the compiled programs and catalogues.
install-data: $(DIST)/sockbind.ini $(DIST_SUBST) $(DIST_PY)
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) $(CONF_DIR) \
	    $(DESTDIR)$(FIREWALLDDIR) $(DESTDIR)$(LOGROTATEDIR) \
	    $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(DATADIR)/sockbin
	$(INSTALL) -m 755 $(DIST)/sockbind-firewall $(DESTDIR)$(SBINDIR)
	$(INSTALL) -m 755 $(DIST)/sockbin.py $(DESTDIR)$(DATADIR)/sockbin
	$(INSTALL) -m 755 $(DIST)/sockbin-py $(DESTDIR)$(BINDIR)
	$(INSTALL) -m 644 $(DIST)/sockbind.service $(DIST)/sockbind@.service \
	    $(DESTDIR)$(UNITDIR)
	@set -e; for f in $(MANPAGES); do \
	    n=$${f#docs/}; d=$(DESTDIR)$(MANDIR)/man$${n##*.}; \
	    echo "$(INSTALL) -m 644 $(DIST)/man/$$n $$d"; \
	    $(INSTALL) -d $$d; $(INSTALL) -m 644 $(DIST)/man/$$n $$d; \
	done
	$(INSTALL) -m 644 README.md docs/PROTOCOL.md docs/check-json.md \
	    $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 644 $(DIST)/sockbind.ini etc/sockbin.ini $(INSTANCES) \
	    $(DESTDIR)$(DOCDIR)/examples
	@$(call conf,$(DIST)/sockbind.ini,$(CONF_DIR)/sockbind.ini)
	@$(call conf,etc/sockbin.ini,$(CONF_DIR)/sockbin.ini)
	@set -e; for f in $(INSTANCES); do \
	    $(call conf,$$f,$(CONF_DIR)/$${f##*/}); done
	@$(call conf,etc/firewalld/sockbind.xml,$(DESTDIR)$(FIREWALLDDIR)/sockbind.xml)
	@$(call conf,etc/logrotate/sockbind,$(DESTDIR)$(LOGROTATEDIR)/sockbind)

uninstall: $(DIST)/sockbind.ini
	rm -f $(DESTDIR)$(SBINDIR)/sockbind $(DESTDIR)$(BINDIR)/sockbin \
	    $(DESTDIR)$(SBINDIR)/sockbind-firewall \
	    $(DESTDIR)$(UNITDIR)/sockbind.service \
	    $(DESTDIR)$(UNITDIR)/sockbind@.service \
	    $(DESTDIR)$(BINDIR)/sockbin-py $(DESTDIR)$(DATADIR)/sockbin/sockbin.py \
	    $(patsubst %,$(DESTDIR)$(LOCALEDIR)/%/LC_MESSAGES/sockbin.mo,$(LINGUAS))
	@rmdir $(DESTDIR)$(DATADIR)/sockbin 2>/dev/null || true
	@set -e; for f in $(MANPAGES); do n=$${f#docs/}; \
	    echo "rm -f $(DESTDIR)$(MANDIR)/man$${n##*.}/$$n"; \
	    rm -f $(DESTDIR)$(MANDIR)/man$${n##*.}/$$n; done
	rm -f $(DESTDIR)$(DOCDIR)/README.md $(DESTDIR)$(DOCDIR)/PROTOCOL.md \
	    $(DESTDIR)$(DOCDIR)/check-json.md \
	    $(DESTDIR)$(DOCDIR)/examples/sockbind.ini \
	    $(DESTDIR)$(DOCDIR)/examples/sockbin.ini \
	    $(addprefix $(DESTDIR)$(DOCDIR)/examples/,$(notdir $(INSTANCES)))
	@rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	@for l in $(LINGUAS); do rmdir $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES \
	    $(DESTDIR)$(LOCALEDIR)/$$l 2>/dev/null || true; done
	@$(call unconf,$(DIST)/sockbind.ini,$(CONF_DIR)/sockbind.ini)
	@$(call unconf,etc/sockbin.ini,$(CONF_DIR)/sockbin.ini)
	@set -e; for f in $(INSTANCES); do \
	    $(call unconf,$$f,$(CONF_DIR)/$${f##*/}); done
	@$(call unconf,etc/firewalld/sockbind.xml,$(DESTDIR)$(FIREWALLDDIR)/sockbind.xml)
	@$(call unconf,etc/logrotate/sockbind,$(DESTDIR)$(LOGROTATEDIR)/sockbind)
	@rmdir $(CONF_DIR) 2>/dev/null || true

# make deb: the Debian package, build/deb/sockbin_VERSION_ARCH.deb, from
# debian/ (the install above with PREFIX=/usr), checked by lintian; then
# `sudo apt install ./build/deb/sockbin_*.deb`. scripts/deb.sh builds from
# a copy of the tree, in build/deb/src, whatever BUILD is.
DEB_PKGS := debhelper dpkg-dev fakeroot lintian
.PHONY: deb
deb: deps
	@sh scripts/deps.sh $(DEB_PKGS)
	@sh scripts/deb.sh build/deb

format:
	clang-format -i $(wildcard shared/*.[ch] daemon/*.[ch] daemon/services/*.c client/*.[ch] tests/*/*.[ch])

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' -type f 2>/dev/null)
