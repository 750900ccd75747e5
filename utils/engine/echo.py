"""A local echo server for I/O-bound experiments, run in its own process and always stopped.

    with EchoServer() as address:          # ("127.0.0.1", <free port>)
        workloads.echo(100, address)

The server listens on 127.0.0.1 only, on a free port the system picks. It runs in a child
process (``python -m utils.engine.echo``), so its work does not compete for the experiment's GIL,
and it stops when the ``with`` block ends, when the parent closes its stdin, or when the
parent dies (same signal). An optional ``delay`` (seconds) before each reply stands for a
slow remote service.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

HOST = "127.0.0.1"
#: The folder that holds the ``utils`` package, put on the server's ``PYTHONPATH``.
PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


class EchoServerError(RuntimeError):
    """The echo server could not be started."""


class EchoServer:
    """Context manager that runs an echo server in a child process on 127.0.0.1."""

    def __init__(self, delay: float = 0.0, start_timeout: float = 10.0) -> None:
        if isinstance(delay, bool) or not isinstance(delay, (int, float)):
            raise TypeError(f"delay must be a number of seconds, not {type(delay).__name__}")
        if not 0 <= delay <= 1:
            raise ValueError(f"delay must be between 0 and 1 second, got {delay}")
        if not isinstance(start_timeout, (int, float)) or start_timeout <= 0:
            raise ValueError(f"start_timeout must be a positive number of seconds, got {start_timeout!r}")
        self.delay = float(delay)
        self.start_timeout = float(start_timeout)
        self.address: tuple[str, int] | None = None
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> tuple[str, int]:
        """Start the server; return its address."""
        if self._process is not None:
            raise EchoServerError("this echo server is already running")
        env = dict(os.environ)  # the child must find this package wherever the parent was started
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PARENT, env.get("PYTHONPATH")]))
        # The child reports its port by connecting back to this socket: a socket can wait with a time-out
        # everywhere, a pipe cannot (on Windows, select() takes sockets only).
        with socket.create_server((HOST, 0)) as back:
            command = [
                sys.executable,
                "-m",
                "utils.engine.echo",
                "--delay",
                repr(self.delay),
                "--report-to",
                str(back.getsockname()[1]),
            ]
            self._process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
            )
            try:
                port = _read_port(back, self._process, self.start_timeout)
            except BaseException:
                self.stop()
                raise
        self.address = (HOST, port)
        return self.address

    def stop(self) -> None:
        """Stop the server (idempotent)."""
        process, self._process = self._process, None
        self.address = None
        if process is None:
            return
        try:
            if process.stdin:
                process.stdin.close()
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        finally:
            for stream in (process.stdout, process.stderr):
                if stream:
                    stream.close()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> tuple[str, int]:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _read_port(back: socket.socket, process: subprocess.Popen[str], timeout: float) -> int:
    """The port the server sends when it connects to ``back``; EchoServerError if it dies or is too slow."""
    deadline = time.monotonic() + timeout
    back.settimeout(0.05)
    while True:
        try:
            conn, _ = back.accept()
            break
        except TimeoutError:
            if process.poll() is not None:
                error = process.stderr.read().strip() if process.stderr else ""
                raise EchoServerError(f"the echo server failed to start: {error or 'it exited'}") from None
            if time.monotonic() > deadline:
                raise EchoServerError(f"the echo server did not start within {timeout:g} s") from None
    with conn:
        conn.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            line = conn.makefile("r", encoding="ascii").readline().strip()
        except TimeoutError:
            line = ""
    if not line.isdigit():
        raise EchoServerError(f"the echo server sent no port: {line!r}")
    return int(line)


async def _serve(delay: float, report_to: int | None) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if delay:
                    await asyncio.sleep(delay)
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, HOST, 0, backlog=256)
    port = server.sockets[0].getsockname()[1]
    if report_to is None:
        print(port, flush=True)
    else:
        with socket.create_connection((HOST, report_to), timeout=10) as parent:
            parent.sendall(f"{port}\n".encode("ascii"))
    loop = asyncio.get_running_loop()
    # Serve until the parent closes our stdin (or dies, which closes it too).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Echo server on 127.0.0.1 (prints its port, stops at EOF on stdin)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before each reply")
    parser.add_argument("--report-to", type=int, help="send the port to this port on 127.0.0.1 instead of printing it")
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.delay, args.report_to))


if __name__ == "__main__":
    main()
