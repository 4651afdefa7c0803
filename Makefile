# imageko support desk. `make run` starts everything; `make test` checks everything.
# Environments, the Rasa model (and later the KB index) are built here, once, and rebuilt only
# when what they are made from changes.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
VENV_RASA := .venv-rasa
PY        := $(VENV)/bin/python
RASA      := $(VENV_RASA)/bin/rasa
MODEL     := models/imageko.tar.gz
# Browser assets from the npm registry, vendored at build time (nothing fetched at run time).
SOCKETIO_JS := bot/web/static/vendor/socket.io.min.js
WEBCHAT_JS  := var/vendor/rasa-webchat.js
MINILM    := models/minilm/model.onnx
TRAINING  := config.yml domain.yml $(shell find nlu_data -name '*.yml' 2>/dev/null)

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export RASA_TELEMETRY_ENABLED := false
export PYTHONWARNINGS := ignore::DeprecationWarning
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help run test lint typecheck unit env web model kb kb-calibrate eval-kb eval-routing eval-conversations bench-kb bench-nlu bench-console lock clean

help:  ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: env $(MODEL) kb web  ## start the whole desk (embedded Redis, Rasa, hub); Ctrl-C stops it
	$(PY) -m bot run

test: env $(MODEL) kb web lint typecheck  ## lint, type-check, then every test (unit, storage, e2e)
	$(PY) -m pytest

lint: env  ## ruff
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: env  ## mypy (strict)
	$(PY) -m mypy

unit: env  ## the fast tests only (no stack start)
	$(PY) -m pytest -m "not e2e"

env: $(VENV)/.installed $(VENV_RASA)/.installed  ## both Python environments

web: $(SOCKETIO_JS) $(WEBCHAT_JS)  ## vendor the browser assets (socket.io client; rasa-webchat for the compatibility test)

$(SOCKETIO_JS):
	mkdir -p var/npm $(dir $@)
	cd var/npm && npm pack --silent socket.io-client@4.8.4 >/dev/null && tar xzf socket.io-client-4.8.4.tgz package/dist/socket.io.min.js
	cp var/npm/package/dist/socket.io.min.js $@

$(WEBCHAT_JS):
	mkdir -p var/npm/webchat $(dir $@)
	cd var/npm/webchat && npm pack --silent rasa-webchat@1.0.1 >/dev/null && tar xzf rasa-webchat-1.0.1.tgz package/lib/index.js
	cp var/npm/webchat/package/lib/index.js $@

model: $(MODEL)  ## the Rasa model (retrained when config, domain or training data change)

kb: env  ## the help-centre index (re-embeds only changed articles; fast when nothing changed)
	$(PY) -m bot.kb build

kb-calibrate: kb  ## choose fusion weights and thresholds on the validation split
	$(PY) -m bot.kb calibrate

eval-kb: env  ## recall@1/@3, MRR, rejection, latency (DOCS=docs.jsonl QUERIES=queries.jsonl for outside data)
	$(PY) -m bot.kb eval $(if $(DOCS),--docs "$(DOCS)") $(if $(QUERIES),--queries "$(QUERIES)")

eval-routing: env $(MODEL) kb  ## first decision per case: CASES=cases.jsonl OUT=dir (../shared/eval/README.md)
	@test -n "$(CASES)" -a -n "$(OUT)" || { echo "usage: make eval-routing CASES=cases.jsonl OUT=dir"; exit 2; }
	@mkdir -p "$(OUT)"
	@started=$$(date +%s.%N); \
	PYTHONPATH=. $(VENV_RASA)/bin/python -m rasa_addons.parse $(MODEL) "$(CASES)" "$(OUT)/nlu.jsonl" && \
	$(PY) -m bench.eval_routing --cases "$(CASES)" --nlu "$(OUT)/nlu.jsonl" --out "$(OUT)" --started $$started

eval-conversations: env $(MODEL) kb  ## multi-turn scenarios against one real desk: OUT=dir (tests/conversations)
	@test -n "$(OUT)" || { echo "usage: make eval-conversations OUT=dir"; exit 2; }
	$(PY) -m tests.conversations.run --out "$(OUT)"

bench-kb: kb  ## latency at 1 and 8 callers, build time, 10^5/10^6-chunk scale runs
	$(PY) -m bench.kb

$(VENV)/.installed: requirements/hub.lock scripts/find-python
	rm -rf $(VENV)
	"$$(scripts/find-python 3.11)" -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements/hub.lock
	touch $@

$(VENV_RASA)/.installed: requirements/rasa.lock scripts/find-python
	rm -rf $(VENV_RASA)
	"$$(scripts/find-python 3.10)" -m venv $(VENV_RASA)
	$(VENV_RASA)/bin/python -m pip install -q --upgrade pip
	$(VENV_RASA)/bin/python -m pip install -q -r requirements/rasa.lock
	touch $@

# all-MiniLM-L6-v2 as ONNX, for the Rasa pipeline's featurizer (rasa_addons/minilm.py).
$(MINILM): bot/kb/onnx_export.py requirements/hub.lock | $(VENV)/.installed
	$(PY) -m bot.kb.onnx_export models/minilm

# The tracker store runs beside the model, not in it: changing it needs no retraining.
$(MODEL): $(TRAINING) requirements/rasa.lock $(MINILM) $(filter-out rasa_addons/tracker_store.py,$(wildcard rasa_addons/*.py)) | $(VENV_RASA)/.installed
	PYTHONPATH=. $(RASA) train --data nlu_data --config config.yml --domain domain.yml \
		--out models --fixed-model-name imageko
	touch $@

bench-console: env kb  ## how fast a handoff reaches open consoles, same hub and another (Redis on 6379)
	HF_HUB_OFFLINE=1 $(PY) -m bench.console

bench-nlu: env $(MINILM)  ## config.yml's NLU on any text,label CSV: TRAIN= TEST= [VAL=] [OOS_LABEL=]
	@test -n "$(TRAIN)" -a -n "$(TEST)" || { echo "usage: make bench-nlu TRAIN=a.csv TEST=b.csv [VAL=c.csv] [OOS_LABEL=name]"; exit 2; }
	PYTHONPATH=. $(VENV_RASA)/bin/python -m bench.nlu --train "$(TRAIN)" --test "$(TEST)" \
		$(if $(VAL),--val "$(VAL)") $(if $(OOS_LABEL),--oos-label "$(OOS_LABEL)")

lock:  ## re-pin requirements/*.lock from requirements/*.in in scratch environments
	rm -rf var/lock && mkdir -p var/lock
	"$$(scripts/find-python 3.11)" -m venv var/lock/hub
	var/lock/hub/bin/pip install -q -r requirements/hub.in
	var/lock/hub/bin/pip freeze --all --exclude pip --exclude wheel \
		| sed '1i # Generated by `make lock` from hub.in: do not edit.' > requirements/hub.lock
	"$$(scripts/find-python 3.10)" -m venv var/lock/rasa
	var/lock/rasa/bin/pip install -q -r requirements/rasa.in
	var/lock/rasa/bin/pip freeze --all --exclude pip --exclude wheel \
		| sed '1i # Generated by `make lock` from rasa.in: do not edit.' > requirements/rasa.lock
	rm -rf var/lock

clean:  ## remove environments and built artefacts (not var/, which holds data)
	rm -rf $(VENV) $(VENV_RASA) models .rasa .mypy_cache .ruff_cache .pytest_cache
