<?php
/*
 * itgrix-gen runtime: the helpers every generated customization draws on.
 *
 * This file is never deployed as it is.  The generator cuts it into its functions and copies into
 * a generated file only the functions that file calls, each renamed "itgrix_gen_<hash>_<name>"
 * (the hash is of the function's code without comments, and of the helpers it calls) and wrapped
 * in a function_exists guard.  So files share identical helpers by name, a helper that changes gets
 * a new name, and editing a comment here changes no generated file's code.
 *
 * Rules for everything below (the generated files must run on PHP 5.2 to 8.5 with E_ALL and never
 * raise a notice): no closures, no short arrays, no "??" or "?:", no namespaces, no typed
 * parameters; never index a value before checking is_array / is_string; never pass a non-string
 * to a string function.  Each function starts at a line "function itgrix_rt_<name>(" and ends at
 * the next line that is exactly "}".  The comment lines right above it are copied with it, up to a
 * line that is just "//": what follows that line is read here only (a one-line summary goes first).
 */

// No source found the key a rule reads: said on stderr once per key per call (with the paths tried).
//
// A rule read a key and no source of the field table found a value: say so on stderr with the
// paths tried ($tried, written in at generation), so a wrong guess about this connector's data
// shows in its log even without capture (`fields:` in the spec fixes it).  Once per key per call
// (a call: its $params; several rules may read the key), and not on a call whose direction
// ($kinds: the values of its direction key, read only now) is known and is not one of $expected
// (null: every call).  Returns the key's values: none.
function itgrix_rt_seen($params, $name, $key, $expected, $kinds, $tried)
{
    static $said = array(), $call = null;
    if ($params !== $call) {
        $said = array();
        $call = $params;
    }
    if (!isset($said[$name . ' ' . $key]) && ($expected === null || !$kinds || array_intersect($kinds, $expected))) {
        $said[$name . ' ' . $key] = true;
        itgrix_rt_log($name, "no value for '" . $key . "'; tried " . $tried);
    }
    return array();
}

// Talk seconds of the call: DURATION when the input has it as a decimal number (a JSON number or a
// text such as "90", "90.5" or "1e3", which is 1000 s; rounded down), else the main channel's end
// time minus its answer time ("0001-01-01 00:00:00" when unset); 0 when unanswered or unknown.
// The number is read by one pattern, not is_numeric() and an (int) cast, whose answers differ
// between PHP versions ("1e3" was 1 s on PHP 5 and 7.0, "90 " no number before PHP 8).
function itgrix_rt_duration($params)
{
    $value = isset($params['DURATION']) ? $params['DURATION'] : null;
    if (is_int($value) || is_float($value) || (is_string($value)
        && preg_match('/^[ \t]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*$/', $value))) {
        $seconds = floor((float) $value);
        return $seconds > 0 ? ($seconds < 2147483647 ? (int) $seconds : 2147483647) : 0;
    }
    $channel = isset($params['call_full']['channel']) ? $params['call_full']['channel'] : null;
    $times = array();
    foreach (array('answer_time', 'end_time') as $key) {
        $text = is_array($channel) && isset($channel[$key]) && is_string($channel[$key]) ? $channel[$key] : '';
        $parts = sscanf($text, '%4d-%2d-%2d %2d:%2d:%2d');
        // Both times are in the server's zone: their difference needs none (gmmktime: no warning).
        $times[] = is_array($parts) && count($parts) === 6 && $parts[0] > 1 && $parts[5] !== null
            ? gmmktime($parts[3], $parts[4], $parts[5], $parts[1], $parts[2], $parts[0]) : null;
    }
    return $times[0] !== null && $times[1] !== null && $times[1] > $times[0] ? $times[1] - $times[0] : 0;
}

// Does any of the values match one of the patterns?
function itgrix_rt_matches($values, $patterns)
{
    foreach ($values as $value) {
        foreach ($patterns as $pattern) {
            if (itgrix_rt_preg_match($pattern, $value)) {
                return true;
            }
        }
    }
    return false;
}

// Is any of the values the flag $wanted ("true"/"1" or "false"/"0")?
function itgrix_rt_flag($values, $wanted)
{
    return count(array_intersect($values, $wanted ? array('1', 'true') : array('0', 'false'))) > 0;
}

// A placeholder's text: the first value found, or "".
function itgrix_rt_text($values)
{
    return count($values) > 0 && is_string($values[0]) ? $values[0] : '';
}

// The file's answer: its entry function called with PCRE's JIT compiler off, then set back.
//
// A call compiles each pattern it uses once, in a fresh php: a phone plan's validity patterns
// (up to 2 KB), a spec's regexes, the UTF-8 checks.  On a few short texts the JIT compiler costs
// far more than it saves (0.27 ms of a call of the example's need_registration).  Only where
// PCRE matches without recursing on the C stack (PCRE2 10.30+, so PHP 7.3+): an older PCRE
// without its JIT could crash on a long text.  Where ini_set is disabled nothing changes.
function itgrix_rt_answer($entry, $params)
{
    $heap = defined('PCRE_VERSION') && version_compare(PCRE_VERSION, '10.30', '>=') && function_exists('ini_set');
    $jit = $heap ? @ini_set('pcre.jit', '0') : false;
    $reply = $entry($params);
    if (is_string($jit) && $jit !== '0') {
        @ini_set('pcre.jit', $jit);
    }
    return $reply;
}

// A pattern that fails at run time (a PCRE limit, bad UTF-8) is a non-match, said on stderr.
function itgrix_rt_preg_match($pattern, $subject)
{
    $result = is_string($subject) ? @preg_match($pattern, $subject) : 0;
    return $result === false ? itgrix_rt_preg_failed($pattern, false) : $result === 1;
}

// preg_replace that never hands back null: on a PCRE failure the subject comes back unchanged.
function itgrix_rt_preg_replace($pattern, $replacement, $subject)
{
    if (!is_string($subject)) {
        return $subject;
    }
    $result = @preg_replace($pattern, $replacement, $subject);
    return is_string($result) ? $result : itgrix_rt_preg_failed($pattern, $subject);
}

// Says on stderr why PCRE failed on the pattern; returns $answer.
function itgrix_rt_preg_failed($pattern, $answer)
{
    $codes = array(1 => 'internal error', 2 => 'backtracking limit hit', 3 => 'recursion limit hit',
        4 => 'input is not valid UTF-8', 5 => 'bad UTF-8 offset', 6 => 'JIT stack limit hit');
    $code = preg_last_error();
    $why = isset($codes[$code]) ? $codes[$code] : 'error ' . $code;
    return itgrix_rt_log('regex', 'pattern ' . $pattern . ' failed (' . $why . '); treated as no match', $answer);
}

// The current time (the test harness defines this function first, with its pinned clock).
function itgrix_rt_now()
{
    return time();
}

// A call past the range of data written into the file at generation: said once per process.
function itgrix_rt_past_range($what, $last)
{
    static $said = array();
    if (!isset($said[$what])) {
        $said[$what] = true;
        itgrix_rt_log('zones', 'the call is past ' . $last . ', the last year of the ' . $what
            . ' written into this file; the answer may be wrong: render the files again with a newer itgrix-gen');
    }
}

// Weekday, minute of the day, date and local timestamp at $at from the zone's offsets in the file.
//
// Day of the week (1 = Monday), minute of the day, date ("Y-m-d") and local timestamp at $at in a
// zone given by its UTC offsets (array(offset before the first change, change times, offsets from
// then on), written into the file at generation time): the server's zone data play no part.
function itgrix_rt_local_time($at, $zone)
{
    $local = $at + itgrix_rt_zone_offset($at, $zone);
    return array((int) gmdate('N', $local), (int) gmdate('G', $local) * 60 + (int) gmdate('i', $local),
        gmdate('Y-m-d', $local), $local);
}

