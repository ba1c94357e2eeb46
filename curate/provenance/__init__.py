"""Provenance: the sources manifest (and, later, the AB 2013 report built on it)."""
