"""xent conformance: spec -> oracle -> vectors -> harness -> report."""
__version__ = "0.1.0"
