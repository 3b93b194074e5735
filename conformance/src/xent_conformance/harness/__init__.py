"""The conformance harness: start a port's adapter, send it every vector it supports, judge the answers
centrally with the spec's tolerance model and report (`xent-conformance run` and `xent-conformance smoke`).

Modules: vectors (loading vector files with clear errors), protocol (messages), process (one adapter
process, with timeouts and bounded buffers), runner (batches, restarts, retries), compare (verdicts),
report (terminal, JSON, JUnit XML, Markdown; numerics and input validation apart), baseline (expected
failures: xfail and stale entries), smoke (tiny cases), impls (implementations.yaml, builds), commands
(the CLI). PROTOCOL.md describes the adapter protocol (version 1 and the additive protocol 1.1).
"""
