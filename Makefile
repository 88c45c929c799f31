# packetgen — the two commands of the README:
#   make demo   set everything up and build the example packet into out/
#   make test   set everything up and run the whole test suite (what CI runs)

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
SPEC   := packets/child-trafficking/packet.yaml
OUT    ?= out

# WeasyPrint needs Pango (and HarfBuzz's subsetter for small PDFs); qpdf checks outputs.
# The font packages are metric-compatible stand-ins for the fonts office
# documents name (Carlito for Calibri, Caladea for Cambria, Liberation for
# Arial, Times New Roman and Courier New): with them a converted slide breaks
# its lines where PowerPoint does.
DEB_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 qpdf fontconfig \
                fonts-crosextra-carlito fonts-crosextra-caladea fonts-liberation2
DEB_COMMANDS := qpdf fc-list
DEB_FONTS    := Carlito Caladea "Liberation Sans"
BREW_PACKAGES := pango qpdf
BREW_CASKS    := font-carlito font-caladea font-liberation
# LibreOffice converts .docx/.pptx handouts (the example's slide deck is a .pptx);
# bubblewrap runs it without network and without sight of the user's files.
OFFICE_DEB_PACKAGES := libreoffice-writer-nogui libreoffice-impress-nogui bubblewrap
# The browser tests of `packetgen serve` drive Chromium.
TEST_DEB_PACKAGES := chromium

.PHONY: demo test check lint typecheck bench system-deps office-deps test-deps venv clean schema catalog

demo: venv system-deps office-deps
	$(PY) -m packetgen check $(SPEC)
	$(PY) -m packetgen build $(SPEC) -o $(OUT)

# Three workers on two cores: a third of the suite's time is spent waiting on
# other processes (LibreOffice, Chromium, isolated workers, servers on
# 127.0.0.1), and a third worker fills it (193 s against 214 s with two).
test: venv system-deps office-deps test-deps
	$(PY) -m pytest -n 3 -q
	$(PY) -m ruff check src tests
	$(PY) -m mypy

lint: venv
	$(PY) -m ruff check src tests

typecheck: venv
	$(PY) -m mypy

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# Installs the system libraries and fonts when running as root (CI, containers);
# otherwise says exactly what to install.
system-deps:
	@missing=""; \
	for lib in libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0; do \
	  ldconfig -p | grep -q "$$lib" || missing="yes"; \
	done; \
	for cmd in $(DEB_COMMANDS); do command -v $$cmd >/dev/null || missing="yes"; done; \
	if [ -z "$$missing" ]; then \
	  for font in $(DEB_FONTS); do fc-list : family | grep -qx "$$font" || missing="yes"; done; \
	fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing system packages: $(DEB_PACKAGES)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PACKAGES) >/dev/null; \
	  else \
	    echo "Missing system packages. On Debian/Ubuntu run:"; \
	    echo "  sudo apt-get install $(DEB_PACKAGES)"; \
	    echo "On macOS: brew install $(BREW_PACKAGES) && brew install --cask $(BREW_CASKS)"; \
	    exit 1; \
	  fi; \
	fi

# LibreOffice, for office handouts: installed when running as root; otherwise
# says what to install (packetgen itself only needs it for .docx/.pptx files).
office-deps:
	@if ! command -v soffice >/dev/null || { [ "$$(uname)" = Linux ] && ! command -v bwrap >/dev/null; }; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing LibreOffice for office handouts: $(OFFICE_DEB_PACKAGES)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(OFFICE_DEB_PACKAGES) >/dev/null; \
	  else \
	    echo "LibreOffice or bubblewrap is missing (the example's slide deck is a .pptx). On Debian/Ubuntu run:"; \
	    echo "  sudo apt-get install $(OFFICE_DEB_PACKAGES)"; \
	    echo "On macOS: brew install --cask libreoffice"; \
	    exit 1; \
	  fi; \
	fi

# Chromium for the browser tests: installed when running as root (CI);
# otherwise those tests are skipped and say why.
test-deps:
	@if ! command -v chromium >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Chromium for the browser tests: $(TEST_DEB_PACKAGES)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEST_DEB_PACKAGES) >/dev/null; \
	fi

schema: venv
	$(PY) -m packetgen schema > docs/packet.schema.json

