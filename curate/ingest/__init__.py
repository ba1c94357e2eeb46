"""Readers that turn crawls and dumps into the dataset contract, and the ingest run."""