// The zone's UTC offset at $at (past the data written into the file: the last, said once).
//
// The zone's UTC offset in seconds at the moment $at.  Past the range written into the file
// ($zone[3]) the last offset holds, and stderr says so once.
function itgrix_rt_zone_offset($at, $zone)
{
    if (isset($zone[3]) && $at >= $zone[3]) {
        itgrix_rt_past_range('time-zone offsets', gmdate('Y', $zone[3] - 1));
    }
    $offset = $zone[0];
    foreach ($zone[1] as $i => $change) {
        if ($at < $change) {
            break;
        }
        $offset = $zone[2][$i];
    }
    return $offset;
}

// A date-time of the call data in the client's zone: ISO 8601 with the zone's offset at that
// moment ("2026-11-24T10:00:00+05:00", what Bitrix24 expects), or $format of date() letters.
// The first of $values that is a date-time counts, as for the hours a rule judges (CALL_START_DATE
// unset, "0001-01-01 00:00:00": the channel's start_time); none gives "" (see itgrix_rt_moment).
function itgrix_rt_date($values, $zone, $format)
{
    $at = null;
    foreach ($values as $value) { // a key's values: an array
        $at = itgrix_rt_moment($value, $zone);
        if ($at !== null) {
            break;
        }
    }
    if ($at === null) {
        return '';
    }
    $offset = itgrix_rt_zone_offset($at, $zone);
    if ($format !== null) {
        return gmdate($format, $at + $offset);
    }
    return gmdate('Y-m-d\TH:i:s', $at + $offset) . ($offset < 0 ? '-' : '+') . gmdate('H:i', abs($offset));
}

// A date-time of the call data as a Unix time, read in the spec's zone unless it names its own.
//
// A date-time of the call data as a Unix time.  The connector writes "Y-m-d H:i:s" in the server's
// zone, taken to be the spec's timezone; a text with its own offset ("+03:00", "Z") or a Unix time
// is read as such.  Unset ("0001-01-01 00:00:00") or anything else gives null.
function itgrix_rt_moment($value, $zone)
{
    $text = is_string($value) || is_int($value) ? trim((string) $value) : '';
    if (preg_match('/^[0-9]{9,11}$/', $text)) {
        return (int) $text;
    }
    if (!preg_match('/^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?(?:[.,][0-9]+)?'
        . ' ?(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?$/', $text, $m) || $m[1] < 1900 || $m[2] < 1 || $m[2] > 12
        || $m[3] < 1 || $m[3] > 31 || $m[4] > 23 || $m[5] > 59) {
        return null;
    }
    $wall = gmmktime((int) $m[4], (int) $m[5], isset($m[6]) ? (int) $m[6] : 0, (int) $m[2], (int) $m[3], (int) $m[1]);
    if (isset($m[7]) && $m[7] !== '') {
        $sign = $m[7][0] === '-' ? -1 : 1;
        $digits = preg_replace('/[^0-9]/', '', $m[7]);
        return $m[7] === 'Z' ? $wall : $wall - $sign * ((int) substr($digits, 0, 2) * 3600 + (int) substr($digits, 2, 2) * 60);
    }
    // Local wall time to a moment: the offset in force then (asked twice, for a change in between).
    return $wall - itgrix_rt_zone_offset($wall - itgrix_rt_zone_offset($wall, $zone), $zone);
}

// The moment the call started (CALL_START_DATE, the channel's start_time), else now.
//
// The moment the call started, which hours, days and schedules judge: the first of $values
// (CALL_START_DATE, call_full.channel.start_time) that is a date-time, read in the zone; the
// moment the file runs only when the input has none (a missed-call task made at 18:00:15 for a
// call that rang at 17:59 is judged at 17:59).
function itgrix_rt_started($values, $zone)
{
    foreach (is_array($values) ? $values : array() as $value) {
        $at = itgrix_rt_moment($value, $zone);
        if ($at !== null) {
            return $at;
        }
    }
    return itgrix_rt_now();
}

// Is $at inside one of the windows on one of the days (a window past midnight: its start's day)?
//
// Is the moment $at inside any of the windows ("19:00-09:00") on one of the days ("sat"; none:
// every day) in the zone?  A window whose end is before its start crosses midnight and belongs to
// the day it starts.
function itgrix_rt_in_hours($windows, $days, $zone, $at)
{
    $local = itgrix_rt_local_time($at, $zone);
    $names = array(1 => 'mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun');
    foreach ($windows as $text) {
        $window = itgrix_rt_window($text);
        $crosses = $window[1] <= $window[0];
        if ($local[1] >= $window[0] && ($crosses || $local[1] < $window[1])) {
            $day = $local[0];
        } elseif ($crosses && $local[1] < $window[1]) {
            $day = $local[0] === 1 ? 7 : $local[0] - 1; // the night that began yesterday
        } else {
            continue;
        }
        if (count($days) === 0 || in_array($names[$day], $days, true)) {
            return true;
        }
    }
    return false;
}

// A window as the spec writes it ("19:00-09:00", always two digits) in minutes of the day.
function itgrix_rt_window($text)
{
    return array((int) substr($text, 0, 2) * 60 + (int) substr($text, 3, 2),
        (int) substr($text, 6, 2) * 60 + (int) substr($text, 9, 2));
}

// Is the moment $at inside a named schedule ($days: "mon".."sun" => windows "09:00-18:00") with the
// calendar ('off': days off, 'work': days worked although off, with Monday's hours; "Y-m-d" dates,
// "m-d" days of every year)?  A window that crosses midnight belongs to the day it starts, so the
// early hours also look at yesterday's windows.
function itgrix_rt_in_schedule($days, $calendar, $zone, $at)
{
    $now = itgrix_rt_local_time($at, $zone);
    if (isset($calendar['years']) && (int) substr($now[2], 0, 4) > $calendar['years'][1]) {
        itgrix_rt_past_range('public holidays', $calendar['years'][1]);
    }
    for ($back = 0; $back < 2; $back++) {
        $date = gmdate('Y-m-d', $now[3] - $back * 86400); // today, then yesterday (local calendar)
        $dates = array($date, substr($date, 5));
        $day = array_intersect($dates, $calendar['work']) ? 'mon'
            : (array_intersect($dates, $calendar['off']) ? '' : strtolower(gmdate('D', $now[3] - $back * 86400)));
        foreach (isset($days[$day]) ? $days[$day] : array() as $text) {
            $window = itgrix_rt_window($text);
            $crosses = $window[1] <= $window[0];
            if ($back === 0 ? $now[1] >= $window[0] && ($crosses || $now[1] < $window[1])
                : $crosses && $now[1] < $window[1]) {
                return true;
            }
        }
    }
    return false;
}

// The documented keys of a reply, copied from the input when present.
function itgrix_rt_pick($input, $keys)
{
    $out = array();
    foreach (is_array($input) ? $keys : array() as $key) {
        if (array_key_exists($key, $input)) {
            $out[$key] = $input[$key];
        }
    }
    return $out;
}

// Every key of the input except the context the connector adds (call_full, call_stage...).
function itgrix_rt_omit($input, $keys)
{
    $out = array();
    foreach (is_array($input) ? $input : array() as $key => $value) {
        if (!in_array((string) $key, $keys, true)) {
            $out[$key] = $value;
        }
    }
    return $out;
}

// Say why on stderr (never stdout: that is the connector's reply channel); returns $answer.
function itgrix_rt_log($name, $message, $answer = null)
{
    $line = 'itgrix-gen[' . $name . ']: ' . $message;
    defined('STDERR') ? @fwrite(STDERR, $line . "\n") : @error_log($line);
    return $answer;
}

