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


TEMPLATES = {
    "email": ["Questions can be sent to {} by Friday.", "Contact: {}", "I emailed {} twice."],
    "ip": ["The request came from {} at noon.", "Our server at {} was down.", "Blocked {} again."],
    "phone": ["Call us on {} for details.", "Phone: {}", "You can reach the office at {}."],
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


def build(base: Path, rng: random.Random) -> list[tuple[str, list[tuple[str, int, int]], str]]:
    """(text, gold spans, part) documents."""
    docs = []
    for r in json.loads((base / "pii/presidio_research_synth_dataset_v2.json").read_text()):
        gold = [
            (PRESIDIO_KINDS[s["entity_type"]], s["start_position"], s["end_position"])
            for s in r["spans"]
            if s["entity_type"] in PRESIDIO_KINDS
        ]
        docs.append((r["full_text"], gold, "natural"))
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
    return docs


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
        docs = docs[::4]
    texts = [d[0] for d in docs]
    mb = sum(len(t.encode()) for t in texts) / 1e6
    parts = Counter(d[2] for d in docs)
    gold_n = Counter(k for d in docs for k, _, _ in d[1])
    print(
        f"{len(docs):,} documents ({parts['natural']:,} natural, {parts['planted']:,} planted), "
        f"{mb:.2f} MB; gold spans: " + ", ".join(f"{k} {gold_n[k]}" for k in KINDS)
    )
    negatives = sum(1 for d in docs if d[2] == "planted")
    print(f"hard negatives planted in {negatives:,} documents (1-3 each)\n")

    ours = [find_pii(t) for t in texts]
    cur = score(docs, ours, KINDS)

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
        dtv = score(docs, [[tuple(p) for p in ps] for ps in dt_res["preds"]], ("email", "ip"))

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
        title="precision / recall per kind (span overlap)",
    )
    # per part (natural presidio vs planted real text)
    for part in ("natural", "planted"):
        idx = [i for i, d in enumerate(docs) if d[2] == part]
        s = score([docs[i] for i in idx], [ours[i] for i in idx], KINDS)
        print(
            f"{part:8s} "
            + "  ".join(
                f"{k} P {v[0] / v[1]:.2f} R {v[0] / v[2]:.2f}" if v[1] and v[2] else f"{k} -"
                for k, v in s.items()
            )
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
