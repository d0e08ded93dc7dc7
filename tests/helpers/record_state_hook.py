"""Test-only hook: saves the model state the training loop starts from."""
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RecordStateHook(Hook):

    def __init__(self, out_file: str):
        self.out_file = out_file

    def before_train(self, runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        torch.save(dict(iter=runner.iter, state_dict=model.state_dict()), self.out_file)
