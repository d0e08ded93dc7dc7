"""Running a test worker in several gloo processes on the CPU."""
import os
import socket
import sys
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


OLD_TORCH = tuple(int(v) for v in torch.__version__.split('+')[0].split('.')[:2]) < (2, 2)


def _init_then_run(rank, world, port, worker, args):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    # a rank left waiting for a peer that died fails after 5 minutes instead of gloo's 30
    dist.init_process_group('gloo', rank=rank, world_size=world, timeout=timedelta(minutes=5))
    worker(rank, world, *args)  # a failure ends this process: mp.spawn then stops the others
    dist.barrier()  # every rank reaches the teardown before any tears down
    if OLD_TORCH:
        # on torch 2.1 a gloo rank can hang in destroy_process_group, or in the process
        # group's destructor at exit, once its peer has gone (seen in make test, now and then;
        # pytorch/pytorch#75097): a rank whose work succeeded leaves without either
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    dist.destroy_process_group()


def run_in_processes(worker, world: int, *args) -> None:
    """Call ``worker(rank, world, *args)`` in ``world`` processes joined by gloo."""
    mp.spawn(_init_then_run, args=(world, _free_port(), worker, args), nprocs=world, join=True)


def in_float64(model):
    """``model`` in float64, its data preprocessor's float32 output cast to float64.

    For comparing a multi-process run with a one-process run: in float32 their summation
    orders differ by a few 1e-7 per step, which a few SGD steps grew to 2e-5 on one CI
    machine's CPU, and a top-k pick among near-equal similarities could flip; in float64
    neither can hide or fake a real difference (a gradient not averaged, a queue filled from
    one rank only)."""
    model.double()
    preprocess = model.data_preprocessor.forward

    def forward(data, training=False):
        data = preprocess(data, training)
        data['inputs'] = [view.double() for view in data['inputs']]
        return data

    model.data_preprocessor.forward = forward
    return model
