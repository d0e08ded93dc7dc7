"""Running a test worker in several gloo processes on the CPU."""
import os
import socket

import torch.distributed as dist
import torch.multiprocessing as mp


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _init_then_run(rank, world, port, worker, args):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world)
    try:
        worker(rank, world, *args)
    finally:
        # every rank reaches the teardown before any tears down: on torch 2.1, a gloo rank
        # whose peer already exited can hang in destroy_process_group (seen in make test)
        dist.barrier()
        dist.destroy_process_group()


def run_in_processes(worker, world: int, *args) -> None:
    """Call ``worker(rank, world, *args)`` in ``world`` processes joined by gloo."""
    mp.spawn(_init_then_run, args=(world, _free_port(), worker, args), nprocs=world, join=True)
