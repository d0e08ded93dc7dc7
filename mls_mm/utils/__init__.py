from .launch import check_queue_config, init_distributed, load_config, replace_sync_bn

__all__ = ['check_queue_config', 'init_distributed', 'load_config', 'replace_sync_bn']
