"""Sensitive-span detection for privacy metrics (survey section 5.3): json.recall_aon, logs.exposure and
logs.sensitive_span_prf.

A detector is a function ``text -> list[Span]``. Three are available (:func:`get_detector`):

* ``"builtin"``: the regular expressions and checksums below (no dependency, offline);
* ``"presidio"``: presidio-analyzer's pattern recognizers, offline (:mod:`synthaudit.detect.presidio`);
* ``"module:function"``: any importable function returning ``[{type, start, end}]`` or :class:`Span` objects.

Offsets are Python ``str`` indices (code points, not bytes nor UTF-16 units): ``text[start:end]`` is the span.

The built-in detector (``BUILTIN_PATTERNS`` documents every pattern and its known misses) finds candidates per
type, validates them (``ipaddress`` for IP addresses, ISO 13616 mod-97 for IBANs, Luhn for cards, SSA rules for
SSNs) and resolves overlaps greedily among the *requested* types: the longest span wins, ties go to the earlier
type in ``PRIORITY``. So ``detect(text)`` reports an URL as one ``url`` span, while ``detect(text, ["ipv4"])``
still finds the IP address inside it (an exposure count over IP addresses must see it).

Cost on loghub lines (about 120 characters, 2 shared cores): about 25 microseconds per line for logs.exposure's
default types (ipv4, ipv6, mac_address, email), about 170 for all thirteen types; cheap substring gates skip a
type's regular expressions when a line cannot hold it.
"""
from __future__ import annotations

import difflib
import importlib
import ipaddress
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Sequence

from synthaudit.errors import InputError, UsageError

TYPES: tuple[str, ...] = ("email", "phone", "ipv4", "ipv6", "mac_address", "iban", "credit_card", "ssn", "url",
                          "user_name", "token", "path", "hostname")
#: overlap tie-break (equal lengths): earlier wins
PRIORITY: tuple[str, ...] = ("token", "email", "url", "iban", "credit_card", "ssn", "ipv6", "ipv4", "mac_address",
                             "phone", "user_name", "path", "hostname")
MATCH_MODES = ("exact", "overlap", "cover")


@dataclass(frozen=True)
class Span:
    """A typed character range ``[start, end)`` of a text (Python str indices); ``text`` is the covered text."""

    start: int
    end: int
    type: str
    text: str = ""


Detector = Callable[[str], list[Span]]

# -- validators ------------------------------------------------------------------------------------------


def luhn_valid(number: str) -> bool:
    """The Luhn (mod 10) check over the digits of ``number`` (separators ignored)."""
    digits = [int(c) for c in number if c.isdigit()]
    if not digits:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


#: IBAN length per country (SWIFT IBAN registry)
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "BY": 28,
    "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
    "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19,
    "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}


def iban_valid(iban: str) -> bool:
    """ISO 13616: known country, its length, and mod-97 of the rearranged number equal to 1 (spaces ignored)."""
    s = "".join(iban.split()).upper()
    if len(s) < 5 or not s.isalnum() or not s.isascii() or IBAN_LENGTHS.get(s[:2]) != len(s) or not s[2:4].isdigit():
        return False
    digits = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(digits) % 97 == 1


def ipv4_valid(text: str) -> bool:
    """A dotted-quad IPv4 address as ``ipaddress`` accepts it (no leading zeros, octets <= 255)."""
    try:
        ipaddress.IPv4Address(text)
        return True
    except ValueError:
        return False


def ipv6_valid(text: str) -> bool:
    """An IPv6 address as ``ipaddress`` accepts it (``::`` compression, embedded IPv4, ``%zone``)."""
    try:
        ipaddress.IPv6Address(text)
        return True
    except ValueError:
        return False


#: card schemes by IIN prefix ranges -> allowed lengths (Visa, Mastercard, Amex, Discover, Diners, JCB,
#: UnionPay, Maestro)
_CARD_PREFIXES: tuple[tuple[int, int, tuple[int, ...]], ...] = (
    (4, 4, (13, 16, 19)), (51, 55, (16,)), (2221, 2720, (16,)), (34, 34, (15,)), (37, 37, (15,)),
    (6011, 6011, (16, 19)), (644, 649, (16, 19)), (65, 65, (16, 19)), (300, 305, (14,)), (36, 36, (14,)),
    (38, 39, (14,)), (3528, 3589, (16, 17, 18, 19)), (62, 62, (16, 17, 18, 19)), (50, 50, tuple(range(12, 20))),
    (56, 69, tuple(range(12, 20))),
)


def card_valid(number: str) -> bool:
    """13-19 digits, a known scheme prefix with an allowed length, and the Luhn check."""
    digits = "".join(c for c in number if c.isdigit())
    if not 13 <= len(digits) <= 19:
        return False
    scheme = any(lo <= int(digits[:len(str(lo))]) <= hi and len(digits) in lengths
                 for lo, hi, lengths in _CARD_PREFIXES)
    return scheme and luhn_valid(digits)


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """SSA rules: area not 000, 666 or 900-999; group not 00; serial not 0000."""
    return area != "000" and area != "666" and not area.startswith("9") and group != "00" and serial != "0000"


