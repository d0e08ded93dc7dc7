from .launch import check_queue_config, load_config

__all__ = ['check_queue_config', 'load_config']