// Count UTF-8 characters and cut to $limit without mbstring; bytes that are not valid UTF-8 count
// one character each, and a cut never splits a character.
function itgrix_rt_utf8_cut($text, $limit)
{
    $length = strlen($text);
    $chars = 0;
    $i = 0;
    while ($i < $length) {
        $byte = ord(substr($text, $i, 1));
        if ($byte >= 0xF0 && $byte <= 0xF4) {
            $size = 4;
        } elseif ($byte >= 0xE0) {
            $size = 3;
        } elseif ($byte >= 0xC2 && $byte <= 0xDF) {
            $size = 2;
        } else {
            $size = 1;
        }
        if ($size > 1) {
            for ($k = 1; $k < $size; $k++) {
                if ($i + $k >= $length || (ord(substr($text, $i + $k, 1)) & 0xC0) !== 0x80) {
                    $size = 1;
                    break;
                }
            }
        }
        if ($chars === $limit) {
            return substr($text, 0, $i);
        }
        $chars++;
        $i += $size;
    }
    return $text;
}

// array(written with a leading "+"?, its digits, its text) for a text that is a phone number, else null.
//
// A number is digits, the usual separators (brackets round or square) and one leading "+"; letters,
// "*", "#" or an extension make it a text that is not rewritten.  A number pasted from a web page
// has libphonenumber's Unicode punctuation (VALID_PUNCTUATION: no-break space, U+2011...), read as
// a space, and digits of the scripts it reads most often (full-width, Arabic-Indic, Eastern
// Arabic-Indic), read as ASCII.  Other Unicode spaces and invisible marks (thin, narrow no-break,
// figure spaces, BOM, direction marks and embeddings, zero-width joiners, NEL: the codes written in
// lower case) are read as a tab: trim() drops them around a number, as libphonenumber does, and the
// pattern refuses them inside one, as it does.
function itgrix_rt_phone_digits($phone)
{
    if (!is_string($phone)) {
        return null;
    }
    if (preg_match('/[\xC2-\xEF]/', $phone)) {
        $map = array("\xEF\xBC\x8B" => '+');
        foreach (explode(' ', 'C2A0 C2AD E2808B E281A0 E38080 E28090 E28091 E28092 E28093 E28094 E28095 E28892 '
            . 'E383BC EFBC8D EFBC8E EFBC8F EFBC88 EFBC89 EFBCBB EFBCBD E28193 E288BC EFBD9E e19a80 e28080 e28081 '
            . 'e28082 e28083 e28084 e28085 e28086 e28087 e28088 e28089 e2808a e2808e e2808f e280a8 e280a9 e280af '
            . 'e2819f efbbbf c285 d89c e1a08e e2808c e2808d e280aa e280ab e280ac e280ad e280ae e281a1 e281a2 '
            . 'e281a3 e281a4 e281a6 e281a7 e281a8 e281a9') as $hex) {
            $map[pack('H*', $hex)] = $hex === strtoupper($hex) ? ' ' : "\t"; // lower case: a tab, trimmed
        }
        for ($d = 0; $d < 10; $d++) {
            $map["\xEF\xBC" . chr(0x90 + $d)] = $map["\xD9" . chr(0xA0 + $d)] = $map["\xDB" . chr(0xB0 + $d)] = (string) $d;
        }
        $phone = strtr($phone, $map);
    }
    $text = trim($phone, " \t\n\r\0\x0B\x0C"); // separators may come before the "+": "(+7) 701 ..."
    if (!preg_match('/^(?=[^0-9]*[0-9])[ \-.()\[\]\/~]*(\+?)[0-9 \-.()\[\]\/~]+$/', $text, $m)) {
        return null;
    }
    return array($m[1] === '+', preg_replace('/[^0-9]/', '', $text), $text);
}

// The number in E.164 (without the "+" when !$plus) as $parse reads it; what is not a number stays.
//
// $parse: the name of the file's parser for the spec's region (generator/emit/phones.py writes
// it: libphonenumber's parse with that region's metadata), giving array(calling code, national
// significant number, region) or null for what it does not take for a number (words, short
// internal numbers, stray symbols, a number no plan allows).
function itgrix_rt_phone_e164($phone, $parse, $plus)
{
    $parsed = $parse($phone);
    return $parsed === null ? $phone : ($plus ? '+' : '') . $parsed[0] . $parsed[1];
}

// The region whose plan makes the national number valid (getRegionCodeForNumber); null: none.
//
// The region a national significant number of calling code $cc belongs to, when it is valid there
// (libphonenumber's getRegionCodeForNumber and isValidNumber): a region with leading digits owns
// what they match, valid or not; another, what is valid there.  $regions: rows of
// array(region, calling code, leading digits or null, validity pattern), in libphonenumber's order.
function itgrix_rt_phone_region($cc, $national, $regions)
{
    foreach ($regions as $row) {
        if ($row[1] === $cc && preg_match($row[2] === null ? $row[3] : $row[2], $national)) {
            return $row[2] === null || preg_match($row[3], $national) ? $row[0] : null;
        }
    }
    return null;
}

// libphonenumber's maybeStripNationalPrefixAndCarrierCode with the plan's patterns.
//
// $number without the national prefix that $npp matches at its start (rewritten by $npt where
// the plan has a transform rule and the pattern's last group caught something), unless the
// number fits the general pattern $general and what is left would not.
function itgrix_rt_phone_strip_prefix($number, $npp, $npt, $general)
{
    if ($number === '' || !preg_match($npp, $number, $m)) {
        return $number;
    }
    $last = count($m) - 1;
    $rest = $npt === null || $last < 1 || $m[$last] === '' ? (string) substr($number, strlen($m[0]))
        : itgrix_rt_preg_replace($npp, $npt, $number);
    return preg_match($general, $number) && !preg_match($general, $rest) ? $number : $rest;
}

// The types of the numbers among $values (libphonenumber's getNumberType), 'unknown' where none.
//
// The types of the numbers among $values, as libphonenumber's getNumberType says by the plan of
// the region each belongs to among those of the spec's calling code ($types: region => patterns
// copied at generation time, in its order: the first types exclude the rest): 'mobile' and/or
// 'fixed_line' (both where the region cannot tell them apart), 'toll_free', 'premium_rate',
// 'voip'; 'unknown' for anything else, a number of another calling code or no valid one included.
// $parse: see itgrix_rt_phone_e164.
function itgrix_rt_number_types($values, $parse, $types)
{
    $out = array();
    foreach (is_array($values) ? $values : array() as $value) {
        $parsed = $parse($value);
        $found = array();
        if ($parsed !== null && is_string($parsed[2]) && isset($types[$parsed[2]])) {
            foreach ($types[$parsed[2]] as $type) {
                if (preg_match($type[1], $parsed[1])) {
                    $found[] = $type[0];
                    if ($type[0] !== 'fixed_line' && $type[0] !== 'mobile') {
                        break;
                    }
                }
            }
        }
        foreach (count($found) > 0 ? $found : array('unknown') as $type) {
            $out[] = $type;
        }
    }
    return count($out) > 0 ? $out : array('unknown');
}

// Each of $values in E.164 as $parse reads it (numbers it does not take stay as they are).
function itgrix_rt_phones_e164($values, $parse)
{
    $out = array();
    foreach (is_array($values) ? $values : array() as $value) {
        $out[] = itgrix_rt_phone_e164($value, $parse, true);
    }
    return $out;
}

// The number in the digits of libphonenumber's NATIONAL format; a foreign number stays E.164.
//
// The number as dialled inside the country: libphonenumber's NATIONAL format without separators
// ("8" + number in Russia, "0" in Germany); a foreign number stays E.164.  $formats: the national
// formats of the calling code's main region; $parse: see itgrix_rt_phone_e164.
function itgrix_rt_phone_national($phone, $parse, $formats)
{
    $parsed = $parse($phone);
    if ($parsed === null || $parsed[0] === '') {
        return $parsed === null ? $phone : '+' . $parsed[1];
    }
    return itgrix_rt_phone_national_digits($parsed[1], $formats);
}

// A national significant number of the spec's calling code in the digits of its NATIONAL format.
function itgrix_rt_phone_national_digits($national, $formats)
{
    foreach ($formats as $format) {
        if (($format[2] === null || preg_match($format[2], $national)) && preg_match($format[0], $national)) {
            return preg_replace('/[^0-9]/', '', itgrix_rt_preg_replace($format[0], $format[1], $national));
        }
    }
    return $national;
}

