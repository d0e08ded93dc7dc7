# The two set-up commands of the README. Each installs what it needs (tools/install.sh,
# idempotent: a second run installs nothing) and then does its job.
PY := .venv/bin/python
SCENES := data/scenes

.PHONY: demo test install scenes

install:
	@bash tools/install.sh

scenes: install
	@$(PY) tools/generate_scenes.py --out $(SCENES)

## demo: generate the built-in scenes (if missing) and pretrain the MoCo v2 scenes baseline
demo: scenes
	@echo "[demo] MoCo v2 pretraining on the built-in scenes (ResNet-18, 10 epochs, CPU)"
	@$(PY) tools/train.py configs/mocov2/mocov2_resnet18_1xb32-coslr-10e_scenes.py \
		--work-dir work_dirs/mocov2_resnet18_1xb32-coslr-10e_scenes --resume

## test: the test suite (pytest, CPU, no network)
test: install
	@$(PY) -m pytest -q tests
