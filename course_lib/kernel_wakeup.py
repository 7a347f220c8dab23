"""Keep nbclient from stalling on a kernel reply that has already arrived.

nbclient (under nbgrader's ``autograde``, nbconvert's ``--execute`` and the course's tests) waits for each
cell's reply with one asyncio poll of the shell socket, as long as the cell's whole timeout. ZeroMQ signals
a socket's readiness by edges, so a wake-up can be missed; the poll then sleeps until the timeout, finds the
reply in its last check and goes on as if nothing happened. Here it happened in about one run in five of a
notebook with a live widget (a burst of widget messages on the output channel while the reply arrives):
the notebook stalled for exactly its per-cell timeout (900 s under autograde) and then passed.

:func:`install` makes every asyncio wait of a Jupyter client poll in slices of at most one second, so a
missed wake-up costs a second. It changes nothing else: the same messages, the same overall timeout.
"""

from __future__ import annotations

import math
import time

SLICE_SECONDS = 1.0


async def _get_msg_in_slices(self, timeout: float | None = None):
    """``AsyncZMQSocketChannel.get_msg`` with its poll cut into slices of ``SLICE_SECONDS``."""
    from queue import Empty

    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = SLICE_SECONDS if deadline is None else min(SLICE_SECONDS, deadline - time.monotonic())
        if await self.socket.poll(max(0, math.ceil(left * 1000))):
            return await self._recv()
        if deadline is not None and time.monotonic() >= deadline:
            raise Empty


def install() -> None:
    """Patch ``jupyter_client``'s asyncio channel (idempotent); without jupyter_client, nothing to do."""
    try:
        from jupyter_client.channels import AsyncZMQSocketChannel
    except ImportError:
        return
    AsyncZMQSocketChannel.get_msg = _get_msg_in_slices


def main(argv=None) -> int:
    """``python -m course_lib.kernel_wakeup autograde ps1`` = ``nbgrader autograde ps1``, without the stall."""
    import sys

    install()
    from nbgrader.apps.nbgraderapp import main as nbgrader

    sys.argv = ["nbgrader", *(sys.argv[1:] if argv is None else argv)]
    return nbgrader()


if __name__ == "__main__":
    raise SystemExit(main())