// The number as dialled from the spec's region (libphonenumber's formatOutOfCountryCallingNumber).
//
// The number as dialled from the spec's region (the digits of libphonenumber's
// formatOutOfCountryCallingNumber): one of its calling code in national digits ("1" and the
// national digits inside the NANP), another after $out, the region's international prefix ("810"
// for Kazakhstan's "8~10"), or "+" where the region has no single prefix.
function itgrix_rt_phone_dial($phone, $parse, $formats, $out)
{
    $parsed = $parse($phone);
    if ($parsed === null) {
        return $phone;
    }
    if ($parsed[0] !== '') {
        $national = itgrix_rt_phone_national_digits($parsed[1], $formats);
        return $parsed[0] === '1' ? '1' . $national : $national;
    }
    return $out . $parsed[1];
}

// The countries (ISO 3166-1) of the numbers among $values, 'unknown' where none.
//
// The countries (ISO 3166-1, as libphonenumber assigns them) of the numbers among $values, read
// with $parse (see itgrix_rt_phone_e164); 'unknown' for one that is not a valid number of a
// calling code of $regions (see itgrix_rt_phone_region).
function itgrix_rt_phone_countries($values, $parse, $regions)
{
    $out = array();
    foreach (is_array($values) ? $values : array() as $value) {
        $parsed = $parse($value);
        $region = $parsed === null ? null : $parsed[2];
        if ($region === '') {
            $region = null;
            foreach ($regions as $row) {
                // calling codes are prefix-free: the first that starts the number is its code
                if (strpos($parsed[1], $row[1]) === 0) {
                    $region = itgrix_rt_phone_region($row[1], (string) substr($parsed[1], strlen($row[1])), $regions);
                    break;
                }
            }
        }
        $out[] = $region === null ? 'unknown' : $region;
    }
    return count($out) > 0 ? $out : array('unknown');
}

// {a ?? b}: the first of the placeholders' texts that is not empty ('' when none has a value).
function itgrix_rt_first($texts)
{
    foreach ($texts as $text) {
        if ($text !== '') {
            return $text;
        }
    }
    return '';
}

// A whole JSON number as the digits it was written with ("998712345678"), also where a 32-bit PHP
// decoded it as a float (past 2^31); anything else (a text, a fraction, null) as it is.
function itgrix_rt_number_text($value)
{
    if (is_int($value) || (is_float($value) && $value == floor($value) && abs($value) < 1.0e15)) {
        return is_int($value) ? (string) $value : sprintf('%.0f', $value);
    }
    return $value;
}

// The click-to-call number cut to its last $last digits (0: all of them), then the dial prefix.
//
// Only a number written as one is cut (digits and the usual separators, as itgrix_rt_phone_digits
// reads them: full-width and Arabic-Indic digits count): in "*72", "... доб. 12" or "#12" the
// digits are not one number, and a number with digits of another script is not cut (its ASCII
// ones are another).  The prefix goes before a number written as one too, dialled as
// itgrix_rt_phone_digits reads it (without the spaces and marks around it, ASCII digits): not
// before a word ("anonymous"), a "+" number ("9+49..." cannot be dialled), "*72" or a number with
// an extension.
function itgrix_rt_dial($number, $last, $prefix)
{
    $read = itgrix_rt_phone_digits($number);
    if ($read !== null && $last > 0) {
        $number = strlen($read[1]) > $last ? substr($read[1], -$last) : $read[1];
    } elseif ($read !== null && !$read[0] && $prefix !== '') {
        $number = $read[2];
    }
    return $prefix !== '' && $read !== null && ($last > 0 || !$read[0]) ? $prefix . $number : $number;
}

// A task DEADLINE $hours after now, written in the same notation as the one the connector sent.
function itgrix_rt_deadline($sent, $hours, $zone)
{
    $at = itgrix_rt_now() + (int) round($hours * 3600);
    if (is_string($sent) && preg_match(
        '/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?([+-])(\d\d)(:?)(\d\d)$/', $sent, $m)) {
        // Keep the offset the connector used: "+03:00" or "+0300", with or without seconds.
        $offset = ((int) $m[3] * 60 + (int) $m[5]) * 60 * ($m[2] === '-' ? -1 : 1);
        $layout = 'Y-m-d\TH:i' . ($m[1] !== '' ? ':s' : '');
        return gmdate($layout, $at + $offset) . $m[2] . $m[3] . $m[4] . $m[5];
    }
    if (is_string($sent) && preg_match('/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/', $sent)) {
        return gmdate('Y-m-d\TH:i:s\Z', $at);
    }
    // Local time in the spec's zone, from the offsets written into the file ($zone, see local_time).
    $offset = itgrix_rt_zone_offset($at, $zone);
    $layouts = array(
        '/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/' => 'Y-m-d H:i:s',
        '/^\d{4}-\d\d-\d\d \d\d:\d\d$/' => 'Y-m-d H:i',
        '/^\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d$/' => 'd.m.Y H:i:s',
        '/^\d\d\.\d\d\.\d{4} \d\d:\d\d$/' => 'd.m.Y H:i',
        '/^\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d$/' => 'm/d/Y H:i:s',
    );
    foreach ($layouts as $pattern => $layout) {
        if (is_string($sent) && preg_match($pattern, $sent)) {
            return gmdate($layout, $at + $offset);
        }
    }
    return gmdate('Y-m-d\TH:i:s', $at + $offset) . ($offset < 0 ? '-' : '+') . gmdate('H:i', abs($offset));
}