def entropy(s: str) -> float:
    """Shannon entropy of the characters of ``s`` in bits per character."""
    if not s:
        return 0.0
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


# -- the built-in patterns -------------------------------------------------------------------------------
BUILTIN_PATTERNS: dict[str, dict[str, str]] = {
    "email": {"finds": "local@domain.tld: ASCII local part [A-Za-z0-9._%+-], dotted domain, alphabetic TLD of 2+",
              "misses": "non-ASCII local parts and IDN domains; obfuscated forms ('a at b dot com')"},
    "phone": {"finds": "international +CC numbers (8-15 digits, separators ' .-()'); NANP (212) 555-0147, "
                       "212-555-0147, 212.555.0147 (area code 2-9); national numbers with a trunk 0 and "
                       "separators (020 7946 0958, 01 23 45 67 89, 030/12345678; 9-12 digits); any 7-15 digit number "
                       "after tel/phone/mobile/fax",
              "misses": "unseparated national numbers without a keyword (02079460958); extensions; vanity letters"},
    "ipv4": {"finds": "dotted quads valid for ipaddress (octets <= 255, no leading zeros), not inside a longer "
                      "dotted number, not after version/ver/release/build/firmware/rev",
             "misses": "a version string of exactly four valid octets without such a keyword (reported); "
                       "hex/decimal/shortened forms (0x0a000001, 10.1)"},
    "ipv6": {"finds": "colon-hex candidates with a digit, validated by ipaddress (:: compression, embedded IPv4, "
                      "%zone)",
             "misses": "words made only of hex letters around '::' without a digit (dead::beef); bracketless "
                       "address:port is read as a longer address when the result is still valid"},
    "mac_address": {"finds": "six hex pairs joined by one consistent ':' or '-'; Cisco xxxx.xxxx.xxxx",
                    "misses": "unseparated 12-hex-digit forms (001A2B3C4D5E)"},
    "iban": {"finds": "upper-case country code + 2 check digits + BBAN (optionally grouped by spaces) of the "
                      "country's registered length, mod-97 == 1",
             "misses": "lower-case IBANs; countries outside the registry table; IBANs split by other separators"},
    "credit_card": {"finds": "13-19 digits, optionally grouped with one consistent space or '-', with a known scheme "
                             "prefix and length (Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay, Maestro), "
                             "Luhn-valid",
                    "misses": "other schemes; cards split across tokens in other ways; masked cards (4111 **** ...)"},
    "ssn": {"finds": "US SSN ddd-dd-dddd (area not 000/666/9xx, group not 00, serial not 0000); nine digits after "
                     "'SSN'/'social security number'",
            "misses": "space-separated or undashed SSNs without the keyword; other countries' national ids"},
    "url": {"finds": "scheme://... (any scheme of 2-16 characters: http(s), ftp, ssh, postgres, jdbc:mysql, ...) and "
                     "www. hosts, trailing punctuation trimmed; credentials inside an URL are part of the url span",
            "misses": "scheme-less URLs other than www. (example.com/path is a hostname + path)"},
    "user_name": {"finds": "values of user=/username=/login=/logname=/account=/owner=/uid=/ruser=/principal= "
                           "(text or JSON keys, non-numeric), 'for|as|by|authenticating|invalid|illegal|unknown "
                           "user X', 'password|publickey for X from', 'sudo: X :', /home/X, /Users/X, C:\\Users\\X",
                  "misses": "names in free text without these cues; numeric uids (not names); placeholder values "
                            "(unknown, null, -, anonymous) are skipped"},
    "token": {"finds": "JWTs (eyJ..eyJ..sig); AWS (AKIA/ASIA), GitHub (ghp_, github_pat_), GitLab, Slack (xox?-), "
                       "Stripe (sk_live_), Google (AIza), OpenAI (sk-) keys; PEM private-key headers; Bearer/Basic "
                       "credentials with a digit; values of password/pwd/secret/token/api_key/access_key/session_id/"
                       "sid/credentials keys after '=', after a quoted JSON key, or after 'key:' when the value has "
                       "a digit or symbol (not paths); hex strings of 32+ with a digit and letters; base64-like "
                       "strings of 32+ with upper, lower and digit and entropy >= 4 bits/char",
              "misses": "short secrets without a key (hunter2 alone); hex ids with letters under 15 % of their "
                        "length; 'password: secret' in prose (letters only after an unquoted 'key:'); hex digests "
                        "after sha/md5/hash/commit/checksum/digest/etag/fingerprint are deliberately skipped; UUIDs "
                        "are not tokens; masked values (***, <redacted>) are skipped"},
    "path": {"finds": "absolute Unix paths with 2+ components (/etc/passwd), ~/ and ./ or ../ relative paths, "
                      "Windows drive (C:\\...) and UNC (\\\\server\\share) paths",
             "misses": "single-component paths (/tmp); relative paths without ./; Windows paths with spaces are cut "
                       "at the first space; URL paths in HTTP request lines are reported as paths"},
    "hostname": {"finds": "FQDNs of 2+ labels ending in a known TLD (common gTLDs and ccTLDs) or in .local, "
                          ".internal, .lan, .corp, .home, .localdomain, .intranet, .arpa",
                 "misses": "single-label hosts and cluster node names (R02-M1-N0, host-10-1-2-3); TLDs that are "
                           "common file extensions (py, rs, sh, so, md, pl, ps, pm, am, ac, in, zip, app, ...); "
                           "java.*/javax.* package names are skipped"},
}

