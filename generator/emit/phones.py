"""Phone metadata for the generated PHP, taken from the phonenumbers package at generation time.

The generated code carries, for the one region a spec names, what libphonenumber's parser needs:
country code, international (IDD) prefix, national prefix and its parsing/transform rules, the
general number pattern and lengths, and the national formats of the country's main region (which
libphonenumber uses for every region sharing that calling code).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from generator.php.literals import regex_source


def _anchored_start(pattern: str) -> str:
    return regex_source("^(?:" + pattern + ")")


def _full(pattern: str) -> str:
    return regex_source("^(?:" + pattern + ")$")


def _php_replacement(rule: str) -> str:
    # phonenumbers writes group references Python-style (\1); preg_replace takes ${1}.
    return re.sub(r"\\(\d)", r"${\1}", rule)


def _national_format(fmt: Any) -> str:
    rule = fmt.format
    npr = fmt.national_prefix_formatting_rule
    if npr:
        m = re.search(r"\\\d", rule)
        if m:
            rule = rule[: m.start()] + npr.replace("\\1", m.group(0)) + rule[m.end() :]
    return _php_replacement(rule)


@cache
def region_metadata(
    region: str, internal_max_digits: int | None = None, national: bool = True, strict: bool = True
) -> dict[str, Any]:
    """What the PHP parser needs of a region; the national formats only when the number is
    written in national notation (`national`), the only format that uses them."""
    import phonenumbers  # late: a large package, needed only for specs with phone sections
    from phonenumbers import PhoneMetadata

    meta: Any = PhoneMetadata.metadata_for_region(region)
    if meta is None:
        raise ValueError(f"no phone metadata for region {region}")
    main_region = phonenumbers.region_code_for_country_code(meta.country_code)
    main: Any = PhoneMetadata.metadata_for_region(main_region) or meta
    general: Any = meta.general_desc
    lengths = sorted(n for n in (general.possible_length or ()) if n > 0) or list(range(2, 18))
    local = sorted(n for n in (general.possible_length_local_only or ()) if n > 0)
    internal = internal_max_digits if internal_max_digits is not None else max(0, lengths[0] - 1)
    formats = []
    for fmt in main.number_format if national else ():
        leading = fmt.leading_digits_pattern
        formats.append(
            [
                _full(fmt.pattern),
                _national_format(fmt),
                _anchored_start(leading[-1]) if leading else None,
            ]
        )
    npp = meta.national_prefix_for_parsing or meta.national_prefix
    return {
        "cc": str(meta.country_code),
        "idd": _anchored_start(meta.international_prefix) if meta.international_prefix else None,
        "npp": _anchored_start(npp) if npp else None,
        "npt": _php_replacement(meta.national_prefix_transform_rule) if meta.national_prefix_transform_rule else None,
        "general": _full(general.national_number_pattern or r"\d{2,17}"),
        "lengths": lengths,
        "local": local,
        "internal": internal,
        "formats": formats,
        "strict": strict,
    }


# libphonenumber's getNumberType order: these types are checked first and exclude the others; a
# number matching none of them is fixed_line, mobile, or both (regions that cannot tell them apart).
_EXCLUSIVE = (
    ("premium_rate", "premium_rate"),
    ("toll_free", "toll_free"),
    ("shared_cost", "unknown"),
    ("voip", "voip"),
    ("personal_number", "unknown"),
    ("pager", "unknown"),
    ("uan", "unknown"),
    ("voicemail", "unknown"),
)


@cache
def type_patterns(region: str) -> list[list[str]]:
    """[type, full-match regex] in the order libphonenumber tests them, for the region's own
    numbers (its country's main region's patterns are not mixed in: each region has its own)."""
    from phonenumbers import PhoneMetadata

    meta: Any = PhoneMetadata.metadata_for_region(region)
    if meta is None:
        raise ValueError(f"no phone metadata for region {region}")
    out = []
    for attr, name in _EXCLUSIVE + (("fixed_line", "fixed_line"), ("mobile", "mobile")):
        desc = getattr(meta, attr, None)
        pattern = getattr(desc, "national_number_pattern", None) if desc is not None else None
        if pattern:
            out.append([name, _full(pattern)])
    return out
