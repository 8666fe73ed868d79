"""Progress bars for long transfers and waits, drawn by tqdm when it is installed (`pip install tqdm`; in a
notebook tqdm draws a widget) and not at all otherwise: kamld never requires it.

`progress=None` (the default of kamld.load, kamld.upload and Job.wait) means "when it helps": transfers of at
least AUTO_BYTES, and waits inside a Jupyter kernel. `True` asks for a bar whenever tqdm is there, `False`
never shows one.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol

# Below this many bytes a transfer is quick: no bar unless asked for.
AUTO_BYTES = 8 << 20


class Bar(Protocol):
    """The part of tqdm's interface kamld uses."""

    def update(self, n: float = 1) -> Any: ...
    def set_postfix_str(self, s: str = "", refresh: bool = True) -> Any: ...
    def close(self) -> None: ...


def _tqdm() -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


def byte_bar(total: int, desc: str, progress: bool | None) -> Bar | None:
    """A bar over `total` bytes, or None (no tqdm, not wanted, or a small transfer under progress=None)."""
    if progress is False or (progress is None and total < AUTO_BYTES):
        return None
    tqdm = _tqdm()
    if tqdm is None:
        return None
    bar: Bar = tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, leave=False)
    return bar


def wait_bar(desc: str, progress: bool | None) -> Bar | None:
    """A bar without a total for a wait (elapsed time and a status text), or None."""
    in_kernel = "ipykernel" in sys.modules
    if progress is False or (progress is None and not in_kernel):
        return None
    tqdm = _tqdm()
    if tqdm is None:
        return None
    bar: Bar = tqdm(total=None, desc=desc, bar_format="{desc}: {postfix} [{elapsed}]", leave=False)
    return bar