_WORDISH = re.compile(r"[\w]")
_EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
                    r"[A-Za-z]{2,24}(?![\w-]|\.[A-Za-z0-9])")
_URL = re.compile(r"(?i)\b(?:(?:jdbc:)?[a-z][a-z0-9+.-]{1,15}://|www\.)[^\s<>\"'`]+")
_URL_TRAIL = ".,;:!?)]}'\">"


_NONDIGITS = re.compile(r"\D+")


@lru_cache(maxsize=8)
def _ndigits(text: str) -> int:
    """Digits in ``text`` (memoised: several finders ask about the same text)."""
    return len(_NONDIGITS.sub("", text))


def _trim(text: str, start: int, end: int, chars: str) -> int:
    """The end of ``text[start:end]`` with trailing ``chars`` removed (a ')' is kept when it closes a '(')."""
    while end > start and text[end - 1] in chars:
        if text[end - 1] == ")" and text.count("(", start, end) >= text.count(")", start, end):
            break
        end -= 1
    return end


def _find_email(text: str) -> Iterator[tuple[int, int]]:
    if "@" in text:
        for m in _EMAIL.finditer(text):
            if not m.group().startswith(".") and ".." not in m.group():
                yield m.start(), m.end()


def _find_url(text: str) -> Iterator[tuple[int, int]]:
    if "://" not in text and "www." not in text and "WWW." not in text:
        return
    for m in _URL.finditer(text):
        end = _trim(text, m.start(), m.end(), _URL_TRAIL)
        if end - m.start() > 6 and not text[m.start():end].lower().endswith("://"):
            yield m.start(), end


_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}")
_VERSION_BEFORE = re.compile(r"(?i)(?:\bv|\bversion|\bver\.?|\brelease|\bbuild|\bfirmware|\bfw|\brev|\boid)"
                             r"\s*[:=#]?\s*$")


def _free_after(text: str, end: int) -> bool:
    """Nothing after ``end`` continues the candidate: no word char, no '.digit', no '-letter'."""
    nxt = text[end:end + 2]
    if not nxt:
        return True
    if _WORDISH.match(nxt[0]):
        return False
    return not (len(nxt) == 2 and ((nxt[0] == "." and nxt[1].isdigit()) or (nxt[0] == "-" and nxt[1].isalpha())))


def _find_ipv4(text: str) -> Iterator[tuple[int, int]]:
    if text.count(".") < 3:
        return
    for m in _IPV4.finditer(text):
        if (ipv4_valid(m.group()) and _free_after(text, m.end())
                and not _VERSION_BEFORE.search(text[max(0, m.start() - 16):m.start()])):
            yield m.start(), m.end()


_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4}|(?<=:))"
                   r"(?:%[\w.]+)?(?![\w:]|\.\d)")


def _find_ipv6(text: str) -> Iterator[tuple[int, int]]:
    if "::" not in text and text.count(":") < 7:  # an address has '::' or eight groups
        return
    for m in _IPV6.finditer(text):
        s = m.group()
        if any(c.isdigit() for c in s) and ipv6_valid(s):
            yield m.start(), m.end()


_MAC = re.compile(r"(?<![\w:.-])(?:[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}|"
                  r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![\w:-]|\.\w)")


def _find_mac(text: str) -> Iterator[tuple[int, int]]:
    if text.count(":") < 5 and text.count("-") < 5 and text.count(".") < 2:
        return
    for m in _MAC.finditer(text):
        s = m.group()
        if "." in s and not (any(c.isdigit() for c in s) and any(c.isalpha() for c in s)):
            continue  # Cisco form: digits and hex letters (digits only is a dotted number, letters only a word)
        yield m.start(), m.end()


_IBAN_START = re.compile(r"\b([A-Z]{2})(\d{2})")


def _find_iban(text: str) -> Iterator[tuple[int, int]]:
    for m in _IBAN_START.finditer(text):
        need = IBAN_LENGTHS.get(m.group(1))
        if need is None:
            continue
        i, count = m.end(), 4
        while count < need and i < len(text):  # BBAN characters, single spaces allowed between them
            c = text[i]
            if c.isascii() and (c.isdigit() or c.isupper()):
                count += 1
                i += 1
            elif c == " " and i + 1 < len(text) and text[i + 1].isascii() and text[i + 1].isalnum():
                i += 1
            else:
                break
        if count == need and (i == len(text) or not text[i].isalnum()) and iban_valid(text[m.start():i]):
            yield m.start(), i


