"""Every shell command the READMEs show is run by a test.

The commands are collected from README.md and configs/**/README.md (tests/helpers/
documented_commands.py: ```shell / ```bash / ```sh blocks, and inline code spans that begin
like a command). Each must match an entry of COVERAGE, which names the tests that run its code
path: the tests of this file run some on the fixture scenes (tiny overrides, a tmp work_dir);
the others are existing tests, ONE per code path (every pretraining config runs through one
scenes run; a COCO-, VOC- or Cityscapes-size command maps to the test that builds its config on
that standard layout and runs or starts it). Placeholders (PARTITION, CONFIG, <ckpt>, RUN, ...)
are matched by the patterns. The suite fails on a command no entry matches (listing it and its
file:line), on an entry that matches no command, and on a named test that does not exist.
"""
import glob
import json
import os
import os.path as osp
import re
import shlex
import subprocess
import sys
from argparse import ArgumentParser

import pytest
import torch
from mmengine.config import DictAction

from helpers.documented_commands import collect
from helpers.launch_helpers import REPO, launcher_env, run

THIS = 'tests/test_docs/test_documented_commands.py'
TWINS = 'tests/test_docs/test_transfer_twin_launchers.py'
SLURM = 'tests/test_docs/test_slurm_scripts.py'
PROBE = ('configs/benchmarks/classification/scenes/'
         'resnet18_linear-probe-1xb64-coslr-5e_scenes-64px.py')

TRAIN_CLI = 'tests/test_tools/test_mocov2_resume.py::test_train_py_cli_and_resume'
COCO_PRETRAIN = 'tests/test_tools/test_coco_configs.py::test_coco_config_runs_one_iteration'
REAL_DET = ('tests/test_det/test_real_configs_start.py::'
            'test_real_config_reads_its_layout_and_loads_the_checkpoint')
REAL_SEG = ('tests/test_seg/test_cityscapes_layout.py::'
            'test_cityscapes_config_reads_the_layout_and_loads_the_checkpoint')
CONVERTER_CLI = [
    'tests/test_transfer/test_converters.py::test_cli_names_bad_keys',
    'tests/test_transfer/test_converters.py::'
    'test_cli_checks_against_config_backbone_without_running_init_cfg',
    'tests/test_transfer/test_converters.py::test_torchvision_target',
    'tests/test_transfer/test_converters.py::test_detectron2_target',
]
TWIN_RUN = f'{TWINS}::test_twin_through_its_launcher'
CLS = 'tests/test_classification'
CLS_TWIN = f'{CLS}/test_finetune_twin.py::test_twin_through_its_launcher_and_top1_recounted'
CLS_CONFIGS = f'{CLS}/test_finetune_configs.py::test_config_reads_its_layout_and_loads_the_checkpoint'
USER_TOOLS = 'tests/test_user_tools'
STACK = 'tests/test_stack'
INSTALL = f'{STACK}/test_install_decisions.py'
TENSORBOARD_RUN = f'{USER_TOOLS}/test_tensorboard.py::test_training_writes_the_loss_to_tensorboard_events'
FULL_SIZE = 'tests/test_benchmarks/test_full_size_configs.py'
MIM = 'tests/test_tools/test_mim.py'
RUN_MAIN_TRANSFER = ('tests/test_tools/test_run_main.py::'
                     'test_the_transfer_steps_fine_tune_the_converted_backbone')
PROBE_RUN = f'{THIS}::test_probe_from_a_pretraining_run_then_test_py_and_dist_test_sh'

