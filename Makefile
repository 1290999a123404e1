# odra: one non-recursive Makefile. Objects go to build/, headers are tracked with -MMD -MP.
.DEFAULT_GOAL := all
SHELL := /bin/bash

BUILD   ?= build
PKGS    := gdal proj geos spatialite sqlite3 libmicrohttpd cairo pangocairo jansson inih libzip libqrencode freetype2 libdeflate libxml-2.0 libsodium
CC      ?= cc
CFLAGS  ?= -O2 -g
WERROR  ?= -Werror
override CFLAGS  += -std=c17 -D_GNU_SOURCE -Wall -Wextra $(WERROR) -Wno-format-truncation -MMD -MP -I. -I$(BUILD)/gen
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
override LDLIBS  += $(PKG_LIBS) -lm -lpthread
# Only the unit tests link these: libpng decodes every PNG the server writes, as Qt does.
# The SAML 2.0 service provider (services/saml.c): Lasso over xmlsec1, and libcurl for the SOAP back channel;
# services/saml_ec.c uses libxmlsec1 and OpenSSL directly for the EC keys of login.gov.pl.
PKGS    += lasso glib-2.0 gobject-2.0 libcurl xmlsec1-openssl
# Twin sites (services/twin.c): the TLS listener checks client certificates with GnuTLS, libmicrohttpd's TLS
PKGS    += gnutls
# SHA-384 of the Przelewy24-style payment signatures (services/pay_online.c)
PKGS    += libcrypto
TEST_PKGS  := libpng
TEST_LIBS   = $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

# Debian packages the build, the tests and `make run` need. `make deps` installs what is missing.
DEB_PKGS := build-essential pkg-config libgdal-dev libproj-dev libgeos-dev libspatialite-dev \
	libsqlite3-dev libmicrohttpd-dev libcairo2-dev libpango1.0-dev libjansson-dev libinih-dev \
	libzip-dev libqrencode-dev libpng-dev libfreetype-dev libdeflate-dev zlib1g-dev libxml2-dev gdal-bin sqlite3 spatialite-bin libsqlite3-mod-spatialite qpdf poppler-utils \
	python3 python3-owslib python3-icalendar curl zip unzip fonts-dejavu-core chromium python3-qgis
# ZBar decodes the QR code printed on extracts (tests/integration/test_verify.py).
DEB_PKGS += zbar-tools
# tests/integration/test_ogc_clients.py validates the queryables with it
DEB_PKGS += python3-jsonschema
# services/modules/*/tests/test_permits.py checks the pedestrian distance against networkx's shortest path
DEB_PKGS += python3-networkx
# The SAML service provider builds on Lasso and libcurl; tests/integration/test_saml.py runs a pysaml2
# identity provider (tests/saml/idp.py), which signs and encrypts with the xmlsec1 program.
DEB_PKGS += liblasso3-dev libcurl4-openssl-dev python3-pysaml2 xmlsec1 openssl
# Argon2id password hashes, random tokens and SHA-256 (services/auth.c, gis/audit.c)
DEB_PKGS += libsodium-dev
# The fuzz harnesses (tests/fuzz): clang with libFuzzer and its sanitizer runtimes
DEB_PKGS += clang libclang-rt-14-dev
# OpenSSL's libcrypto: SHA-384 of online payment signatures (services/pay_online.c)
DEB_PKGS += libssl-dev
# The electronic seal (gis/seal.c): PAdES signatures with OpenSSL's CMS; pdfsig (poppler-utils) checks them
# in the tests; PDF/A's output intent embeds the sRGB profile of icc-profiles-free.
PKGS    += libcrypto
DEB_PKGS += libssl-dev icc-profiles-free
# A seal key on a PKCS#11 token: OpenSSL's pkcs11 engine, tested against the SoftHSM2 software token.
DEB_PKGS += libengine-pkcs11-openssl softhsm2