_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")


def _find_card(text: str) -> Iterator[tuple[int, int]]:
    if _ndigits(text) < 13:
        return
    for m in _CARD.finditer(text):
        s = m.group()
        seps = {c for c in s if not c.isdigit()}
        if len(seps) <= 1 and card_valid(s):
            yield m.start(), m.end()


_SSN = re.compile(r"(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w-])")
_SSN_HINT = re.compile(r"(?i)ssn|social")
_SSN_KEYWORD = re.compile(r"(?i)\b(?:ssn|social security(?: number| no\.?)?)\s*[:#=]?\s*(\d{3})(\d{2})(\d{4})\b")


def _find_ssn(text: str) -> Iterator[tuple[int, int]]:
    if _ndigits(text) < 9:
        return
    for m in _SSN.finditer(text) if "-" in text else ():
        if ssn_valid(*m.groups()):
            yield m.start(), m.end()
    for m in _SSN_KEYWORD.finditer(text) if _SSN_HINT.search(text) else ():
        if ssn_valid(*m.groups()):
            yield m.start(1), m.end(3)


_PHONE_INTL = re.compile(r"(?<![\w+])\+\d(?:[ .()-]{0,2}\d){6,16}(?![\w-]|\.\d)")
_PHONE_NANP = re.compile(r"(?<![\w.+-])(?:\([2-9]\d{2}\) ?|[2-9]\d{2}([-. ]))\d{3}([-. ])\d{4}(?![\w-]|\.\d)")
_PHONE_TRUNK = re.compile(r"(?<![\w.+/-])0\d{1,4}([ /-])\d{2,8}(?:\1\d{2,8}){0,3}(?![\w/-]|\.\d)")
_SSN_SHAPE = re.compile(r"\d{3}-\d{2}-\d{4}")
_PHONE_HINTS = ("tel", "phone", "mobile", "cell", "fax")
_PHONE_KEYWORD = re.compile(r"(?i)\b(?:tel|phone|mobile|cell|fax)\b\s*(?:no\.?|number)?\s*[:=.#]?\s*"
                            r"(\+?\d[\d .()-]{5,18}\d)(?![\w-])")


def _digits(s: str) -> int:
    return sum(c.isdigit() for c in s)


def _find_phone(text: str) -> Iterator[tuple[int, int]]:
    if _ndigits(text) < 7:
        return
    for m in _PHONE_INTL.finditer(text) if "+" in text else ():
        flat = m.group().replace(" (", "(").replace(") ", ")")
        if 8 <= _digits(m.group()) <= 15 and not re.search(r"[ .()-]{2}", flat):
            yield m.start(), m.end()
    for m in _PHONE_NANP.finditer(text):
        first, second = m.group(1), m.group(2)
        if first is None or first == second:  # (212) 555-0147 or one consistent separator
            yield m.start(), m.end()
    for m in _PHONE_TRUNK.finditer(text) if "0" in text else ():
        if 9 <= _digits(m.group()) <= 12 and not _SSN_SHAPE.fullmatch(m.group()):
            yield m.start(), m.end()
    low = text.lower()
    for m in _PHONE_KEYWORD.finditer(text) if any(h in low for h in _PHONE_HINTS) else ():
        if 7 <= _digits(m.group(1)) <= 15:
            yield m.start(1), m.end(1)


_USER_VALUE = r"([\w.$@\\-]*[^\W\d][\w.$@\\-]*)"  # word characters (any script), at least one non-digit
_USER_PATTERNS = (
    re.compile(r"(?i)[\"']?\b(?:user(?:_?name)?|usr|login|logname|account|acct|owner|e?uid|ruser|principal)[\"']?"
               r"(?:=|\s*:\s*)[\"']?" + _USER_VALUE),
    re.compile(r"\b(?i:for|as|by|authenticating|invalid|illegal|unknown) user ([^\s\[\]()'\",;:]+)"),
    re.compile(r"\b(?:password|publickey|keyboard-interactive/pam|hostbased|gssapi-with-mic|none) for "
               r"(?!invalid user |illegal user )([A-Za-z_][\w.$-]*) from\b"),
    re.compile(r"\bsudo:\s+([A-Za-z_][\w.$-]*)\s+:"),
    re.compile(r"(?:^|(?<=[\s\"'=(]))(?:/home|/Users|/export/home|/var/home)/([\w.$-]+)"),
    re.compile(r"(?i)\b[A-Z]:\\{1,2}Users\\{1,2}([^\\/\s\"']+)"),
)
_USER_SKIP = frozenset({"", "-", "null", "none", "nil", "unknown", "n/a", "from", "by", "to", "true", "false", "yes",
                        "no", "ok", "successful", "success", "failed", "failure", "invalid", "anonymous", "public",
                        "default", "all", "shared", "guest_unknown", "name", "id"})


