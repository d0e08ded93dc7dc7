# The two set-up commands of the README. Each installs what it needs (tools/install.sh,
# idempotent: a second run installs nothing) and then does its job.
PY := .venv/bin/python
SCENES := data/scenes

.PHONY: demo test install scenes

install:
	@bash tools/install.sh

scenes: install
	@$(PY) tools/generate_scenes.py --out $(SCENES)

## demo: the main job on the built-in scenes (tools/run_main.py): pretrain MoCo v2, SimSiam,
## MLS and BAM, probe and transfer each, write the comparison table and the pictures
demo: install
	@$(PY) tools/run_main.py --data $(SCENES) --root work_dirs/main

## test: the test suite (pytest, CPU), then the pretraining tests again on the oldest supported
## torch (tools/test_old_torch.sh: its own venv, torch 2.1.2 + mmcv-lite, downloaded once)
test: install
	@$(PY) -m pytest -q tests
	@bash tools/test_old_torch.sh
