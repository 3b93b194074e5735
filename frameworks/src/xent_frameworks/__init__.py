"""xent protocol adapters for well-known libraries: reference points for `xent-conformance leaderboard`.

Each module is one adapter (``python -m xent_frameworks.<module>``); ``protocol`` holds what they share.
"""
__version__ = "0.1.0"
