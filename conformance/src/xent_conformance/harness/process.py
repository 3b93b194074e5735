"""One adapter process: JSON Lines over pipes with enforced timeouts and bounded memory.

Stdout is read by a thread that splits lines and hands them over through a queue, so every read has a
deadline; a line longer than `max_line_bytes`, or more unread output than that, is reported as garbage
instead of being kept; the runner tightens that limit per request to what the request's answer can
legitimately need (`limit_answer`), and an answer line holding more JSON objects and arrays than its
request could need is refused before it is decoded, so that neither memory nor decoding time can be
blown up by one line. Stdin is written by a thread, so an adapter that stops reading cannot block the
harness. Stderr is drained continuously into a bounded buffer (its head and its tail are kept). The
adapter runs in its own process group, which is killed as a whole.
"""
from __future__ import annotations

import collections
import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
from typing import Any

from .protocol import clean_tree, encode, excerpt

# a JSON string escape of a UTF-16 surrogate (\ud800-\udfff): only then is a decoded answer walked by clean_tree
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")

_EOF = "eof"
_LINE = "line"
_OVERSIZE = "oversize"
_FLOOD = "flood"


class AdapterFailure(Exception):
    """The adapter crashed, timed out, could not be started or wrote something that is not a message."""

    def __init__(self, kind: str, detail: str):
        self.kind = kind      # "start", "crash", "timeout", "garbage"
        self.detail = detail
        super().__init__(f"{kind}: {detail}")


