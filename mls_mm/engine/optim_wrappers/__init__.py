from .autocast_optim_wrapper import AutocastOptimWrapper, cpu_has_native_bfloat16

__all__ = ['AutocastOptimWrapper', 'cpu_has_native_bfloat16']
