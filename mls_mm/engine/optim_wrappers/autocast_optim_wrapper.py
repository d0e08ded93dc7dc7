"""bfloat16 backbones for training on any device, the CPU included."""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import OPTIM_WRAPPERS


def cpu_has_native_bfloat16() -> bool:
    """Whether oneDNN has bfloat16 kernels for this CPU: AVX-512 (BW, VL, DQ) or newer, run
    natively with AVX512-BF16 or AMX, by conversion on plain AVX-512.

    Without them (AVX2 only) torch emulates bfloat16, slower than float32:
    ``tools/run_main.py --precision bfloat16`` says so.
    """
    check = getattr(torch.ops.mkldnn, '_is_mkldnn_bf16_supported', None)
    return bool(torch.backends.mkldnn.is_available() and check is not None and check())


def _to_float32(output):
    """Floating-point tensors of a backbone's output (a tensor, or tuples and lists of them,
    nested as a ViT's ``[patch, cls]``) in float32; anything else as it is."""
    if isinstance(output, torch.Tensor):
        return output.float() if output.is_floating_point() else output
    if isinstance(output, (tuple, list)):
        return type(output)(_to_float32(o) for o in output)
    return output


class _AutocastForward:
    """Forward hooks that run one module under ``torch.autocast(device, dtype)`` while
    ``enabled`` and hand its tensors on in float32."""

    def __init__(self, dtype: torch.dtype):
        self.dtype = dtype
        self.enabled = False
        self.entered = []  # the autocast contexts of forwards under way (re-entrant)

    def before(self, module, args):
        if self.enabled:
            device = next(module.parameters()).device.type
            context = torch.autocast(device, dtype=self.dtype)
            context.__enter__()
            self.entered.append(context)

    def after(self, module, args, output):
        if not self.entered:
            return None
        self.entered.pop().__exit__(None, None, None)
        return _to_float32(output)

    def leave_all(self):
        """Exit the contexts of forwards that raised (their ``after`` never ran)."""
        while self.entered:
            self.entered.pop().__exit__(None, None, None)


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """An ``OptimWrapper`` whose training forward runs the backbones in bfloat16.

    Every backbone of the model (each mmpretrain ``BaseBackbone`` submodule: the online one and
    a momentum encoder's copy) runs under ``torch.autocast(device, bfloat16)`` on its own
    device, CPU or GPU, inside :meth:`optim_context` only, and hands its feature maps on in
    float32. Necks, heads and losses stay float32 (autocasting them too cost the BAM scenes
    twin 2.5 kNN mAP on one seed). Even so it is not neutral: in 3 seeds of the scenes
    benchmark BAM's probe fell below every float32 seed (1.5 mAP lower on average, a fourfold
    spread), so the main job keeps float32. Parameters, gradients, buffers (MoCo's and MLS's
    dictionaries) and the optimiser state stay float32. mmengine's ``AmpOptimWrapper`` asserts
    a GPU and scales the loss for float16; bfloat16 has float32's exponent range and needs no
    loss scaling. Evaluation (``val``, the kNN monitor) runs outside
    the optim context, in float32.

    Args:
        dtype (str): The autocast dtype. Only ``'bfloat16'``: float16 needs loss scaling, which
            is ``AmpOptimWrapper``'s job.
        channels_last (bool): Move the 4-D parameters of ``optimizer`` (the convolution
            weights) to channels-last memory before the first forward (after the Runner has
            initialised, loaded or resumed them, so that these see the layout they were written
            for), the layout of oneDNN's fastest bfloat16 convolutions. Each ``Parameter``
            keeps its identity, so the optimiser and DDP still update it; values are unchanged,
            only strides change (DDP warns that its gradient buckets keep the old strides).
            Whatever kept a detached alias of such a weight before the first step keeps the
            old storage: an averaged copy inside the model built with ``update_buffers=True``
            (its parameters are the optimiser's too) would stop following, so leave this off
            with one; the momentum encoders of MoCo v2, MLS and BAM, and mmengine's
            ``EMAHook``, which reads the weights afresh, are not affected. Defaults to
            False.
        **kwargs: ``OptimWrapper``'s arguments (``optimizer``, ``accumulative_counts``,
            ``clip_grad``).
    """

    def __init__(self, dtype: str = 'bfloat16', channels_last: bool = False, **kwargs):
        if dtype != 'bfloat16':
            raise ValueError(f'AutocastOptimWrapper: optim_wrapper.dtype must be '
                             f"'bfloat16', got {dtype!r} (float16 needs loss scaling: use "
                             "type='AmpOptimWrapper' on a GPU)")
        super().__init__(**kwargs)
        self.dtype = torch.bfloat16
        self.channels_last = channels_last
        self._hooks = None

    def _attach(self, model: torch.nn.Module) -> None:
        backbones = [m for m in model.modules() if isinstance(m, BaseBackbone)]
        if not backbones:
            raise TypeError(f'AutocastOptimWrapper found no backbone (mmpretrain BaseBackbone) '
                            f'in {type(model).__name__}: it autocasts backbones only')
        if self.channels_last:
            with torch.no_grad():
                for group in self.optimizer.param_groups:
                    for param in group['params']:
                        if param.dim() == 4:
                            param.data = param.data.contiguous(
                                memory_format=torch.channels_last)
        self._hooks = []
        for backbone in backbones:
            hook = _AutocastForward(self.dtype)
            backbone.register_forward_pre_hook(hook.before)
            backbone.register_forward_hook(hook.after)
            self._hooks.append(hook)

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        if self._hooks is None:
            self._attach(model)
        for hook in self._hooks:
            hook.enabled = True
        try:
            with super().optim_context(model):
                yield
        finally:
            for hook in self._hooks:
                hook.enabled = False
                hook.leave_all()
