"""Licence-marker URL -> SPDX identifier mapping for pages found on the web.

Kept apart from the text extractor because it is pure string logic with its own
table, and because a licence tag on a document is a legal claim: an unknown or
ambiguous URL maps to nothing rather than to a guess. Only URL shapes whose SPDX
identifier is unambiguous are recognised (Creative Commons licences and public
domain tools, plus a few permissive licences with one canonical URL).
"""

from __future__ import annotations

import re

__all__ = ["spdx_from_url"]

# creativecommons.org/licenses/<kind>/<version>[/<jurisdiction>]
_CC_LICENSE = re.compile(
    r"creativecommons\.org/licen[cs]es/"
    r"(by|by-sa|by-nd|by-nc|by-nc-sa|by-nc-nd|by-nd-nc)/"
    r"(\d\.\d)(?:/([a-z]{2,3}))?",
    re.IGNORECASE,
)
_CC_ZERO = re.compile(r"creativecommons\.org/publicdomain/zero/1\.0", re.IGNORECASE)
_CC_MARK = re.compile(r"creativecommons\.org/publicdomain/mark/1\.0", re.IGNORECASE)

# Unported versions that exist in the SPDX list for every CC licence kind.
_CC_VERSIONS = frozenset({"1.0", "2.0", "2.5", "3.0", "4.0"})
# Jurisdiction ports that SPDX lists separately (anything else maps to the unported id,
# which carries the same terms; ports were translations, not different licences).
_CC_PORTS = frozenset(
    {
        "CC-BY-2.5-AU",
        "CC-BY-3.0-AT",
        "CC-BY-3.0-AU",
        "CC-BY-3.0-DE",
        "CC-BY-3.0-IGO",
        "CC-BY-3.0-NL",
        "CC-BY-3.0-US",
        "CC-BY-NC-3.0-DE",
        "CC-BY-NC-ND-3.0-DE",
        "CC-BY-NC-ND-3.0-IGO",
        "CC-BY-NC-SA-2.0-DE",
        "CC-BY-NC-SA-2.0-FR",
        "CC-BY-NC-SA-2.0-UK",
        "CC-BY-NC-SA-3.0-DE",
        "CC-BY-NC-SA-3.0-IGO",
        "CC-BY-ND-3.0-DE",
        "CC-BY-SA-2.0-UK",
        "CC-BY-SA-2.1-JP",
        "CC-BY-SA-3.0-AT",
        "CC-BY-SA-3.0-DE",
        "CC-BY-SA-3.0-IGO",
    }
)
# CC spells the UK port "scotland"/"england" in some URLs; SPDX calls them -UK.
_PORT_ALIASES = {"uk": "UK", "gb": "UK", "scotland": "UK"}

_OTHER = (
    (re.compile(r"apache\.org/licenses/license-2\.0", re.IGNORECASE), "Apache-2.0"),
    (re.compile(r"opensource\.org/licenses/mit(?:-license)?(?:\.php)?/?$", re.IGNORECASE), "MIT"),
)


def spdx_from_url(url: str) -> str | None:
    """Map one licence URL to its SPDX id, or None when it is not a licence we can name.

    Ported CC licences keep their SPDX port id where SPDX has one (CC-BY-SA-3.0-DE),
    otherwise the unported id; ``by-nd-nc`` (an old CC alias) is normalised to BY-NC-ND.
    """
    if not url:
        return None
    m = _CC_LICENSE.search(url)
    if m:
        kind = m.group(1).upper()
        if kind == "BY-ND-NC":
            kind = "BY-NC-ND"
        version = m.group(2)
        base = f"CC-{kind}-{version}"
        port = m.group(3)
        if port:
            ported = f"{base}-{_PORT_ALIASES.get(port.lower(), port.upper())}"
            if ported in _CC_PORTS:
                return ported
        if version in _CC_VERSIONS:
            return base
        return None
    if _CC_ZERO.search(url):
        return "CC0-1.0"
    if _CC_MARK.search(url):
        return "PDM-1.0"
    for pattern, spdx in _OTHER:
        if pattern.search(url):
            return spdx
    return None
