"""One adapter kept running across many generated cases, on the harness's Runner.

`run` sends a known list of vectors; the fuzzer learns its next case only after judging the previous one,
so it keeps the adapter open and sends one `run` per case. Process handling, restarts after a crash or a
timeout, answer parsing and the comparison are the Runner's (`_spawn`, `_singly`, `compare`); this class
only opens the session, hands over one case at a time and stops the adapter at the end.
"""
from __future__ import annotations

from ..harness import protocol
from ..harness.compare import ERRORED, Outcome
from ..harness.process import AdapterFailure
from ..harness.runner import Runner
from ..harness.vectors import VectorCase


class AdapterBroken(Exception):
    """The adapter cannot be started, or it kept failing until its restarts were used up."""


class Session(Runner):
    spawn_failures = 0   # consecutive failed starts

    def _spawn(self):
        try:
            info = super()._spawn()
        except AdapterFailure:
            self.spawn_failures += 1
            raise
        self.spawn_failures = 0
        return info

    def open(self) -> None:
        try:
            self.start_info = self._spawn()
        except AdapterFailure as exc:
            raise AdapterBroken(f"the adapter could not be started: {exc.detail}") from None

    def supports(self, function: str, dtype: str) -> bool:
        return self.start_info is not None and self.start_info.supports(function, dtype)

    def check(self, case: VectorCase) -> Outcome:
        """Send one case (restarting a dead adapter within the restart budget) and judge the answer."""
        self.restarts = 0   # an input that crashes the adapter is a finding; only failed starts are fatal
        self._singly([case])
        outcome = self.outcomes.pop(case.key)
        if outcome.status["accurate"] == ERRORED and self.spawn_failures >= self.opt.max_restarts:
            raise AdapterBroken(f"the adapter could not be restarted ({self.spawn_failures} attempts): {outcome.detail}")
        return outcome

    def close(self) -> None:
        try:
            self._drain(0.1)
            if self.proc is not None:
                self.proc.stop(protocol.stop_request(), self.opt.stop_grace)
        finally:
            self._kill()
