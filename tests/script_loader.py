"""The scripts of ``data_scripts/`` imported as modules, for tests that call their functions."""

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_script(name: str):
    """``data_scripts/NAME.py`` as the module ``NAME`` (registered in sys.modules: dataclasses look their
    module up there); loaded once per process."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "data_scripts" / f"{name}.py")
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]