#: (pattern searched in the command, the tests that run its code path). Node ids may use the
#: pattern's named groups ({twin}); an id without [...] stands for all its parametrisations.
COVERAGE = [
    # set-up and the main job
    (r'^make (demo|test|install|scenes)$', [f'{THIS}::test_make_targets_run_the_documented_tools',
                             'tests/test_tools/test_run_main.py::'
                             'test_plan_covers_every_stage_and_method']),
    # install.sh is never started by a test (it builds mmcv); the make test checks that both
    # targets call it, and the stack check proves what it installed
    (r'^tools/install\.sh$', [f'{THIS}::test_make_targets_run_the_documented_tools',
                              'tests/test_utils/test_launch.py::test_stack_check_passes']),
    # make test itself runs it (after pytest); the make test checks that the target calls it
    (r'^(bash )?tools/test_old_torch\.sh$', [f'{THIS}::test_make_targets_run_the_documented_tools']),
    (r'^tools/check_stack\.py$', ['tests/test_utils/test_launch.py::test_stack_check_passes']),
    (r'^tools/train\.py --bf16$', ['tests/test_engine/test_autocast_optim_wrapper.py::'
                                  'test_train_py_bf16_sets_the_wrapper_and_refuses_amp_with_it']),
    (r'^tools/run_main\.py( \[?--dry-run.*)?$', [
        f'{THIS}::test_make_targets_run_the_documented_tools',
        'tests/test_tools/test_run_main.py::test_plan_covers_every_stage_and_method',
        'tests/test_tools/test_run_main.py::test_done_runs_are_skipped_and_checkpoints_resolved',
        'tests/test_tools/test_run_main.py::test_a_failing_step_names_its_command_and_log']),
    # the main job's transfer: its two steps (convert, then fine-tune from the file)
    (r'^tools/model_converters/extract_backbone\.py work_dirs/main/pretrain/<method>/\S+\.pth '
     r'work_dirs/main/backbones/<method>/\S+ --target mmdet --config '
     r'configs/benchmarks/mmdetection/scenes/\S+$', [RUN_MAIN_TRANSFER]),
    (r'^tools/train\.py configs/benchmarks/mmdetection/scenes/\S+ --work-dir '
     r'work_dirs/main/transfer/<method> --resume --cfg-options model\.backbone\.init_cfg\.checkpoint='
     r'work_dirs/main/backbones/<method>/\S+ model\.backbone\.init_cfg\.prefix= ',
     [RUN_MAIN_TRANSFER]),
    (r'^(\.venv/bin/python )?tools/run_main\.py --seeds 0 1 2 --root \S+( --update-method-folders)?$', [
        'tests/test_tools/test_run_main.py::test_several_seeds_get_their_own_roots_and_one_table',
        'tests/test_tools/test_run_main.py::test_the_seeds_command_on_a_tiny_case']),
    (r'^(\.venv/bin/python )?tools/run_main\.py (--methods (mocov2|simsiam|bam|mls) --stages pretrain probe )?'
     r'--pretrain-epochs \d+( --seeds \d+( \d+)*)? --root \S+$', [
        'tests/test_tools/test_run_main.py::'
        'test_pretrain_epochs_stretch_the_schedule_of_the_pretrainings_only']),
    # the BAM ablations: a pretraining with --cfg-options, then its probes and transfers; the
    # configured BAM again (seed 0)
    (r'^\.venv/bin/python tools/run_main\.py --methods bam ('
     r'--stages pretrain --seeds 0 1 2 --jobs 1 --root \S+ --cfg-options '
     r'model\.head\.(stop_grad=False|loss_clu\.loss_weight=0\.0)'
     r'|--stages probe transfer --seeds 0 1 2 --jobs 1 --root \S+'
     r'|--stages pretrain probe transfer --seeds 0 --jobs 1 --root \S+)$', [
        'tests/test_tools/test_run_main.py::'
        'test_an_ablation_pretrains_with_its_options_and_probes_without_them',
        'tests/test_tools/test_run_main.py::test_several_seeds_get_their_own_roots_and_one_table',
        RUN_MAIN_TRANSFER]),
    (r'^(\.venv/bin/python )?tools/benchmarks/scenes_step_cost\.py', [
        'tests/test_benchmarks/test_scenes_scripts.py::test_step_cost_prints_every_case',
        'tests/test_benchmarks/test_scenes_scripts.py::'
        'test_step_cost_compiled_rows_and_chosen_cases']),
    (r'^(\.venv/bin/python )?tools/benchmarks/scenes_pipeline_cost\.py', [
        'tests/test_benchmarks/test_scenes_scripts.py::test_pipeline_cost_prints_each_twin']),
    (r'^(\.venv/bin/python )?tools/benchmarks/scenes_linear_separability\.py', [
        'tests/test_benchmarks/test_scenes_scripts.py::'
        'test_linear_separability_of_random_and_of_a_checkpoint']),
    (r'^(\.venv/bin/python )?tools/benchmarks/scenes_knn_label_precision\.py', [
        'tests/test_benchmarks/test_scenes_scripts.py::'
        'test_knn_label_precision_of_random_and_of_a_checkpoint']),
    (r'^(\.venv/bin/python )?tools/generate_scenes\.py( --out data/scenes)?$', [
        f'{THIS}::test_generate_scenes_cli',
        'tests/test_seg/test_scene_semantic.py::'
        'test_maps_are_deterministic_and_an_old_folder_gets_them']),
    # pretraining on the scenes (tools/train.py), one run per method where a test exists
    (r'tools/train\.py configs/\{mocov2,simsiam,mls,bam\}/\*_scenes\.py --work-dir \S+ --resume$',
     [TRAIN_CLI, f'{THIS}::test_pretraining_through_dist_train_sh']),
    (r'^(\.venv/bin/python )?tools/train\.py configs/mocov2/\S+_scenes\.py$',
     [TRAIN_CLI, f'{THIS}::test_pretraining_through_dist_train_sh']),
    (r'^(\.venv/bin/python )?tools/train\.py configs/simsiam/\S+_scenes\.py$',
     [f'{THIS}::test_simsiam_scenes_twin_through_train_py']),
    (r'^(\.venv/bin/python )?tools/train\.py configs/mls/\S+_scenes\.py$',
     ['tests/test_tools/test_mls_kill_resume.py::test_killed_run_resumes_exactly']),
    (r'^(\.venv/bin/python )?tools/train\.py configs/bam/\S+_scenes\.py$',
     ['tests/test_tools/test_bam_scenes_resume.py::test_bam_scenes_trains_and_resumes']),
    # pretraining at COCO / VOC size: the config runs one iteration on the COCO / VOC layout;
    # tools/dist_train.sh itself runs the session's scenes pretraining
    (r'^bash tools/dist_train\.sh configs/(mocov2|simsiam|mls|bam)/\S+_coco\.py \d+$',
     [COCO_PRETRAIN, f'{THIS}::test_pretraining_through_dist_train_sh']),
    (r'^bash tools/dist_train\.sh configs/bam/\S+_voc12\.py \d+$',
     ['tests/test_tools/test_coco_configs.py::test_voc_config_runs_one_iteration',
      f'{THIS}::test_pretraining_through_dist_train_sh']),
    (r'^GPUS=\d+ bash tools/slurm_train\.sh PARTITION \w+ configs/\w+/\S+_coco\.py$',
     [f'{SLURM}::test_slurm_train_runs_training', f'{SLURM}::test_slurm_train_arguments',
      'tests/test_tools/test_coco_configs.py::test_long_schedules_build']),
    # the linear probe
    (r'tools/train\.py (CONFIG|configs/benchmarks/classification/scenes/\S+) --cfg-options '
     r'model\.backbone\.init_cfg\.checkpoint=(\S+|<pretraining \.pth>)$', [PROBE_RUN]),
    (r'^bash tools/dist_train\.sh configs/benchmarks/classification/(coco|voc07)/\S+ \d+ '
     r'--cfg-options model\.backbone\.init_cfg\.checkpoint=\S+$',
     [PROBE_RUN, 'tests/test_probe/test_probe_configs.py::test_common_protocol',
      'tests/test_probe/test_probe_configs.py::test_coco_and_voc_values']),
    (r'^tools/test\.py CONFIG (CKPT|CHECKPOINT|work_dirs/<probe>/epoch_100\.pth)',
     [PROBE_RUN, f'{USER_TOOLS}/test_test_tool.py::'
      'test_out_pkl_writes_the_predictions_of_the_checkpoint']),
    (r'^tools/test\.py$', [PROBE_RUN]),
    (r'^tools/test\.py --out$', [
        f'{USER_TOOLS}/test_test_tool.py::test_out_pkl_writes_the_predictions_of_the_checkpoint']),
    (r'^(bash )?tools/dist_test\.sh CONFIG (CKPT N|CHECKPOINT GPUS)', [PROBE_RUN]),
    (r'^tools/slurm_test\.sh( PARTITION JOB CONFIG CKPT.*)?$',
     [f'{SLURM}::test_slurm_test_evaluates_a_checkpoint']),
    # random initialisation, asked for by name
    (r'tools/train\.py configs/benchmarks/(classification|mmdetection|mmsegmentation)/scenes/'
     r'\S+( --work-dir \S+)? --cfg-options model\.backbone\.init_cfg=None$',
     [f'{THIS}::test_random_init_commands_start',
      'tests/test_det/test_scenes_twins.py::test_scenes_twin_trains_and_evaluates',
      'tests/test_seg/test_seg_configs.py::test_scenes_twin_trains_and_evaluates_miou',
      'tests/test_probe/test_probe_configs.py::test_scenes_probe_trains_and_reports_the_metrics']),
    # transfer: convert + checked load + fine-tune
    (r'^(WORK_DIR=\S+ )?(MLS_MM_ALLOW_CPU_DIST=1 )?bash tools/benchmarks/'
     r'(mmdetection|mmsegmentation)/dist_train\.sh '
     r'configs/benchmarks/\w+/scenes/(?P<twin>\S+\.py) \S+ 1( --cfg-options .*)?$',
     [TWIN_RUN + '[{twin}]']),
    (r'^bash tools/benchmarks/mmdetection/dist_train\.sh configs/benchmarks/mmdetection/'
     r'(coco|voc0712|cityscapes)/\S+ \S+ \d+$',
     [REAL_DET, TWIN_RUN, f'{TWINS}::test_launcher_options_fill_every_checked_pretrained_module']),
    (r'^bash tools/benchmarks/mmsegmentation/dist_train\.sh configs/benchmarks/mmsegmentation/'
     r'cityscapes/\S+ \S+ \d+$',
     [REAL_SEG, TWIN_RUN, f'{TWINS}::test_launcher_options_fill_every_checked_pretrained_module']),
    (r'^GPUS=\d+ bash tools/benchmarks/mmdetection/slurm_train\.sh PARTITION \S+ '
     r'configs/benchmarks/mmdetection/\w+/\S+ \S+$',
     [f'{SLURM}::test_benchmark_slurm_train_mmdet_c4', REAL_DET]),
    (r'^GPUS=\d+ bash tools/benchmarks/mmsegmentation/slurm_train\.sh PARTITION \S+ '
     r'configs/benchmarks/mmsegmentation/\w+/\S+ \S+$',
     [f'{SLURM}::test_benchmark_slurm_train_mmseg', REAL_SEG]),
    (r'^tools/benchmarks/(\{mmdetection,mmsegmentation(,mmpretrain)?\}|mmsegmentation|mmdetection)/'
     r'dist_train\.sh( CONFIG (PRETRAIN|CHECKPOINT) (GPUS|1).*)?$', [TWIN_RUN]),
    # the two transfer steps by hand (what the launcher runs)
    (r'tools/model_converters/extract_backbone\.py work_dirs/RUN/epoch_10\.pth \S+ '
     r'--target mmseg --config CONFIG$',
     [TWIN_RUN + '[pspnet_r18b-d8_1xb8-100i_scenes-64x64.py]'] + CONVERTER_CLI[1:2]),
    (r'tools/train\.py CONFIG --work-dir work_dirs/seg_twins/RUN --cfg-options '
     r'model\.backbone\.init_cfg\.checkpoint=\S+ model\.backbone\.init_cfg\.prefix=$',
     [TWIN_RUN + '[pspnet_r18b-d8_1xb8-100i_scenes-64x64.py]']),
    (r'^tools/model_converters/extract_backbone\.py( .*)?$', CONVERTER_CLI + [TWIN_RUN]),
    (r'^(\.venv/bin/python )?tools/model_converters/convert_mls_queues\.py( OLD(\.pth)? NEW(\.pth)?'
     r'( \[--reset-misaligned\])?)?$', [
        'tests/test_models/test_mls_device_move.py::'
        'test_old_key_layout_converts_when_the_pointers_agree',
        'tests/test_models/test_mls_device_move.py::'
        'test_conversion_tool_refuses_misaligned_dictionaries']),
    (r'mmseg/\.mim/tools/dataset_converters/cityscapes\.py data/cityscapes',
     [f'{THIS}::test_cityscapes_converter_is_where_the_readme_says']),
    # classification fine-tuning (MLS Table 5): the real configs read their layouts and load
    # checked weights; the scenes twin runs through the same launcher
    (r'^bash tools/benchmarks/mmpretrain/dist_train\.sh configs/benchmarks/classification/'
     r'(cub|flowers102|stanford_cars|fgvc_aircraft|indoor67|oxford_pets|dtd|voc07)/\S+ \S+ \d+$',
     [CLS_CONFIGS, CLS_TWIN]),
    (r'^GPUS=\d+ bash tools/benchmarks/mmpretrain/slurm_train\.sh PARTITION \S+ '
     r'configs/benchmarks/classification/\w+/\S+ \S+$',
     [f'{CLS}/test_mmpretrain_launchers.py::test_slurm_launcher_converts_then_calls_srun',
      CLS_CONFIGS]),
    (r'^(WORK_DIR=\S+ )?MLS_MM_ALLOW_CPU_DIST=1 bash tools/benchmarks/mmpretrain/dist_train\.sh '
     r'configs/benchmarks/classification/scenes/\S+ \S+ 1$', [CLS_TWIN]),
    (r'^\.venv/bin/python tools/test\.py configs/benchmarks/classification/scenes/'
     r'resnet18_finetune\S+ \S+ --out \S+\.pkl$', [CLS_TWIN]),
    # the full-size run of every real config (tools/benchmarks/README.md)
    (r'^(\.venv/bin/python )?tools/benchmarks/full_size_configs\.py( --only \S+| --list|'
     r' \[--only PATTERN\])?$',
     [f'{FULL_SIZE}::test_discovers_every_real_config_and_no_twin',
      f'{FULL_SIZE}::test_cheapest_real_config_runs_at_full_size']),
    # the user's own stack (docs/compatibility.md)
    (r'^bash tools/install\.sh$', [f'{THIS}::test_make_targets_run_the_documented_tools',
                                   f'{INSTALL}::test_this_machine_is_decided_from_what_torch_sees',
                                   f'{INSTALL}::test_matching_stamp_installs_nothing']),
    (r'^bash tools/install\.sh --dry-run$', [
        f'{INSTALL}::test_no_gpu_gives_cpu_ops_with_the_gpu_hidden',
        f'{INSTALL}::test_gpu_and_matching_nvcc_give_cuda_ops_for_the_visible_archs']),
    (r'^MLS_MM_USE_EXISTING_STACK=1 bash tools/install\.sh$',
     [f'{INSTALL}::test_existing_stack_mode_installs_nothing_and_checks_the_ranges']),
    (r'^(python )?tools/check_stack\.py --existing-stack$',
     [f'{STACK}/test_check_stack_modes.py::test_existing_stack_mode_checks_the_declared_ranges']),
    (r"^pip install -e '\.\[det,seg,tests\]'$", [f'{THIS}::test_declared_extras_resolve']),
    (r'^python -m pytest -q tests$', [f'{THIS}::test_make_targets_run_the_documented_tools']),
    (r'^tools/(dist_train|dist_test)\.sh$', [
        f'{STACK}/test_cpu_dist_optin.py::test_torchrun_without_opt_in_fails_with_the_fix',
        f'{STACK}/test_cpu_dist_optin.py::test_torchrun_with_opt_in_trains_in_a_gloo_process']),
    # the user tools (docs/tools.md, its blocks run in order)
    (r'^mkdir -p work_dirs/tools$', [TENSORBOARD_RUN]),
    (r'^\.venv/bin/python -m pip install tensorboard$', [TENSORBOARD_RUN]),
    (r"^printf .*tensorboard\.py.*tensorboard_visualizer.* > work_dirs/tools/mocov2_tb\.py$",
     [TENSORBOARD_RUN]),
    (r'^\.venv/bin/python tools/train\.py work_dirs/tools/mocov2_tb\.py ', [TENSORBOARD_RUN]),
    (r'^\.venv/bin/python tools/train\.py configs/benchmarks/classification/scenes/'
     r'resnet18_linear-probe\S+ --work-dir \S+ --cfg-options '
     r'model\.backbone\.init_cfg\.checkpoint=\S+', [PROBE_RUN]),
    (r'^\.venv/bin/python tools/train\.py configs/benchmarks/classification/scenes/'
     r'resnet18_linear-probe\S+ --work-dir work_dirs/supervised_ref --cfg-options '
     r'model\.backbone\.init_cfg=None model\.backbone\.frozen_stages=-1 ',
     [f'{THIS}::test_supervised_reference_trains_the_whole_backbone']),
    (r'^\.venv/bin/python tools/test\.py configs/benchmarks/classification/scenes/'
     r'resnet18_linear-probe\S+ \S+ --work-dir \S+ --out \S+', [
         PROBE_RUN,
         f'{USER_TOOLS}/test_test_tool.py::test_out_pkl_writes_the_predictions_of_the_checkpoint']),
    (r'(^| )tools/analysis_tools/extract_features\.py', [
        f'{USER_TOOLS}/test_extract_features.py::test_npy_features_equal_the_backbone_by_hand',
        f'{USER_TOOLS}/test_extract_features.py::'
        'test_dataset_source_gives_the_features_of_its_images']),
    (r'(^| )tools/visualizations/browse_views\.py', [
        f'{USER_TOOLS}/test_browse_views.py::test_grid_is_images_by_views_and_shows_the_views']),
    (r'(^| )tools/misc/print_config\.py', [
        f'{USER_TOOLS}/test_print_config.py::test_printed_text_reparses_to_the_same_config']),
    # a non-editable install and mim (docs/install_mim.md)
    (r'^python -m pip (install \.|wheel \. --no-deps --no-build-isolation -w dist/)$',
     [f'{MIM}::test_wheels_hold_configs_tools_and_model_index',
      f'{MIM}::test_imports_the_installed_copy']),
    (r"^python -m pip install 'openmim==[\d.]+' 'setuptools>=77,<81' 'numpy<2'$",
     [f'{MIM}::test_mim_search_lists_the_model_index']),
    (r'^python -c "from mls_mm\.datasets import generate_scenes; generate_scenes\(',
     [f'{THIS}::test_generate_scenes_cli']),
    (r'^mim search mls_mm$', [f'{MIM}::test_mim_search_lists_the_model_index']),
    (r'^mim (train|test) mls_mm \S+_scenes(-64px)?\.py ', [
        f'{MIM}::test_mim_train_then_probe_train_and_test']),
    # the Tools table
    (r'^tools/train\.py( CONFIG \[--work-dir\].*)?$', [TRAIN_CLI]),
    (r'^tools/dist_train\.sh CONFIG N', [f'{THIS}::test_pretraining_through_dist_train_sh']),
    (r'^tools/slurm_train\.sh PARTITION JOB CONFIG \[WORK_DIR\]',
     [f'{SLURM}::test_slurm_train_arguments', f'{SLURM}::test_slurm_train_runs_training']),
    (r'^tools/benchmarks/(?P<tool>knn_monitor_cost|mls_vs_mocov2_step_time|'
     r'bam_pipeline_throughput)\.py$', [f'{THIS}::test_benchmark_tools_run[{{tool}}]']),
    (r'^\.venv/bin/python tools/analysis_tools/collect_results\.py --spec '
     r'tools/analysis_tools/specs/mls_table5\.py ',
     ['tests/test_tools/test_table5_spec.py::test_table5_spec_reads_the_launcher_work_dirs']),
    (r'^(\.venv/bin/python )?tools/analysis_tools/collect_results\.py', [
        'tests/test_tools/test_collect_results.py::test_update_method_folders_cli',
        'tests/test_tools/test_collect_results.py::test_default_spec_on_an_empty_root',
        'tests/test_tools/test_collect_results.py::test_readme_markers_idempotent']),
    (r'^tools/analysis_tools/plot_curves\.py', ['tests/test_tools/test_plots.py::test_plot_curves']),
    (r'^tools/analysis_tools/mls_neighbours\.py',
     ['tests/test_tools/test_plots.py::test_mls_neighbour_grid']),
]


