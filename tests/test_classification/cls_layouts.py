"""Moved to tools/benchmarks/cls_layouts.py (shared with tools/benchmarks/full_size_configs.py);
re-exported here for imports of the old name."""
from tools.benchmarks.cls_layouts import *  # noqa: F401,F403
from tools.benchmarks.cls_layouts import (INDOOR_CLASSES, INDOOR_FOLDERS, PLAN,  # noqa: F401
                                          VOC_CLASSES, WRITERS)
