"""Everything xent runs, locally and in CI.

    nox -s conformance     the main job: build Python, Java and Go, run every vector, print the combined report
    nox -t tests           every test: vectors check, oracle and harness tests, Python, Java and Go test suites,
                           each implementation through the harness, and each implementation's mutant catalogue (all must be killed)

Sessions use uv to create their virtualenvs when it is installed (falling back to virtualenv); nothing
relies on reusing an environment.
"""
from __future__ import annotations

from pathlib import Path

import nox

ROOT = Path(__file__).parent
REPORTS = ROOT / "reports"
IMPLEMENTATIONS = ("python", "java", "go")

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["conformance"]
nox.options.error_on_missing_interpreters = True


def install_conformance(session: nox.Session, *extras: str, mutants: bool = False) -> None:
    """The harness and xent-python; with mutants, also xent-python's mutant catalogue (./python/mutants:
    test-side code kept out of the shipped package, which the adapter imports only for XENT_MUTANT)."""
    target = "./conformance" + (f"[{','.join(extras)}]" if extras else "")
    session.install(target, "./python", *(["./python/mutants"] if mutants else []))


@nox.session(tags=["tests"])
def vectors(session: nox.Session) -> None:
    """The spec and vectors validate, and regenerating vectors/ gives the same bytes."""
    install_conformance(session)
    session.run("xent-conformance", "validate")
    session.run("xent-conformance", "generate", "--check", "--quiet")


@nox.session(tags=["tests"])
def conformance_tests(session: nox.Session) -> None:
    """Tests of the oracle, the spec loader and the harness (broken adapters included)."""
    install_conformance(session, "test", mutants=True)  # test_mutants.py reads the Python catalogue
    session.run("pytest", "-q", "-p", "no:cacheprovider", "conformance/tests", *session.posargs)


@nox.session(tags=["tests"])
def python(session: nox.Session) -> None:
    """The Python reference's own tests: every vector in library mode, and hypothesis properties."""
    session.install("./python[test]", "./python/mutants")  # python/tests/test_mutants.py tests the catalogue
    session.run("pytest", "-q", "-p", "no:cacheprovider", "python/tests", *session.posargs)


@nox.session(tags=["tests"])
def python_no_extended(session: nox.Session) -> None:
    """The Python vectors with numpy.longdouble treated as float64 (as on Windows and macOS arm64): every
    vector must pass at `accurate` in this mode too."""
    session.install("./python[test]")
    session.run("pytest", "-q", "-p", "no:cacheprovider", "python/tests/test_vectors.py", *session.posargs,
                env={"XENT_NO_EXTENDED": "1"})


@nox.session(tags=["tests"], python=False)
def java(session: nox.Session) -> None:
    """The Java reference's own tests (JUnit 5 over every vector), through Maven."""
    session.run("mvn", "-q", "-B", "-f", "java/pom.xml", "verify", external=True)


@nox.session(tags=["tests"], python=False)
def go(session: nox.Session) -> None:
    """The Go reference's own tests (every vector, examples, fuzz seed corpora) and go vet."""
    session.chdir(ROOT / "go")
    session.run("go", "vet", "./...", external=True)
    session.run("go", "test", "-count=1", "./...", external=True)


def run_impl(session: nox.Session, impl: str) -> Path:
    REPORTS.mkdir(exist_ok=True)
    report = REPORTS / f"{impl}.json"
    session.run("xent-conformance", "run", "--impl", impl, "--report-json", str(report),
                "--junit", str(REPORTS / f"{impl}.junit.xml"), "--markdown", str(REPORTS / f"{impl}.md"),
                success_codes=[0, 1, 2])
    return report


@nox.session(tags=["tests"])
@nox.parametrize("impl", IMPLEMENTATIONS)
def conformance_run(session: nox.Session, impl: str) -> None:
    """One implementation through the harness (builds the Java jar or Go binary when needed)."""
    install_conformance(session)
    session.run("xent-conformance", "smoke", "--impl", impl)
    report = run_impl(session, impl)
    session.run("xent-conformance", "combine", str(report))


@nox.session(tags=["main"])
def conformance(session: nox.Session) -> None:
    """The main job: all three implementations over every vector, one combined report."""
    install_conformance(session)
    reports = [str(run_impl(session, impl)) for impl in IMPLEMENTATIONS]
    session.run("xent-conformance", "combine", *reports, "--markdown", str(REPORTS / "conformance.md"))