def covering(command):
    """(index of the first COVERAGE entry matching ``command``, its node ids) or None."""
    for index, (pattern, node_ids) in enumerate(COVERAGE):
        match = re.search(pattern, command.text)
        if match:
            return index, [n.format(**match.groupdict()) for n in node_ids]
    return None


@pytest.fixture(scope='module')
def commands():
    found = collect(REPO)
    assert len(found) > 50, f'only {len(found)} commands found in the READMEs: collector broken?'
    return found


def test_every_documented_command_is_run_or_mapped(commands):
    missing = [c for c in commands if covering(c) is None]
    assert not missing, ('documented commands that no test runs (add a test, or an entry to '
                         'COVERAGE in ' + THIS + ' naming the test that runs that code path):\n'
                         + '\n'.join(f'  {c.where()}: {c.text}' for c in missing))


def test_every_coverage_entry_is_used(commands):
    used = {covering(c)[0] for c in commands if covering(c) is not None}
    unused = [COVERAGE[i][0] for i in range(len(COVERAGE)) if i not in used]
    assert not unused, f'COVERAGE entries that match no documented command: {unused}'


def test_every_mapped_test_exists(commands):
    wanted = sorted({n for c in commands for n in covering(c)[1]})
    files = sorted({n.split('::')[0] for n in wanted})
    for path in files:
        assert osp.isfile(osp.join(REPO, path)), f'mapped test file {path} does not exist'
    out = subprocess.run([sys.executable, '-m', 'pytest', '--collect-only', '-q',
                          '-p', 'no:cacheprovider', *files], cwd=REPO, capture_output=True,
                         text=True, timeout=600)
    collected = {line.strip() for line in out.stdout.splitlines() if '::' in line}
    assert collected, out.stdout[-3000:] + out.stderr[-3000:]
    absent = [n for n in wanted if n not in collected and
              not ('[' not in n and any(c.startswith(n + '[') for c in collected))]
    assert not absent, f'mapped tests that pytest does not collect: {absent}'


