"""Phone metadata for the generated PHP, taken from the phonenumbers package at generation time.

The generated code carries, for the one region a spec names, what libphonenumber's parser needs:
country code, international (IDD) prefix, national prefix and its parsing/transform rules, the
general number pattern and lengths, and the national formats of the country's main region (which
libphonenumber uses for every region sharing that calling code).  The parser itself is written
for the region (`parser_code`): its metadata as literals, and only the steps the region has, so a
file neither carries nor walks what cannot apply to it; the runtime's phone helpers call it by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from generator.emit import marked
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


def _lengths_ahead(lengths: list[int]) -> str:
    """A lookahead that holds for a digit string of one of `lengths` (libphonenumber tests a
    pattern only on numbers of its description's possible lengths)."""
    return "(?=(?:" + "|".join(rf"\d{{{n}}}" for n in lengths) + ")$)" if lengths else ""


def _validity(meta: Any) -> str:
    """One full-match regex for libphonenumber's isValidNumberForRegion on a national significant
    number: the general description and at least one type (fixed line, mobile, toll free...)."""
    general = meta.general_desc
    types = []
    for attr in (*(a for a, _name in _EXCLUSIVE), "fixed_line", "mobile"):
        desc: Any = getattr(meta, attr, None)
        pattern = getattr(desc, "national_number_pattern", None) if desc is not None else None
        if pattern:
            types.append(_lengths_ahead([n for n in desc.possible_length if n > 0]) + "(?:" + pattern + ")")
    if not types:
        types = ["(?!)"]
    head = _lengths_ahead([n for n in general.possible_length if n > 0])
    plan = general.national_number_pattern or r"\d{2,17}"
    return regex_source("^" + head + "(?=(?:" + plan + ")$)(?:" + "|".join(types) + ")$")


@cache
def calling_code_regions(calling_code: int) -> tuple[list[Any], ...]:
    """[region, calling code, leading digits or None, validity regex] for every region of a
    calling code, in libphonenumber's order (its getRegionCodeForNumber): a region with leading
    digits owns the numbers they match, valid or not; another owns the numbers valid there."""
    import phonenumbers
    from phonenumbers import PhoneMetadata

    rows = []
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(calling_code, ()):
        meta: Any = PhoneMetadata.metadata_for_region(region)
        if meta is None:
            continue
        leading = _anchored_start(meta.leading_digits) if meta.leading_digits else None
        rows.append([region, str(calling_code), leading, _validity(meta)])
    return tuple(rows)


def regions_table(regions: tuple[str, ...]) -> list[list[Any]]:
    """The rows of `calling_code_regions` for the calling codes of `regions` (each once, in order)."""
    from phonenumbers import PhoneMetadata

    codes: list[int] = []
    for region in regions:
        meta: Any = PhoneMetadata.metadata_for_region(region)
        if meta is not None and meta.country_code not in codes:
            codes.append(meta.country_code)
    return [row for code in codes for row in calling_code_regions(code)]


def dial_prefix(region: str) -> str | None:
    """The international prefix libphonenumber writes when formatting a number for dialling from
    `region` (its preferred prefix, else its only one), digits only ("8~10" is dialled 810, the
    "~" being a wait for the second tone); None where it writes none (a "+" is dialled then)."""
    import re as _re

    from phonenumbers import PhoneMetadata

    meta: Any = PhoneMetadata.metadata_for_region(region)
    prefix = meta.preferred_international_prefix
    if (
        prefix is None
        and meta.international_prefix
        and _re.fullmatch(r"\d+(?:[~\u2053\u223C\uFF5E]\d+)?", meta.international_prefix)
    ):
        prefix = meta.international_prefix
    return _re.sub(r"\D", "", prefix) if prefix else None


@cache
def region_metadata(region: str, internal_max_digits: int | None = None, national: bool = True) -> dict[str, Any]:
    """What the PHP parser needs of a region (`parser_code` writes it in); the national formats
    only when the number is written in national notation (`national`), the only format that uses
    them.  The validity of the regions of its calling code: `calling_code_regions`."""
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
    intl = None
    if main_region != region and main is not meta:
        # A number written with its calling code is read with the metadata of the code's main
        # region (libphonenumber's parse), not the spec's: "+44 ..." in a Guernsey spec as British.
        mnpp = main.national_prefix_for_parsing or main.national_prefix
        mgeneral: Any = main.general_desc
        intl = {
            "npp": _anchored_start(mnpp) if mnpp else None,
            "npt": _php_replacement(main.national_prefix_transform_rule)
            if main.national_prefix_transform_rule
            else None,
            "general": _full(mgeneral.national_number_pattern or r"\d{2,17}"),
            "lengths": sorted(n for n in (mgeneral.possible_length or ()) if n > 0) or list(range(2, 18)),
            "local": sorted(n for n in (mgeneral.possible_length_local_only or ()) if n > 0),
        }
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
        "intl": intl,
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
def calling_code_types(region: str) -> dict[str, list[list[str]]]:
    """`type_patterns` of every region of `region`'s calling code, by region: a number is typed by
    the plan of the region it belongs to (a Moscow number in a Kazakh spec as a Russian one)."""
    from phonenumbers import PhoneMetadata

    meta: Any = PhoneMetadata.metadata_for_region(region)
    if meta is None:
        raise ValueError(f"no phone metadata for region {region}")
    return {row[0]: type_patterns(row[0]) for row in calling_code_regions(meta.country_code)}


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


@cache
def calling_codes_pattern() -> str:
    """A pattern of E.164's 7 to 17 digits that begin with a calling code libphonenumber knows:
    digits after an international prefix that begin with none ("0099 8 90…" from Brazil, whose
    prefix 00 takes a carrier code 99) are no number, as libphonenumber says, not a made-up one.
    The codes are a prefix code (none begins another), written as a tree of digits."""
    import phonenumbers

    return "/^(?=[0-9]{7,17}$)" + _digit_tree(sorted(str(c) for c in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)) + "/"


@cache
def trunk_prefix_rule() -> tuple[str, str]:
    """A pattern of the national prefixes written after another calling code that its plan drops:
    "+44 (0) 20 7946 0958" is +442079460958, "0049 030 1234567" +49301234567, "+7 (8) 701 234 56 78"
    +77012345678, as libphonenumber reads them (its national prefix for parsing, which it strips
    from international numbers too), not a made-up +4402079460958, and its replacement: the code
    is captured (one group an alternative, all but the matching one empty), the replacement names
    every group.  A "0" goes whenever the code's main region's prefix for
    parsing takes a lone "0" (not Italy's none); another prefix it takes whole ("8", "1", "06")
    only where the digits left then have one of the plan's lengths, which no number with the
    prefix has (Russia's +7 800 … keeps its 8; Belarus's 8 stays, its lengths overlap)."""
    import phonenumbers

    zero, others = [], []
    for code, regions in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items()):
        meta = phonenumbers.PhoneMetadata.metadata_for_region(regions[0]) if code else None
        prefix = meta.national_prefix if meta else None
        parsing = (meta.national_prefix_for_parsing or prefix) if meta else None
        if parsing is None:
            continue
        # The prefixes its pattern for parsing takes whole: its national prefix, and lone digits
        # (Lithuania's 8 beside its 0).
        taken = {p for p in {prefix or "", *"0123456789"} if p and _takes(parsing, p)}
        if "0" in taken:
            zero.append(str(code))
        # The main region's lengths, as libphonenumber checks a number with its calling code (not
        # Canada's 7-digit local numbers: "+1 1 310 1234" keeps its 1).
        desc = meta.general_desc if meta else None
        lengths = {n for n in (desc.possible_length or ()) if n > 0} if desc is not None else set()
        for other in sorted(taken - {"0"}):
            # Only where the lengths tell the prefix from the number (not Belarus's 8: 6 to 11 digits).
            if lengths and not any(n + len(other) in lengths for n in lengths):
                after = "|".join(f"[0-9]{{{n}}}$" for n in sorted(lengths))
                others.append(f"({code}){other}(?={after})")
    groups = 1 + len(others)
    return "/^(?:(" + _digit_tree(zero) + ")0|" + "|".join(others) + ")/", "".join(
        f"${n}" for n in range(1, groups + 1)
    )