LIB_SRCS  := $(sort $(wildcard util/*.c gis/*.c tiles/*.c services/*.c services/modules/*/*.c))
LIB_SRCS  := $(filter-out services/main.c,$(LIB_SRCS))
EMBED_IN  := $(sort $(wildcard data/migrations/*.sql data/identity/*.sql services/modules/*/migrations/*.sql services/modules/*/templates/*.html data/demo/* data/codelists/* styles/*.json services/modules/*/styles/*.json)) odra.ini
GEN_C     := $(BUILD)/gen/embed_data.c
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/embed_data.o
# The demo-store generator: linked into the odra executable (its `demo` command), its own unit test and the wyrys
# label test (a real gmina to render).
DEMO_SRCS := $(sort $(wildcard tools/demo/*.c))
DEMO_OBJS := $(DEMO_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_SRCS := $(filter-out tests/modules/% tests/fuzz/%,$(sort $(wildcard tests/*/*.c)))
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
# A module's unit tests live in its folder (services/modules/<name>/tests/*.c) and build to build/tests/modules/.
MODULE_TEST_SRCS := $(sort $(wildcard services/modules/*/tests/*.c))
TEST_BINS += $(MODULE_TEST_SRCS:services/modules/%.c=$(BUILD)/tests/modules/%)

.SECONDARY:
.PHONY: all deps run test asan lint bench soak clean demo web-deps fuzz fuzz-build
all: $(BUILD)/odra $(BUILD)/odra-toy $(TEST_BINS) web-deps

# The map page's MapLibre GL JS and the browser tests' tools (playwright-core, axe-core for test_pages)
# come from npm (package-lock.json). A plain `make` installs them when
# node_modules is missing or older than the lock file; without npm, or offline, it says so and the rest
# builds (the server then logs the missing files, and /assets/ answers 503 naming this step).
web-deps:
	@[ node_modules/.package-lock.json -nt package-lock.json ] || { \
	  if command -v npm >/dev/null; then echo "npm ci (web dependencies of the map page)"; \
	    npm ci --no-audit --no-fund --loglevel=error >/dev/null || \
	      echo "make: warning: npm ci failed; the map page needs it: run \`make deps\`"; \
	  else echo "make: warning: npm is missing, so the map page has no MapLibre GL JS: run \`make deps\`"; fi; }

deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
	@# Node.js for the web tooling; Debian's npm only when no npm is there (a NodeSource node bundles it).
	@command -v npm >/dev/null || { echo "make deps: installing nodejs npm"; SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; }
	@[ node_modules/.package-lock.json -nt package-lock.json ] || { echo "make deps: npm ci"; \
	  npm ci --no-audit --no-fund --loglevel=error >/dev/null; }

$(GEN_C): tools/embed.awk $(EMBED_IN) Makefile
	@mkdir -p $(@D)
	@awk -f tools/embed.awk $(EMBED_IN) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/embed_data.o: $(GEN_C)
	@mkdir -p $(@D)
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "CC $<"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/libodra.a: $(LIB_OBJS)
	@rm -f $@
	@ar rcs $@ $^

$(BUILD)/odra: $(BUILD)/obj/services/main.o $(DEMO_OBJS) $(BUILD)/libodra.a
	@echo "LD $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The test server of tests/modules/ (tests/integration/test_toy_module.py): odra linked with the module
# table tests/modules/module_table.c instead of services/module_table.c, which adds the toy modules of
# tests/modules/<name>/ to odra's own, with their migrations and styles embedded. A new folder there needs
# no edit here.
TMOD_SRCS  := $(sort $(wildcard tests/modules/*.c tests/modules/*/*.c))
TMOD_EMBED := $(EMBED_IN) $(sort $(wildcard tests/modules/*/migrations/*.sql tests/modules/*/*.json))

