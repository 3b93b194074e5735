"""Driving an adapter through every vector: batches, timeouts, restarts, single-case retries.

Every vector ends with exactly one Outcome. Vectors outside the adapter's declared capabilities
(function, dtype, and with protocol 1.1 parameter values and ranks) are `unsupported` and never sent;
so is a case the adapter answers with `{"id": ..., "unsupported": "<reason>"}`. The rest go out in
`run_batch` requests of at most `batch_size` cases and `batch_elements` tensor elements.

A crash or a timeout costs only the batch that caused it: the adapter is killed and restarted, and that
batch's cases are retried one by one with `run`, so that a single bad vector is pinpointed. The restart
budget (`max_restarts`) counts failures *in a row* within one batch (a good answer resets it); when it
is spent, the rest of that batch is `errored` ("not run") and the next batch starts with a fresh adapter
and a fresh budget. Later batches of a function/dtype whose budget ran out are not retried one by one
again, and an adapter that has never answered any request, or cannot be restarted at all, ends the run:
every vector not yet answered is `errored`. So an adapter broken everywhere fails fast, and one broken
function never marks unrelated vectors "not run".
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from . import protocol
from .compare import FAILED, UNSUPPORTED, Outcome, compare, errored, uniform
from .fastjudge import judge_batch, try_compare
from .process import AdapterFailure, AdapterProcess, StderrBuffer
from .protocol import PROTOCOL_ERROR_KINDS, Answer, ProtocolViolation, StartInfo, StartRefused
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
        self.answered_any = False                      # a well-formed answer came back at least once
        self.dead: str | None = None                   # why no further request is sent
        self.broken_groups: set[tuple[str, str]] = set()  # function/dtype pairs whose batch spent its budget
        self.progress: Callable[[int], None] | None = None  # called with the number of vectors done so far

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
        proc.limit_answer(*START_LIMITS)
        try:
            proc.send(protocol.start_request())
            obj = proc.read_message(self.opt.startup_timeout, "start")
            info = protocol.parse_start_answer(obj)
        except AdapterFailure as exc:
            self._kill()
            if exc.kind == "timeout":
                raise AdapterFailure("timeout", f"no answer to start within the start-up timeout "
                                                f"({self.opt.startup_timeout:g} s); {START_HINT}") from None
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
        """A live adapter, restarting it if needed; False (and `dead` set) when `max_restarts` starts in a
        row fail."""
        if self.proc is not None and self.proc.alive:
            return True
        if self.dead:
            return False
        self._kill()
        last = "no restarts allowed (--max-restarts 0)"
        for attempt in range(1, self.opt.max_restarts + 1):
            self.restarts += 1
            self._event(f"restarting the adapter (restart {self.restarts}; attempt {attempt} of {self.opt.max_restarts})")
            try:
                info = self._spawn()
            except AdapterFailure as exc:
                last = exc.detail
                self._event(f"restart failed: {exc.detail}")
                continue
            if self.start_info is not None and info.capabilities_json() != self.start_info.capabilities_json():
                self._event("the restarted adapter declares other capabilities; keeping the first ones")
            return True
        self.dead = f"the adapter could not be restarted: {last}"
        return False

    # ------------------------------------------------------------------ outcomes
    def _record(self, outcome: Outcome) -> None:
        if all(s == "passed" for s in outcome.status.values()):
            outcome.got = None  # only failures show what the adapter sent; keep memory flat on long runs
        self.outcomes[outcome.case.key] = outcome
        if self.progress is not None:
            self.progress(len(self.outcomes))

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
    def _judge(self, pairs: list[tuple[VectorCase, Answer]]) -> list[Outcome]:
        """The outcomes of well-formed answers (judgecheck's runner also judges them exactly)."""
        return judge_many(pairs)

    def _run_batch(self, batch: list[VectorCase], sent: bool = False, following: list[VectorCase] | None = None
                   ) -> tuple[list[VectorCase], list[VectorCase] | None]:
        """Send one batch (unless `sent`: it went out ahead) and record what came back. Returns the cases
        to retry singly (unanswered) and the batch sent ahead, if any: when this batch's answer holds every
        case, `following` is sent before this one is judged, so the adapter computes while the harness
        judges (pipelining; a batch with cases to retry never has a successor in flight, and a failure
        while the successor is computed is that successor's, as without pipelining)."""
        assert self.proc is not None
        what = f"run_batch of {len(batch)} cases ({batch[0].key} ...)"
        if not sent:
            self.proc.limit_answer(*answer_limits(batch))
            self.proc.send_encoded(protocol.encode_batch(batch))
        obj = self._read_answer(what, time.monotonic() + self.opt.timeout)
        if _is_request_error(obj):
            # the adapter could not read the batch as a whole (D7): judge its cases one by one
            self._event(f"the adapter answered {what} with {protocol.excerpt(obj)}; retrying its cases one by one")
            self.answered_any = True
            return list(batch), None
        try:
            results = protocol.batch_results(obj)
        except ProtocolViolation as exc:
            raise AdapterFailure("garbage", str(exc)) from None
        by_id = {c.key: c for c in batch}
        answered: dict[str, Outcome | None] = {}   # None: a well-formed answer in `answers`, judged below
        answers: dict[str, Answer] = {}
        for r in results:
            rid = protocol.answer_id(r)
            if rid is not None and rid in answered:
                answered[rid] = errored(by_id[rid], "the adapter answered this case twice in one batch", r)
                answers.pop(rid, None)
                continue
            if rid is None or rid not in by_id:
                self._event(f"in the answer to {what}: a result for an unknown id: {protocol.excerpt(r)}")
                continue
            try:
                answers[rid] = protocol.parse_case_answer(r)
                answered[rid] = None
            except ProtocolViolation as exc:
                answered[rid] = errored(by_id[rid], f"malformed answer: {exc}", r)
        self.answered_any = True
        missing = [c for c in batch if c.key not in answered]
        ahead = None
        if not missing and following and self.proc is not None and self.proc.alive:
            self.proc.limit_answer(*answer_limits(following))
            self.proc.send_encoded(protocol.encode_batch(following))
            ahead = following
        for rid, outcome in zip(answers, self._judge([(by_id[rid], a) for rid, a in answers.items()])):
            answered[rid] = outcome
        for outcome in answered.values():
            assert outcome is not None
            self._record(outcome)
        if missing:
            self._event(f"the answer to {what} lacks {len(missing)} case(s); retrying them one by one")
        return missing, ahead

    def _run_single(self, case: VectorCase) -> None:
        """One case with `run`. Raises AdapterFailure after recording the case as errored."""
        assert self.proc is not None
        what = f"run {case.key}"
        self.proc.limit_answer(*answer_limits([case]))
        self.proc.send_encoded(protocol.encode_run(case))
        try:
            obj = self._read_answer(what, time.monotonic() + self.opt.timeout)
        except AdapterFailure as exc:
            self._record(errored(case, f"{exc.kind}: {exc.detail}"))
            raise
        self.answered_any = True
        if _is_request_error(obj):
            # {"id": null, "error": {"kind": "bad_request", ...}}: the one request in flight was unreadable
            obj = {**obj, "id": case.key}
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
        self._record(self._judge([(case, answer)])[0])

    def _not_run(self, cases: list[VectorCase], why: str) -> None:
        for case in cases:
            if case.key not in self.outcomes:
                self._record(errored(case, f"not run: {why}"))

    def _singly(self, cases: list[VectorCase], failed_before: int = 0) -> None:
        """Each case with `run`, restarting a dead adapter. `max_restarts` failures in a row (counting
        `failed_before`, the failed batch) end this call: the rest of `cases` is not run."""
        fails = failed_before
        for i, case in enumerate(cases):
            if case.key in self.outcomes:
                continue
            if fails > self.opt.max_restarts:
                self._budget_spent(cases[i:], fails)
                return
            if not self._ensure():
                self._not_run(cases[i:], self.dead or "the adapter could not be restarted")
                return
            try:
                self._run_single(case)
                fails = 0
            except AdapterFailure as exc:
                fails += 1
                self._event(f"{case.key}: {exc.kind}: {exc.detail}")
                self._kill()

    def _budget_spent(self, rest: list[VectorCase], fails: int) -> None:
        why = (f"the adapter failed {fails} requests in a row, so its restarts are used up "
               f"(--max-restarts {self.opt.max_restarts})")
        if not self.answered_any:
            self.dead = f"{why} and it has not answered any request"
            self._not_run(rest, self.dead)
            return
        self._not_run(rest, f"{why} on this batch; the next batch gets a fresh adapter")
        self.broken_groups.update((c.function, c.dtype) for c in rest)

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

    def _send_all(self, todo: list[VectorCase], total: int) -> None:
        last_progress = time.monotonic()
        batches = self._batches(todo)
        ahead: tuple[list[VectorCase], AdapterProcess] | None = None   # a batch sent while the last was judged
        for i, batch in enumerate(batches):
            if time.monotonic() - last_progress > 10:
                last_progress = time.monotonic()
                self.log(f"progress: {len(self.outcomes)} of {total} vectors done")
            # a batch already sent is read from the process it went to, alive or not: its failure is its own
            sent = ahead is not None and ahead[0] is batch and ahead[1] is self.proc and self.proc is not None
            ahead = None
            if not sent and (self.dead or not self._ensure()):
                self._not_run(batch, self.dead or "the adapter could not be restarted")
                continue
            if self.opt.batch_size <= 1 or len(batch) == 1:
                self._singly(batch)
                continue
            following = batches[i + 1] if i + 1 < len(batches) and len(batches[i + 1]) > 1 else None
            try:
                missing, sent_ahead = self._run_batch(batch, sent, following)
                if sent_ahead is not None:
                    ahead = (sent_ahead, self.proc)
                failed = 0
            except AdapterFailure as exc:
                self._kill()
                failed = 1
                missing = self._after_failed_batch(batch, exc)
            self._singly(missing, failed)

    def _after_failed_batch(self, batch: list[VectorCase], exc: AdapterFailure) -> list[VectorCase]:
        """The cases of a failed batch to retry one by one: all but those of function/dtype pairs whose
        earlier batch already spent its restart budget (those are errored now, each retry would cost a
        timeout or a restart again)."""
        broken = [c for c in batch if (c.function, c.dtype) in self.broken_groups]
        self._event(f"batch {batch[0].key} .. {batch[-1].key} failed ({exc.kind}: {exc.detail}); "
                    f"retrying {len(batch) - len(broken)} of its {len(batch)} cases one by one")
        for case in broken:
            self._record(errored(case, f"{exc.kind} in its batch ({exc.detail}); not retried one by one: an earlier "
                                       f"batch of {case.function}/{case.dtype} used up its restarts"))
        return [c for c in batch if (c.function, c.dtype) not in self.broken_groups]

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
                reason = self.start_info.unsupported_reason(case)
                if reason is None:
                    todo.append(case)
                else:
                    self._record(uniform(case, UNSUPPORTED, f"capabilities: {reason}"))
            self._send_all(todo, len(cases))
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


START_HINT = ("hint: is the adapter's stdout flushed after each line? A pipe is block-buffered: use line "
              "buffering or flush (Python print(..., flush=True) or python -u; C fflush(stdout); Java "
              "System.out.flush(); Go bufio.Writer.Flush()), and read requests from stdin one line at a time")


#: a start answer names functions, dtypes and capability objects: a few KiB; these bounds are generous
START_LIMITS = (4 << 20, 100_000)


def answer_limits(cases: list[VectorCase]) -> tuple[int, int]:
    """(bytes, JSON objects and arrays) that an answer to these cases can legitimately need: generous
    room for messages and hex floats, far below what would exhaust memory or time when decoded."""
    elements = sum(c.size for c in cases)
    return (1 << 20) + len(cases) * (256 << 10) + 64 * elements, 256 + 64 * len(cases)


def _is_request_error(obj: Any) -> bool:
    """An answer to a request that could not be read at all: {"id": null, "error": {...}} (D7)."""
    return (isinstance(obj, dict) and "id" in obj and obj["id"] is None and isinstance(obj.get("error"), dict)
            and "results" not in obj)


def judge_many(pairs: list[tuple[VectorCase, Answer]]) -> list[Outcome]:
    """judge_answer for each pair: clear passes decided together with numpy (fastjudge.judge_batch),
    the rest one by one."""
    decided = judge_batch(pairs)
    return [d or judge_answer(c, a, fast=False) for d, (c, a) in zip(decided, pairs)]


def judge_answer(case: VectorCase, answer: Answer, fast: bool = True) -> Outcome:
    """A well-formed answer's outcome: `unsupported` answers and the protocol error kinds are judged
    here; everything else by compare (clear passes by fastjudge, unless `fast` is False: tried already)."""
    if answer.kind == "unsupported":
        return uniform(case, UNSUPPORTED, f"the adapter answered unsupported: {answer.message}")
    if answer.kind == "error" and answer.error_kind in PROTOCOL_ERROR_KINDS:
        got = {"kind": answer.error_kind, "message": answer.message}
        what = ("it could not read the request" if answer.error_kind == protocol.BAD_REQUEST
                else "the implementation failed unexpectedly")
        return uniform(case, FAILED, f"{answer.error_kind} ({what}): {answer.message}", got)
    # a clear pass is decided with numpy (fastjudge); everything else exactly, with the same statuses
    return (try_compare(case, answer) if fast else None) or compare(case, answer)


def default_env(mutant: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if mutant:
        env["XENT_MUTANT"] = mutant
    return env
