# alicloud.cas developer and CI entry points. `make help` lists the targets.
# The stages themselves live in scripts/harness.sh (docs-lint, galaxy and ee run
# scripts/docs-check.sh, galaxy-check.sh and ee-check.sh through it); venvs come
# from scripts/venv.sh. Add a stage to harness.sh and a target here together.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
LEGACY_VENV ?= .venv-2.19
export VENV LEGACY_VENV

HARNESS := scripts/harness.sh

.PHONY: help venv venv-legacy venvs test units target-crypto sanity lint integration molecule \
        units-2.19 sanity-2.19 legacy docs-lint galaxy ee demo shell release bench clean distclean

help:
	@echo "alicloud.cas targets:"
	@echo "  make demo         issue a certificate against the local emulator, deploy it to the emulated CDN"
	@echo "                   domain www.example.com and show the edge's TLS handshake (scripts/demo.sh); its"
	@echo "                   second play run makes no CAS call and only reads the CDN domain"
	@echo "                   (DEMO_ACCOUNT=v2: V2.0 instances, ad hoc; there a second make demo calls nothing)"
	@echo "  make shell        a subshell with $(VENV) active and ANSIBLE_COLLECTIONS_PATH set, so that"
	@echo "                   ansible-doc / ansible -m alicloud.cas.* use this checkout (scripts/shell.sh)"
	@echo "  make test         whole suite: units, target-crypto, sanity, lint, docs, integration, molecule, galaxy, ee,"
	@echo "                   then units + sanity again on Python 3.11 / ansible-core 2.19"
	@echo "  make units        pytest tests/unit"
	@echo "  make target-crypto  the modules that run on managed hosts, with cryptography 3.4.8 (Python 3.9)"
	@echo "                   and 41.0.7 (Python 3.12): small venvs .venv-target-* (scripts/venv.sh --target=...)"
	@echo "  make sanity       ansible-test sanity --venv (no ignore entries allowed)"
	@echo "  make lint         ansible-lint (production profile) + antsibull-changelog lint"
	@echo "  make integration  ansible-test integration targets against the HTTPS emulator"
	@echo "  make molecule     molecule test for every scenario in extensions/molecule"
	@echo "  make legacy       units + sanity on Python 3.11 / ansible-core 2.19 ($(LEGACY_VENV))"
	@echo "  make bench        benchmarks (scripts/bench.sh)"
	@echo "  make galaxy       the release steps on a throw-away copy, without publishing: version, changelog,"
	@echo "                   tarball, content check, galaxy-importer offline (no warnings)"
	@echo "  make release VERSION=x.y.z  set the version, release the changelog, build and check the tarball,"
	@echo "                   publish it with ANSIBLE_GALAXY_TOKEN (without it: print what would be uploaded);"
	@echo "                   docs/releasing.md"
	@echo "  make ee           ansible-builder create from tests/ee (build context only, no image)"
	@echo "  make docs-lint    antsibull-docs lint + ansible-doc for every module and role + guide links"
	@echo "  make venv         create/refresh $(VENV) (newest Python >= 3.12, ansible-core 2.21)"
	@echo "  make venv-legacy  create/refresh $(LEGACY_VENV) (Python 3.11, ansible-core 2.19)"
	@echo "  make clean        remove caches and test output (keeps venvs); distclean also removes venvs"

venv:
	@scripts/venv.sh $(VENV)

venv-legacy:
	@scripts/venv.sh --legacy $(LEGACY_VENV)

# Both venvs at once: creating them is mostly waiting on downloads.
venvs:
	@$(MAKE) --no-print-directory -j2 venv venv-legacy

test: venvs
	@$(HARNESS) all

units: venv
	@$(HARNESS) units

# Makes its own small venvs (scripts/venv.sh --target=NAME), so it needs no other venv.
target-crypto:
	@$(HARNESS) target-crypto

sanity: venv
	@$(HARNESS) sanity

lint: venv
	@$(HARNESS) lint

integration: venv
	@$(HARNESS) integration

molecule: venv
	@$(HARNESS) molecule

units-2.19: venv-legacy
	@$(HARNESS) units-2.19

sanity-2.19: venv-legacy
	@$(HARNESS) sanity-2.19

legacy: venv-legacy
	@$(HARNESS) units-2.19 sanity-2.19

docs-lint: venv
	@$(HARNESS) docs

galaxy: venv
	@$(HARNESS) galaxy

release: venv
	@if [ -z "$(VERSION)" ]; then echo "usage: make release VERSION=x.y.z (docs/releasing.md)" >&2; exit 2; fi
	@scripts/release.sh "$(VERSION)"

ee: venv
	@$(HARNESS) ee

shell: venv
	@VENV="$(VENV)" scripts/shell.sh

demo: venv
	@if [ ! -f scripts/demo.sh ]; then \
		echo "make demo: scripts/demo.sh does not exist yet (the dv_certificate role work provides it)" >&2; \
		exit 1; \
	fi
	@PATH="$(abspath $(VENV))/bin:$$PATH" bash scripts/demo.sh

bench: venv
	@if [ ! -f scripts/bench.sh ]; then \
		echo "make bench: scripts/bench.sh does not exist yet" >&2; \
		exit 1; \
	fi
	@PATH="$(abspath $(VENV))/bin:$$PATH" bash scripts/bench.sh

clean:
	rm -rf .cache tests/output tests/integration/integration_config.yml .pytest_cache .ansible dist
	find . -path ./.git -prune -o -path './.venv*' -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(LEGACY_VENV)
