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
    with pytest.raises(RuntimeError, match="boom"), server:
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
    with server, pytest.raises(RuntimeError, match="already running"):
        server.start()


def test_starts_from_any_working_directory(tmp_path, monkeypatch):
    # The server is a child process: it must find this package without the parent's cwd or PYTHONPATH.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    with EchoServer() as address:
        assert echo(2, address) == 2


def _child(code):
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_server_that_never_answers_times_out_without_hanging():
    import time

    from utils.engine.echo import EchoServerError, _read_port

    process = _child("import time; time.sleep(30)")
    try:
        with socket.create_server(("127.0.0.1", 0)) as back:
            start = time.perf_counter()
            with pytest.raises(EchoServerError, match=r"did not start within 0\.3 s"):
                _read_port(back, process, 0.3)
            assert time.perf_counter() - start < 5
    finally:
        process.kill()
        process.communicate(timeout=10)


def test_a_server_that_fails_says_why_at_once():
    import time

    from utils.engine.echo import EchoServerError, _read_port

    process = _child("import sys; sys.exit('no port for you')")
    try:
        with socket.create_server(("127.0.0.1", 0)) as back:
            start = time.perf_counter()
            with pytest.raises(EchoServerError, match="no port for you"):
                _read_port(back, process, 60)
            assert time.perf_counter() - start < 30  # it exited: no need to wait the whole minute
    finally:
        process.communicate(timeout=10)


def test_the_command_line_server_prints_its_port():
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "utils.engine.echo"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(process.stdout.readline())
        assert echo(2, ("127.0.0.1", port)) == 2
    finally:
        process.stdin.close()  # EOF on stdin stops it
        assert process.wait(timeout=10) == 0
        process.stdout.close()
