"""The characters datatrove's `simplify_text` turns into spaces (its `PUNCTUATION`).

Copied from datatrove 0.10.1 (`datatrove/utils/text.py`, Apache-2.0; see
THIRD_PARTY_NOTICES.md) so that `curate decontaminate` normalises text exactly as
`NGramsDecontFilter` does by default. Only `PUNCTUATION` is used there: its
`TERMINAL_PUNCTUATION` set does not enter the translation table.
"""

PUNCTUATION = (
    "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16"
    "\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\x7f\x80\x81"
    "\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\x90\x91\x92\x93\x94\x95\x96"
    "\x97\x98\x99\x9a\x9b\x9c\x9d\x9e\x9f\xab\xb4\xbb\u2013\u2014\u2019\u201c\u201d\u201e"
    "\u2026\u2236\u2501\u25ba\u3001\u3002\u3008\u3009\u300a\u300b\u300c\u300d\u3010\u3011"
    "\uff01\uff05\uff08\uff09\uff0c\uff0e\uff11\uff1a\uff1b\uff1f\uff5e"
)