function itgrix_rt_json($value)
{
    if (defined('JSON_UNESCAPED_UNICODE')) {
        return json_encode($value, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
    }
    return json_encode($value);
}

// Each byte that is not UTF-8 becomes U+FFFD (json_encode would fail and send an empty body);
// valid UTF-8 comes back untouched.
function itgrix_rt_utf8_clean($value)
{
    if (is_string($value)) {
        return itgrix_rt_utf8_mend($value, false);
    }
    if (!is_array($value)) {
        return $value;
    }
    // What holds no bad byte comes back as it is (shared, not copied): a copy of a whole call of
    // 35,000 conversations went past PHP's default 128 MB for one bad byte in it.
    $out = array();
    $changed = false;
    foreach ($value as $key => $member) {
        $clean = itgrix_rt_utf8_clean($member);
        $name = is_string($key) ? itgrix_rt_utf8_mend($key, false) : $key;
        $changed = $changed || $name !== $key || $clean !== $member;
        $out[$name] = $clean;
    }
    return $changed ? $out : $value;
}

// Bytes that are not UTF-8 replaced (U+FFFD, or %XX with $percent), in linear time.
//
// The text with each byte that is not UTF-8 replaced: by U+FFFD, or ($percent) by its %XX, as in
// a URL (a recording's path in a link then still names the same file).  Linear: a valid text is
// only checked; otherwise it is mended in windows of about 1 KB (so no regex ever repeats more
// than that: PCRE without JIT recurses once per repetition), each cut before a byte that starts
// a character.
function itgrix_rt_utf8_mend($text, $percent)
{
    // Valid as json_encode takes it (no overlong form, surrogate or code point past U+10FFFF):
    // PCRE's /u check (linear, in C), then the few forms old PCRE builds (PHP 5.2's) let through.
    if (preg_match('//u', $text) === 1
        && !preg_match('/[\xC0\xC1\xF5-\xFF]|\xE0[\x80-\x9F]|\xED[\xA0-\xBF]|\xF0[\x80-\x8F]|\xF4[\x90-\xBF]/', $text)) {
        return $text;
    }
    $out = '';
    $length = strlen($text);
    for ($at = 0; $at < $length; $at = $end) {
        $end = min($length, $at + 1024);
        for ($back = 0; $back < 3 && $end < $length && $end > $at + 1 && (ord($text[$end]) & 0xC0) === 0x80; $back++) {
            $end--;
        }
        $piece = substr($text, $at, $end - $at); // a valid window: nothing found, copied whole below
        preg_match_all('/\G((?:[\x00-\x7F]|[\xC2-\xDF][\x80-\xBF]|\xE0[\xA0-\xBF][\x80-\xBF]|[\xE1-\xEC\xEE\xEF][\x80-\xBF]{2}'
            . '|\xED[\x80-\x9F][\x80-\xBF]|\xF0[\x90-\xBF][\x80-\xBF]{2}|[\xF1-\xF3][\x80-\xBF]{3}|\xF4[\x80-\x8F][\x80-\xBF]{2})*+)'
            . '([\x80-\xFF])/', $piece, $found, PREG_SET_ORDER);
        $done = 0;
        foreach ($found as $m) {
            $out .= $m[1] . ($percent ? '%' . strtoupper(bin2hex($m[2])) : "\xEF\xBF\xBD");
            $done += strlen($m[0]);
        }
        $out .= substr($piece, $done);
    }
    return $out;
}

// A value for HTML: escaped, with bytes that are not UTF-8 mended first (htmlspecialchars gives
// "" for such a text: a recording link became href="").  $percent: as %XX (a link), else U+FFFD.
function itgrix_rt_html($text, $percent)
{
    return htmlspecialchars(itgrix_rt_utf8_mend((string) $text, $percent), ENT_QUOTES, 'UTF-8');
}

// A value inside a JSON text body: the characters of a JSON string, without its quotes.
function itgrix_rt_json_text($text)
{
    $json = itgrix_rt_json(itgrix_rt_utf8_mend((string) $text, false));
    return is_string($json) ? substr($json, 1, -1) : '';
}

// Append one JSON line about this call to <dir>/<customization>.jsonl.  $config: array(folder, the
// size in bytes at which a file is rotated, rotated files kept, the zone or null, the redaction (see
// itgrix_rt_capture_line) or null, this file's own version).  Capture never breaks or stalls a call: whatever goes wrong (a
// function the server disabled, a full disk, memory) the call is answered and one stderr line says
// why; a PHP 7+ Error is caught as well as an exception.
function itgrix_rt_capture($config, $name, $customization, $spec, $input, $reply, $decided, $would)
{
    $mask = null;
    try {
        $mask = itgrix_rt_capture_line($config, $name, $customization, $spec, $input, $reply, $decided, $would);
    } catch (Exception $e) {
        itgrix_rt_log($name, 'capture failed: ' . get_class($e) . ': ' . $e->getMessage());
    } catch (Throwable $e) {
        itgrix_rt_log($name, 'capture failed: ' . get_class($e) . ': ' . $e->getMessage());
    }
    if ($mask !== null && function_exists('umask')) {
        umask($mask);
    }
}

// The bytes PHP may still allocate before memory_limit, or -1 when there is no limit.
function itgrix_rt_memory_left()
{
    $limit = function_exists('ini_get') ? trim((string) @ini_get('memory_limit')) : '';
    if ($limit === '' || (int) $limit <= 0 || !function_exists('memory_get_usage')) {
        return -1;
    }
    $units = array('k' => 1024, 'm' => 1048576, 'g' => 1073741824);
    $unit = strtolower(substr($limit, -1));
    $bytes = (float) $limit * (isset($units[$unit]) ? $units[$unit] : 1);
    return max(0, $bytes - memory_get_usage());
}

// Is $path a regular file that is not a link, or absent?  (A FIFO would block fopen; a link would
// send call data to whatever it names.)
function itgrix_rt_plain_or_absent($path)
{
    clearstatcache();
    if (@is_link($path)) {
        return false;
    }
    return !@file_exists($path) || @filetype($path) === 'file';
}

// The work of itgrix_rt_capture; returns the umask to restore (or null).  Writers take an
// exclusive lock on <dir>/.lock for the append and any rotation, so many PHP processes at once
// never tear a line; the lock is waited for 0.2 s at most.
function itgrix_rt_capture_line($config, $name, $customization, $spec, $input, $reply, $decided, $would)
{
    foreach (array('fopen', 'flock', 'fwrite', 'fclose', 'is_dir', 'mkdir', 'json_encode') as $needed) {
        if (!function_exists($needed)) {
            itgrix_rt_log($name, 'capture: ' . $needed . '() is disabled on this PHP; call not captured');
            return null;
        }
    }
    // A call too large for the memory left (redaction copies it, the line is its JSON): the line
    // says so instead of holding the input, rather than PHP dying with the call unanswered.
    $values = 0;
    foreach (array($input, $reply, $would) as $part) {
        $values += is_array($part) ? count($part, COUNT_RECURSIVE) : 1;
    }
    $left = itgrix_rt_memory_left();
    if ($left >= 0 && $values * 1024 + 4194304 > $left) {
        itgrix_rt_log($name, 'capture: the call holds ' . $values . ' values, too many for the memory left; '
            . 'its input is not captured');
        $input = array('itgrix_gen_not_captured' => 'too large: ' . $values . ' values');
    }
    if ($config[4] !== null) {
        // array(key, the redaction function, the function that finds names), by name: a file
        // without redaction carries none of their code.
        list($key, $redact, $gather) = $config[4];
        $names = $gather(array($input, $reply, $would), $key, array(), '', '');
        $input = $redact($input, $key, $names, '', '');
        $reply = $redact($reply, $key, $names, '', '');
        $would = $would === null ? null : $redact($would, $key, $names, '', '');
    }
    $now = itgrix_rt_now();
    $offset = $config[3] === null ? 0 : itgrix_rt_zone_offset($now, $config[3]);
    $entry = array('v' => 1, 'at' => gmdate('Y-m-d\TH:i:s', $now + $offset) . ($offset < 0 ? '-' : '+')
        . gmdate('H:i', abs($offset)), 'customization' => $customization, 'spec' => $spec,
        'spec_version' => $config[5], 'input' => $input, 'reply' => $reply, 'decided_by' => $decided);
    if ($would !== null) {
        $entry['would_reply'] = $would;
    }
    $line = @itgrix_rt_json($entry); // bytes that are not UTF-8 fail it: then they become U+FFFD
    if (!is_string($line) || $line === '' || $line === 'null') {
        $entry = itgrix_rt_utf8_clean($entry);
        $line = @itgrix_rt_json($entry);
    }
    $entry = null;
    $line = (is_string($line) ? $line : '') . "\n";
    $dir = $config[0];
    $mask = function_exists('umask') ? umask(077) : null; // the folder 0700 and the files 0600
    // Many first calls at once create the folder together: one mkdir wins, the others find it made.
    for ($try = 0; $try < 3 && !@is_dir($dir); $try++) {
        @mkdir($dir, 0700, true);
        clearstatcache();
    }
    $lock = $dir . '/.lock';
    $file = $dir . '/' . $customization . '.jsonl';
    $refused = !@is_dir($dir) ? ' (no folder or no permission)' : (!itgrix_rt_plain_or_absent($lock)
        || !itgrix_rt_plain_or_absent($file) ? ' (.lock or the log is not a regular file: a link, a FIFO...)' : '');
    $handle = $refused === '' ? @fopen($lock, 'a') : false;
    if ($refused === '' && $handle === false) {
        $refused = ' (no permission)';
    }
    $locked = false;
    for ($try = 0; $handle !== false && !$locked && $try < 100; $try++) {
        $locked = @flock($handle, LOCK_EX | LOCK_NB);
        if (!$locked && function_exists('usleep')) {
            usleep(2000);
        }
    }
    $written = false;
    if ($locked && $line !== "\n" && itgrix_rt_plain_or_absent($file)) {
        $size = @filesize($file);
        for ($i = $config[2]; is_int($size) && $size > 0 && $size + strlen($line) > $config[1] && $i >= 1; $i--) {
            @rename($i === 1 ? $file : $file . '.' . ($i - 1), $file . '.' . $i); // rotate: .1 is the newest
        }
        $out = @fopen($file, 'a');
        $stat = $out !== false && function_exists('fstat') ? @fstat($out) : false;
        $written = $out !== false ? @fwrite($out, $line) : false;
        if ($written !== strlen($line) && is_array($stat) && function_exists('ftruncate')) {
            @ftruncate($out, $stat['size']); // a disk that filled up mid-line: no torn line left
        }
        if ($out !== false) {
            fclose($out);
            if ($mask === null && function_exists('chmod')) {
                @chmod($file, 0600); // no umask() on this PHP: the file's mode set after the fact
            }
        }
    }
    if ($handle !== false) {
        fclose($handle); // releases the lock
    }
    if ($written !== strlen($line)) {
        itgrix_rt_log($name, 'capture: cannot write to ' . $dir . ($refused !== '' ? $refused
            : ($locked ? ' (disk full, no permission, or the call cannot be encoded)' : ' (the lock stayed busy)')));
    }
    return $mask;
}

// Phone numbers, personal names and e-mails as stable pseudonyms, by value, the same in every
// file and in `cases import --redact` (generator/capture/redact.py says exactly what goes and
// what stays): a number keeps its form and all but its last seven digits; a name or e-mail becomes
// "anon-" and 8 hex digits, and a name found in a name-like field is replaced wherever else its
// text appears ($names: from itgrix_rt_redact_names).  Company numbers (trunks, the line) and
// technical names (channels) stay, so rules on them still hold on replay.
function itgrix_rt_redact($value, $key, $names, $field, $parent)
{
    if (is_array($value)) {
        $out = array();
        foreach ($value as $k => $member) {
            $named = is_string($k);
            $out[$k] = itgrix_rt_redact($member, $key, $names, $named ? $k : $field, $named ? $field : $parent);
        }
        return $out;
    }
    if (is_bool($value) || $value === null || $parent === 'trunk' || $field === 'trunk'
        || $field === 'LINE_NUMBER' || $field === 'line') {
        return $value;
    }
    $phones = array('phone' => 1, 'number' => 1, 'num' => 1, 'PHONE_NUMBER' => 1, 'extension' => 1, 'exten' => 1,
        'from' => 1, 'to' => 1, 'phones' => 1);
    $phone = isset($phones[$field]);
    $text = itgrix_rt_number_text($value);
    if ($text !== $value) { // a whole JSON number
        $changed = itgrix_rt_redact_numbers($text, $key, $phone);
        return $changed === $text ? $value : (is_int($value) ? (int) $changed : (float) $changed);
    }
    if (!is_string($value) || $value === '') {
        return $value;
    }
    if (preg_match('/(name|fio|title|mail)$/i', $field) && $parent !== 'channel') {
        return 'anon-' . substr(sha1($key . "\0" . $value), 0, 8);
    }
    if (count($names) > 0) {
        $value = strtr($value, $names);
    }
    if (strpos($value, '@') !== false) {
        $value = itgrix_rt_redact_emails($value, $key);
    }
    // A phone number has 7 digits at least: a text with fewer is left at once.
    return preg_match_all('/[0-9]/', $value, $digits) < 7 ? $value : itgrix_rt_redact_numbers($value, $key, $phone);
}

// The names (texts of 3 characters or more in name-like fields, as itgrix_rt_redact tells them)
// found in $values, each => its pseudonym.
function itgrix_rt_redact_names($values, $key, $names, $field, $parent)
{
    if (is_array($values)) {
        foreach ($values as $k => $member) {
            $named = is_string($k);
            $names = itgrix_rt_redact_names($member, $key, $names, $named ? $k : $field, $named ? $field : $parent);
        }
    } elseif (is_string($values) && strlen($values) >= 3 && $parent !== 'trunk' && $field !== 'trunk'
        && $field !== 'LINE_NUMBER' && $field !== 'line' && $parent !== 'channel'
        && preg_match('/(name|fio|title|mail)$/i', $field)) {
        $names[$values] = 'anon-' . substr(sha1($key . "\0" . $values), 0, 8);
    }
    return $names;
}

function itgrix_rt_redact_emails($text, $key)
{
    if (!preg_match_all('/[A-Za-z0-9._%+-]*[A-Za-z][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/',
        $text, $hits, PREG_OFFSET_CAPTURE)) {
        return $text;
    }
    $out = '';
    $at = 0;
    foreach ($hits[0] as $hit) {
        $out .= substr($text, $at, $hit[1] - $at) . 'anon-' . substr(sha1($key . "\0" . $hit[0]), 0, 8);
        $at = $hit[1] + strlen($hit[0]);
    }
    return $out . substr($text, $at);
}

// Phone-length digit runs of $text with their last seven digits replaced (the rules: redact.py).
function itgrix_rt_redact_numbers($text, $key, $phone)
{
    $stay = '[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2})?)?'
        . '|[0-9]{2}[.\/][0-9]{2}[.\/][0-9]{4}(?: [0-9]{2}:[0-9]{2}(?::[0-9]{2})?)?'
        . '|[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?|[0-9]{9,10}\.[0-9]{1,6}|anon-[0-9a-f]{8}';
    if (!preg_match_all('/(?<![0-9])(?:' . $stay . ')(?![0-9])|(\+?[0-9]+(?:(?:[ .\/-]|\) ?|[ -]?\()(?!(?:' . $stay
        . ')(?![0-9]))[0-9]+)*)/', $text, $runs, PREG_SET_ORDER | PREG_OFFSET_CAPTURE)) {
        return $text;
    }
    foreach ($runs as $run) {
        if (!isset($run[1]) || $run[1][1] < 0) {
            continue;
        }
        $start = $run[1][1];
        $plus = $run[1][0][0] === '+';
        preg_match_all('/[0-9]+/', $run[1][0], $found, PREG_OFFSET_CAPTURE);
        $groups = array();
        foreach ($found[0] as $group) {
            $groups[] = array($group[1] + $start, strlen($group[0]));
        }
        $count = count($groups);
        for ($i = 0; $i < $count; $i = $j + 1) {
            // Groups join into one number while it is short, or the next group is a short part
            // ("+7 495 123 45 67"); a complete number takes no suffix ("PJSIP/7495...-0001").
            $j = $i;
            $digits = $groups[$i][1];
            while ($j + 1 < $count && $digits + $groups[$j + 1][1] <= 15 && ($digits < 7 || $groups[$j + 1][1] <= 4)
                && ($digits < 10 || $groups[$j + 1][1] <= 2)) {
                $j++;
                $digits += $groups[$j][1];
            }
            $first = $plus && $i === 0;
            $number = '';
            for ($k = $i; $k <= $j; $k++) {
                $number .= substr($text, $groups[$k][0], $groups[$k][1]);
            }
            $unix = $i === $j && $digits === 10 && $number[0] === '1' && !$first;
            if ($digits >= ($first || $phone ? 7 : 10) && $digits <= 15 && !$unix) {
                $fake = sprintf('%07d', (int) fmod(hexdec(substr(sha1($key . "\0" . substr($number, -7)), 0, 12)), 10000000));
                $n = 6;
                for ($k = $j; $k >= $i && $n >= 0; $k--) {
                    for ($b = $groups[$k][0] + $groups[$k][1] - 1; $b >= $groups[$k][0] && $n >= 0; $b--) {
                        $text[$b] = $fake[$n--];
                    }
                }
            }
        }
    }
    return $text;
}

// Send the webhook ($body: text, or an array sent as JSON); a failure or an HTTP status >= 400 is
// logged on stderr, never raised or printed.
function itgrix_rt_webhook($method, $url, $headers, $body, $timeout, $name)
{
    if (is_array($body)) {
        $body = itgrix_rt_json(itgrix_rt_utf8_clean($body));
        $headers[] = 'Content-Type: application/json';
    }
    if (!is_string($body)) {
        itgrix_rt_log($name, 'webhook not sent: its body could not be encoded');
        return;
    }
    foreach ($headers as $i => $header) {
        // A line break would end the header (and start another); other control characters are not
        // allowed in a header either (RFC 9110: tab, visible characters and obs-text only); nor
        // Unicode's C1 controls (NEL) and line separators, which some readers take for a break.
        $headers[$i] = preg_replace('/[\x00-\x08\x0A-\x1F\x7F]|\xC2[\x80-\x9F]|\xE2\x80[\xA8\xA9]/', ' ', $header);
    }
    $answer = itgrix_rt_http($method, $url, $headers, $method === 'GET' ? '' : $body, $timeout);
    if ($answer[1] !== '') {
        itgrix_rt_log($name, 'webhook failed: ' . $answer[1]);
    } elseif ($answer[0] >= 400) {
        itgrix_rt_log($name, 'webhook answered HTTP ' . $answer[0]);
    }
}

// One HTTP request, array(status, error or ''), by curl or sockets (the test harness may define
// this function first, with a stub); one deadline covers all of it, at most 3 redirects included.
function itgrix_rt_http($method, $url, $headers, $body, $timeout)
{
    if (function_exists('curl_init')) {
        return itgrix_rt_http_curl($method, $url, $headers, $body, $timeout);
    }
    $deadline = microtime(true) + $timeout;
    for ($hop = 0; $hop < 4; $hop++) {
        $answer = itgrix_rt_http_socket($method, $url, $headers, $body, $deadline);
        if ($answer[1] !== '' || $answer[2] === null) {
            return array($answer[0], $answer[1]);
        }
        $url = itgrix_rt_url_join($url, $answer[2]);
        if ($answer[0] !== 307 && $answer[0] !== 308) {
            $method = 'GET'; // as browsers and curl do after 301, 302 and 303
            $body = '';
        }
    }
    return array($answer[0], 'more than 3 redirects');
}

function itgrix_rt_http_curl($method, $url, $headers, $body, $timeout)
{
    $curl = curl_init($url);
    if ($method === 'POST') {
        curl_setopt($curl, CURLOPT_POST, true); // not CUSTOMREQUEST: a 302 then turns it into GET
    } elseif ($method !== 'GET') {
        curl_setopt($curl, CURLOPT_CUSTOMREQUEST, $method);
    }
    if ($method !== 'GET') {
        curl_setopt($curl, CURLOPT_POSTFIELDS, $body); // a string: sent as it is, never as form fields
    }
    // The answer goes nowhere: only its status matters.  The sink takes 64 KiB at most, then stops
    // the transfer, so a huge or endless answer is never read (a callback by name: PHP 5.2 too).
    $options = array(CURLOPT_HTTPHEADER => $headers, CURLOPT_WRITEFUNCTION => itgrix_rt_http_sink(null, null),
        CURLOPT_NOSIGNAL => 1, CURLOPT_MAXREDIRS => 3, CURLOPT_TIMEOUT => max(1, (int) ceil($timeout)),
        CURLOPT_CONNECTTIMEOUT => max(1, (int) ceil($timeout)));
    if (defined('CURLOPT_TIMEOUT_MS')) {
        $options[CURLOPT_TIMEOUT_MS] = $options[CURLOPT_CONNECTTIMEOUT_MS] = max(1, (int) ($timeout * 1000));
    }
    if (defined('CURLOPT_PROTOCOLS')) {
        $options[CURLOPT_PROTOCOLS] = $options[CURLOPT_REDIR_PROTOCOLS] = CURLPROTO_HTTP | CURLPROTO_HTTPS;
    }
    foreach ($options as $option => $value) {
        curl_setopt($curl, $option, $value);
    }
    @curl_setopt($curl, CURLOPT_FOLLOWLOCATION, true); // refused under open_basedir on old PHP
    $ok = curl_exec($curl);
    $status = (int) curl_getinfo($curl, CURLINFO_HTTP_CODE);
    $errno = curl_errno($curl);
    $capped = $errno === 23 && itgrix_rt_http_sink(null, false); // the sink stopped it on purpose
    $error = $ok === false && !$capped ? ($errno === 47 ? 'more than 3 redirects' : curl_error($curl)) : '';
    // No curl_close(): the handle is freed with $curl, and PHP 8.5 deprecates the call.
    return array($status, $error);
}

// curl's write callback for an answer nobody reads: stops the transfer past 64 KiB.
//
// curl's write callback for an answer nobody reads: counts the bytes and stops the transfer past
// 64 KiB (a return other than the chunk's length aborts it).  Called with (null, null): starts a
// new count and gives the function's own name, for CURLOPT_WRITEFUNCTION; (null, false): whether
// the last transfer was stopped here.
function itgrix_rt_http_sink($curl, $data)
{
    static $taken = 0;
    if ($curl === null) {
        if ($data === null) {
            $taken = 0;
            return __FUNCTION__;
        }
        return $taken > 65536;
    }
    $taken += strlen($data);
    return $taken > 65536 ? 0 : strlen($data);
}

// HTTP/1.0 over a socket, array(status, error, location); every read and write ends by the deadline.
function itgrix_rt_http_socket($method, $url, $headers, $body, $deadline)
{
    $parts = @parse_url($url);
    if (!is_array($parts) || !isset($parts['host']) || !preg_match('/^https?$/i', $parts['scheme'])) {
        return array(0, 'not an http(s) URL', null);
    }
    $https = strtolower($parts['scheme']) === 'https';
    $port = isset($parts['port']) ? (int) $parts['port'] : ($https ? 443 : 80);
    $left = $deadline - microtime(true);
    $context = stream_context_create(array('ssl' => array('SNI_enabled' => true, 'peer_name' => $parts['host'])));
    $socket = $left <= 0 ? false : @stream_socket_client(($https ? 'ssl://' : 'tcp://') . $parts['host'] . ':'
        . $port, $errno, $errstr, $left, STREAM_CLIENT_CONNECT, $context);
    if (!$socket) {
        return array(0, $left <= 0 ? 'timed out' : 'cannot connect to ' . $parts['host'] . ':' . $port . ' ('
            . $errstr . ')', null);
    }
    $request = $method . ' ' . (isset($parts['path']) && $parts['path'] !== '' ? $parts['path'] : '/')
        . (isset($parts['query']) ? '?' . $parts['query'] : '') . " HTTP/1.0\r\nHost: " . $parts['host']
        . (isset($parts['port']) ? ':' . $port : '') . "\r\nConnection: close\r\n"
        . ($method !== 'GET' ? 'Content-Length: ' . strlen($body) . "\r\n" : '')
        . (count($headers) > 0 ? implode("\r\n", $headers) . "\r\n" : '') . "\r\n" . ($method !== 'GET' ? $body : '');
    $answer = '';
    while ($request !== '' && itgrix_rt_stream_deadline($socket, $deadline)) {
        $sent = @fwrite($socket, $request);
        $request = $sent ? (string) substr($request, $sent) : '';
    }
    while (strpos($answer, "\r\n\r\n") === false && strlen($answer) < 65536 && !feof($socket)
        && itgrix_rt_stream_deadline($socket, $deadline)) {
        $chunk = @fread($socket, 8192);
        $meta = stream_get_meta_data($socket);
        if ($chunk === false || ($chunk === '' && $meta['timed_out'])) {
            break;
        }
        $answer .= $chunk;
    }
    $closed = feof($socket);
    fclose($socket);
    if (strpos($answer, "\r\n\r\n") === false && !$closed && strlen($answer) < 65536) {
        return array(0, 'no complete answer within the timeout', null);
    }
    if (!preg_match('~^HTTP/\d(?:\.\d)? (\d{3})~', $answer, $m)) {
        return array(0, 'no HTTP answer', null);
    }
    $location = $m[1] >= 300 && $m[1] < 400 && preg_match('~\r\nLocation:[ \t]*([^\r\n]+)~i', $answer, $l) ? trim($l[1]) : null;
    return array((int) $m[1], '', $location);
}

// Let the next read or write on the socket wait no later than the deadline; false once it passed.
function itgrix_rt_stream_deadline($socket, $deadline)
{
    $left = $deadline - microtime(true);
    if ($left > 0) {
        stream_set_timeout($socket, (int) $left, max(1000, (int) (($left - (int) $left) * 1000000)));
    }
    return $left > 0;
}

// A redirect's Location against the URL it came from (absolute, host-relative or path-relative).
function itgrix_rt_url_join($base, $location)
{
    $parts = @parse_url($base);
    $origin = $parts['scheme'] . '://' . $parts['host'] . (isset($parts['port']) ? ':' . $parts['port'] : '');
    $path = isset($parts['path']) ? $parts['path'] : '/';
    if (preg_match('~^https?://~i', $location)) {
        return $location;
    }
    if (substr($location, 0, 2) === '//') {
        return $parts['scheme'] . ':' . $location;
    }
    return $origin . (substr($location, 0, 1) === '/' ? '' : substr($path, 0, strrpos($path, '/') + 1)) . $location;
}

// Convert a recording with the command (texts, 0 for the source path, 1 for the target path);
// the converted path, or the original one when conversion is impossible or fails.
function itgrix_rt_convert_recording($path, $command, $extension, $timeout, $name, $redact)
{
    // With capture's redact, stderr names the recording redacted too (its name holds the number).
    $shown = $redact === null ? $path : itgrix_rt_redact_numbers($path, $redact, false);
    $target = preg_replace('/\.[^.\/]*$/', '', $path) . '.' . $extension;
    if ($target === $path) {
        return $path;
    }
    if (!preg_match('//u', $path)) {
        // escapeshellarg() drops bytes that are not valid in the locale's encoding, so such a
        // path could name another file: never converted.
        itgrix_rt_log($name, 'recording path is not valid UTF-8, not converted');
        return $path;
    }
    if (!is_file($path)) {
        itgrix_rt_log($name, 'recording not found, not converted: ' . $shown);
        return $path;
    }
    // The connector waits 10 s at most, then uses the original file.
    $shell = itgrix_rt_shell_template($command, $path, $target);
    return itgrix_rt_convert($shell, $target, $timeout, $name, $redact === null ? null : $shown) ? $target : $path;
}

// Run a conversion command with a deadline; true only when it exited 0 in time and wrote a
// non-empty $target.  At the deadline the shell and everything it started are killed (a converter
// left running would go on writing the file the connector is about to use).
function itgrix_rt_convert($command, $target, $timeout, $name, $shown)
{
    if (!function_exists('proc_open')) {
        itgrix_rt_log($name, 'conversion skipped: proc_open is disabled');
        return false;
    }
    clearstatcache();
    $before = is_file($target) ? filemtime($target) : null;
    $started = time();
    // In a process group of its own (setsid, where the system has it): at the deadline the whole
    // group is killed at once, children it started in the meantime included.
    foreach (array('/usr/bin/setsid', '/bin/setsid') as $setsid) {
        if (@is_executable($setsid)) {
            $command = 'exec ' . $setsid . ' /bin/sh -c ' . escapeshellarg($command);
            break;
        }
    }
    $pipes = array();
    $process = @proc_open($command, array(0 => array('file', '/dev/null', 'r'),
        1 => array('file', '/dev/null', 'w'), 2 => array('file', '/dev/null', 'w')), $pipes);
    if (!is_resource($process)) {
        itgrix_rt_log($name, 'conversion could not start');
        return false;
    }
    $deadline = microtime(true) + $timeout;
    $code = -1;
    while (true) {
        $status = proc_get_status($process);
        if (!$status['running']) {
            $code = $status['exitcode'];
            break;
        }
        if (microtime(true) >= $deadline) {
            itgrix_rt_kill_tree($status['pid']);
            proc_terminate($process, 9);
            proc_close($process);
            itgrix_rt_log($name, 'conversion took longer than ' . $timeout . ' s; original file kept');
            return false;
        }
        usleep(20000);
    }
    proc_close($process);
    clearstatcache();
    if ($code !== 0 || !is_file($target) || filesize($target) === 0) {
        itgrix_rt_log($name, 'conversion failed (exit ' . $code . ', '
            . (is_file($target) ? 'empty output' : 'no output') . '); original file kept');
        return false;
    }
    if ($before !== null && filemtime($target) < $started && filemtime($target) === $before) {
        itgrix_rt_log($name, 'conversion wrote nothing new (a stale ' . ($shown === null ? basename($target)
            : 'converted file') . ' is there); original file kept');
        return false;
    }
    return true;
}

// Kill a process and all its descendants (found through /proc), children first.
function itgrix_rt_kill_tree($pid)
{
    $children = array();
    $entries = @scandir('/proc');
    if (is_array($entries)) {
        foreach ($entries as $entry) {
            if (preg_match('/^[0-9]+$/', $entry)) {
                $stat = @file_get_contents('/proc/' . $entry . '/stat');
                // "pid (comm) state ppid ...": comm may hold spaces and brackets, so read after the last ")"
                if (is_string($stat) && ($end = strrpos($stat, ')')) !== false) {
                    $fields = explode(' ', trim(substr($stat, $end + 2)));
                    if (isset($fields[1])) {
                        $children[(int) $fields[1]][] = (int) $entry;
                    }
                }
            }
        }
    }
    $order = array();
    $todo = array((int) $pid);
    while (count($todo) > 0) {
        $current = array_pop($todo);
        $order[] = $current;
        if (isset($children[$current])) {
            foreach ($children[$current] as $child) {
                $todo[] = $child;
            }
        }
    }
    $order = array_reverse($order);
    if (function_exists('posix_kill')) {
        if ($pid > 1) {
            @posix_kill(-$pid, 9); // its process group (see itgrix_rt_convert), then each process found
        }
        foreach ($order as $victim) {
            @posix_kill($victim, 9);
        }
    } elseif (count($order) > 0) {
        // No posix extension: the kill(1) command, started like the converter itself.
        $pipes = array();
        // The group first, at once: killed one by one, children first, a "sleep" that died let
        // its shell run the next command (the copy) before the shell's turn came.  And "kill -9
        // -PGID", never "kill -9 -- -PGID": dash's kill (Debian's and Ubuntu's /bin/sh) refuses "--".
        $killer = @proc_open('kill -9 -' . (int) $pid . '; kill -9 ' . implode(' ', $order),
            array(0 => array('file', '/dev/null', 'r'),
            1 => array('file', '/dev/null', 'w'), 2 => array('file', '/dev/null', 'w')), $pipes);
        if (is_resource($killer)) {
            proc_close($killer);
        }
    }
}

function itgrix_rt_shell_template($parts, $source, $target)
{
    $out = '';
    foreach ($parts as $part) {
        if ($part === 0) {
            $out .= escapeshellarg($source);
        } elseif ($part === 1) {
            $out .= escapeshellarg($target);
        } else {
            $out .= $part;
        }
    }
    return $out;
}

// A success reply; "data" is a JSON object even when empty ({}: a cancel) or keyed 0..n-1.
function itgrix_rt_reply($data)
{
    $list = is_array($data) && (count($data) === 0 || array_keys($data) === range(0, count($data) - 1));
    return array('state' => 'success', 'data' => $list ? (object) $data : $data);
}

// click-to-call's reply: request_data sent as {} (array() once decoded) goes back as {}, never [].
function itgrix_rt_originate_reply($data)
{
    $empty = is_array($data) && isset($data['request_data']) && $data['request_data'] === array();
    return itgrix_rt_reply($empty ? array_merge($data, array('request_data' => new stdClass())) : $data);
}

// process_originate_params may receive its input wrapped as {"params": {...}} or flat.
function itgrix_rt_unwrap($params)
{
    return is_array($params) && isset($params['params']) && is_array($params['params']) ? $params['params'] : $params;
}
