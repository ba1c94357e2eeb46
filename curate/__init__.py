"""curate: turn raw crawls and dumps into a clean, documented training corpus."""

__version__ = "0.1.0"