def test_collector_reads_blocks_continuations_comments_and_spans(tmp_path):
    (tmp_path / 'configs' / 'x').mkdir(parents=True)
    (tmp_path / 'README.md').write_text(
        'Run `make demo` or `tools/check_stack.py`, not `pip list`; `tools/test.py CONFIG\n'
        'CKPT` wraps.\n\n```shell\nbash a.sh \\\n    --x 1   # note\n# only a comment\n\n'
        'GPUS=2 bash b.sh\n```\n\n```python\nimport os\n```\n')
    (tmp_path / 'configs' / 'x' / 'README.md').write_text('```bash\necho "a # b"\n```\n')
    got = [(c.path, c.line, c.kind, c.text) for c in collect(str(tmp_path))]
    assert got == [
        ('README.md', 1, 'inline', 'make demo'),
        ('README.md', 1, 'inline', 'tools/check_stack.py'),
        ('README.md', 1, 'inline', 'tools/test.py CONFIG CKPT'),
        ('README.md', 5, 'fenced', 'bash a.sh --x 1'),
        ('README.md', 9, 'fenced', 'GPUS=2 bash b.sh'),
        (osp.join('configs', 'x', 'README.md'), 2, 'fenced', 'echo "a # b"'),
    ]


#: Commands that install third-party builds from indexes this machine cannot reach (OpenMMLab's
#: and PyTorch's CUDA wheel indexes); the docs mark them "not tried here". Nothing else may be
#: listed: every command of ours is run or mapped above.
EXTERNAL = [
    (r'^pip install torch==\S+ torchvision==\S+ --index-url https://download\.pytorch\.org/',
     "PyTorch's CUDA wheel index"),
    (r'^pip install mmcv==\S+ -f https://download\.openmmlab\.com/', "OpenMMLab's mmcv index"),
]
COVERAGE += [(pattern, []) for pattern, _ in EXTERNAL]