#: per pattern of _USER_PATTERNS: words one of which the lower-cased text must hold for the pattern to run
_USER_HINTS = (("user", "usr", "login", "logname", "account", "acct", "owner", "uid", "principal"), (" user ",),
               (" for ",), ("sudo:",), ("/home/", "/users/"), ("users\\",))


def _find_user(text: str) -> Iterator[tuple[int, int]]:
    low = text.lower()
    for pattern, hints in zip(_USER_PATTERNS, _USER_HINTS):
        if not any(h in low for h in hints):
            continue
        for m in pattern.finditer(text):
            end = _trim(text, m.start(1), m.end(1), ".-")
            value = text[m.start(1):end]
            if value.lower() not in _USER_SKIP and not value.isdigit():
                yield m.start(1), end


_TOKEN_PREFIXED = re.compile(
    r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}"
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"
    r"|\bgh[pousr]_[A-Za-z0-9]{36,255}\b|\bgithub_pat_[A-Za-z0-9_]{22,}"
    r"|\bglpat-[A-Za-z0-9_-]{20,}|\bxox[abposr]-[A-Za-z0-9-]{10,}"
    r"|\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|\bAIza[0-9A-Za-z_-]{35}\b|\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----")
_TOKEN_AUTH = re.compile(r"(?i)\b(?:bearer|basic|token)\s+([A-Za-z0-9._~+/-]{16,}=*)")
_SECRET_KEYS = (r"password|passwd|pwd|pass|passphrase|secret|client_secret|secret_key|token|access_token|"
                r"refresh_token|auth_token|id_token|api[_-]?key|apikey|access[_-]?key(?:[_-]?id)?|private[_-]?key|"
                r"session[_-]?id|sessionid|sid|credentials?")
_TOKEN_KEYVALUE = re.compile(r"(?i)([\"']?)\b(?:" + _SECRET_KEYS + r")([\"']?)(=|\s*:\s*)[\"']?"
                             r"([^\s\"'&,;}{\[(/~][^\s\"'&,;}]*)")
_MASKED = re.compile(r"^(?:[*xX#•.]+|<[^<>]*>|\[[^\[\]]*\]|\{[^{}]*\}|null|none|true|false|required|redacted|"
                     r"\$\{?\w+\}?)$", re.IGNORECASE)
_HEX = re.compile(r"(?<![\w-])[0-9a-fA-F]{32,}(?![\w-])")
_HASH_BEFORE = re.compile(r"(?i)(?:sha-?\d*|md5|hash|commit|checksum|digest|etag|fingerprint|crc\d*)\W{0,3}$")
_BASE64 = re.compile(r"(?<![\w+/=-])[A-Za-z0-9+/_-]{32,}={0,2}(?![\w+/=-])")


_TOKEN_HINT = re.compile(r"eyJ|AKIA|ASIA|gh[pousr]_|github_pat_|glpat-|xox|k_live_|k_test_|AIza|sk-|-----BEGIN")
_SECRET_HINTS = ("pass", "pwd", "secret", "token", "key", "session", "sid", "credential")


def _find_token(text: str) -> Iterator[tuple[int, int]]:
    low = text.lower()
    for m in _TOKEN_PREFIXED.finditer(text) if _TOKEN_HINT.search(text) else ():
        yield m.start(), m.end()
    auth = "bearer" in low or "basic" in low or "token" in low
    for m in _TOKEN_AUTH.finditer(text) if auth else ():
        end = _trim(text, m.start(1), m.end(1), ".)]")
        if any(c.isdigit() for c in text[m.start(1):end]):
            yield m.start(1), end
    for m in _TOKEN_KEYVALUE.finditer(text) if any(h in low for h in _SECRET_HINTS) else ():
        end = _trim(text, m.start(4), m.end(4), ".)]")
        value = text[m.start(4):end]
        if not value or _MASKED.match(value):
            continue
        # 'key: word' in prose ("token: expired") is not a secret: after an unquoted key and ':' the value must
        # hold a digit or a symbol
        if m.group(3) != "=" and not (m.group(1) and m.group(2)) and value.isalpha():
            continue
        yield m.start(4), end
    if not any(len(w) >= 32 for w in text.split()):
        return
    for m in _HEX.finditer(text):
        s = m.group()
        if (any(c.isdigit() for c in s) and sum(c.isalpha() for c in s) >= 0.15 * len(s)
                and not _HASH_BEFORE.search(text[max(0, m.start() - 20):m.start()])):
            yield m.start(), m.end()
    for m in _BASE64.finditer(text):
        s = m.group().rstrip("=")
        if (not s.startswith("/") and any(c.isupper() for c in s) and any(c.islower() for c in s)
                and any(c.isdigit() for c in s) and entropy(s) >= 4.0):
            yield m.start(), m.end()


