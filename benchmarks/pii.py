"""Precision/recall per PII kind and MB/s: `curate pii` vs datatrove's PIIFormatter.

The labelled set is built here, from real text, in one seeded run:

* **natural** — presidio-research's 1,500 template sentences with gold spans
  (EMAIL_ADDRESS, IP_ADDRESS, PHONE_NUMBER, CREDIT_CARD, US_SSN, IBAN_CODE);
* **planted** — real web documents (DCLM's labelled pages, the Article Extraction
  Benchmark's news articles) into which sentences carrying generated PII are inserted at
  sentence boundaries, plus **hard negatives**: versions, sections, clauses and OIDs that
  look like IPs, dates, times, prices, ISBNs, order and tracking numbers, coordinates,
  non-Luhn card-length numbers, IBANs with a wrong checksum, `logo@2x.png`.
  Carrier paragraphs that contain anything PII-shaped already (an `@`, a dotted quad, a
  long run of digits) are left out, so every true PII span in this part is labelled.
  Phone numbers are written in the national and international styles of 20 countries
  (libphonenumber's own formats of numbers valid in its plans), with and without a
  phone word before them;
* **docs** — software documentation and release notes written by others: the 530 pages of
  the Python 3.11 documentation (Debian's python3.11-doc; "What's New" release notes, the
  library reference, tutorials), full of versions, section numbers and real example IP
  addresses. Labels: every dotted quad (valid octets) and every colon-hex token that
  Python's `ipaddress` accepts is an IP exactly when it stands on one of the pages about
  networking (NETWORK_PAGES, checked by hand: sockets, ipaddress, logging examples, ...)
  and is not a reverse-DNS name; every `x@y.tld` is an e-mail; the pages hold no phone
  numbers, cards, SSNs or IBANs (each detection of those was read by hand and is a false
  alarm).

The presidio sentences are split in two by position: the even ones were looked at while
writing the phone rules ("tuning"), the odd ones were not ("held-out"); the figures are
given for each part. The planted and docs parts were not used to set any rule.

A prediction is a true positive when it overlaps an unmatched gold span of its kind.
datatrove is measured through its own regexes and validators (the exact matches its
formatter replaces, defaults: public IPs only), in the peer venv; throughput is one
process each, on the same documents.

    python benchmarks/pii.py [EVALDATA_DIR] [--quick]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_EVALDATA, package_versions, peer_python, print_table  # noqa: E402

PRESIDIO_KINDS = {
    "EMAIL_ADDRESS": "email",
    "IP_ADDRESS": "ip",
    "PHONE_NUMBER": "phone",
    "CREDIT_CARD": "credit_card",
    "US_SSN": "us_ssn",
    "IBAN_CODE": "iban",
}
KINDS = ("email", "phone", "ip", "credit_card", "us_ssn", "iban")
PII_SHAPED = re.compile(r"@|\d+\.\d+\.\d+\.\d+|\d[\d .()+-]{6,}\d|[0-9a-f]{1,4}:[0-9a-f]{0,4}:")

# --------------------------------------------------------------------------- generators

FIRST = "anna ben chloe david emma felix grace hugo iris jonas kate liam mia noah olga paul".split()
LAST = "smith mueller garcia rossi dubois novak kowalski jensen silva tanaka okafor lee".split()
DOMAINS = "gmail.com example.org uni-heidelberg.de mail.co.uk outlook.fr web.de acme.io".split()


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        digits = body + check
        total = 0
        for i, c in enumerate(reversed(digits)):
            d = int(c) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return digits
    raise AssertionError


def iban(country: str, length: int, rng: random.Random, *, valid: bool = True) -> str:
    bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + "".join(
        str(rng.randint(0, 9)) for _ in range(length - 8)
    )
    num = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    check = 98 - num % 97
    if not valid:
        check = (check + rng.randint(1, 50)) % 97 + 2
    s = f"{country}{check:02d}{bban}"
    return " ".join(s[i : i + 4] for i in range(0, len(s), 4)) if rng.random() < 0.5 else s


def gen_pii(kind: str, rng: random.Random) -> str:
    if kind == "email":
        f, last = rng.choice(FIRST), rng.choice(LAST)
        local = rng.choice(
            [f"{f}.{last}", f"{f}{rng.randint(1, 99)}", f"{f[0]}{last}", f"{f}+news"]
        )
        if rng.random() < 0.2:
            local = local.capitalize()
        return f"{local}@{rng.choice(DOMAINS)}"
    if kind == "ip":
        r = rng.random()
        if r < 0.55:
            return ".".join(str(rng.randint(1, 223)) for _ in range(4))
        if r < 0.75:
            return f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        groups = [f"{rng.randint(0, 0xFFFF):x}" for _ in range(8)]
        if r < 0.9:
            return "2001:db8::" + ":".join(groups[:3])
        return ":".join(groups)
    if kind == "phone":
        if rng.random() < 0.5:
            return foreign_phone(rng)
        a, e, n = rng.randint(201, 989), rng.randint(200, 999), rng.randint(0, 9999)
        if a % 100 == 11:
            a += 1
        return rng.choice(
            [
                f"({a}) {e}-{n:04d}",
                f"{a}-{e}-{n:04d}",
                f"{a}.{e}.{n:04d}",
                f"+1 {a} {e} {n:04d}",
                f"+44 20 {rng.randint(7000, 8999)} {n:04d}",
                f"+49 30 {rng.randint(1000000, 9999999)}",
                f"+33 {rng.randint(1, 9)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                f"{rng.randint(10, 99)} {rng.randint(10, 99)}",
            ]
        )
    if kind == "credit_card":
        prefix, length = rng.choice([("4", 16), ("51", 16), ("55", 16), ("37", 15), ("6011", 16)])
        d = luhn_complete(prefix + str(rng.randint(0, 9)), length, rng)
        if length == 16 and rng.random() < 0.6:
            sep = rng.choice(" -")
            return sep.join(d[i : i + 4] for i in range(0, 16, 4))
        return d
    if kind == "us_ssn":
        area = rng.choice([rng.randint(1, 665), rng.randint(667, 899)])
        return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
    if kind == "iban":
        c, n = rng.choice([("GB", 22), ("DE", 22), ("FR", 27), ("NL", 18), ("ES", 24)])
        return iban(c, n, rng)
    raise ValueError(kind)


PHONE_COUNTRIES = "GB FR DE ES IT NL BE CH AT SE NO DK FI PL PT IE AU IN BR JP".split()


def foreign_phone(rng: random.Random) -> str:
    """A number valid in libphonenumber's plan of one of 20 countries, in that country's
    national style ("07700 900123", "06 12 34 56 78", "030 123456") or the
    international one ("+44 7700 900123")."""
    import phonenumbers as pn

    region = rng.choice(PHONE_COUNTRIES)
    kind = rng.choice([pn.PhoneNumberType.MOBILE, pn.PhoneNumberType.FIXED_LINE])
    example = pn.example_number_for_type(region, kind)
    national = str(example.national_number)
    for _ in range(50):
        tail = "".join(str(rng.randint(0, 9)) for _ in range(4))
        num = pn.parse(national[:-4] + tail, region)
        if pn.is_valid_number(num):
            break
    style = rng.choice([pn.PhoneNumberFormat.NATIONAL, pn.PhoneNumberFormat.INTERNATIONAL])
    return pn.format_number(num, style)


TEMPLATES = {
    "email": ["Questions can be sent to {} by Friday.", "Contact: {}", "I emailed {} twice."],
    "ip": ["The request came from {} at noon.", "Our server at {} was down.", "Blocked {} again."],
    "phone": [
        "Call us on {} for details.",
        "Phone: {}",
        "You can reach the office at {}.",
        "Our Lisbon office is at {} during the week.",
        "{} (weekdays 9 to 5)",
        "Anna Rossi, {}, anna's desk.",
    ],
    "credit_card": ["I paid with card {} last week.", "Card number {} was charged twice."],
    "us_ssn": ["His SSN is {} according to the form.", "SSN: {}"],
    "iban": ["Please transfer the fee to IBAN {} before May.", "Account (IBAN): {}"],
}


def hard_negative(rng: random.Random) -> str:
    ri, uni = rng.randint, rng.uniform
    q = ".".join(str(ri(1, 20)) for _ in range(4))
    n16 = luhn_complete("4" + str(ri(0, 9)), 16, rng)
    bad16 = n16[:-1] + str((int(n16[-1]) + ri(1, 9)) % 10)
    c, ln = rng.choice([("GB", 22), ("DE", 22), ("FR", 27)])
    return rng.choice(
        [
            f"Please update to version {q} before installing.",
            f"The fix shipped in v{q}.",
            f"As described in section {q}, the rule applies.",
            f"See clause {q} of the agreement.",
            f"The attribute has OID 2.5.4.{ri(1, 60)}.",
            f"Windows build 10.0.{ri(10000, 22999)}.{ri(1, 999)} is affected.",
            f"It was published on {ri(2000, 2025)}-{ri(1, 12):02d}-{ri(1, 28):02d}.",
            f"The meeting is on {ri(1, 28)}/{ri(1, 12)}/{ri(2000, 2025)} "
            f"at {ri(0, 23)}:{ri(0, 59):02d}.",
            f"Tickets cost ${ri(1, 9)},{ri(100, 999)}.{ri(10, 99)} each.",
            f"The book (ISBN 978-{ri(0, 9)}-{ri(100, 999)}-{ri(10000, 99999)}-{ri(0, 9)}) "
            "sold well.",
            f"Your order {ri(200, 999)}-{ri(200, 999)}-{ri(1000, 9999)} has shipped.",
            f"Tracking number {n16} was issued.",
            f"The reference {bad16} is not a card.",
            f"Wrong account {iban(c, ln, rng, valid=False)} was rejected.",
            f"The site sits at {uni(-80, 80):.4f}, {uni(-170, 170):.4f}.",
            f"The city had {ri(1, 9)} {ri(100, 999)} {ri(100, 999)} residents.",
            "The header image is logo@2x.png on retina screens.",
            f"The region had {ri(100, 999)} {ri(100, 999)} {ri(100, 999)} inhabitants.",
            f"Revenue reached {ri(1, 99)} {ri(100, 999)} {ri(100, 999)} EUR last year.",
            f"The war lasted from {ri(1900, 1950)}-{ri(1951, 1999)} in that region.",
            f"See pages {ri(100, 499)}-{ri(500, 999)} of volume {ri(1, 9)}.",
            f"Firmware {ri(1, 12)}.{ri(0, 20)}.{ri(0, 9)}.{ri(100, 250)} fixes the bug.",
            f"Released as {ri(10, 12)}.{ri(0, 9)}.{ri(0, 9)}.{ri(10, 250)}-beta last week.",
            f"The ratio was {ri(1, 9)}:{ri(1, 9)}:{ri(1, 9)} "
            f"by {ri(10, 12)}:{ri(10, 59)}:{ri(10, 59)}.",
        ]
    )


# --------------------------------------------------------------------------- the set


def carriers(base: Path) -> list[str]:
    texts = []
    with gzip.open(base / "text/dclm_quality_labels/majority_data.jsonl.gz", "rt") as f:
        texts += [json.loads(line)["text"] for line in f]
    gt = json.loads((base / "html/scrapinghub_aeb/ground-truth.json").read_text())
    texts += [v["articleBody"] for v in gt.values()]
    out = []
    for t in texts:
        paras = [p for p in t.split("\n") if p.strip() and not PII_SHAPED.search(p)]
        if paras:
            out.append("\n".join(paras))
    return out


NETWORK_PAGES = frozenset(
    """howto/ipaddress library/ipaddress howto/logging-cookbook howto/sockets library/socket
    library/socketserver library/ssl library/http.server library/http.cookiejar library/idle
    library/logging library/multiprocessing library/test library/asyncio-eventloop
    library/asyncio-protocol library/asyncio-stream library/contextvars whatsnew/3.5
    whatsnew/2.7 whatsnew/3.2""".split()
)
# The only phone numbers in the Python docs (read by hand): the phone book of `re`.
DOCS_PHONES = {"library/re": ("834.345.1254", "892.345.3428", "925.541.7625", "548.326.4584")}
DOTTED_QUAD = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
COLON_HEX = re.compile(r"(?<![\w:.])[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(?![\w:])")
SIMPLE_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")


def python_docs(base: Path) -> list[tuple[str, list[tuple[str, int, int]], str]]:
    """The Python 3.11 documentation's pages as text, with the labels described above."""
    import ipaddress

    from selectolax.lexbor import LexborHTMLParser

    docs = []
    with tarfile.open(base / "html/debian/python3.11-doc_html.tar.xz") as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if not member.name.endswith(".html"):
                continue
            page = member.name.split("/html/", 1)[1].removesuffix(".html")
            tree = LexborHTMLParser(tar.extractfile(member).read().decode("utf-8", "replace"))
            for node in tree.css("script, style"):
                node.decompose()
            text = re.sub(r"[ \t]+", " ", tree.body.text(separator=" ") if tree.body else "")
            gold = []
            network = page in NETWORK_PAGES
            for m in DOTTED_QUAD.finditer(text):
                octets_ok = all(int(o) <= 255 for o in m.group(0).split("."))
                if network and octets_ok and not text.startswith(".in-addr", m.end()):
                    gold.append(("ip", m.start(), m.end()))
            for m in COLON_HEX.finditer(text):
                try:
                    ipaddress.IPv6Address(m.group(0))
                except ValueError:
                    continue
                if network:
                    gold.append(("ip", m.start(), m.end()))
            gold += [("email", m.start(), m.end()) for m in SIMPLE_EMAIL.finditer(text)]
            for number in DOCS_PHONES.get(page, ()):
                gold += [
                    ("phone", m.start(), m.end()) for m in re.finditer(re.escape(number), text)
                ]
            docs.append((text, gold, "docs"))
    return [(t, g, f"{p}-{'tune' if i % 2 == 0 else 'held'}") for i, (t, g, p) in enumerate(docs)]