# The printed texts: extracts every marked text of the code and the templates
# into locale/packetgen.pot, then brings each language's catalog up to date
# (new texts come in with an empty translation; packetgen reads the .po itself).
# A new language: pybabel init -i $(LOCALE)/packetgen.pot -d $(LOCALE) -D packetgen -l fr
LOCALE := src/packetgen/locale
catalog: venv
	$(VENV)/bin/pybabel extract -F babel.cfg --no-location --sort-output \
		--project=packetgen --copyright-holder="packetgen contributors" \
		--no-wrap -o $(LOCALE)/packetgen.pot src/packetgen
	$(VENV)/bin/pybabel update -i $(LOCALE)/packetgen.pot -d $(LOCALE) -D packetgen \
		--no-fuzzy-matching --no-wrap
	$(PY) -c "import packetgen.text.i18n as i; print(i.strings_markdown(), end='')" > docs/strings.md

# The README's page previews, drawn from `make demo`'s output at 72 dpi:
# output file, page, preview name.
PREVIEWS := csec-understanding:1:cover advocating-webinar:3:items \
	advocating-webinar:4:links-appendix csec-understanding:8:binder-3-up-slides \
	csec-understanding:5:binder-handout packet:2:book-contents \
	csec-understanding-facilitator:1:kit-facilitator csec-understanding-facilitator:5:kit-attendance \
	csec-understanding-facilitator:3:kit-signin csec-understanding:11:kit-evaluation \
	reading-and-viewing:9:kit-credit-log csec-understanding-certificates:1:kit-certificate
# The same example with `language: es`, for the README's Spanish pages.
PREVIEWS_ES := csec-understanding:1:es-cover csec-understanding:3:es-items \
	csec-understanding-facilitator:1:es-facilitator csec-understanding:11:es-evaluation
.PHONY: previews
previews: demo
	@set -e; scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	for entry in $(PREVIEWS); do \
		pdf=$${entry%%:*}; rest=$${entry#*:}; page=$${rest%%:*}; name=$${rest#*:}; \
		$(PY) -m packetgen preview $(OUT)/$$pdf.pdf -o "$$scratch" --pages $$page --dpi 72 >/dev/null; \
		cp "$$scratch/$$pdf-page-$$page.png" docs/previews/$$name.png; \
		echo "docs/previews/$$name.png: $$pdf.pdf page $$page"; \
	done
	@set -e; scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	cp -R $(dir $(SPEC)) "$$scratch/es"; \
	sed 's/^language: en$$/language: es/' $(SPEC) > "$$scratch/es/$(notdir $(SPEC))"; \
	$(PY) -m packetgen build "$$scratch/es/$(notdir $(SPEC))" -o "$$scratch/out" \
		--only csec-understanding --format pdf -q; \
	for entry in $(PREVIEWS_ES); do \
		pdf=$${entry%%:*}; rest=$${entry#*:}; page=$${rest%%:*}; name=$${rest#*:}; \
		$(PY) -m packetgen preview "$$scratch/out/$$pdf.pdf" -o "$$scratch" --pages $$page --dpi 72 >/dev/null; \
		cp "$$scratch/$$pdf-page-$$page.png" docs/previews/$$name.png; \
		echo "docs/previews/$$name.png: $$pdf.pdf page $$page, in Spanish"; \
	done

clean:
	rm -rf $(OUT) dist build .pytest_cache .mypy_cache .ruff_cache

# Fuzz the handout reader by hand (not in CI): installs atheris into the venv if
# missing, writes a seed corpus, then runs for FUZZ_SECONDS. Crashes, timeouts and
# out-of-memory inputs are saved as fuzz/crash-*, fuzz/timeout-*, fuzz/oom-*.
FUZZ_SECONDS ?= 300
.PHONY: fuzz
fuzz: venv
	$(PY) -c "import atheris" 2>/dev/null || $(PY) -m pip install --quiet atheris
	$(PY) fuzz/fuzz_handouts.py --seeds fuzz/corpus
	cd fuzz && $(abspath $(PY)) fuzz_handouts.py corpus -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=2048

# The speed benchmark (issue 7): fresh processes, medians of up to 5 runs, the
# ratios against WeasyPrint alone and qpdf; prints the table the README shows and
# writes benchmarks/results.json. Keeps to 10 minutes on 2 cores.
# BENCH_ARGS=--quick for a one-run smoke test; BENCH_ARGS="--budget 0" for no time limit.
bench: venv system-deps
	$(PY) benchmarks/run.py $(BENCH_ARGS)
