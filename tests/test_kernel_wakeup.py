"""The Jupyter client's reply wait polls in one-second slices (course_lib/kernel_wakeup.py)."""

import asyncio
import time
from queue import Empty

import pytest

from course_lib import kernel_wakeup


class FakeSocket:
    """A socket whose wake-up is missed ``missed`` times: poll returns 0 until then, 1 after."""

    def __init__(self, missed, sleeps=False):
        self.missed, self.sleeps, self.polls = missed, sleeps, []

    async def poll(self, timeout_ms):
        self.polls.append(timeout_ms)
        if len(self.polls) <= self.missed:
            if self.sleeps:  # a real poll waits out its timeout
                await asyncio.sleep(timeout_ms / 1000)
            return 0
        return 1


class FakeChannel:
    def __init__(self, socket):
        self.socket = socket

    async def _recv(self):
        return {"msg_type": "execute_reply"}


def test_a_missed_wake_up_costs_one_slice_not_the_whole_timeout():
    socket = FakeSocket(missed=2)
    msg = asyncio.run(kernel_wakeup._get_msg_in_slices(FakeChannel(socket), timeout=900))
    assert msg == {"msg_type": "execute_reply"}
    assert len(socket.polls) == 3 and all(0 <= t <= 1000 for t in socket.polls), socket.polls


def test_the_overall_timeout_still_raises_empty():
    socket = FakeSocket(missed=10**9, sleeps=True)
    start = time.monotonic()
    with pytest.raises(Empty):
        asyncio.run(kernel_wakeup._get_msg_in_slices(FakeChannel(socket), timeout=0.05))
    assert time.monotonic() - start < 1.0
    assert socket.polls[0] <= 50, socket.polls  # the first poll waits at most the timeout
    assert len(socket.polls) <= 3, socket.polls  # and the loop does not spin once it is spent


def test_no_timeout_waits_in_slices():
    socket = FakeSocket(missed=3)
    asyncio.run(kernel_wakeup._get_msg_in_slices(FakeChannel(socket), timeout=None))
    assert socket.polls == [1000, 1000, 1000, 1000]


def test_install_patches_the_asyncio_channel():
    from jupyter_client.channels import AsyncZMQSocketChannel

    kernel_wakeup.install()
    assert AsyncZMQSocketChannel.get_msg is kernel_wakeup._get_msg_in_slices
