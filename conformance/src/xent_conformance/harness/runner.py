"""Driving an adapter through every vector: batches, timeouts, restarts, single-case retries.

Every vector ends with exactly one Outcome. Vectors of functions or dtypes the adapter does not declare
are `unsupported`. The rest go out in `run_batch` requests of at most `batch_size` cases and
`batch_elements` tensor elements. When a batch fails (crash, timeout, garbage) the adapter is killed and
restarted, and the batch's cases are retried one by one with `run`, so that a single bad vector is
pinpointed; restarts are bounded, and once they are used up every case not yet answered is `errored`.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from . import protocol
from .compare import UNSUPPORTED, Outcome, compare, errored, uniform
from .process import AdapterFailure, AdapterProcess, StderrBuffer
from .protocol import ProtocolViolation, StartInfo, StartRefused
from .vectors import VectorCase


@dataclass
class Options:
    startup_timeout: float = 60.0
    timeout: float = 30.0            # per request (a batch is one request)
    max_restarts: int = 3
    batch_size: int = 64
    batch_elements: int = 100_000
    max_line_bytes: int = 64 << 20
    stderr_bytes: int = 256 << 10
    stop_grace: float = 2.0
    env: dict[str, str] | None = None


@dataclass
class RunResult:
    outcomes: list[Outcome]
    start: StartInfo | None
    start_error: str | None
    events: list[str] = field(default_factory=list)
    stderr: str = ""
    restarts: int = 0
    elapsed: float = 0.0


class Runner:
    def __init__(self, argv: list[str], cwd: str | None, options: Options, log: Callable[[str], None] | None = None):
        self.argv = argv
        self.cwd = cwd
        self.opt = options
        self.log = log or (lambda msg: None)
        self.stderr = StderrBuffer(options.stderr_bytes)
        self.proc: AdapterProcess | None = None
        self.start_info: StartInfo | None = None
        self.restarts = 0
        self.events: list[str] = []
        self.events_total = 0
        self.outcomes: dict[str, Outcome] = {}
        self.cases: dict[str, VectorCase] = {}

    # ------------------------------------------------------------------ process handling
    MAX_EVENTS = 200

    def _event(self, text: str) -> None:
        self.events_total += 1
        if len(self.events) < self.MAX_EVENTS:
            self.events.append(text)
            self.log(text)

    def _spawn(self) -> StartInfo:
        """Start a fresh adapter and do the handshake (start-up timeout). Raises AdapterFailure."""
        self.stderr.add(f"--- adapter started: {' '.join(self.argv)}\n".encode())
        proc = AdapterProcess(self.argv, cwd=self.cwd, env=self.opt.env, max_line_bytes=self.opt.max_line_bytes,
                              stderr=self.stderr)
        proc.start()
        self.proc = proc
        try:
            proc.send(protocol.start_request())
            obj = proc.read_message(self.opt.startup_timeout, "start")
            info = protocol.parse_start_answer(obj)
        except AdapterFailure as exc:
            self._kill()
            if exc.kind == "timeout":
                raise AdapterFailure("timeout", f"no answer to start within the start-up timeout "
                                                f"({self.opt.startup_timeout:g} s)") from None
            raise
        except ProtocolViolation as exc:
            self._kill()
            raise AdapterFailure("garbage", str(exc)) from None
        except StartRefused as exc:
            self._kill()
            raise AdapterFailure("start", f"the adapter refused to start: {exc}") from None
        return info

    def _kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc = None

    def _ensure(self) -> bool:
        """A live adapter, restarting within the budget; False when the budget is used up."""
        if self.proc is not None and self.proc.alive:
            return True
        self._kill()
        while self.restarts < self.opt.max_restarts:
            self.restarts += 1
            self._event(f"restarting the adapter ({self.restarts} of at most {self.opt.max_restarts})")
            try:
                info = self._spawn()
            except AdapterFailure as exc:
                self._event(f"restart failed: {exc.detail}")
                continue
            if self.start_info is not None and info.capabilities != self.start_info.capabilities:
                self._event("the restarted adapter declares other capabilities; keeping the first ones")
            return True
        return False

    # ------------------------------------------------------------------ outcomes
    def _record(self, outcome: Outcome) -> None:
        if all(s == "passed" for s in outcome.status.values()):
            outcome.got = None  # only failures show what the adapter sent; keep memory flat on long runs
        self.outcomes[outcome.case.key] = outcome

    def _stale(self, obj: Any) -> bool:
        """Handle a message that answers cases already answered (an answer sent twice). True if stale."""
        if isinstance(obj, dict) and "capabilities" in obj and "id" not in obj and "results" not in obj:
            self._event("the adapter answered start more than once; ignoring the repeated answer")
            return True
        ids: list[str] = []
        single = protocol.answer_id(obj)
        if single is not None:
            ids = [single]
        elif isinstance(obj, dict) and isinstance(obj.get("results"), list):
            ids = [protocol.answer_id(r) for r in obj["results"]]
            if not ids or any(i is None for i in ids):
                return False
        if not ids or not all(i in self.outcomes for i in ids):
            return False
        for i in ids:
            prior = self.outcomes[i]
            if prior.status["accurate"] != "errored":
                self._record(errored(prior.case, "the adapter answered this case more than once", prior.got))
        self._event(f"the adapter answered again for {len(ids)} case(s) already answered ({protocol.excerpt(ids, 80)})")
        return True

    def _read_answer(self, what: str, deadline: float) -> Any:
        assert self.proc is not None
        while True:
            obj = self.proc.read_message(deadline - time.monotonic(), what)
            if not self._stale(obj):
                return obj

    def _drain(self, wait: float) -> None:
        """Read what the adapter wrote after its last answer (answers sent twice, stray output)."""
        if self.proc is None or not self.proc.alive and not self.proc.pending():
            return
        deadline = time.monotonic() + wait
        for _ in range(100):
            if time.monotonic() >= deadline and not self.proc.pending():
                return
            try:
                obj = self.proc.read_message(max(deadline - time.monotonic(), 0.0), "nothing (after the last answer)")
            except AdapterFailure as exc:
                if exc.kind == "garbage":
                    self._event(f"stray output after the last answer: {exc.detail}")
                    continue
                return  # timeout: nothing more; crash: the stop below reports it
            if not self._stale(obj):
                self._event(f"stray output after the last answer: {protocol.excerpt(obj)}")
        self._event("the adapter keeps writing after its last answer; it is killed")
        self._kill()

    # ------------------------------------------------------------------ requests
    def _run_batch(self, batch: list[VectorCase]) -> list[VectorCase]:
        """Send one batch; record what came back. Returns cases to retry singly (unanswered)."""
        assert self.proc is not None
        what = f"run_batch of {len(batch)} cases ({batch[0].key} ...)"
        deadline = time.monotonic() + self.opt.timeout
        self.proc.send(protocol.batch_request(batch))
        obj = self._read_answer(what, deadline)
        try:
            results = protocol.batch_results(obj)
        except ProtocolViolation as exc:
            raise AdapterFailure("garbage", str(exc)) from None
        by_id = {c.key: c for c in batch}
        answered: dict[str, Outcome] = {}
        for r in results:
            rid = protocol.answer_id(r)
            if rid is not None and rid in answered:
                answered[rid] = errored(by_id[rid], "the adapter answered this case twice in one batch", r)
                continue
            if rid is None or rid not in by_id:
                self._event(f"in the answer to {what}: a result for an unknown id: {protocol.excerpt(r)}")
                continue
            try:
                answer = protocol.parse_case_answer(r)
            except ProtocolViolation as exc:
                answered[rid] = errored(by_id[rid], f"malformed answer: {exc}", r)
                continue
            answered[rid] = compare(by_id[rid], answer)
        for outcome in answered.values():
            self._record(outcome)
        missing = [c for c in batch if c.key not in answered]
        if missing:
            self._event(f"the answer to {what} lacks {len(missing)} case(s); retrying them one by one")
        return missing

    def _run_single(self, case: VectorCase) -> None:
        """One case with `run`. Raises AdapterFailure after recording the case as errored."""
        assert self.proc is not None
        what = f"run {case.key}"
        self.proc.send(protocol.run_request(case))
        try:
            obj = self._read_answer(what, time.monotonic() + self.opt.timeout)
        except AdapterFailure as exc:
            self._record(errored(case, f"{exc.kind}: {exc.detail}"))
            raise
        rid = protocol.answer_id(obj)
        if rid != case.key:
            self._record(errored(case, f"wrong id: the answer's id is {rid!r}, expected {case.key!r}: "
                                       f"{protocol.excerpt(obj)}", obj))
            return
        try:
            answer = protocol.parse_case_answer(obj)
        except ProtocolViolation as exc:
            self._record(errored(case, f"malformed answer: {exc}", obj))
            return
        self._record(compare(case, answer))

    def _singly(self, cases: list[VectorCase]) -> None:
        for i, case in enumerate(cases):
            if case.key in self.outcomes:
                continue
            if not self._ensure():
                for rest in cases[i:]:
                    if rest.key not in self.outcomes:
                        self._record(errored(rest, f"not run: the adapter failed and its "
                                                   f"{self.opt.max_restarts} restarts are used up"))
                return
            try:
                self._run_single(case)
            except AdapterFailure as exc:
                self._event(f"{case.key}: {exc.kind}: {exc.detail}")
                self._kill()

    def _batches(self, cases: list[VectorCase]) -> list[list[VectorCase]]:
        batches: list[list[VectorCase]] = []
        current: list[VectorCase] = []
        size = 0
        for case in cases:
            n = case.size
            if current and (len(current) >= self.opt.batch_size or size + n > self.opt.batch_elements):
                batches.append(current)
                current, size = [], 0
            current.append(case)
            size += n
        if current:
            batches.append(current)
        return batches

    # ------------------------------------------------------------------ the run
    def run(self, cases: list[VectorCase]) -> RunResult:
        try:
            return self._run(cases)
        finally:
            self._kill()  # never leave an adapter behind, whatever happened (Ctrl-C included)

    def _run(self, cases: list[VectorCase]) -> RunResult:
        began = time.monotonic()
        self.cases = {c.key: c for c in cases}
        start_error = None
        try:
            self.start_info = self._spawn()
        except AdapterFailure as exc:
            start_error = exc.detail
            self._event(f"the adapter could not be started: {exc.detail}")
        if self.start_info is None:
            for case in cases:
                self._record(errored(case, f"the adapter could not be started: {start_error}"))
        else:
            todo = []
            for case in cases:
                if self.start_info.supports(case.function, case.dtype):
                    todo.append(case)
                else:
                    self._record(uniform(case, UNSUPPORTED, f"{case.function}/{case.dtype} is not declared in capabilities"))
            last_progress = time.monotonic()
            for batch in self._batches(todo):
                if time.monotonic() - last_progress > 10:
                    last_progress = time.monotonic()
                    self.log(f"progress: {len(self.outcomes)} of {len(cases)} vectors done")
                if not self._ensure():
                    self._singly(batch)  # records every case as errored (no restarts left)
                    continue
                if self.opt.batch_size <= 1 or len(batch) == 1:
                    self._singly(batch)
                    continue
                try:
                    missing = self._run_batch(batch)
                except AdapterFailure as exc:
                    self._event(f"batch {batch[0].key} .. {batch[-1].key} failed ({exc.kind}: {exc.detail}); "
                                f"retrying its {len(batch)} cases one by one")
                    self._kill()
                    missing = batch
                self._singly(missing)
            self._drain(0.1)
            if self.proc is not None:
                status = self.proc.stop(protocol.stop_request(), self.opt.stop_grace)
                if status not in (0, None):
                    self._event(f"the adapter exited with status {status} after stop")
                elif status is None:
                    self._event(f"the adapter did not exit within {self.opt.stop_grace:g} s of stop; killed")
                self.proc = None
        if self.events_total > len(self.events):
            self.events.append(f"... and {self.events_total - len(self.events)} more events")
        outcomes = [self.outcomes[c.key] for c in cases]
        return RunResult(outcomes=outcomes, start=self.start_info, start_error=start_error, events=self.events,
                         stderr=self.stderr.text(), restarts=self.restarts, elapsed=time.monotonic() - began)


def default_env(mutant: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if mutant:
        env["XENT_MUTANT"] = mutant
    return env
