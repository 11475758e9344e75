"""deploy/nginx.conf, run by a real nginx in front of a recording upstream in place of gunicorn.

The proxy must read a whole upload before a worker sees the request, refuse one over the limit
without bothering a worker at all, and pass on the scheme the load balancer reported.
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
CONFIG = (ROOT / "deploy" / "nginx.conf").read_text()
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.skipif(
    not os.path.exists(NGINX) and not os.environ.get("CI"),
    reason="nginx is not installed (make test installs it)",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Seen:
    accepted_at: float
    head: str
    body_length: int


@dataclass
class Upstream:
    """Stands where gunicorn stands: records each request it is handed, answers 200."""

    port: int = field(default_factory=_free_port)
    requests: list[Seen] = field(default_factory=list)

    def serve(self, server: socket.socket) -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                accepted_at = time.monotonic()
                data = b""
                while b"\r\n\r\n" not in data:
                    data += connection.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                match = re.search(rb"(?i)content-length:\s*(\d+)", head)
                expected = int(match.group(1)) if match else 0
                while len(body) < expected:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                self.requests.append(Seen(accepted_at, head.decode("latin-1"), len(body)))
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                )


def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    recorder = Upstream()
    server = socket.create_server(("127.0.0.1", recorder.port))
    thread = threading.Thread(target=recorder.serve, args=(server,), daemon=True)
    thread.start()
    yield recorder
    server.close()


@pytest.fixture
def proxy(upstream: Upstream) -> Iterator[int]:
    """The shipped configuration with only its addresses and scratch paths changed."""
    port = _free_port()
    # nginx's workers drop to an unprivileged user: their scratch space must be theirs to use.
    prefix = Path(tempfile.mkdtemp(prefix="alliance-nginx-"))
    prefix.chmod(0o755)
    scratch = []
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / name).mkdir(mode=0o777)
        (prefix / name).chmod(0o777)
        scratch.append(
            f"    {name if name != 'body' else 'client_body'}_temp_path {prefix / name};"
        )
    config = CONFIG.replace("server web:8000;", f"server 127.0.0.1:{upstream.port};")
    config = config.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    config = config.replace("access_log /dev/stdout;", "access_log off;")
    config = config.replace("http {", "http {\n" + "\n".join(scratch), 1)
    assert f"127.0.0.1:{upstream.port}" in config and f"127.0.0.1:{port}" in config
    (prefix / "nginx.conf").write_text(config)
    process = subprocess.Popen(
        [
            NGINX,
            "-p", str(prefix),
            "-c", str(prefix / "nginx.conf"),
            "-g", f"daemon off; pid {prefix / 'nginx.pid'}; error_log {prefix / 'error.log'};",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_for(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(prefix, ignore_errors=True)


def _exchange(
    port: int, head: bytes, body_chunks: list[bytes], pause: float = 0.0
) -> tuple[str, float]:
    """Send a request (the body in chunks, with a pause before each); return the response's
    status line and the moment just before the last chunk was handed to the socket (nothing
    can have forwarded the whole body before then)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(head)
        last_chunk_at = time.monotonic()
        for chunk in body_chunks:
            time.sleep(pause)
            last_chunk_at = time.monotonic()
            client.sendall(chunk)
        response = b""
        while b"\r\n" not in response:
            data = client.recv(4096)
            if not data:
                break
            response += data
    return response.split(b"\r\n", 1)[0].decode(), last_chunk_at


def _post_head(length: int, *extra: str) -> bytes:
    lines = [
        "POST /portal/upload HTTP/1.1",
        "Host: alliance.example.com",
        f"Content-Length: {length}",
    ]
    lines += [*extra, "Connection: close", "", ""]
    return "\r\n".join(lines).encode()


def test_an_upload_over_the_limit_is_refused_before_any_worker_sees_it(proxy, upstream):
    status, _ = _exchange(proxy, _post_head(100 * 1024 * 1024), [b"x" * 1024])
    assert " 413 " in status
    assert upstream.requests == []


def test_a_slow_upload_reaches_the_worker_only_once_it_has_all_arrived(proxy, upstream):
    chunk = b"y" * (512 * 1024)
    chunks = [chunk] * 6  # 3 MiB, past the in-memory buffer: nginx spools it to disk
    status, last_chunk_at = _exchange(proxy, _post_head(len(chunk) * 6), chunks, pause=0.15)
    assert " 200 " in status
    [seen] = upstream.requests
    assert seen.body_length == len(chunk) * 6
    # Unbuffered, the worker would have been handed the request with the first chunk.
    assert seen.accepted_at > last_chunk_at


def test_the_scheme_reported_by_the_load_balancer_is_passed_on(proxy, upstream):
    _exchange(proxy, _post_head(2, "X-Forwarded-Proto: https"), [b"ok"])
    _exchange(proxy, _post_head(2), [b"ok"])
    forwarded = [
        re.search(r"(?i)x-forwarded-proto: (\w+)", seen.head) for seen in upstream.requests
    ]
    assert [match.group(1) if match else None for match in forwarded] == ["https", "http"]
    assert all("Host: alliance.example.com" in seen.head for seen in upstream.requests)


def test_the_proxy_limit_fits_the_portal_upload_limit():
    match = re.search(r"client_max_body_size (\d+)m;", CONFIG)
    assert match is not None
    limit = int(match.group(1)) * 1024 * 1024
    # Big enough for the largest file the portal accepts with its form, and not much bigger.
    assert (
        settings.ALLIANCE_UPLOAD_MAX_BYTES
        < limit
        <= settings.ALLIANCE_UPLOAD_MAX_BYTES + 2 * 1024 * 1024
    )


def test_the_compose_file_puts_the_proxy_in_front_of_gunicorn():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in services["proxy"]["volumes"]
    assert "ports" not in services["web"], "gunicorn must be reached through the proxy only"
    assert "server web:8000;" in CONFIG and services["proxy"]["ports"] == ["8000:8080"]
