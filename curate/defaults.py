"""Each step's defaults, in one place the library, the `--help` texts and the docs read.

A default written twice drifts: `curate dedup --help` said 0.8 while the library could
say something else. The library's functions and dataclasses take their defaults from
here, the commands' help texts format them in, and the docs' option tables are
rendered from those help texts (scripts/cli_reference.py). This module imports
nothing, so building `--help` stays cheap.
"""

from __future__ import annotations

# curate ingest
SHARD_ROWS = 100_000  # rows per output shard at most

# curate filter: the language step
MIN_LANG_SCORE = 0.65  # a listed language's probability must be above this

# curate dedup
DEDUP_THRESHOLD = 0.8  # Jaccard similarity at or above which documents are duplicates
DEDUP_NGRAM = 5  # shingle length (words or characters)
DEDUP_SHINGLE = "word"  # word | char
DEDUP_NUM_PERM = 128  # MinHash signature length
DEDUP_VERIFY = "exact"  # exact | estimate | none
DEDUP_KEEP = "first"  # first | longest | COLUMN | none
DEDUP_NORMALIZE: tuple[str, ...] = ("lower", "whitespace")

# curate tag-synthetic
SYNTHETIC_THRESHOLD = 0.5  # synthetic_score above this is tagged detected
SYNTHETIC_LABEL = "__label__machine"  # a detector model's machine-written label

# curate pii: every kind it detects, in column order
PII_KINDS: tuple[str, ...] = ("email", "phone", "ip", "credit_card", "us_ssn", "iban")

# Numbering plans that numbers written without a country code are checked against
# (`--phone-regions`): North America, Europe, and the largest other markets whose
# numbers appear in English-language web text. A `+CC` number is checked against its own
# country's plan whatever this says.
PHONE_REGIONS: tuple[str, ...] = (
    "US", "CA", "GB", "IE", "FR", "DE", "AT", "CH", "IT", "ES", "PT", "NL", "BE", "LU",
    "DK", "SE", "NO", "FI", "IS", "PL", "CZ", "SK", "HU", "RO", "BG", "GR", "HR", "SI",
    "RS", "LT", "LV", "EE", "UA", "TR", "IL", "AU", "NZ", "IN", "SG", "ZA", "BR", "MX",
    "AR", "CL", "CO", "JP", "KR",
)  # fmt: skip
