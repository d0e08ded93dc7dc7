def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'full_size: runs a real config at its real sizes through '
        'tools/benchmarks/full_size_configs.py (about a minute or more on 2 cores); '
        'skipped unless MLS_MM_FULL_SIZE=1')
