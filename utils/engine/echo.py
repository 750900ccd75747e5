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
import subprocess
import sys
from types import TracebackType

HOST = "127.0.0.1"


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
        self._process = subprocess.Popen(
            [sys.executable, "-m", "utils.engine.echo", "--delay", repr(self.delay)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            port = _read_port(self._process, self.start_timeout)
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


def _read_port(process: subprocess.Popen[str], timeout: float) -> int:
    import selectors

    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise EchoServerError(f"the echo server did not start within {timeout:g} s")
    line = process.stdout.readline().strip()
    if not line.isdigit():
        error = process.stderr.read() if process.poll() is not None and process.stderr else ""
        raise EchoServerError(f"the echo server failed to start: {line or error.strip() or 'no output'}")
    return int(line)


async def _serve(delay: float) -> None:
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
    print(server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    # Serve until the parent closes our stdin (or dies, which closes it too).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Echo server on 127.0.0.1 (prints its port, stops at EOF on stdin)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before each reply")
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.delay))


if __name__ == "__main__":
    main()
