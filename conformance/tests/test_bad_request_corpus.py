"""The cross-language corpus of bad requests (issue 13 item 12; DECISIONS D1-D9).

Every entry of corpus/bad_requests.yaml is sent to the three project adapters (python, java, go), each
built and started the way `xent-conformance run --impl NAME` does it (conformance/implementations.yaml),
and each must answer with the entry's kind: one of the spec's five kinds, `bad_request` (D7), or the
per-case `unsupported` answer. The test talks to the adapters directly, not through the harness, so
that it judges the adapters alone.
"""
from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from xent_conformance.harness import impls

CORPUS = Path(__file__).parent / "corpus" / "bad_requests.yaml"
ADAPTERS = ("python", "java", "go")
SPEC_KINDS = {"invalid_shape", "shape_mismatch", "index_out_of_range", "invalid_probability", "invalid_argument"}
KINDS = SPEC_KINDS | {"bad_request", "unsupported"}
START_TIMEOUT = 120.0   # a JVM on a loaded 2-core machine
ANSWER_TIMEOUT = 30.0   # the harness's default request timeout
BUILD_TIMEOUT = 900.0


def load_entries() -> list[dict[str, Any]]:
    data = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    return data["entries"]


ENTRIES = load_entries()


def request_line(entry: dict[str, Any]) -> str:
    """The line sent for an entry: its raw `line`, or its run case with cmd and id added."""
    if "line" in entry:
        return entry["line"]
    return json.dumps({"cmd": "run", "id": entry["name"], **entry["request"]})


def expected_id(entry: dict[str, Any]) -> str | None:
    return entry["id"] if "line" in entry else entry["name"]


def answer_kind(answer: Any) -> str:
    """What an answer says: an error kind, `unsupported`, `output`, or a description of the garbage."""
    if not isinstance(answer, dict):
        return f"not an object: {answer!r:.80}"
    if "unsupported" in answer:
        return "unsupported"
    if isinstance(answer.get("error"), dict):
        return str(answer["error"].get("kind"))
    if "output" in answer:
        return "output"
    return f"neither output nor error: {answer!r:.80}"


class Adapter:
    """One running adapter; restarted (and counted) when it dies or stops answering."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.impl = impls.resolve(name)
        self.restarts = 0
        self.proc: subprocess.Popen[str] | None = None
        self.lines: queue.Queue[str | None] = queue.Queue()

    def start(self) -> None:
        env = dict(os.environ)
        env.pop("XENT_MUTANT", None)  # the shipped implementation, never a mutant
        self.proc = subprocess.Popen(self.impl.argv, cwd=self.impl.cwd, env=env, text=True, encoding="utf-8",
                                     errors="replace", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, bufsize=1)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc, self.lines), daemon=True).start()
        answer = self._ask('{"cmd": "start", "version": 1}', START_TIMEOUT)
        assert isinstance(answer, dict) and "capabilities" in answer, f"{self.name} refused start: {answer!r}"

    @staticmethod
    def _read(proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)  # end of output: the adapter exited

    def _ask(self, line: str, timeout: float) -> Any:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        try:
            out = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"{self.name}: no answer within {timeout:g} s") from None
        if out is None:
            raise AssertionError(f"{self.name}: the adapter exited (status {self.proc.wait()})")
        return json.loads(out, parse_constant=_reject_constant)

    def ask(self, line: str) -> Any:
        """Send one line and return its answer; a dead or hung adapter fails this call and is restarted
        for the next one, so one crash costs one entry."""
        if self.proc is None or self.proc.poll() is not None:
            if self.proc is not None:
                self.restarts += 1
            self.start()
        try:
            return self._ask(line, ANSWER_TIMEOUT)
        except (AssertionError, BrokenPipeError, ValueError):
            self.stop()
            self.restarts += 1
            self.proc = None
            raise

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write('{"cmd": "stop"}\n')
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            self.proc.kill()
            self.proc.wait()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"answer holds {name}, which is not JSON")


@pytest.fixture(scope="module", params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> Iterator[Adapter]:
    ad = Adapter(request.param)
    try:
        impls.build(ad.impl, timeout=BUILD_TIMEOUT)
    except impls.ImplError as exc:
        if "is not installed" in str(exc):  # no JDK / Go on this machine: nothing to judge
            pytest.skip(str(exc))
        raise
    ad.start()
    yield ad
    ad.stop()


def test_corpus_is_well_formed() -> None:
    names = [e["name"] for e in ENTRIES]
    assert len(names) == len(set(names)), "duplicate names"
    for e in ENTRIES:
        assert e["expect"] in KINDS, e["name"]
        assert ("request" in e) != ("line" in e), e["name"]
        assert "line" not in e or "id" in e, f"{e['name']}: a raw line says which id its answer carries"
        assert isinstance(e.get("why"), str) and e["why"] and "\n" not in e["why"], e["name"]
    kinds = {e["expect"] for e in ENTRIES}
    assert kinds == KINDS, f"the corpus should exercise every kind; missing {KINDS - kinds}"


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_adapter_answers_with_the_expected_kind(adapter: Adapter, entry: dict[str, Any]) -> None:
    answer = adapter.ask(request_line(entry))
    assert answer_kind(answer) == entry["expect"], f"{adapter.name}: {answer!r:.400} ({entry['why']})"
    assert answer.get("id") == expected_id(entry), f"{adapter.name}: wrong id in {answer!r:.300}"
    if entry["expect"] == "unsupported":
        assert isinstance(answer["unsupported"], str) and answer["unsupported"].strip()
        assert "error" not in answer and "output" not in answer
    else:
        message = answer["error"].get("message")
        assert isinstance(message, str) and message.strip() and "\n" not in message, answer


def test_batch_answers_match(adapter: Adapter) -> None:
    """The same cases in run_batch (the harness's usual path) get the same kinds."""
    cases = [{"id": e["name"], **e["request"]} for e in ENTRIES if "request" in e]
    got: dict[str, str] = {}
    for start in range(0, len(cases), 32):  # the harness sends at most 64 cases per batch
        answer = adapter.ask(json.dumps({"cmd": "run_batch", "cases": cases[start:start + 32]}))
        assert isinstance(answer, dict) and isinstance(answer.get("results"), list), f"{answer!r:.300}"
        got.update({r.get("id"): answer_kind(r) for r in answer["results"]})
    want = {e["name"]: e["expect"] for e in ENTRIES if "request" in e}
    wrong = {name: (kind, got.get(name)) for name, kind in want.items() if got.get(name) != kind}
    assert not wrong, f"{adapter.name}: (expected, got) {wrong}"


def test_adapter_survives_the_corpus(adapter: Adapter) -> None:
    """No entry crashed or hung the adapter, and it still computes."""
    answer = adapter.ask(json.dumps({"cmd": "run", "id": "alive", "function": "sigmoid", "dtype": "float64",
                                     "params": {}, "inputs": {"z": {"dtype": "float64", "shape": [],
                                                                    "data": ["0x0p+0"]}}}))
    assert answer.get("output", {}).get("data") in (["0x1p-1"], ["0x1.0p-1"], ["0x1.0000000000000p-1"]), answer
    assert adapter.restarts == 0, f"{adapter.name} crashed or hung {adapter.restarts} time(s) on the corpus"