_UNIX_PATH = re.compile(r"(?<![\w/:.~\\-])(?:(?:~|\.\.?)(?:/[\w.@%+=~$-]+)+|(?:/[\w.@%+=~$-]+){2,})/?")
_WIN_PATH = re.compile(r"(?<![\w\\])(?:[A-Za-z]:\\{1,2}|\\\\[\w.$-]+\\)(?:[^\\/:*?\"<>|\s]+\\{1,2})*"
                       r"[^\\/:*?\"<>|\s]*")
_PATH_TRAIL = ".,;:)]}'\""


def _find_path(text: str) -> Iterator[tuple[int, int]]:
    if "/" in text:
        for m in _UNIX_PATH.finditer(text):
            end = _trim(text, m.start(), m.end(), _PATH_TRAIL)
            if text[m.start():end].count("/") >= (1 if text[m.start()] in "~." else 2):
                yield m.start(), end
    if "\\" in text:
        for m in _WIN_PATH.finditer(text):
            end = _trim(text, m.start(), m.end(), _PATH_TRAIL)
            if end - m.start() > 3:
                yield m.start(), end


#: TLDs the hostname pattern accepts (those that are common file extensions are left out on purpose)
HOST_TLDS: frozenset[str] = frozenset((
    "com net org edu gov mil int info biz io co ai dev cloud online site tech xyz me tv name pro mobi asia eu "
    "aero coop museum jobs travel arpa us uk de fr nl be ch at es it se no dk fi ru cn jp kr br mx ar au nz ca za "
    "ie pt gr cz hu ro sk tr il ua by kz lt lv ee si hr rs bg cl pe ve uy ec id my sg th vn ph hk tw sa ae eg ng ke "
    "local internal lan corp home localdomain intranet").split())
_HOST = re.compile(r"(?<![\w.@\\-])(?<!(?<!/)/)"  # not inside a word, path or e-mail; '//host' (URLs) is fine
                   r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,12}))(?![\w(-]|\.[\w])")
_CODE_NAMESPACES = frozenset({"java", "javax", "jdk", "sun", "scala", "kotlin", "android", "self", "this", "logger"})


def _find_hostname(text: str) -> Iterator[tuple[int, int]]:
    if "." not in text:
        return
    for m in _HOST.finditer(text):
        labels = m.group(1).split(".")
        if (m.group(2).lower() in HOST_TLDS and labels[0].lower() not in _CODE_NAMESPACES
                and any(c.isalpha() for c in "".join(labels[:-1]))):
            yield m.start(1), m.end(1)


FINDERS: dict[str, Callable[[str], Iterable[tuple[int, int]]]] = {
    "email": _find_email, "phone": _find_phone, "ipv4": _find_ipv4, "ipv6": _find_ipv6, "mac_address": _find_mac,
    "iban": _find_iban, "credit_card": _find_card, "ssn": _find_ssn, "url": _find_url, "user_name": _find_user,
    "token": _find_token, "path": _find_path, "hostname": _find_hostname,
}


def resolve_overlaps(spans: Iterable[Span], priority: Sequence[str] = PRIORITY) -> list[Span]:
    """Greedy non-overlapping subset: longest first, ties by ``priority`` then position; sorted by start."""
    rank = {t: i for i, t in enumerate(priority)}
    kept: list[Span] = []
    for s in sorted(set(spans), key=lambda s: (-(s.end - s.start), rank.get(s.type, len(rank)), s.start)):
        if s.end > s.start and all(s.end <= k.start or s.start >= k.end for k in kept):
            kept.append(s)
    return sorted(kept, key=lambda s: (s.start, s.end))


def builtin_detect(text: str, types: Sequence[str] | None = None) -> list[Span]:
    """The built-in detector over ``types`` (default: every type in :data:`TYPES`)."""
    if not text:
        return []
    chosen = TYPES if types is None else [t for t in types if t in FINDERS]
    found = [Span(s, e, t, text[s:e]) for t in chosen for s, e in FINDERS[t](text)]
    return resolve_overlaps(found)


# -- detectors by name -----------------------------------------------------------------------------------


def _check_types(types: Sequence[str] | None, detector: str) -> None:
    if types is None:
        return
    if isinstance(types, str) or not all(isinstance(t, str) and t for t in types):
        raise UsageError(f"sensitive types must be a list of type names, got {types!r}")
    if detector in ("builtin", "presidio"):
        unknown = [t for t in types if t not in TYPES]
        if unknown:
            raise UsageError(f"unknown sensitive type(s) {unknown} for the {detector} detector; known: "
                             f"{', '.join(TYPES)}")


@lru_cache(maxsize=16)
def _plugin(name: str) -> Callable[[str], Any]:
    module_name, _, attr = name.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"cannot import detector module {module_name!r}: {exc}", field="--detector",
                         hint="give builtin, presidio or module:function (an importable module)") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise UsageError(f"module {module_name!r} has no function {attr!r}", field="--detector")
    return fn


