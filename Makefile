# Two entry points, both self-contained from a bare Python 3.11:
#   make demo  -- the main job on the embedded default data
#   make test  -- the test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo serve-demo test venv clean

# (Re)create the virtual environment and install the package with its test
# extras whenever setup.cfg or pyproject.toml change.
# pip's and setuptools' notes go to .venv/install.log, shown only when the
# install fails.
$(STAMP): setup.cfg pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing keras-inception and its dependencies into $(VENV)" \
	  "(minutes on first use; log: $(VENV)/install.log)"
	@( $(BIN)/python -m pip install --quiet --upgrade pip && \
	   $(BIN)/python -m pip install --quiet -e ".[dev]" ) \
	  > $(VENV)/install.log 2>&1 || \
	  { cat $(VENV)/install.log; echo "install failed"; exit 1; }
	@touch $(STAMP)
	@echo "installed; $(BIN)/keras-inception --help lists the commands"

venv: $(STAMP)

# The main job: train a width-0.25 GoogLeNet on the embedded dataset (no
# download; generated into TFDS's data folder on first use) into runs/demo --
# checkpoints, logs, curves.png, summary.json -- print the logistic-
# regression baseline on the same pixels beside the run's accuracy, then
# deploy it (serve-demo).
DEMO_RUN ?= runs/demo
SERVING_BASE ?= saved_models
DEMO_TRAIN = --model inception_v1 --dataset default --width-multiplier 0.25 \
	--epochs 15 --batch-size 64 --recipe modern_adamw --learning-rate 2e-3 \
	--warmup-epochs 1 --output $(DEMO_RUN) --overwrite

demo: $(STAMP)
	$(BIN)/keras-inception train $(DEMO_TRAIN)
	$(BIN)/python benchmarks/baseline_logreg.py --run $(DEMO_RUN)
	@$(MAKE) --no-print-directory serve-demo

# The demo run deployed: a new version in the TF Serving base path
# saved_models/ (never replacing an older one; models.config refreshed),
# then, in a fresh process, one embedded validation image's encoded bytes
# through that version's predict_images signature beside the run's own
# Keras prediction.
serve-demo:
	$(BIN)/keras-inception export --checkpoint $(DEMO_RUN) \
	  --output $(SERVING_BASE)
	$(BIN)/keras-inception predict --dataset default --artifact \
	  $(SERVING_BASE)/$(notdir $(DEMO_RUN)) --compare $(DEMO_RUN)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q --durations=20

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
