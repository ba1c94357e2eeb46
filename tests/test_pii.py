"""`curate pii`: every kind, the hard negatives, redaction, spans, --drop-if, bad options."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import manifest, read_rows, run, write_jsonl

from curate.pii import KINDS, find_pii

W = ("--workers", 1)


def found(text: str) -> list[tuple[str, str]]:
    return [(k, text[s:e]) for k, s, e in find_pii(text)]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        (
            "Write to jane.doe+news@mail.example.co.uk today.",
            "email",
            "jane.doe+news@mail.example.co.uk",
        ),
        ("Contact: <bob_99@uni-hamburg.de>", "email", "bob_99@uni-hamburg.de"),
        ("Call (415) 555-2671 now", "phone", "(415) 555-2671"),
        ("or 415-555-2671.", "phone", "415-555-2671"),
        ("Toll free 1-800-555-0199", "phone", "1-800-555-0199"),
        ("London office +44 20 7946 0958.", "phone", "+44 20 7946 0958"),
        ("Berlin +49 30 1234567", "phone", "+49 30 1234567"),
        ("Paris +33 1 42 68 53 00", "phone", "+33 1 42 68 53 00"),
        ("Tel.: 020 7946 0958", "phone", "020 7946 0958"),
        ("mobile 0490 75 40 81", "phone", "0490 75 40 81"),
        ("from 203.0.113.45 at night", "ip", "203.0.113.45"),
        ("router 192.168.1.1.", "ip", "192.168.1.1"),
        ("host 2001:db8:85a3::8a2e:370:7334 up", "ip", "2001:db8:85a3::8a2e:370:7334"),
        ("link-local fe80::1ff:fe23:4567:890a", "ip", "fe80::1ff:fe23:4567:890a"),
        ("card 4111 1111 1111 1111 exp", "credit_card", "4111 1111 1111 1111"),
        ("amex 3782-822463-10005", "credit_card", "3782-822463-10005"),
        ("mc 5555555555554444", "credit_card", "5555555555554444"),
        ("SSN 536-22-8726.", "us_ssn", "536-22-8726"),
        ("social security number 536 22 8726", "us_ssn", "536 22 8726"),
        ("IBAN GB82 WEST 1234 5698 7654 32 please", "iban", "GB82 WEST 1234 5698 7654 32"),
        ("pay DE89370400440532013000.", "iban", "DE89370400440532013000"),
        ("FR1420041010050500013M02606", "iban", "FR1420041010050500013M02606"),
    ],
)
def test_each_kind_is_found(text, kind, value):
    assert found(text) == [(kind, value)]


@pytest.mark.parametrize(
    "text",
    [
        "Upgrade to version 1.2.3.4 today; v3.9.9.11 is old.",
        "See section 10.2.7.8 and clause 6.5.1.9 of the contract.",
        "The attribute OID 2.5.4.12 names a title.",
        "Released 2024-01-15, updated 15/01/2024 and 01.02.2003 at 12:30:45.",
        "It costs $1,234.56 or €19.99; 3.14159 is pi; 1,000,000 people.",
        "ISBN 978-3-16-148410-0 and ISBN 0-306-40615-2.",
        "Order 415-555-2671 shipped; tracking 4111111111111111.",
        "Population 8 336 817 in 2020, up from 8 175 133.",
        "The numbers 4111111111111112 and 1234 5678 9012 3456 fail Luhn.",
        "SSN-shaped 666-12-3456, 000-12-3456, 900-12-3456, 123-45-6789.",
        "Bad IBAN GB82 WEST 1234 5698 7654 33 and DE00370400440532013000.",
        "An image logo@2x.png and a handle @someone.",
        "Times 10:45:30 and ratio 3:2:1, C++ std::vector and a::b.",
        "Not NANP: 555-123-4567 (exchange 1xx) and 123-456-7890 (area 1xx).",
        "Lat 51.5074, 0.1278; version 10.0.19041.1 of Windows.",
    ],
)
def test_hard_negatives_are_not_pii(text):
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # national and international styles, validated against libphonenumber's plans,
        # found without a phone word before them
        ("Write to us: 07700 063 966 any day.", "07700 063 966"),
        ("Kaunas office (37) 788-063 opens at nine.", "(37) 788-063"),
        ("Móvil 699 956 915 hasta las ocho.", "699 956 915"),
        ("Appelez le 06 12 34 56 78 demain.", "06 12 34 56 78"),
        ("Ou bien 06.12.34.56.78 le soir.", "06.12.34.56.78"),
        ("Büro +49 (0)30 123456 in Berlin.", "+49 (0)30 123456"),
        ("He lives near 020 7946 0958, I think.", "020 7946 0958"),
        ("Stockholm 070-123 45 67 after lunch.", "070-123 45 67"),
        ("Oslo: 21 23 89 93 on weekdays.", "21 23 89 93"),
        ("Desk 345-899-3560x4587 until five.", "345-899-3560"),
        ("Reception 07700 063 966-Office line.", "07700 063 966"),
        ("Booking details, phone: 08-12 01 08.", "08-12 01 08"),
    ],
)
def test_phone_numbers_in_national_and_international_styles(text, value):
    assert found(text) == [("phone", value)]


@pytest.mark.parametrize(
    "text",
    [
        "The region had 699 956 915 inhabitants.",
        "Revenue reached 12 345 678 EUR last year.",
        "Revenue reached 699 956 915 € last year.",
        "The city had 8 336 817 residents.",
        "It was 2024 01 15, a Monday.",
        "The log says 55 2013-11-05 09:34 and 8467 11-26-02 22:30.",
        "The war lasted from 1939-1945 in Europe.",
        "See pages 123-145 of volume 2.",
        "Count: 10 11 12 13 14 and 19 20 21 22 23.",
        "Table: 100 200 300 and 12 34 56 78 90.",
        "ISBN 978-3-16-148410-0 and ISBN 0-306-40615-2.",
        "Your order 0612 345 678 has shipped; tracking 07700 063 966.",
        "Postal code 03894-4801 and zip 90210-1234.",
        "Firmware 2.10.0.153 and release 0612 34 56 78.",
    ],
)
def test_phone_hard_negatives(text):
    assert [k for k, _ in found(text)] == []


@pytest.mark.parametrize(
    "text",
    [
        "Please update to version 10.3.9.153 before installing.",
        "Fixed in v11.10.8.27 and V 4.2.0.1.",
        "Upgrade to 10.3.9.153 is not needed; build number 10.3.9.154 is.",
        "Affects versions 10.3.9.152, 10.3.9.153 and 10.3.9.154.",
        "Firmware: 10.3.9.153 (release notes).",
        "10.3.9.153-beta and 10.3.9.153_x64 and 10.3.9.153+build7 are out.",
        "Download novas-3.1.1.3.tar.gz or app-10.3.9.153.zip now.",
        "Sent by Thunderbird 1.5.0.9 and Firefox/2.0.0.11.",
        "Python was built with [GCC 2.7.2.2] and zlib 1.2.0.1.",
        "The reverse name is 1.0.0.127.in-addr.arpa here.",
        "4.8.3.1. Positional-or-Keyword Arguments",
        "3.3.2.4 Slots and descriptors",
        "See section 10.2.7.8, clause 6.5.1.9 and OID 1.3.6.1.4.",
        "It shipped in 10.3.9.153 release 2.",
        "version 2001:db8::1 and release 1::2 are package versions here.",
    ],
)
def test_dotted_numbers_that_words_mark_as_versions_are_not_ips(text):
    assert [k for k, _ in found(text)] == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("The server 10.0.0.1 runs version 2.", "10.0.0.1"),
        ("DNS at 8.8.8.8 answered.", "8.8.8.8"),
        ("Pinged 10.0.0.5 twice.", "10.0.0.5"),
        ("Blocked 192.168.1.0/255.255.255.0 today.", "192.168.1.0"),
        ("host 2001:db8::1 is up", "2001:db8::1"),
        ("192.168.0.1 User: fred logged in", "192.168.0.1"),
        ("mask ffff:ffff:ffff:ffff:ffff:ffff:: set", "ffff:ffff:ffff:ffff:ffff:ffff::"),
    ],
)
def test_addresses_near_version_like_text_are_still_ips(text, value):
    assert found(text)[0] == ("ip", value)


@pytest.mark.parametrize(
    ("network", "number"),
    [
        ("Visa 13", "4040785360142"),
        ("Visa 16", "4984012773469694"),
        ("Visa 19", "4428861163244379064"),
        ("Mir", "2201408999485798"),
        ("Mastercard 51-55", "5105408999485798"),
        ("Mastercard 2221", "2221408999485794"),
        ("Mastercard 2720", "2720408999485790"),
        ("Amex 37", "370514310864014"),
        ("Amex 34", "340514310864011"),
        ("Discover 16", "6011408999485799"),
        ("Discover 19", "6011922458108217403"),
        ("Discover 65", "6532770619045877"),
        ("JCB 16", "3530408999485798"),
        ("JCB 19", "3589922458108217401"),
        ("Diners 14", "36856487360433"),
        ("Diners 300", "3000050337078173"),
        ("UnionPay 16", "6232770619045870"),
        ("UnionPay 19", "6258051465470207599"),
        ("UnionPay 81", "8132770619045877"),
        ("Troy", "9792408999485798"),
        ("RuPay 60", "6032770619045872"),
        ("RuPay 508", "5080050337078171"),
        ("Verve 19", "5060998027280932126"),
        ("Maestro 12", "506909048221"),
        ("Maestro 18", "675955142483402651"),
    ],
)
def test_cards_of_every_network_and_length(network, number):
    assert found(f"{network} card {number} was charged.") == [("credit_card", number)]


def test_a_number_outside_the_issuer_ranges_is_a_card_only_after_a_card_word():
    assert found("My card number 3598899323053410 is lost.") == [
        ("credit_card", "3598899323053410")
    ]
    assert found("The reference 3598899323053410 is lost.") == []


def test_a_card_word_after_a_transaction_word_still_names_a_card():
    text = "Need to see last 10 transaction of card 6011408999485799"
    assert found(text) == [("credit_card", "6011408999485799")]
    assert found("Tracking number 6011408999485799 was issued.") == []


def test_phone_regions_choose_the_numbering_plans():
    from curate.pii import find_pii

    fr, lt = "Appelez le 06 12 34 56 78 demain", "Office (37) 788-063 opens"
    assert [k for k, _, _ in find_pii(fr, phone_regions=("FR",))] == ["phone"]
    assert find_pii(fr, phone_regions=("US",)) == []
    assert [k for k, _, _ in find_pii(lt, phone_regions=("LT",))] == ["phone"]
    assert find_pii(lt, phone_regions=("GB",)) == []
    # a +CC number is checked against its own country's plan whatever the regions
    assert find_pii("Büro +49 30 1234567", phone_regions=("US",))[0][0] == "phone"


def test_phone_regions_option(tmp_path):
    raw = _raw(tmp_path, [{"id": "a", "text": "Appelez le 06 12 34 56 78 demain."}])
    r = run("pii", raw, "-o", tmp_path / "us", "--phone-regions", "us,ca", "-q", *W)
    assert r.exit_code == 0, r
    assert read_rows(tmp_path / "us")[0]["pii_phone"] == 0
    r = run("pii", raw, "-o", tmp_path / "fr", "--phone-regions", "FR", "-q", *W)
    assert r.exit_code == 0, r
    assert read_rows(tmp_path / "fr")[0]["pii_phone"] == 1
    assert manifest(tmp_path / "fr")["lineage"][-1]["params"]["phone_regions"] == ["FR"]
    r = run("pii", raw, "-o", tmp_path / "bad", "--phone-regions", "FR,XX", *W)
    assert r.exit_code == 2
    assert "error: --phone-regions XX: not a region with a numbering plan" in r.stderr


def _raw(tmp_path, rows):
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    raw = tmp_path / "raw"
    assert run("ingest", src, "-o", raw, "--source", "s", "-q", *W).exit_code == 0
    return raw


ROWS = [
    {"id": "a", "text": "Mail ann@example.org or bob@example.org; call +1 415 555 2671."},
    {"id": "b", "text": "Nothing here: version 1.2.3.4, 2024-01-15, $19.99."},
    {"id": "c", "text": "Card 4111 1111 1111 1111 from 203.0.113.45."},
]


def test_counts_every_kind_and_keeps_every_row(tmp_path):
    raw = _raw(tmp_path, ROWS)
    r = run("pii", raw, "-o", tmp_path / "out", "-q", *W)
    assert r.exit_code == 0, r
    rows = {x["id"]: x for x in read_rows(tmp_path / "out")}
    assert len(rows) == 3
    assert [rows["a"][f"pii_{k}"] for k in KINDS] == [2, 1, 0, 0, 0, 0]
    assert all(rows["b"][f"pii_{k}"] == 0 for k in KINDS)
    assert rows["c"]["pii_credit_card"] == 1 and rows["c"]["pii_ip"] == 1
    assert rows["a"]["text"] == ROWS[0]["text"] and "pii_spans" not in rows["a"]
    totals = manifest(tmp_path / "out")["lineage"][-1]["totals"]
    assert totals["pii_email"] == 2 and totals["documents_with_pii"] == 2


def test_redact_and_spans_refer_to_the_original_text(tmp_path):
    raw = _raw(tmp_path, ROWS)
    r = run("pii", raw, "-o", tmp_path / "out", "--redact", "email,ip", "--spans", "-q", *W)
    assert r.exit_code == 0, r
    rows = {x["id"]: x for x in read_rows(tmp_path / "out")}
    a = rows["a"]
    assert a["text"] == "Mail <EMAIL> or <EMAIL>; call +1 415 555 2671."
    assert a["pii_redacted"] == 2 and a["pii_email"] == 2
    original = ROWS[0]["text"]
    assert [(s["kind"], original[s["start"] : s["end"]]) for s in a["pii_spans"]] == [
        ("email", "ann@example.org"),
        ("email", "bob@example.org"),
        ("phone", "+1 415 555 2671"),
    ]
    assert rows["c"]["text"] == "Card 4111 1111 1111 1111 from <IP>."
    assert rows["b"]["pii_spans"] == [] and rows["b"]["pii_redacted"] == 0
    r = run("pii", raw, "-o", tmp_path / "all", "--redact", "all", "-q", *W)
    assert r.exit_code == 0
    c = {x["id"]: x for x in read_rows(tmp_path / "all")}["c"]
    assert c["text"] == "Card <CREDIT_CARD> from <IP>."


def test_drop_if_writes_rejected_with_reason(tmp_path):
    raw = _raw(tmp_path, ROWS)
    r = run(
        "pii", raw, "-o", tmp_path / "out", "--drop-if", "email>1",
        "--rejected", tmp_path / "rej", *W,
    )  # fmt: skip
    assert r.exit_code == 0, r
    assert sorted(x["id"] for x in read_rows(tmp_path / "out")) == ["b", "c"]
    rej = read_rows(tmp_path / "rej")
    assert [(x["id"], x["reason"]) for x in rej] == [("a", "pii_email>1")]
    assert manifest(tmp_path / "out")["lineage"][-1]["removed"] == {"pii_email>1": 1}
    assert "removed: pii_email>1" in r.stderr
    r = run("pii", raw, "-o", tmp_path / "any", "--drop-if", "any>0", "-q", *W)
    assert [x["id"] for x in read_rows(tmp_path / "any")] == ["b"]


def test_null_text_gets_zero_counts_and_is_counted(tmp_path):
    t = pa.table({"id": ["1", "2"], "text": pa.array([None, "x@example.com"], pa.large_string())})
    pq.write_table(t, tmp_path / "x.parquet")
    r = run("pii", tmp_path / "x.parquet", "-o", tmp_path / "out", "--spans", "-q", *W)
    assert r.exit_code == 0, r
    rows = read_rows(tmp_path / "out")
    assert rows[0]["pii_email"] == 0 and rows[0]["pii_spans"] is None
    assert rows[1]["pii_email"] == 1
    assert manifest(tmp_path / "out")["lineage"][-1]["totals"]["null_text"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kinds", "email,passport"], "--kinds passport: unknown PII kind; known kinds: "),
        (["--redact", "names"], "--redact names: unknown PII kind; known kinds: "),
        (["--drop-if", "mac>0"], "--drop-if mac: unknown PII kind; known kinds: "),
        (["--drop-if", "email"], "--drop-if email: expected KIND>N"),
        (["--kinds", "email", "--redact", "ip"], "which --kinds leaves out"),
        (["--rejected", "rej"], "--rejected needs --drop-if"),
    ],
)
def test_bad_options_exit_2_naming_the_known_kinds(tmp_path, args, message):
    raw = _raw(tmp_path, ROWS[:1])
    r = run("pii", raw, "-o", tmp_path / "out", *args, *W)
    assert r.exit_code == 2 and message in r.stderr
    if "unknown PII kind" in message:
        assert "email, phone, ip, credit_card, us_ssn, iban" in r.stderr


def test_kinds_limits_the_columns(tmp_path):
    raw = _raw(tmp_path, ROWS)
    r = run("pii", raw, "-o", tmp_path / "out", "--kinds", "email", "-q", *W)
    assert r.exit_code == 0
    row = read_rows(tmp_path / "out")[0]
    assert row["pii_email"] == 2 and "pii_phone" not in row


def test_an_ssn_after_a_phone_word_is_an_ssn_and_iban_tails_are_not_cards():
    assert found("contact us at: SSN: 527-44-3586") == [("us_ssn", "527-44-3586")]
    assert found("Wrong account GB09 KNOW 5828 6951 6177 17 was rejected.") == []


BATCH_TEXTS = [
    "IBAN GB82 WEST 1234 5698 7654 32, card 4111-1111-1111-1111; SSN 536-22-8726.",
    "xGB82WEST12345698765432 and DE89370400440532013000x2 and DE89370400440532013000",
    "Call (415) 555-2671 or +44 20 7946 0958 from 203.0.113.45 (v1.2.3.4) ::1 fe80::1",
    "tel: 0490 75 40 81 / 12.30.2024 / 4111 1111 1111 1111.5 / 5555555555554444",
    "٤١٥-٥٥٥-٢٦٧١ and ab12 34 and 1 2 3 4 5 6 7 8 9 0 1 2 3 and (+1) 415.555.2671",
    "ann@example.org 10.0.0.1:8080 2001:db8::1.2.3.4 phone 020 7946 0958 SSN 536 22 8726",
    "",
]


def test_a_batch_finds_the_same_spans_as_each_text_alone():
    # the batch path reads candidate windows from one Polars pass; find_pii finds them itself
    from curate.pii import make_step

    step = make_step(spans=True, redact="all")
    out = step.process(pa.table({"text": pa.array(BATCH_TEXTS * 3, pa.large_string())})).kept
    got = [[(s["kind"], s["start"], s["end"]) for s in row] for row in out["pii_spans"].to_pylist()]
    assert got == [find_pii(t) for t in BATCH_TEXTS * 3]
    assert sum(map(len, got)) >= 20
