"""curate: turn raw crawls and dumps into a clean, documented training corpus."""

__version__ = "0.1.0"

from curate.nopandas import block_in_worker as _block_in_worker

_block_in_worker()  # a worker process of a `curate` command: keep pandas out (nopandas.py)
