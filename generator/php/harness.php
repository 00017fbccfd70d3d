<?php
/*
 * itgrix-gen test harness: runs generated customization files the way the connector's customizer
 * does.  For each case it decodes the input JSON into $params (string keys), includes the file
 * inside a function scope, and records the value the file returns.  Anything the file prints,
 * every notice/warning/deprecation (E_ALL) and every uncaught error is recorded too.
 *
 * Input on stdin: {"cases": [{"file": "...", "input": "<json text>", "now": <unix time or null>}],
 *                 "stub_http": <true: HTTP requests go to a stub, not the network>}
 * Output on stdout: [{"reply": "<json text>" | null, "errors": [...], "output": "...", "log": [...]}]
 *
 * Written for PHP 5.2 to 8.5 alike: no closures, no short arrays.
 */

error_reporting(-1);
ini_set('display_errors', '0');

$GLOBALS['itgrix_gen_harness_errors'] = array();
$GLOBALS['itgrix_gen_harness_logs'] = array();
$GLOBALS['itgrix_gen_harness_clock'] = null;

function itgrix_gen_harness_error($number, $message, $file, $line)
{
    if (!(error_reporting() & $number)) {
        return true; // silenced with @ on purpose
    }
    $names = array(E_WARNING => 'Warning', E_NOTICE => 'Notice', E_USER_ERROR => 'User error',
        E_USER_WARNING => 'User warning', E_USER_NOTICE => 'User notice', E_STRICT => 'Strict',
        E_RECOVERABLE_ERROR => 'Recoverable error');
    if (defined('E_DEPRECATED')) {
        $names[E_DEPRECATED] = 'Deprecated';
        $names[E_USER_DEPRECATED] = 'User deprecated';
    }
    $label = isset($names[$number]) ? $names[$number] : 'Error ' . $number;
    $GLOBALS['itgrix_gen_harness_errors'][] = $label . ': ' . $message . ' in ' . basename($file) . ':' . $line;
    return true;
}

function itgrix_gen_harness_log($line)
{
    $GLOBALS['itgrix_gen_harness_logs'][] = $line;
}

function itgrix_gen_harness_now()
{
    if ($GLOBALS['itgrix_gen_harness_clock'] !== null) {
        return $GLOBALS['itgrix_gen_harness_clock'];
    }
    return time();
}

function itgrix_gen_harness_include($itgrix_gen_harness_file, $params)
{
    return include $itgrix_gen_harness_file;
}

function itgrix_gen_harness_json($value)
{
    if (defined('JSON_UNESCAPED_UNICODE')) {
        return json_encode($value, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
    }
    return json_encode($value);
}

// A stray byte that JSON cannot carry comes as U+E000 and two hex digits (runner.py); put the
// raw byte back, in keys and values alike.
function itgrix_gen_harness_bytes($value)
{
    if (is_string($value)) {
        $marker = "\xee\x80\x80";
        $out = '';
        $at = 0;
        while (($found = strpos($value, $marker, $at)) !== false) {
            $out .= substr($value, $at, $found - $at) . chr(hexdec(substr($value, $found + 3, 2)));
            $at = $found + 5;
        }
        return $out . substr($value, $at);
    }
    if (is_array($value)) {
        $copy = array();
        foreach ($value as $key => $item) {
            $copy[itgrix_gen_harness_bytes($key)] = itgrix_gen_harness_bytes($item);
        }
        return $copy;
    }
    return $value;
}

// The other way, for a reply that holds such bytes (a pass-through of the input's text): every
// string as hex, which runner.py decodes into the same Python strings as the input's.
function itgrix_gen_harness_hex($value)
{
    if (is_string($value)) {
        return 'hex:' . bin2hex($value);
    }
    if (is_array($value)) {
        $copy = array();
        foreach ($value as $key => $item) {
            $copy[is_string($key) ? 'hex:' . bin2hex($key) : $key] = itgrix_gen_harness_hex($item);
        }
        return $copy;
    }
    return $value;
}

set_error_handler('itgrix_gen_harness_error');

// The request comes on stdin, or (runtimes without a usable stdin, such as the PHP 5.2 WASM
// build) from the file a bootstrap names in $itgrix_gen_request_file.
if (isset($itgrix_gen_request_file)) {
    $request = json_decode(file_get_contents($itgrix_gen_request_file), true);
} else {
    $request = json_decode(stream_get_contents(STDIN), true);
}
if (!is_array($request) || !isset($request['cases']) || !is_array($request['cases'])) {
    fwrite(STDERR, "itgrix-gen harness: the request could not be read\n");
    exit(2);
}
// The PHP version matrix has no network (an HTTP request crashes the 5.2 runtime): there the
// generated files' HTTP requests go to this stub, which answers 200 and logs what was sent.
if (!empty($request['stub_http'])) {
    function itgrix_gen_harness_http($method, $url, $headers, $body, $timeout)
    {
        $GLOBALS['itgrix_gen_harness_logs'][] = 'http stub: ' . $method . ' ' . $url . ' ' . $body;
        return array(200, '');
    }
}
$results = array();
foreach ($request['cases'] as $case) {
    $GLOBALS['itgrix_gen_harness_errors'] = array();
    $GLOBALS['itgrix_gen_harness_logs'] = array();
    $GLOBALS['itgrix_gen_harness_clock'] = $case['now'];
    $params = json_decode($case['input'], true);
    if (!empty($case['bytes'])) {
        $params = itgrix_gen_harness_bytes($params);
    }
    $reply = null;
    $encoded = null;
    $hex = null;
    ob_start();
    try {
        $reply = itgrix_gen_harness_include($case['file'], $params);
        if (!empty($case['bytes'])) {
            // The input carried bytes that are not UTF-8, and the reply may too: every string as
            // hex (json_encode would fail, or on PHP 5.2 warn and drop the string).
            $hex = json_encode(itgrix_gen_harness_hex($reply));
        } else {
            $encoded = itgrix_gen_harness_json($reply);
            if ($encoded === false) {
                $GLOBALS['itgrix_gen_harness_errors'][] = 'Reply: json_encode failed (invalid UTF-8?)';
                $encoded = null;
            }
        }
    } catch (Exception $e) {
        $GLOBALS['itgrix_gen_harness_errors'][] = 'Uncaught ' . get_class($e) . ': ' . $e->getMessage();
    } catch (Throwable $e) {
        $GLOBALS['itgrix_gen_harness_errors'][] = 'Uncaught ' . get_class($e) . ': ' . $e->getMessage();
    }
    $printed = ob_get_clean();
    $results[] = array(
        'reply' => $encoded,
        'reply_hex' => $hex,
        'errors' => $GLOBALS['itgrix_gen_harness_errors'],
        'output' => base64_encode($printed),
        'log' => $GLOBALS['itgrix_gen_harness_logs'],
    );
}
restore_error_handler();
echo json_encode($results);