def _takes(parsing: str, prefix: str) -> bool:
    found = re.match(parsing, prefix)
    return found is not None and found.group(0) == prefix


def _digit_tree(codes: list[str]) -> str:
    """One pattern for the digit strings `codes` (none a prefix of another): "2(?:0|[78])"."""
    firsts = sorted({c[0] for c in codes})
    ends = [d for d in firsts if d in codes]
    parts = [_digit_class(ends)] if ends else []
    parts += [d + _digit_tree([c[1:] for c in codes if c[0] == d and c != d]) for d in firsts if d not in codes]
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


def _digit_class(digits: list[str]) -> str:
    if len(digits) == 1:
        return digits[0]
    runs: list[list[int]] = []
    for d in map(int, digits):
        if runs and runs[-1][1] == d - 1:
            runs[-1][1] = d
        else:
            runs.append([d, d])
    return "[" + "".join(f"{a}" if a == b else f"{a}{b}" if b == a + 1 else f"{a}-{b}" for a, b in runs) + "]"


def parser_code(region: str, internal: int | None, strict: bool, fn: Callable[[str], str]) -> str:
    """The PHP function `($phone) {...}` that reads a number as libphonenumber's parse does for
    `region`, written for that region alone: its prefixes, plan and lengths as literals, and only
    the steps its metadata has (no national-prefix step where it has none, no second plan where
    its calling code's main region is itself...).  It returns array(calling code, national
    significant number, region) or null: region '' for a number of another calling code, null
    (not `strict`) where the length alone was checked.  `fn`: a runtime helper's PHP name."""
    meta = region_metadata(region, internal, national=False)
    cc = marked.php_string(meta["cc"])
    trunk, codes = (marked.php_string(part) for part in trunk_prefix_rule())
    after_cc = f"(string) substr($digits, {len(meta['cc'])})"
    own = _plan(meta, True)
    lines = [
        f"$read = {fn('phone_digits')}($phone);",
        "if ($read === null"
        + (f" || (!$read[0] && strlen($read[1]) <= {meta['internal']})" if meta["internal"] else "")
        + ") {",
        "    return null;"
        + (f" // not a number, or an internal one ({meta['internal']} digits at most)" if meta["internal"] else ""),
        "}",
        "list($international, $digits) = $read;",
        f"$general = {own.general}; // the plan's general pattern",
    ]
    if meta["idd"] is not None:
        lines += [
            f"if (!$international && preg_match({marked.php_string(meta['idd'])}, $digits, $m)",
            "    && preg_match('/^[1-9]/', (string) substr($digits, strlen($m[0])))) {",
            "    $digits = (string) substr($digits, strlen($m[0])); // dialled with the international prefix",
            "    $international = true;",
            "}",
        ]
    lines += [
        "if ($international) {",
        f"    if (strpos($digits, {cc}) !== 0) {{ // another calling code (one that exists): E.164's 7 to 17 digits",
        f"        $digits = preg_replace({trunk}, {codes}, $digits); // +44 (0) 20: +4420",
        f"        return preg_match({marked.php_string(calling_codes_pattern())}, $digits) ? array('', $digits, '') : null;",
        "    }",
        f"    $national = {after_cc};",
        "} else {",
        "    $national = $digits;",
        f'    if (strpos($digits, {cc}) === 0) {{ // the calling code without its "+": when the plan says so',
        f"        $candidate = {own.strip(fn, after_cc)};",
        "        if ((!preg_match($general, $digits) && preg_match($general, $candidate))",
        f"            || {own.too_long('$digits')}) {{",
        "            $national = $candidate;",
        "            $international = true;",
        "        }",
        "    }",
        "}",
    ]
    intl = _plan(meta["intl"], False) if meta["intl"] is not None else own
    # With its calling code, a number has the lengths of the code's main region's plan.
    lengths = own.lengths if own.lengths == intl.lengths else f"($international ? {intl.lengths} : {own.lengths})"
    if own.npp is not None or intl.npp is not None:
        if intl is own:
            stripped = own.strip(fn, "$national")
        else:
            lines.append(
                '// With its calling code, read by the plan of the code\'s main region ("+44 ..." in Guernsey: British).'
            )
            stripped = f"$international\n    ? {intl.strip(fn, '$national')}\n    : {own.strip(fn, '$national')}"
        lines += [
            f"$stripped = {stripped};",
            f"if (in_array(strlen($stripped), {lengths}, true)) {{",
            "    $national = $stripped;",
            "}",
        ]
    lines += [
        "// The region whose plan makes it valid (libphonenumber's getRegionCodeForNumber): one with",
        '// leading digits owns what they match, valid or not; another, what is valid there ("+7 495"',
        "// in a Kazakh spec is Russian).  Valid in none: null, the number is kept as it arrived"
        + ("." if strict else ", unless"),
    ]
    if not strict:
        lines.append("// it has a length of the spec's region (`invalid: normalize`: written in the format anyway).")
    # README "Phone numbers": `invalid: normalize` checks only the spec region's lengths.
    invalid = (
        "null"
        if strict
        else f"(in_array(strlen($national), {own.lengths}, true) ? array({cc}, $national, null) : null)"
    )
    for region_code, _cc, leading, valid in calling_code_regions(int(meta["cc"])):
        found = f"array({cc}, $national, {marked.php_string(region_code)})"
        whose = marked.php_comment_text(region_code)
        if leading is None:
            lines += [
                f"if (preg_match({marked.php_string(valid)}, $national)) {{ // valid in {whose}",
                f"    return {found};",
                "}",
            ]
        else:
            lines += [
                f"if (preg_match({marked.php_string(leading)}, $national)) {{ // {whose}'s leading digits",
                f"    return preg_match({marked.php_string(valid)}, $national) ? {found}"
                + (" " if strict else "\n        ")  # the longer fallback on a line of its own
                + f": {invalid};",
                "}",
            ]
    lines.append(f"return {invalid};")
    return "($phone) {\n" + "".join(f"    {line}\n" for line in "\n".join(lines).split("\n")) + "}\n"