def build(base: Path, rng: random.Random) -> list[tuple[str, list[tuple[str, int, int]], str]]:
    """(text, gold spans, part) documents."""
    docs = []
    presidio = json.loads((base / "pii/presidio_research_synth_dataset_v2.json").read_text())
    for r in presidio:
        gold = [
            (PRESIDIO_KINDS[s["entity_type"]], s["start_position"], s["end_position"])
            for s in r["spans"]
            if s["entity_type"] in PRESIDIO_KINDS
        ]
        docs.append((r["full_text"], gold, "presidio"))
    for text in carriers(base):
        sents = re.split(r"(?<=[.!?])\s+", text)
        pieces: list[tuple[str, tuple[str, str] | None]] = [(s, None) for s in sents]
        for _ in range(rng.randint(1, 4)):
            kind = rng.choice(KINDS)
            value = gen_pii(kind, rng)
            tpl = rng.choice(TEMPLATES[kind])
            pieces.insert(rng.randint(0, len(pieces)), (tpl.format(value), (kind, value)))
        for _ in range(rng.randint(1, 3)):
            pieces.insert(rng.randint(0, len(pieces)), (hard_negative(rng), None))
        out, gold, pos = [], [], 0
        for s, lab in pieces:
            if lab is not None:
                i = s.index(lab[1])
                gold.append((lab[0], pos + i, pos + i + len(lab[1])))
            out.append(s)
            pos += len(s) + 1
        docs.append((" ".join(out), gold, "planted"))
    docs = [(t, g, f"{p}-{'tune' if i % 2 == 0 else 'held'}") for i, (t, g, p) in enumerate(docs)]
    return docs + python_docs(base)


