"""Servers a test starts and stops itself, so it can take them away without touching the
shared ones (never stop, restart or flush the Redis on 6379).

    with RedisServer() as redis_server:          # a redis-server of its own, on a spare port
        settings.REDIS_URL = redis_server.url(3)
        ...
        redis_server.stop()                      # Redis is down: connections are refused
        ...
        redis_server.start()                     # back on the same port, empty

    with SilentServer() as hung:                 # accepts connections and never answers,
        url = hung.url()                         # like a hung or black-holed Redis
        ...
        assert hung.connections() == 1

Both are plain classes (no pytest in here), so fixtures, helpers and scripts can share them.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

import redis

LOCALHOST = "127.0.0.1"


def free_port(host: str = LOCALHOST) -> int:
    """A TCP port nothing listens on right now (the OS picks it; another process could still
    take it before us, which `RedisServer.start` retries once with a new port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A `redis-server` of the test's own: a spare port, its own temporary folder, nothing
    saved to disk (`--save "" --appendonly no`), so a restart comes back empty.

    `start()` waits until the server answers PING; `stop()` ends it and waits until it has
    gone, so the next command to its port is refused. `start()` after `stop()` uses the same
    port again, so URLs handed out before still point at it. Use it as a context manager, or
    call `close()` at the end: that stops the server and removes its folder.
    """

    executable = "redis-server"

    def __init__(self, *, host: str = LOCALHOST, port: int | None = None) -> None:
        self.host = host
        self._fixed_port = port is not None
        self.port = port if port is not None else free_port(host)
        self._dir = Path(tempfile.mkdtemp(prefix="test-redis-"))
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    def available(cls) -> bool:
        """Whether `redis-server` is installed (tests skip themselves when it is not)."""
        return shutil.which(cls.executable) is not None

    @property
    def log_path(self) -> Path:
        return self._dir / "redis.log"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def url(self, db: int = 0) -> str:
        """redis:// URL of database `db` on this server (valid across stop/start)."""
        return f"redis://{self.host}:{self.port}/{db}"

    def client(self, db: int = 0) -> redis.Redis:
        """A client that talks to this server directly, to look at what is stored in it."""
        return redis.Redis.from_url(self.url(db), socket_connect_timeout=2, socket_timeout=2)

    def start(self, timeout: float = 10.0) -> RedisServer:
        if self.running:
            return self
        try:
            self._spawn(timeout)
        except RuntimeError:
            if self._fixed_port:
                raise
            # The spare port was taken between choosing and binding it: choose another.
            self.port = free_port(self.host)
            self._spawn(timeout)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()  # SIGTERM: Redis shuts down at once (there is nothing to save)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<RedisServer {self.host}:{self.port} {'up' if self.running else 'down'}>"

    def _spawn(self, timeout: float) -> None:
        command = [
            self.executable,
            "--port", str(self.port),
            "--bind", self.host,
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self._dir),
            "--logfile", str(self.log_path),
            "--daemonize", "no",
        ]  # fmt: skip
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout
        probe = redis.Redis(
            host=self.host, port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5
        )
        try:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"redis-server on port {self.port} exited: {self._log()}")
                try:
                    if probe.ping():
                        break
                except redis.RedisError:
                    pass
                if time.monotonic() > deadline:
                    process.kill()
                    process.wait()
                    raise RuntimeError(f"redis-server on port {self.port} did not answer")
                time.sleep(0.05)
        finally:
            probe.close()
        self._process = process

    def _log(self) -> str:
        try:
            return self.log_path.read_text()[-2000:]
        except OSError:
            return "(no log)"


class SilentServer:
    """A TCP server that accepts every connection and never answers: to a client it looks
    like a hung Redis (or one behind a firewall that lets the handshake through), so only a
    socket timeout gets the client out. `connections()` counts the connections made so far.
    """

    def __init__(self, *, host: str = LOCALHOST) -> None:
        self.host = host
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((host, 0))
        self.port = int(self._listener.getsockname()[1])
        self._accepted: list[socket.socket] = []
        self._sentinels: set[tuple[str, int]] = set()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def url(self, db: int = 0) -> str:
        return f"redis://{self.host}:{self.port}/{db}"

    def start(self) -> SilentServer:
        if self._thread is None:
            self._listener.listen(128)
            self._thread = threading.Thread(target=self._accept, daemon=True)
            self._thread.start()
        return self

    def connections(self, timeout: float = 10.0) -> int:
        """How many connections clients have opened so far.

        Connections are accepted in the order they were made, so this opens one of its own
        and waits until it is accepted: by then every earlier one has been counted.
        """
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sentinel:
            # Bound first, so its address is known before the accept loop can see it.
            sentinel.bind((self.host, 0))
            address = sentinel.getsockname()
            with self._changed:
                self._sentinels.add(address)
            sentinel.settimeout(timeout)
            sentinel.connect((self.host, self.port))
            with self._changed:
                if not self._changed.wait_for(lambda: address not in self._sentinels, timeout):
                    raise RuntimeError("SilentServer did not accept its own connection")
                return len(self._accepted)

    def close(self) -> None:
        self._closed = True
        # Wake the accept loop so it sees it is closed.
        with contextlib.suppress(OSError):
            socket.create_connection((self.host, self.port), timeout=1).close()
        if self._thread is not None:
            self._thread.join(5)
        self._listener.close()
        for connection in self._accepted:
            connection.close()

    def __enter__(self) -> SilentServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _accept(self) -> None:
        while True:
            connection, address = self._listener.accept()
            if self._closed:
                connection.close()
                return
            with self._changed:
                if address in self._sentinels:
                    self._sentinels.discard(address)
                    connection.close()
                else:
                    self._accepted.append(connection)  # held open, never read or answered
                self._changed.notify_all()