def get_detector(name: str = "builtin") -> Detector:
    """The detector named ``name``: "builtin", "presidio" or "module:function" (a function ``text -> [{type,
    start, end}] | [Span]``; its output is checked like user spans and its overlaps are kept as given)."""
    if name == "builtin" or name is None:
        return builtin_detect
    if name == "presidio":
        from synthaudit.detect.presidio import presidio_detector

        return presidio_detector()
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", name):
        raise UsageError(f"unknown detector {name!r}", field="--detector",
                         hint="give builtin, presidio or module:function returning [{type, start, end}]")
    fn = _plugin(name)

    def plugin(text: str) -> list[Span]:
        out = fn(text)
        spans = as_spans(out if out is not None else [], f"the output of detector {name}", text)
        return sorted(spans, key=lambda s: (s.start, s.end))

    plugin.__name__ = name
    return plugin


def detect(text: str | None, types: Sequence[str] | None = None, detector: str = "builtin") -> list[Span]:
    """Sensitive spans of ``text`` of the given ``types`` (default: all) found by ``detector``. The built-in
    detector resolves overlaps among the requested types only (see the module docstring)."""
    _check_types(types, detector)
    if not text:
        return []
    if detector in ("builtin", None):
        return builtin_detect(text, types)
    if detector == "presidio":
        from synthaudit.detect.presidio import presidio_detector

        return presidio_detector(tuple(types) if types is not None else None)(text)
    spans = get_detector(detector)(text)
    return spans if types is None else [s for s in spans if s.type in set(types)]


def describe(detector: str = "builtin") -> str:
    """One line saying which detector runs (for a metric's notes)."""
    if detector in ("builtin", None):
        return ("builtin: regular expressions with checksums (ipaddress, mod-97, Luhn, SSA rules); patterns and "
                "known misses in synthaudit.detect.sensitive.BUILTIN_PATTERNS")
    if detector == "presidio":
        from synthaudit.detect.presidio import describe as presidio_describe

        return presidio_describe()
    return f"plugin {detector} (module:function)"


# -- user spans ------------------------------------------------------------------------------------------


def _as_int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if hasattr(v, "item") and not isinstance(v, str):  # numpy scalars
        return _as_int(v.item())
    return None


def as_spans(value: Any, where: str, text: str | None = None, *, row: int | None = None,
             field: str | None = None) -> list[Span]:
    """User-given spans ``[{type, start, end[, text]}]`` (``entity_type`` or ``label`` may name the type; Span
    objects pass) as :class:`Span`. With ``text``, each span must lie inside it and a given ``text`` of a span
    must equal ``text[start:end]``. Raises InputError naming ``where`` (and ``row``/``field`` when given)."""
    def bad(msg: str) -> InputError:
        return InputError(f"{where}: {msg}", row=row, field=field,
                          hint='spans are a list of {"type": ..., "start": ..., "end": ...} with Python str '
                               "offsets, end exclusive")

    if value is None:
        return []
    if hasattr(value, "tolist") and not isinstance(value, str):
        value = value.tolist()
    if isinstance(value, (dict, Span)):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise bad(f"expected a list of spans, got {type(value).__name__}")
    out = []
    for i, v in enumerate(value):
        if isinstance(v, Span):
            start, end, kind, given = v.start, v.end, v.type, v.text or None
        elif isinstance(v, dict):
            kind = v.get("type", v.get("entity_type", v.get("label")))
            start, end, given = _as_int(v.get("start")), _as_int(v.get("end")), v.get("text")
        else:
            raise bad(f"span {i} is a {type(v).__name__}, expected an object with type, start and end")
        if not isinstance(kind, str) or not kind:
            raise bad(f"span {i} has no type (a non-empty string under 'type')")
        if start is None or end is None or start < 0 or end < start:
            raise bad(f"span {i} ({kind}) has start={v.get('start') if isinstance(v, dict) else start!r}, "
                      f"end={v.get('end') if isinstance(v, dict) else end!r}: expected integers 0 <= start <= end")
        if text is not None:
            if end > len(text):
                raise bad(f"span {i} ({kind}) ends at {end}, after the end of its text ({len(text)} characters)")
            if given is not None and str(given) != text[start:end]:
                raise bad(f"span {i} ({kind}) says text {str(given)!r} but [{start}:{end}] is "
                          f"{text[start:end]!r} (offsets are Python str indices)")
            given = text[start:end]
        out.append(Span(start, end, kind, "" if given is None else str(given)))
    return out


# -- redaction and matching ------------------------------------------------------------------------------
_WORD = re.compile(r"\w+(?:[.@-]\w+)*")
_HEX_GROUP = re.compile(r"[0-9A-Fa-f]{1,4}")