@nox.session(tags=["tests"])
@nox.parametrize("impl", IMPLEMENTATIONS)
def mutants(session: nox.Session, impl: str) -> None:
    """Every mutant of one implementation (conformance/MUTANTS.md) must be killed by the vectors
    (posargs go to `xent-conformance mutants`, e.g. -- --only port_max_shift)."""
    install_conformance(session, "test", mutants=impl == "python")
    REPORTS.mkdir(exist_ok=True)
    # Two mutants at a time (each its own adapter): an adapter computes while the harness judges the
    # other's answers; the report is the serial one (conformance/tests/test_mutants.py).
    session.run("xent-conformance", "mutants", "--impl", impl, "--jobs", "2",
                "--report-json", str(REPORTS / f"mutants-{impl}.json"), *session.posargs)


@nox.session
def judge_equivalence(session: nox.Session) -> None:
    """The fast judge's verdicts are the exact (mpmath) judge's on every vector, for the three
    implementations and every mutant (issue 14; slow: every answer is judged both ways). posargs go to
    python -m xent_conformance.harness.judgecheck, e.g. -- --impl go --mutants none."""
    install_conformance(session, mutants=True)
    args = session.posargs or ["--impl", "python", "--impl", "java", "--impl", "go", "--mutants", "all"]
    session.run("python", "-m", "xent_conformance.harness.judgecheck", *args)


@nox.session
def fuzz(session: nox.Session) -> None:
    """Differential fuzzing against the oracle: nox -s fuzz -- 600 [fuzz options] (seconds per implementation)."""
    install_conformance(session, "test")
    budget = session.posargs[0] if session.posargs else "60"
    session.run("xent-conformance", "fuzz", "--impl", "python", "--impl", "go", "--impl", "java",
                "--budget", budget, *session.posargs[1:])


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate vectors/ from spec/ (pass --cases FILE --out DIR for your own cases)."""
    install_conformance(session)
    session.run("xent-conformance", "generate", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks, printed as one report and written to reports/bench.{md,json} (bench/README.md):
    vector generation with and without gmpy2, harness throughput and adapter start-up, and the loss
    workload per implementation against PyTorch CPU (one thread) and plain NumPy. Figures are never
    asserted. nox -s bench -- --quick for a short smoke run; --skip PART to leave a part out."""
    install_conformance(session, "fast")  # fast: gmpy2, for the generation comparison
    # from PyPI this is the CUDA build of torch; the benchmark runs it on the CPU with one thread
    session.install("./bench[test]", "torch==2.13.0")
    session.run("pytest", "-q", "-p", "no:cacheprovider", "bench/tests")
    session.run("xent-bench", *session.posargs)


@nox.session
def leaderboard(session: nox.Session) -> None:
    """Accuracy leaderboard: our three implementations and the framework adapters of frameworks/ (NumPy as
    the seeds teach it, SciPy, PyTorch CPU, JAX/optax when it installs) over every vector. Writes
    reports/leaderboard/: leaderboard.md, heatmap and histograms (PNG, SVG), leaderboard.html."""
    session.install("./conformance[leaderboard]", "./python", "./frameworks[scipy,torch,test]")
    try:
        session.install("./conformance", "./frameworks[jax]")
    except nox.command.CommandFailed:
        session.warn("JAX/optax did not install: the leaderboard lists jax-optax as not run")
    session.run("pytest", "-q", "-p", "no:cacheprovider", "frameworks/tests")
    session.run("xent-conformance", "leaderboard", "--run", *session.posargs)


@nox.session(tags=["tests"])
def tools(session: nox.Session) -> None:
    """Tests of the leaderboard (with its pictures), of the framework adapters whose library installs
    cheaply (NumPy, SciPy; the PyTorch and JAX tests skip here and run in the leaderboard session) and
    of the benchmark collector (parsers and tables; no figure is measured or asserted)."""
    session.install("./conformance[test,leaderboard]", "./python", "./frameworks[scipy,test]", "./bench[test]")
    session.run("pytest", "-q", "-p", "no:cacheprovider", "conformance/tests/test_leaderboard.py",
                "frameworks/tests", "bench/tests")
