"""What ``tools/train.py`` and ``tools/test.py`` do to a config before the Runner sees it."""
import os
import os.path as osp
import subprocess

import torch
from mmengine.config import Config
from mmengine.dist import init_dist
from mmengine.logging import print_log


def load_config(path: str, work_dir=None, cfg_options=None, launcher: str = 'none') -> Config:
    """Read a config, apply ``--cfg-options``, set the launcher and the work_dir.

    ``work_dir`` priority: CLI > the config's own > ``./work_dirs/<config name>``, as in
    mmpretrain. A missing config file is a ``FileNotFoundError`` naming it.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(path))[0])
    if launcher != 'none' and not torch.cuda.is_available():
        dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
        check_cpu_dist_allowed(launcher, dist_cfg)
        if dist_cfg.get('backend', 'nccl') == 'nccl':
            print_log('no CUDA device: using the gloo backend instead of nccl', logger='current')
            dist_cfg['backend'] = 'gloo'
        # mmengine's default wrapper pins DDP to device LOCAL_RANK, a CUDA device
        wrapper = cfg.get('model_wrapper_cfg') or dict(
            type='MMDistributedDataParallel', broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
        wrapper.setdefault('device_ids', None)
        cfg.model_wrapper_cfg = wrapper
        replaced = replace_sync_bn(cfg.get('model', {}))
        if replaced:
            print_log(f'no CUDA device: SyncBN runs only on CUDA, so {len(replaced)} norm '
                      f'layers ({", ".join(replaced[:4])}{", ..." if len(replaced) > 4 else ""}) '
                      'use per-process BN in this CPU run', logger='current', level=30)
    return cfg


#: set to 1 to run a multi-process launch on the CPU (gloo) when torch sees no GPU
ALLOW_CPU_DIST_ENV = 'MLS_MM_ALLOW_CPU_DIST'


def check_cpu_dist_allowed(launcher: str, dist_cfg: dict) -> None:
    """Stop a multi-process launch that finds no GPU unless CPU processes were asked for.

    Without this, a ``torchrun`` / srun launch on a box where torch sees no GPU (a CPU-only
    torch, a driver mismatch, ``CUDA_VISIBLE_DEVICES`` empty) would silently train in gloo CPU
    processes. CPU training is asked for with ``MLS_MM_ALLOW_CPU_DIST=1`` or with
    ``--cfg-options env_cfg.dist_cfg.backend=gloo``.
    """
    if os.environ.get(ALLOW_CPU_DIST_ENV) == '1' or dist_cfg.get('backend') == 'gloo':
        return
    raise RuntimeError(
        f'--launcher {launcher}: torch {torch.__version__} sees no CUDA device '
        f'(torch.version.cuda={torch.version.cuda}, '
        f'CUDA_VISIBLE_DEVICES={os.environ.get("CUDA_VISIBLE_DEVICES", "<unset>")!r}), so '
        'this multi-process run would train on the CPU. Fix the GPU set-up (a torch build '
        'for your driver: see docs/compatibility.md), or ask for CPU processes explicitly: '
        f'{ALLOW_CPU_DIST_ENV}=1 or --cfg-options env_cfg.dist_cfg.backend=gloo')


def replace_sync_bn(node, key: str = 'model') -> list:
    """Turn every ``norm_cfg`` of type SyncBN under ``node`` into BN, in place.

    torch's SyncBatchNorm refuses CPU tensors, and mmengine reverts SyncBN to BN only in
    non-distributed runs; a multi-process CPU (gloo) run needs the same. Returns the config
    keys it changed. Kept by hand: ``mmengine.model.revert_sync_batchnorm`` converts a built
    module, but the Runner builds and DDP-wraps the model in one step, so the config is edited.
    """
    changed = []
    if isinstance(node, dict):
        for child_key, child in node.items():
            if (child_key == 'norm_cfg' and isinstance(child, dict)
                    and child.get('type') == 'SyncBN'):
                child['type'] = 'BN'
                changed.append(f'{key}.norm_cfg')
            else:
                changed += replace_sync_bn(child, f'{key}.{child_key}')
    elif isinstance(node, (list, tuple)):
        for index, child in enumerate(node):
            changed += replace_sync_bn(child, f'{key}.{index}')
    return changed


def init_distributed(launcher: str, cfg: Config) -> None:
    """Join the process group of a ``--launcher`` run before the Runner is built.

    mmengine's ``init_dist('pytorch')`` and ``init_dist('slurm')`` call
    ``torch.cuda.set_device``, which fails on a CPU-only machine; there the group is joined
    with ``torch.distributed`` directly (gloo): rank and world size from torchrun's
    environment, or, under srun, from SLURM's as mmengine's ``_init_dist_slurm`` reads it.
    """
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg', {}))
    if launcher == 'pytorch' and not torch.cuda.is_available():
        torch.distributed.init_process_group(**dist_cfg)
    elif launcher == 'slurm' and not torch.cuda.is_available():
        slurm_env_to_torch(dist_cfg.pop('port', None))
        torch.distributed.init_process_group(**dist_cfg)
    else:
        init_dist(launcher, **dist_cfg)


def slurm_env_to_torch(port=None) -> None:
    """Set ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT`` from srun's
    ``SLURM_PROCID``, ``SLURM_NTASKS``, ``SLURM_LOCALID`` and ``SLURM_NODELIST``, as mmengine's
    ``_init_dist_slurm`` does (the master is the first host of ``scontrol show hostname``;
    ``MASTER_ADDR`` / ``MASTER_PORT`` already set win), without touching CUDA."""
    missing = [k for k in ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST')
               if k not in os.environ]
    if missing:
        raise RuntimeError(f'--launcher slurm: {", ".join(missing)} not set (run it under srun, '
                           'e.g. through tools/slurm_train.sh)')
    proc_id = int(os.environ['SLURM_PROCID'])
    if 'MASTER_ADDR' not in os.environ:
        node_list = os.environ['SLURM_NODELIST']
        addr = subprocess.getoutput(f'scontrol show hostname {node_list} | head -n1').strip()
        if not addr or ' ' in addr:
            raise RuntimeError(f'--launcher slurm: `scontrol show hostname {node_list}` gave '
                               f'no host name ({addr!r}); set MASTER_ADDR')
        os.environ['MASTER_ADDR'] = addr
    if port is not None:
        os.environ['MASTER_PORT'] = str(port)
    os.environ.setdefault('MASTER_PORT', '29500')
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', str(proc_id))
    os.environ['RANK'] = str(proc_id)


def global_batch_size(cfg: Config, world_size: int) -> int:
    return cfg.train_dataloader.batch_size * world_size


def check_queue_config(cfg: Config, world_size: int) -> None:
    """Fail before training when a queue length cannot hold whole global batches.

    MoCo-style queues enqueue one gathered batch per step; a length that the global batch does
    not divide would fail (or misalign) mid-run. Checks ``model.queue_len`` (mmpretrain MoCo)
    and ``model.dict_size`` (MLS) when present.
    """
    batch = global_batch_size(cfg, world_size)
    for key in ('queue_len', 'dict_size'):
        length = cfg.model.get(key)
        if length is None:
            continue
        if length < batch or length % batch:
            raise ValueError(f'model.{key}={length} must be a positive multiple of the global '
                             f'batch size {batch} (train_dataloader.batch_size='
                             f'{cfg.train_dataloader.batch_size} x {world_size} processes)')