def _hex_joined(original: str, prev: tuple[int, int], start: int) -> bool:
    """Whether a change starting at ``start`` continues the change ``prev`` across ':' or '::' after a group of at
    most 4 hex digits (MAC and IPv6 groups; not 'address:port', whose address is longer)."""
    gap = original[prev[1]:start]
    return gap in (":", "::") and bool(_HEX_GROUP.fullmatch(original[prev[0]:prev[1]].rsplit(":", 1)[-1]))


#: unchanged pieces of a changed word shorter than this count as changed (see :func:`changed_spans`)
KEEP = 3


def changed_spans(original: str, redacted: str) -> list[tuple[int, int]]:
    """Character ranges of ``original`` that ``redacted`` removed or replaced (what a redactor changed).

    A character diff (difflib, no junk heuristic) marks the replaced and deleted characters. Inside a word that has
    a change (word characters joined by '.', '@' or '-': ``10.0.0.1``, ``alice@example.com``), unchanged pieces
    shorter than ``KEEP`` (3) characters count as changed: they are coincidences of a surrogate (``10.0.0.1`` ->
    ``172.16.5.4`` shares '.1') or the letter a mask keeps (``a***e``), not the value kept; longer pieces stay
    unchanged (``b**@example.com`` keeps the domain). Ranges are stripped of surrounding whitespace and hex groups
    joined by ':' or '::' (MAC, IPv6) are merged. Insertions remove nothing and are ignored."""
    if original is None:
        return []
    ops = difflib.SequenceMatcher(None, original, redacted or "", autojunk=False).get_opcodes()
    changed = [False] * len(original)
    for tag, i1, i2, _, _ in ops:
        if tag in ("replace", "delete"):
            changed[i1:i2] = [True] * (i2 - i1)
    if not any(changed):
        return []
    for m in _WORD.finditer(original):
        ws, we = m.start(), m.end()
        if not any(changed[ws:we]):
            continue
        i = ws
        while i < we:  # fill the short unchanged pieces of a changed word
            if changed[i]:
                i += 1
                continue
            j = i
            while j < we and not changed[j]:
                j += 1
            if j - i < KEEP:
                changed[i:j] = [True] * (j - i)
            i = j
    ranges, i = [], 0
    while i < len(original):
        if not changed[i]:
            i += 1
            continue
        j = i
        while j < len(original) and changed[j]:
            j += 1
        s, e = i, j
        while s < e and original[s].isspace():
            s += 1
        while e > s and original[e - 1].isspace():
            e -= 1
        if e > s:
            ranges.append((s, e))
        i = j
    merged: list[tuple[int, int]] = []
    for s, e in ranges:
        if merged and _hex_joined(original, merged[-1], s):
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _bounds(p: Span | tuple[int, int]) -> tuple[int, int]:
    return (p.start, p.end) if isinstance(p, Span) else (int(p[0]), int(p[1]))


def match(gold: Sequence[Span], predicted: Sequence[Span | tuple[int, int]], mode: str = "exact") -> list[bool]:
    """Per gold span, whether the predicted spans found it, by position only (a removed span counts whatever
    type a detector gave it): ``exact`` = a predicted span with the same start and end; ``overlap`` = a
    predicted span sharing at least one character; ``cover`` = every character of the gold span lies in some
    predicted span. An empty gold span is found only by an identical (exact) or any containing span."""
    if mode not in MATCH_MODES:
        raise ValueError(f"span match mode must be one of {', '.join(MATCH_MODES)}, got {mode!r}")
    pred = [_bounds(p) for p in predicted]
    out = []
    for g in gold:
        gs, ge = g.start, g.end
        if mode == "exact" or ge == gs:
            hit = (gs, ge) in pred if mode == "exact" else any(s <= gs and ge <= e for s, e in pred)
        elif mode == "overlap":
            hit = any(s < ge and gs < e for s, e in pred)
        else:
            covered = set()
            for s, e in pred:
                covered.update(range(max(s, gs), min(e, ge)))
            hit = len(covered) == ge - gs
        out.append(hit)
    return out


def mask(value: str, kind: str = "", width: int = 40) -> str:
    """A masked preview of a sensitive value: the first character of its first part, ``***`` for every other
    alphanumeric run, separators kept; e-mail addresses keep the first letter of the domain and the TLD
    (``alice@example.com`` -> ``a***@e***.com``). Never more than ``width`` characters."""
    if not value:
        return ""
    if kind == "email" and "@" in value:
        local, _, domain = value.partition("@")
        labels = domain.split(".")
        out = f"{local[:1]}***@{labels[0][:1]}***" + (f".{labels[-1]}" if len(labels) > 1 else "")
    else:
        parts = re.split(r"([^0-9A-Za-z])", value)
        out, first = "", True
        for p in parts:
            if not p:
                continue
            if re.fullmatch(r"[^0-9A-Za-z]", p):
                out += p
            else:
                out += (p[:1] + "***") if first else "***"
                first = False
    return out if len(out) <= width else out[:width - 1] + "…"