@dataclass(frozen=True)
class _Plan:
    """A numbering plan's parts the parser tests, as PHP literals."""

    npp: str | None
    npt: str | None
    general: str
    lengths: str
    long: list[int]  # the lengths past the longest that are not local-only: too long

    own: bool  # the spec's region's plan, whose general pattern the parser holds in $general

    def strip(self, fn: Callable[[str], str], number: str) -> str:
        """The expression: `number` without its national prefix (libphonenumber's rules)."""
        if self.npp is None:
            return number
        general = "$general" if self.own else self.general
        return f"{fn('phone_strip_prefix')}({number}, {self.npp}, {self.npt or 'null'}, {general})"

    def too_long(self, number: str) -> str:
        return f"strlen({number}) > {self.long[0]}" + "".join(f" && strlen({number}) !== {n}" for n in self.long[1:])


def _plan(meta: dict[str, Any], own: bool) -> _Plan:
    lengths = meta["lengths"]
    local_past = sorted(n for n in meta["local"] if n > lengths[-1])
    return _Plan(
        npp=marked.php_string(meta["npp"]) if meta["npp"] else None,
        npt=marked.php_string(meta["npt"]) if meta["npt"] else None,
        general=marked.php_string(meta["general"]),
        lengths=marked.php_array(lengths),
        long=[lengths[-1]] + local_past,
        own=own,
    )


def regions_literal(rows: Any, indent: int) -> str:
    """The rows of `calling_code_regions` as a PHP literal, a row on two lines (its validity
    pattern, often long, on the second)."""
    inner = " " * (indent + 4)
    out = "array(\n"
    for region, cc, leading, valid in rows:
        head = ", ".join(marked.php_value(v) for v in (region, cc, leading))
        out += f"{inner}array({head},\n{inner}    {marked.php_string(valid)}),\n"
    return out + " " * indent + ")"