$(BUILD)/gen/embed_tmod.c: tools/embed.awk $(TMOD_EMBED) Makefile
	@mkdir -p $(@D)
	@awk -f tools/embed.awk $(TMOD_EMBED) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/embed_tmod.o: $(BUILD)/gen/embed_tmod.c
	@mkdir -p $(@D)
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/odra-toy: $(BUILD)/obj/services/main.o $(DEMO_OBJS) $(TMOD_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/embed_tmod.o $(BUILD)/libodra.a
	@echo "LD $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(BUILD)/libodra.a
	@mkdir -p $(@D)
	@echo "LD $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) $(TEST_LIBS) -o $@

$(BUILD)/tests/gis/test_demo $(BUILD)/tests/gis/test_wyrys_labels: $(BUILD)/tests/gis/%: $(BUILD)/obj/tests/gis/%.o $(DEMO_OBJS) $(BUILD)/libodra.a
	@mkdir -p $(@D)
	@echo "LD $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) $(TEST_LIBS) -o $@

$(BUILD)/tests/modules/%: $(BUILD)/obj/services/modules/%.o $(BUILD)/libodra.a
	@mkdir -p $(@D)
	@echo "LD $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) $(TEST_LIBS) -o $@

run: deps
	@$(MAKE) --no-print-directory all
	@[ -f var/slubice.sqlite ] || $(BUILD)/odra demo --data var
	@$(BUILD)/odra seal demo --config odra.ini --data var  # the TEST seals (docs/seal.md), kept when present
	exec $(BUILD)/odra serve --config odra.ini --data var

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory fuzz-build
	@tests/run $(BUILD)

# libFuzzer harnesses (tests/fuzz/fuzz_*.c), built with clang and ASan/UBSan in build-fuzz/. `make fuzz` runs
# each for FUZZ_SECONDS on its seed corpus (tests/fuzz/<name>/ and the files named in tests/fuzz/run);
# `make test` runs them for 30 s each too.
FUZZ_SECONDS ?= 300
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all -Wno-unknown-warning-option
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  = $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)

$(BUILD)/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(BUILD)/libodra.a
	@mkdir -p $(@D)
	@echo "LD $@"
	@$(CC) $(CFLAGS) -fsanitize=fuzzer $^ $(LDLIBS) -o $@

fuzz-build:
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang WERROR= CFLAGS="$(FUZZ_CFLAGS)" \
	  $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/fuzz/%)

fuzz: deps
	@$(MAKE) --no-print-directory all fuzz-build
	@tests/fuzz/run build-fuzz $(FUZZ_SECONDS) $(BUILD)

# The whole suite under AddressSanitizer and UBSan, in its own build dir.
asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" all
	@ODRA_SANITIZED=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run build-asan

# The OpenAPI document at /api, from the built server, must pass Redocly's recommended ruleset (npm ci installs it).
lint: $(BUILD)/odra
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c11 \
	  --suppress=missingIncludeSystem -I. util gis tiles services tools/demo
	clang-format --dry-run --Werror $(LIB_SRCS) services/main.c $(DEMO_SRCS) $(wildcard */*.h services/modules/*/*.h tools/demo/*.h)
	tools/lint-openapi $(BUILD)
	@# The store interface (docs/design.md): services/ and tiles/ build without the store's SQL level
	@# (gis/store_sql.h, <sqlite3.h>); in a module folder only store.c may use it.
	@for f in $(wildcard services/*.c tiles/*.c) $(filter-out %/store.c,$(wildcard services/modules/*/*.c tests/modules/*/*.c)); do \
	  $(CC) -std=c17 -D_GNU_SOURCE -I. -I$(BUILD)/gen $(PKG_CFLAGS) -DGIS_STORE_SQL_H -fsyntax-only $$f || \
	  { echo "lint: $$f uses the store's SQL level; put the SQL behind a function in gis/"; exit 1; }; done

bench: deps
	@$(MAKE) --no-print-directory all
	@bench/run $(BUILD)

# 10 minutes of mixed traffic at 64 connections: errors, RSS growth and descriptors (issue 18)
soak: deps
	@$(MAKE) --no-print-directory all
	@bench/soak.sh $(BUILD)

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
