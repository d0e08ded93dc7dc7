# mmpretrain's runtime (hooks, logger, visualizer, default_scope='mmpretrain') plus the plugin.
_base_ = 'mmpretrain::_base_/default_runtime.py'

custom_imports = dict(imports=['mls_mm'], allow_failed_imports=False)