def score(docs, predictions, kinds) -> dict[str, tuple[int, int, int]]:
    """kind → (true positives, predictions, gold)."""
    res: dict[str, list[int]] = {k: [0, 0, 0] for k in kinds}
    for (_, gold, _), pred in zip(docs, predictions, strict=True):
        used = set()
        for k, _s, _e in gold:
            if k in res:
                res[k][2] += 1
        for k, s, e in pred:
            if k not in res:
                continue
            res[k][1] += 1
            for j, (gk, gs, ge) in enumerate(gold):
                if j not in used and gk == k and gs < e and s < ge:
                    used.add(j)
                    res[k][0] += 1
                    break
    return {k: tuple(v) for k, v in res.items()}  # type: ignore[misc]


PEER_SCRIPT = r"""
import json, sys, time
from datatrove.pipeline.formatters.pii import PIIFormatter
docs = [json.loads(l)["text"] for l in open(sys.argv[1])]
f = PIIFormatter()
preds = []
for t in docs:
    p = []
    for kind, rep in (("email", f.emails_replacer), ("ip", f.ip_replacer)):
        for m in rep.regex.finditer(t):
            if rep.validator is None or rep.validator(m.group(0)):
                p.append((kind, m.start(), m.end()))
    preds.append(p)
reps = int(sys.argv[2])
t0 = time.perf_counter()
for _ in range(reps):
    for t in docs:
        f.format(t)
dt = time.perf_counter() - t0
print(json.dumps({"preds": preds, "seconds": dt}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("evaldata", nargs="?", default=str(DEFAULT_EVALDATA))
    ap.add_argument("--quick", action="store_true", help="a quarter of the documents")
    ap.add_argument("--reps", type=int, default=3, help="passes over the text for MB/s")
    args = ap.parse_args()

    import pyarrow as pa

    import curate
    from curate.pii import find_pii, make_step

    docs = build(Path(args.evaldata), random.Random(20261201))
    if args.quick:
        docs = [d for i, d in enumerate(docs) if i % 8 in (0, 1)]
    texts = [d[0] for d in docs]
    mb = sum(len(t.encode()) for t in texts) / 1e6
    parts = Counter(d[2] for d in docs)
    gold_n = Counter(k for d in docs for k, _, _ in d[1])
    print(
        f"{len(docs):,} documents (" + ", ".join(f"{parts[p]:,} {p}" for p in sorted(parts)) + "), "
        f"{mb:.2f} MB; gold spans: " + ", ".join(f"{k} {gold_n[k]}" for k in KINDS)
    )
    negatives = sum(1 for d in docs if d[2].startswith("planted"))
    print(f"hard negatives planted in {negatives:,} documents (1-3 each)\n")

    ours = [find_pii(t) for t in texts]
    # the headline figures: the held-out half of every part (no rule was set on these)
    held = [i for i, d in enumerate(docs) if d[2].endswith("-held")]
    cur = score([docs[i] for i in held], [ours[i] for i in held], KINDS)

    table = pa.table({"text": pa.array(texts, pa.large_string())})
    timings = {}
    for label, kinds in (("all kinds", None), ("email,ip", "email,ip")):
        step = make_step(kinds=kinds, redact="all")
        step.process(table.slice(0, 200))  # warm up, as the peer's scoring pass warms it
        t0 = time.perf_counter()
        for _ in range(args.reps):
            for i in range(0, table.num_rows, 10_000):
                step.process(table.slice(i, 10_000))
        timings[label] = time.perf_counter() - t0

    peer = peer_python(required=False)
    dt_res = None
    if peer is not None:
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            for t in texts:
                f.write(json.dumps({"text": t}) + "\n")
        out = subprocess.run(
            [str(peer), "-c", PEER_SCRIPT, f.name, str(args.reps)],
            capture_output=True,
            text=True,
            check=True,
        )
        dt_res = json.loads(out.stdout.strip().splitlines()[-1])
        Path(f.name).unlink()
        dt_preds = [[tuple(p) for p in dt_res["preds"][i]] for i in held]
        dtv = score([docs[i] for i in held], dt_preds, ("email", "ip"))

    rows = []
    for k in KINDS:
        tp, npred, ngold = cur[k]
        p = tp / npred if npred else float("nan")
        r = tp / ngold if ngold else float("nan")
        row = [k, f"{ngold}", f"{npred}", f"{p:.3f}", f"{r:.3f}"]
        if dt_res is not None and k in ("email", "ip"):
            tp2, np2, _ = dtv[k]
            row += [f"{np2}", f"{tp2 / np2:.3f}" if np2 else "-", f"{tp2 / ngold:.3f}"]
        else:
            row += ["-", "-", "-"]
        rows.append(row)
    print_table(
        ["kind", "gold", "curate pred", "curate P", "curate R", "datatrove pred", "dt P", "dt R"],
        rows,
        title="precision / recall per kind (span overlap), held-out halves of all parts",
    )
    # per part: P (true/predicted) and R (found/gold) per kind
    prow = []
    for part in sorted(parts):
        idx = [i for i, d in enumerate(docs) if d[2] == part]
        s = score([docs[i] for i in idx], [ours[i] for i in idx], KINDS)
        row = [part]
        for k in KINDS:
            tp, npred, ngold = s[k]
            p = f"{tp / npred:.3f}" if npred else "-"
            r = f"{tp / ngold:.3f}" if ngold else "-"
            row.append(f"{p} / {r} ({ngold})")
        prow.append(row)
    print_table(
        ["part", *(f"{k} P / R (gold)" for k in KINDS)], prow, title="per part (P / R (gold))"
    )
    print()
    total_mb = mb * args.reps
    trows = [
        [f"curate pii ({lab}, detect+redact)", f"{total_mb / sec:.1f}"]
        for lab, sec in timings.items()
    ]
    if dt_res is not None:
        dt_mbs = total_mb / dt_res["seconds"]
        trows.append(["datatrove PIIFormatter (email, ip)", f"{dt_mbs:.1f}"])
        trows.append(
            [
                "ratio curate(email,ip) / datatrove",
                f"{total_mb / timings['email,ip'] / dt_mbs:.2f}x",
            ]
        )
        trows.append(
            [
                "ratio curate(all kinds) / datatrove",
                f"{total_mb / timings['all kinds'] / dt_mbs:.2f}x",
            ]
        )
    print_table(["throughput, 1 process", "MB/s"], trows)
    import polars as pl

    print(f"curate {curate.__version__} (polars {pl.__version__}, Python {sys.version.split()[0]})")
    if peer is not None:
        print(
            "peer: "
            + ", ".join(f"{k} {v}" for k, v in package_versions(peer, ["datatrove"]).items())
        )
    else:
        print("peer venv missing: datatrove not measured (bash benchmarks/make_peer_env.sh)")


if __name__ == "__main__":
    main()
