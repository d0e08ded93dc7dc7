"""All-gather that lets gradients flow back to every process' own rows.

Kept by hand: ``torch.distributed.nn.functional.all_gather`` computes the same (tried on gloo:
equal gradients) but torch 2.14 deprecates it (FutureWarning) for the private
``torch.distributed._functional_collectives``; this is 30 lines on mmengine's ``all_gather``.
"""
import torch
from mmengine.dist import all_gather, all_reduce, get_rank, get_world_size


class _AllGatherWithGrad(torch.autograd.Function):
    """Forward: concatenate every process' (n, ...) tensor in rank order.
    Backward: sum the gradient over processes, return this process' slice."""

    @staticmethod
    def forward(ctx, x):
        ctx.rank, ctx.rows = get_rank(), x.shape[0]
        return torch.cat(all_gather(x.contiguous()), dim=0)

    @staticmethod
    def backward(ctx, grad):
        grad = grad.contiguous()
        all_reduce(grad, op='sum')
        return grad[ctx.rank * ctx.rows:(ctx.rank + 1) * ctx.rows]


def all_gather_with_grad(x: torch.Tensor) -> torch.Tensor:
    """(n, ...) per process -> (world * n, ...) in rank order; identity in one process.

    Every process must pass the same ``n``. Under DDP (gradients averaged over processes), a
    loss computed on the gathered rows then gets the same gradient as in one process holding
    the whole batch.
    """
    if get_world_size() == 1:
        return x
    sizes = all_gather(torch.tensor([x.shape[0]], device=x.device))
    if len({int(s) for s in sizes}) != 1:
        raise ValueError(f'all_gather_with_grad needs the same number of rows on every '
                         f'process, got {[int(s) for s in sizes]}')
    return _AllGatherWithGrad.apply(x)