# --- the commands this file runs ---------------------------------------------------------

def test_cpu_launches_ask_for_cpu_processes(commands):
    """A documented launch of a scenes twin (1 process, meant for the CPU) carries the opt-in
    without which a machine with no GPU refuses multi-process training: the tests set it for
    every launcher call, so without this check a command that fails for users would pass."""
    launches = [c for c in commands if re.search(r'(^|\s)bash tools/\S*dist_(train|test)\.sh',
                                                  c.text) and '_scenes' in c.text]
    assert launches
    bare = [c.where() for c in launches if 'MLS_MM_ALLOW_CPU_DIST=1' not in c.text]
    assert not bare, f'CPU launches without MLS_MM_ALLOW_CPU_DIST=1: {bare}'


def test_declared_extras_resolve():
    """`pip install -e '.[det,seg,tests]'` into the pinned stack: pyproject's ranges and extras
    are met by what is installed (no index is asked: --no-index), so pip would add only
    mls_mm itself."""
    out = run([sys.executable, '-m', 'pip', 'install', '--dry-run', '--no-index',
               '--no-build-isolation', '-e', '.[det,seg,tests]'])
    assert re.search(r'^Would install mls_mm-[\d.]+$', out.stdout, re.M), out.stdout[-2000:]


def test_make_targets_run_the_documented_tools():
    """`make install` / `make scenes` / `make demo` / `make test`: install.sh first, then
    nothing / the data / the main job / the test suite (make -n prints the recipes without running them)."""
    for target, rest in (('install', []),
                         ('scenes', ['.venv/bin/python tools/generate_scenes.py --out data/scenes']),
                         ('demo', ['.venv/bin/python tools/run_main.py --data data/scenes '
                                   '--root work_dirs/main']),
                         ('test', ['.venv/bin/python -m pytest -q tests',
                                   'bash tools/test_old_torch.sh'])):
        out = subprocess.run(['make', '--no-print-directory', '-n', target], cwd=REPO,
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        lines = [line.strip() for line in out.stdout.splitlines() if line.strip()]
        assert lines == ['bash tools/install.sh'] + rest, (target, lines)
    # the demo's job, as `tools/run_main.py --dry-run` prints it: every stage and method
    out = run([sys.executable, 'tools/run_main.py', '--dry-run', '--data', 'data/scenes',
               '--root', 'work_dirs/main']).stdout
    for stage in ('data', 'pretrain', 'probe', 'transfer', 'tables', 'pictures'):
        assert re.search(rf'^\[\d+/\d+\] {stage}: ', out, re.M), (stage, out[-3000:])
    for tool in ('tools/generate_scenes.py --out data/scenes', 'tools/train.py',
                 'tools/model_converters/extract_backbone.py',
                 'tools/analysis_tools/collect_results.py', 'tools/analysis_tools/plot_curves.py',
                 'tools/analysis_tools/mls_neighbours.py'):
        assert tool in out, tool


def test_generate_scenes_cli(tmp_path):
    """`tools/generate_scenes.py --out DIR`: COCO layout plus the semantic maps; a second run
    with the same arguments leaves the folder alone."""
    out = str(tmp_path / 'scenes')
    cmd = [sys.executable, 'tools/generate_scenes.py', '--out', out, '--num-train', '6',
           '--num-val', '3', '--image-size', '32']
    run(cmd)
    for split, n in (('train', 6), ('val', 3)):
        assert len(glob.glob(f'{out}/{split}2017/*.jpg')) == n
        with open(f'{out}/annotations/instances_{split}2017.json') as f:
            assert len(json.load(f)['images']) == n
        assert len(glob.glob(f'{out}/annotations/semantic_{split}2017/*.png')) == n
    before = {p: os.stat(p).st_mtime_ns for p in glob.glob(f'{out}/**/*', recursive=True)}
    run(cmd)
    assert {p: os.stat(p).st_mtime_ns for p in glob.glob(f'{out}/**/*', recursive=True)} \
        == before


def test_pretraining_through_dist_train_sh(pretrain_work_dir):
    """`bash tools/dist_train.sh CONFIG 1` (torchrun, gloo on a CPU) trains the MoCo v2 scenes
    twin: a checkpoint at the last iteration, last_checkpoint, the loss and knn/mAP logged."""
    work_dir, log = pretrain_work_dir
    ckpt = open(osp.join(work_dir, 'last_checkpoint')).read().strip()
    assert ckpt == osp.join(work_dir, 'epoch_1.pth')
    state = torch.load(ckpt, map_location='cpu', weights_only=True)
    assert state['meta']['iter'] == 2  # 64 fixture images, batch 32
    assert 'Distributed launcher: pytorch' in log and 'Distributed training: True' in log
    assert re.search(r'Epoch\(train\).*loss: [\d.]+', log), log[-3000:]
    assert re.search(r'knn/mAP: [\d.]+', log), log[-3000:]


def test_simsiam_scenes_twin_through_train_py(scenes_root, tmp_path):
    """`.venv/bin/python tools/train.py configs/simsiam/..._scenes.py` for one epoch."""
    config = 'configs/simsiam/simsiam_resnet18_1xb32-coslr-10e_scenes.py'
    work_dir = tmp_path / 'simsiam'
    result = run([sys.executable, 'tools/train.py', config, '--work-dir', str(work_dir),
                  '--cfg-options', f'train_dataloader.dataset.data_root={scenes_root}',
                  'train_cfg.max_epochs=1', 'train_dataloader.num_workers=0',
                  'train_dataloader.persistent_workers=False', 'custom_hooks=[]',
                  'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1'])
    assert (work_dir / 'epoch_1.pth').is_file()
    losses = [float(v) for v in re.findall(r'Epoch\(train\).*?\bloss: (-?[\d.]+)', result.log)]
    # two iterations (64 fixture images, batch 32); the loss is a mean negative cosine
    assert len(losses) == 2 and all(-1.01 <= v <= 1.01 for v in losses), losses


def _metrics(log, prefix):
    """{metric: value} of the last ``prefix`` line (e.g. 'Epoch(val)', 'Epoch(test)')."""
    lines = [line for line in log.splitlines() if prefix in line and 'multi-label/mAP' in line]
    assert lines, f'no {prefix} metrics line in the log'
    return {k: float(v) for k, v in re.findall(r'(multi-label/[\w-]+): (-?[\d.]+)', lines[-1])}


def test_probe_from_a_pretraining_run_then_test_py_and_dist_test_sh(pretrain_work_dir,
                                                                     scenes_root, tmp_path):
    """`tools/train.py PROBE --cfg-options model.backbone.init_cfg.checkpoint=<pretraining
    .pth>`, then `tools/test.py CONFIG CKPT` and `bash tools/dist_test.sh CONFIG CKPT 1` on the
    probe's checkpoint give the training run's numbers again."""
    pretrain, _ = pretrain_work_dir
    ckpt = osp.join(pretrain, 'epoch_1.pth')
    data = [f'train_dataloader.dataset.data_root={scenes_root}',
            f'val_dataloader.dataset.data_root={scenes_root}',
            f'test_dataloader.dataset.data_root={scenes_root}']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        data += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    work_dir = tmp_path / 'probe'
    trained = run([sys.executable, 'tools/train.py', PROBE, '--work-dir', str(work_dir),
                   '--cfg-options', f'model.backbone.init_cfg.checkpoint={ckpt}', *data,
                   'train_dataloader.batch_size=32', 'train_cfg.max_epochs=1',
                   'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1'])
    assert f'CheckedPretrained: loaded 120 keys under \'backbone.\' of {ckpt}' in trained.log
    probe_ckpt = str(work_dir / 'epoch_1.pth')
    assert osp.isfile(probe_ckpt)
    val = _metrics(trained.log, 'Epoch(val)')
    assert set(val) >= {'multi-label/mAP', 'multi-label/precision', 'multi-label/f1-score'}

    tested = run([sys.executable, 'tools/test.py', PROBE, probe_ckpt, '--work-dir',
                  str(tmp_path / 'test'), '--out', str(tmp_path / 'metrics.pkl'),
                  '--cfg-options', *data])
    assert _metrics(tested.log, 'Epoch(test)') == val
    assert osp.isfile(tmp_path / 'metrics.pkl')
    dist = run(['bash', 'tools/dist_test.sh', PROBE, probe_ckpt, '1', '--work-dir',
                str(tmp_path / 'dist_test'), '--cfg-options', *data])
    assert 'Distributed launcher: pytorch' in dist.log
    assert _metrics(dist.log, 'Epoch(test)') == val


def _documented_options(text):
    """tools/train.py's parse of a documented command's `--cfg-options k=v ...`."""
    parser = ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    words = shlex.split(text)
    return parser.parse_args(words[words.index('--cfg-options'):]).cfg_options


def test_random_init_commands_start(commands):
    """The documented `tools/train.py SCENES_CONFIG --cfg-options model.backbone.init_cfg=None`
    commands build their model and initialise it without a checkpoint; without the option the
    same config refuses to (checkpoint='')."""
    from mmengine.registry import MODELS, DefaultScope
    from mmengine.utils import import_modules_from_strings

    from mls_mm.utils import load_config
    documented = [c for c in commands if re.search(
        r'tools/train\.py (\S+/scenes/\S+\.py) --cfg-options model\.backbone\.init_cfg=None$',
        c.text)]
    configs = {re.search(r'tools/train\.py (\S+)', c.text).group(1): c for c in documented}
    assert len(configs) == 3, sorted(configs)  # probe, detection twin, segmentation twin
    for config, command in configs.items():
        options = _documented_options(command.text)
        assert options == {'model.backbone.init_cfg': None}, (command.where(), options)
        for opts, ok in ((options, True), ({}, False)):
            cfg = load_config(osp.join(REPO, config), cfg_options=opts)
            if cfg.get('custom_imports'):
                import_modules_from_strings(**cfg.custom_imports)
            with DefaultScope.overwrite_default_scope(cfg.default_scope):
                model = MODELS.build(cfg.model)
                if ok:
                    model.init_weights()
                else:
                    with pytest.raises(ValueError, match="init_cfg.checkpoint is ''"):
                        model.init_weights()


def test_supervised_reference_trains_the_whole_backbone(commands, scenes_root, tmp_path):
    """docs/scenes_benchmark.md's supervised reference (the probe config with `frozen_stages=-1
    norm_eval=False` from random weights) trains every backbone parameter and its BatchNorm
    statistics, where the probe as configured trains neither; run for one epoch through
    tools/train.py with the documented options, its checkpoint's BN statistics have moved."""
    from mmengine.registry import MODELS, DefaultScope

    from mls_mm.utils import load_config
    documented = [c for c in commands if re.search(
        r'tools/train\.py \S+linear-probe\S+ --work-dir work_dirs/supervised_ref ', c.text)]
    assert len(documented) == 1, [c.text for c in documented]
    options = _documented_options(documented[0].text)
    assert options['model.backbone.init_cfg'] is None
    trainable = {}
    for name, opts in (('reference', options), ('probe', {'model.backbone.init_cfg': None})):
        cfg = load_config(osp.join(REPO, PROBE), cfg_options=opts)
        with DefaultScope.overwrite_default_scope(cfg.default_scope):
            model = MODELS.build(cfg.model)
        model.init_weights()
        model.train()
        params = list(model.backbone.parameters())
        trainable[name] = (sum(p.requires_grad for p in params) / len(params),
                           model.backbone.bn1.training)
    assert trainable == {'reference': (1.0, True), 'probe': (0.0, False)}, trainable

    data = [f'train_dataloader.dataset.data_root={scenes_root}',
            f'val_dataloader.dataset.data_root={scenes_root}',
            'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
            'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False']
    args = [f'{k}={v}' for k, v in options.items() if k != 'model.backbone.init_cfg']
    run([sys.executable, 'tools/train.py', PROBE, '--work-dir', str(tmp_path),
         '--cfg-options', 'model.backbone.init_cfg=None', *args, *data,
         'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
         'default_hooks.checkpoint.interval=1'])
    state = torch.load(tmp_path / 'epoch_1.pth', map_location='cpu',
                       weights_only=False)['state_dict']
    assert state['backbone.bn1.running_mean'].abs().max() > 1e-3  # init: zeros
    assert (state['backbone.bn1.running_var'] - 1).abs().max() > 1e-3  # init: ones


@pytest.mark.parametrize('tool', ['knn_monitor_cost', 'mls_vs_mocov2_step_time',
                                  'bam_pipeline_throughput'])
def test_benchmark_tools_run(tool, scenes_root, tmp_path):
    """The benchmark tools the README quotes numbers from run (tiny sizes) and print them."""
    data = [f'train_dataloader.dataset.data_root={scenes_root}', 'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False']
    args, expected = {
        'knn_monitor_cost': (['--epochs', '1', '--total-epochs', '2', '--work-dir',
                              str(tmp_path), '--cfg-options', *data, 'custom_hooks=[]'],
                             r'monitor per call: [\d.]+ s'),
        'mls_vs_mocov2_step_time': (['--batch', '4', '--size', '32', '--dict-size', '32',
                                     '--steps', '2', '--warmup', '1', '--threads', '1',
                                     '--device', 'cpu'],
                                    r'step-time ratio MLS / MoCo v2: [\d.]+'),
        'bam_pipeline_throughput': (['--data-root', scenes_root, '--images', '4',
                                     '--repeats', '1'], r'ratio BAM / SimSiam: [\d.]+'),
    }[tool]
    result = run([sys.executable, f'tools/benchmarks/{tool}.py', *args],
                 env=launcher_env(OMP_NUM_THREADS=1))
    assert re.search(expected, result.log), result.log[-3000:]


def test_cityscapes_converter_is_where_the_readme_says():
    """The mmseg Cityscapes converter the README runs is at that path of this .venv (its own
    dependency, cityscapesscripts, is not part of the stack, so it is not run here)."""
    command = next(c for c in collect(REPO) if 'dataset_converters/cityscapes.py' in c.text)
    words = command.text.split()
    assert words[0] == '.venv/bin/python'
    script = osp.join(REPO, words[1])
    expected = osp.join(REPO, '.venv', 'lib', f'python{sys.version_info.major}.'
                        f'{sys.version_info.minor}', 'site-packages', 'mmseg', '.mim', 'tools',
                        'dataset_converters', 'cityscapes.py')
    assert script == expected, f'{command.where()}: the converter is at {expected}'
    assert osp.isfile(script), f'{command.where()}: {script} does not exist'
    with open(script) as f:
        source = f.read()
    assert "'--nproc'" in source and 'cityscapes_path' in source
