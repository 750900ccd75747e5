import socket

import pytest

from utils.engine.echo import EchoServer
from utils.engine.workloads import echo


def test_round_trips_and_always_stops():
    server = EchoServer()
    with server as address:
        assert address[0] == "127.0.0.1" and server.running
        assert echo(5, address) == 5
    assert not server.running
    with pytest.raises(OSError):
        socket.create_connection(address, timeout=1).close()


def test_stops_even_when_the_block_raises():
    server = EchoServer()
    with pytest.raises(RuntimeError, match="boom"):
        with server:
            raise RuntimeError("boom")
    assert not server.running


def test_delay_slows_each_round_trip():
    import time

    with EchoServer(delay=0.01) as address:
        start = time.perf_counter()
        echo(5, address)
        assert time.perf_counter() - start >= 0.05


@pytest.mark.parametrize("delay, error", [(-1, ValueError), (5, ValueError), ("1", TypeError)])
def test_bad_delay(delay, error):
    with pytest.raises(error, match="delay"):
        EchoServer(delay=delay)


def test_cannot_start_twice():
    server = EchoServer()
    with server:
        with pytest.raises(RuntimeError, match="already running"):
            server.start()
