"""The plumbing shared by the two proxies in front of moto: tests/reliability/fault_proxy.py
(faults and kills) and tests/bench/aws_model.py (token buckets, latency, background load).

UpstreamProxy listens on a loopback port, reads requests off kept-alive client connections
(aws_wire.read_request), answers its control endpoint (CONTROL_PREFIX + counts, reset,
config) with JSON, forwards the rest to moto and relays the answer; it runs on the caller's
event loop (start) or on its own in a daemon thread (start_in_thread, stop). A subclass
supplies serve (what to do with one request), counts, configure and reset_from_control.
Standard library only.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import threading
import urllib.parse

from aws_wire import (
    HOP_BY_HOP,
    MAX_HEAD,
    Request,
    WireError,
    read_body,
    read_headers,
    read_request,
    response_bytes,
)


class UpstreamProxy:
    # Set by each subclass.
    CONTROL_PREFIX = "/__proxy/"
    error: type[Exception] = Exception  # raised for bad input and upstream failures
    control_errors: tuple[type[BaseException], ...] = (ValueError, TypeError)  # answered 400
    what = "the proxy"  # in error messages
    thread_name = "proxy"
    backlog = 100  # asyncio.start_server's default
    # True: stop also closes every open connection, waits for the handlers, and closes the loop.
    clean_stop = False

    def __init__(self, upstream: str):
        parsed = urllib.parse.urlsplit(upstream)
        if parsed.scheme != "http" or not parsed.hostname:
            raise self.error(f"--upstream must be http://HOST:PORT, not {upstream!r}")
        self.upstream_host = parsed.hostname
        self.upstream_port = parsed.port or 80
        self.lock = threading.Lock()
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.errors: list[str] = []

    # -- subclass hooks -------------------------------------------------------------------
    async def serve(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        """Answers one request; False when the connection must not be reused."""
        raise NotImplementedError

    def counts(self) -> dict:
        raise NotImplementedError

    def configure(self, values: dict) -> None:
        raise NotImplementedError

    def reset_from_control(self) -> None:
        """POST CONTROL_PREFIX + reset."""
        raise NotImplementedError

    def abort(self, writer: asyncio.StreamWriter) -> None:
        """Drops a connection whose request failed inside the proxy."""
        writer.transport.abort()

    def on_started(self) -> None:
        """Called on the loop once listening."""

    def on_stopping(self) -> None:
        """Called on the loop before the server closes (thread mode only)."""

    # -- serving --------------------------------------------------------------------------
    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                request = await read_request(reader, writer)
                if request is None:
                    return
                keep_open = await self.serve(request, writer)
                if not keep_open:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, WireError):
            return  # the client went away mid-request (or was killed): nothing to answer
        except Exception as exc:  # noqa: BLE001 - any other failure is reported, not hidden
            with self.lock:
                if len(self.errors) < 100:
                    self.errors.append(f"{type(exc).__name__}: {exc}")
            self.abort(writer)
            return
        finally:
            self._writers.discard(writer)
            if not writer.is_closing():
                writer.close()

    async def answer_control(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        """Answers the request when it is for the control endpoint (True), else False."""
        if not request.target.startswith(self.CONTROL_PREFIX):
            return False
        writer.write(self.control(request))
        await writer.drain()
        return True

    def control(self, request: Request) -> bytes:
        path = urllib.parse.urlsplit(request.target).path[len(self.CONTROL_PREFIX):]
        try:
            if request.method == "GET" and path == "counts":
                payload = self.counts()
            elif request.method == "POST" and path == "reset":
                self.reset_from_control()
                payload = self.counts()
            elif request.method == "POST" and path == "config":
                self.configure(json.loads(request.body or b"{}"))
                payload = self.counts()
            else:
                return response_bytes(404, "Not Found", [("Content-Type", "text/plain")], b"unknown control path\n")
        except self.control_errors as exc:
            return response_bytes(400, "Bad Request", [("Content-Type", "text/plain")], f"{exc}\n".encode())
        return response_bytes(200, "OK", [("Content-Type", "application/json")], json.dumps(payload, indent=1).encode())

    async def forward(self, request: Request) -> tuple[int, str, list[tuple[str, str]], bytes]:
        """One upstream connection per request (moto's server is happiest so)."""
        reader, writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        try:
            head = [f"{request.method} {request.target} HTTP/1.1"]
            head += [f"{k}: {v}" for k, v in request.headers if k.lower() not in HOP_BY_HOP and k.lower() not in ("content-length", "expect")]
            head.append(f"Content-Length: {len(request.body)}")
            head.append("Connection: close")
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + request.body)
            await writer.drain()
            status_line = (await reader.readline()).decode("latin-1").rstrip("\r\n")
            parts = status_line.split(" ", 2)
            if len(parts) < 2 or not parts[1].isdigit():
                raise self.error(f"upstream answered {status_line!r}")
            status, reason = int(parts[1]), parts[2] if len(parts) > 2 else ""
            headers = await read_headers(reader)
            body = await read_body(reader, headers, request.method == "HEAD" or status in (204, 304) or status < 200, until_eof=True)
            return status, reason, headers, body
        finally:
            writer.close()

    async def relay(self, request: Request, writer: asyncio.StreamWriter) -> None:
        """Forwards the request and writes moto's answer back (drained by the caller)."""
        status, reason, headers, body = await self.forward(request)
        writer.write(response_bytes(status, reason, headers, body))

    # -- running --------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(self.handle, host, port, limit=MAX_HEAD, backlog=self.backlog)
        self.port = self._server.sockets[0].getsockname()[1]
        self.on_started()
        return self.port

    def start_in_thread(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Runs the proxy on its own event loop in a daemon thread; returns the port."""
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start(host, port))
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                started.set()
                return
            started.set()
            loop.run_forever()
            if self.clean_stop:
                loop.close()

        self._thread = threading.Thread(target=run, name=self.thread_name, daemon=True)
        self._thread.start()
        started.wait(10)
        if failure:
            raise self.error(f"{self.what} did not start: {failure[0]}")
        if self.port is None:
            raise self.error(f"{self.what} did not start within 10 s")
        return self.port

    def stop(self) -> None:
        """Closes the server, then stops the loop; with clean_stop, first closes every open
        connection and waits for its handler (no task left pending), then closes the loop."""
        if self._loop is None:
            return
        loop = self._loop
        if not self.clean_stop:
            def close() -> None:
                self.on_stopping()
                if self._server is not None:
                    self._server.close()
                loop.stop()

            loop.call_soon_threadsafe(close)
            if self._thread is not None:
                self._thread.join(5)
            return
        if self._thread is None:
            return

        async def shutdown() -> None:
            self.on_stopping()
            if self._server is not None:
                self._server.close()
            # Closing a client's connection ends its handler as a vanished client does
            # (cancelling the handler instead makes asyncio's stream callback log it).
            for writer in list(self._writers):
                writer.transport.abort()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if tasks:
                await asyncio.wait(tasks, timeout=2)

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(5)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(5)


def listen_address(prog: str, listen: str) -> tuple[str, str] | None:
    """--listen HOST:PORT as (host, port); None, after saying why, unless HOST is loopback."""
    host, _, port = listen.rpartition(":")
    if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
        print(f"{prog}: error: listen on the loopback address only", file=sys.stderr)
        return None
    return host.strip("[]"), port


def serve_until_signal(proxy: UpstreamProxy, host: str, port: str, port_file: str | None) -> None:
    """Runs the proxy on this thread until SIGTERM or SIGINT; prints its URL once listening
    (and writes the port to port_file)."""

    async def serve() -> None:
        bound = await proxy.start(host, int(port))
        print(f"http://127.0.0.1:{bound}", flush=True)
        if port_file:
            with open(port_file, "w", encoding="utf-8") as f:
                f.write(f"{bound}\n")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()

    asyncio.run(serve())