class StderrBuffer:
    """Keeps the first and the last `cap // 2` bytes of a stream and counts the rest."""

    def __init__(self, cap: int):
        self.half = max(cap // 2, 1024)
        self.head = bytearray()
        self.tail: collections.deque[bytes] = collections.deque()
        self.tail_bytes = 0
        self.total = 0
        self.lock = threading.Lock()

    def add(self, chunk: bytes) -> None:
        with self.lock:
            self.total += len(chunk)
            room = self.half - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self.tail.append(chunk)
                self.tail_bytes += len(chunk)
                while self.tail_bytes - len(self.tail[0]) >= self.half:
                    self.tail_bytes -= len(self.tail.popleft())

    def text(self) -> str:
        with self.lock:
            tail = b"".join(self.tail)
            if len(tail) > self.half:
                tail = tail[-self.half:]
            kept = len(self.head) + len(tail)
            if kept < self.total:
                skipped = self.total - kept
                data = bytes(self.head) + f"\n[... {skipped} bytes of stderr skipped ...]\n".encode() + tail
            else:
                data = bytes(self.head) + tail
        return data.decode("utf-8", errors="replace")


class AdapterProcess:
    def __init__(self, argv: list[str], cwd: str | None = None, env: dict[str, str] | None = None,
                 max_line_bytes: int = 64 << 20, stderr: StderrBuffer | None = None):
        self.argv = list(argv)
        self.cwd = cwd
        self.env = env
        self.max_line = max_line_bytes
        self.stderr = stderr if stderr is not None else StderrBuffer(256 << 10)
        self.proc: subprocess.Popen | None = None
        self._lines: queue.Queue = queue.Queue()
        self._queued = 0
        self._queued_lock = threading.Lock()
        self._writes: queue.Queue = queue.Queue()
        self._threads: list[threading.Thread] = []
        self.exit_status: int | None = None
        self.line_limit = self.max_line      # the longest line accepted for the answer awaited now
        self.container_limit: int | None = None

    def limit_answer(self, max_bytes: int | None, max_containers: int | None) -> None:
        """Bound the next answer: at most `max_bytes` bytes (never more than max_line_bytes) and at most
        `max_containers` JSON objects and arrays (None: no bound)."""
        self.line_limit = self.max_line if max_bytes is None else min(max_bytes, self.max_line)
        self.container_limit = max_containers

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        try:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, cwd=self.cwd, env=self.env,
                                         start_new_session=True, bufsize=0)
        except (OSError, ValueError) as exc:
            raise AdapterFailure("start", f"cannot start {excerpt(' '.join(self.argv))}: {exc}") from None
        for target in (self._read_stdout, self._read_stderr, self._write_stdin):
            t = threading.Thread(target=target, daemon=True, name=f"adapter-{target.__name__}")
            t.start()
            self._threads.append(t)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """Kill the adapter's process group and reap it. Safe to call twice."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                try:
                    proc.kill()
                except OSError:
                    pass
        else:
            # the leader is gone; its children may still hold the pipes
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.exit_status = proc.returncode
        self._writes.put(None)
        for t in self._threads:
            t.join(timeout=1)
        if any(t.is_alive() for t in self._threads):
            # a descendant that left the process group still holds a pipe: leave the descriptors open
            # (closing one under a blocked reader could hand its number to the next adapter's pipe)
            return
        for pipe in (proc.stdout, proc.stderr):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass

    def stop(self, message: dict | None, grace: float) -> int | None:
        """Send `stop`, close stdin and give the adapter `grace` seconds to exit; then kill it."""
        if self.proc is None:
            return None
        if message is not None and self.proc.poll() is None:
            self.send(message)
        self._writes.put(None)  # close stdin after pending writes
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        status = self.proc.poll()
        self.kill()
        self.exit_status = status
        return status

    # ------------------------------------------------------------------ threads
    def _read_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        buf = bytearray()
        discarding = False   # inside an oversize line
        flooded = False
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            if flooded:
                continue
            start = 0
            while True:
                nl = chunk.find(b"\n", start)
                piece = chunk[start:] if nl < 0 else chunk[start:nl]
                if not discarding:
                    buf += piece
                    if len(buf) > self.line_limit:
                        self._put(_OVERSIZE, bytes(buf[:200]) + b"\0" + str(self.line_limit).encode())
                        buf.clear()
                        discarding = True
                if nl < 0:
                    break
                if discarding:
                    discarding = False
                else:
                    if self._queued_bytes() + len(buf) > self.max_line + (1 << 20):
                        self._put(_FLOOD, bytes(buf[:200]))
                        flooded = True
                        buf.clear()
                        break
                    self._put(_LINE, bytes(buf))
                    buf.clear()
                start = nl + 1
        self._put(_EOF, bytes(buf[:200]))

    def _queued_bytes(self) -> int:
        with self._queued_lock:
            return self._queued

    def _put(self, kind: str, data: bytes) -> None:
        with self._queued_lock:
            self._queued += len(data)
        self._lines.put((kind, data))

    def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        fd = self.proc.stderr.fileno()
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            self.stderr.add(chunk)

    def _write_stdin(self) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        stdin = self.proc.stdin
        while True:
            data = self._writes.get()
            if data is None:
                break
            try:
                stdin.write(data)
                stdin.flush()
            except (OSError, ValueError):
                break  # the adapter closed its stdin or died: the reader will see it
        try:
            stdin.close()
        except (OSError, ValueError):
            pass

    # ------------------------------------------------------------------ messages
    def send(self, message: dict) -> None:
        self._writes.put(encode(message))

    def send_encoded(self, line: bytes) -> None:
        """Send a message already encoded as one JSON line (protocol.encode_batch, encode_run)."""
        self._writes.put(line)

    def pending(self) -> bool:
        return not self._lines.empty()

    def read_message(self, timeout: float, what: str) -> Any:
        """The next JSON message from stdout within `timeout` seconds (decoding included), or AdapterFailure."""
        deadline = time.monotonic() + max(timeout, 0.0)
        try:
            kind, data = self._lines.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            raise AdapterFailure("timeout", f"no answer to {what} within {timeout:g} s") from None
        with self._queued_lock:
            self._queued -= len(data)
        if kind == _EOF:
            status = self._wait_status(1.0)
            where = f"exited with status {status}" if status is not None else "closed its stdout"
            if status is not None and status < 0:
                try:
                    where = f"was killed by signal {signal.Signals(-status).name}"
                except ValueError:
                    pass
            tail = f" after writing an unterminated line {excerpt(data.decode('utf-8', 'replace'))}" if data else ""
            raise AdapterFailure("crash", f"the adapter {where} while the harness waited for the answer to {what}{tail}")
        if kind == _OVERSIZE:
            head, _, limit = data.rpartition(b"\0")
            raise AdapterFailure("garbage", f"a stdout line longer than {int(limit)} bytes, more than the answer to "
                                            f"{what} can need, starting {excerpt(head.decode('utf-8', 'replace'), 80)}")
        if kind == _FLOOD:
            raise AdapterFailure("garbage", f"more than {self.max_line} bytes of unread stdout (flooding) while waiting "
                                            f"for the answer to {what}")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise AdapterFailure("garbage", f"a stdout line that is not UTF-8 (answer to {what}): "
                                            f"{excerpt(data.decode('utf-8', 'replace'))}") from None
        if not text.strip():
            raise AdapterFailure("garbage", f"an empty stdout line (answer to {what})")
        if self.container_limit is not None:
            containers = data.count(b"{") + data.count(b"[")  # an upper bound (brackets inside strings count too)
            if containers > self.container_limit:
                raise AdapterFailure("garbage", f"a stdout line with {containers} JSON objects and arrays, more than the "
                                                f"answer to {what} can need ({self.container_limit}); not decoded")
        try:
            obj = json.loads(text, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise AdapterFailure("garbage", f"a stdout line that is not JSON (answer to {what}): {excerpt(text)} "
                                            f"({excerpt(str(exc), 200)})") from None
        if time.monotonic() > deadline:
            raise AdapterFailure("timeout", f"the answer to {what} took longer than {timeout:g} s to arrive and decode")
        if _SURROGATE_ESCAPE.search(data):
            obj = clean_tree(obj)  # lone surrogates cannot be printed or written as UTF-8
        return obj

    def _wait_status(self, timeout: float) -> int | None:
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None


def _reject_constant(name: str):
    raise ValueError(f"bare {name} is not JSON")


def monotonic() -> float:
    return time.monotonic()
