<?php
/*
 * itgrix-gen test harness: runs generated customization files the way the connector's customizer
 * does.  For each case it decodes the input JSON into $params (string keys), includes the file
 * inside a function scope, and records the value the file returns.  Anything the file prints,
 * every notice/warning/deprecation (E_ALL) and every uncaught error is recorded too.
 *
 * Input on stdin: {"cases": [{"file": "...", "input": "<json text>", "now": <unix time or null>,
 *                             "decide": "<the file's decide function, or null>"}],
 *                 "stub_http": <true: HTTP requests go to a stub, not the network>,
 *                 "hooks": {"now"|"log"|"http": "<the helper's name in generated files>"}}
 * Output on stdout: [{"reply": "<json text>" | null, "errors": [...], "output": "...", "log": [...],
 *                     "decided": "<the rule that decided>" | null}]
 *
 * With "decide" (files rendered with $decided recorded, see generator/capture/stream.py), the file
 * is included once to define its functions, then its decide function is called with the input:
 * the same code the entry function runs, which also says which rule decided.
 *
 * `php harness.php --stream` is a replay worker (generator/capture/stream.py): a first line
 * {"files": {customization: file}, "decide": {customization: function}, "names": [every known
 * customization], "versions": [1, ...], "baseline": "decided" | "answered" | "none"}, then chunks: a
 * line "N D" (D 0: of a changed call say only that it changed) followed by N capture-log lines;
 * for each chunk one line back, a JSON list with one item per log line.
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

// The runtime helpers a generated file would define for itself, defined here first (a file defines
// a helper only where no function of its name exists; the request names them, as the generator
// names them after their code): the pinned clock, what the file says on stderr kept per call, and
// with $stub the HTTP stub.  So the deployed files carry no test hook.
function itgrix_gen_harness_hooks($hooks, $stub)
{
    $code = array(
        'now' => '() { return itgrix_gen_harness_now(); }',
        'log' => '($name, $message, $answer = null) { itgrix_gen_harness_log(\'itgrix-gen[\' . $name . \']: \' . $message);'
            . ' return $answer; }',
        'http' => '($method, $url, $headers, $body, $timeout) {'
            . ' return itgrix_gen_harness_stub($method, $url, $headers, $body, $timeout); }',
    );
    foreach (is_array($hooks) ? $hooks : array() as $what => $function) {
        if (isset($code[$what]) && ($what !== 'http' || $stub) && is_string($function)
            && preg_match('/^itgrix_gen_[0-9a-f]{8}_[a-z_]+$/', $function) && !function_exists($function)) {
            eval('function ' . $function . $code[$what]);
        }
    }
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

// A fatal error (memory exhausted, a time limit) ends the process: say which on stderr, so the
// runner can name it beside the call that caused it.
function itgrix_gen_harness_shutdown()
{
    $last = error_get_last();
    if (is_array($last) && in_array($last['type'], array(E_ERROR, E_CORE_ERROR, E_COMPILE_ERROR, E_PARSE), true)
        && defined('STDERR')) {
        fwrite(STDERR, 'PHP Fatal error: ' . $last['message'] . "\n");
    }
}
register_shutdown_function('itgrix_gen_harness_shutdown');

// One call: $params through the file (or its decide function), with everything it said.
function itgrix_gen_harness_case($file, $decide, $params, $now, $bytes = false)
{
    $hex = null;
    $GLOBALS['itgrix_gen_harness_errors'] = array();
    $GLOBALS['itgrix_gen_harness_logs'] = array();
    $GLOBALS['itgrix_gen_harness_sent'] = array();
    $GLOBALS['itgrix_gen_harness_headers'] = array();
    $GLOBALS['itgrix_gen_harness_clock'] = $now;
    $reply = null;
    $encoded = null;
    $decided = null;
    if ($decide !== null && !function_exists($decide)) {
        // Define the file's functions once (a call with no input answers the pass-through);
        // whatever that said is not this call's.
        ob_start();
        try {
            itgrix_gen_harness_include($file, null);
        } catch (Exception $e) {
        } catch (Throwable $e) {
        }
        ob_end_clean();
        $GLOBALS['itgrix_gen_harness_logs'] = array();
        $GLOBALS['itgrix_gen_harness_sent'] = array();
        $GLOBALS['itgrix_gen_harness_headers'] = array();
    }
    ob_start();
    try {
        if ($decide !== null && function_exists($decide)) {
            $decided = 'default';
            $reply = $decide($params, $decided);
        } else {
            $reply = itgrix_gen_harness_include($file, $params);
        }
        if ($bytes) {
            // The input carried bytes that are not UTF-8, and the reply may too: every string as
            // hex (json_encode would fail, or on PHP 5.2 warn and drop the string).
            $hex = json_encode(itgrix_gen_harness_hex($reply));
        } else {
            $encoded = itgrix_gen_harness_json($reply);
            if ($encoded === false) {
                // Say why (invalid UTF-8, INF or NAN from a number like 1e400 in the input...).
                $why = function_exists('json_last_error_msg') ? json_last_error_msg()
                    : (function_exists('json_last_error') ? 'error ' . json_last_error() : 'invalid UTF-8?');
                $GLOBALS['itgrix_gen_harness_errors'][] = 'Reply: json_encode failed: ' . $why;
                $encoded = null;
            }
        }
    } catch (Exception $e) {
        $GLOBALS['itgrix_gen_harness_errors'][] = 'Uncaught ' . get_class($e) . ': ' . $e->getMessage();
    } catch (Throwable $e) {
        $GLOBALS['itgrix_gen_harness_errors'][] = 'Uncaught ' . get_class($e) . ': ' . $e->getMessage();
    }
    $printed = ob_get_clean();
    $result = array(
        'reply' => $encoded,
        'reply_hex' => $hex,
        'errors' => $GLOBALS['itgrix_gen_harness_errors'],
        'output' => base64_encode($printed),
        'log' => $GLOBALS['itgrix_gen_harness_logs'],
        'sent' => $GLOBALS['itgrix_gen_harness_sent'],
        'headers' => $GLOBALS['itgrix_gen_harness_headers'],
    );
    if ($bytes) {
        // What the file logged or would have sent may carry the input's stray bytes too: as hex,
        // or json_encode would fail for the whole batch.
        $result['log'] = itgrix_gen_harness_hex($result['log']);
        $result['headers'] = itgrix_gen_harness_hex($result['headers']);
    }
    if ($decided !== null) {
        $result['decided'] = $decided;
    }
    return $result;
}

// The stub for the files' HTTP requests (webhooks): answers 200, never reaches the network, and
// keeps what would have been sent.
function itgrix_gen_harness_stub($method, $url, $headers, $body, $timeout)
{
    $GLOBALS['itgrix_gen_harness_logs'][] = 'http stub: ' . $method . ' ' . $url . ' ' . $body;
    $GLOBALS['itgrix_gen_harness_sent'][] = array('method' => $method, 'url' => $url, 'body' => $body);
    // Each request's headers, apart (the corpus check compares them; replay's `sent` stays as it was).
    $GLOBALS['itgrix_gen_harness_headers'][] = is_array($headers) ? array_values($headers) : array();
    return array(200, '');
}

// A capture line's "at" (ISO 8601 with an offset) as unix time; null when it is not one.
function itgrix_gen_harness_unix($at)
{
    if (!is_string($at) || !preg_match('/^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|([+-])(\d\d):?(\d\d))$/', $at, $m)) {
        return null;
    }
    $time = gmmktime((int) $m[4], (int) $m[5], (int) $m[6], (int) $m[2], (int) $m[3], (int) $m[1]);
    if ($m[7] !== 'Z') {
        $time -= ((int) $m[9] * 3600 + (int) $m[10] * 60) * ($m[8] === '-' ? -1 : 1);
    }
    return $time;
}

// A value with every object's keys sorted: two replies that differ only in key order are equal.
function itgrix_gen_harness_canon($value)
{
    if (!is_array($value)) {
        return $value;
    }
    $out = array();
    foreach ($value as $key => $member) {
        $out[$key] = itgrix_gen_harness_canon($member);
    }
    if (array_keys($out) !== range(0, count($out) - 1)) {
        ksort($out, SORT_STRING);
    }
    return $out;
}

// One capture-log line through the spec: a short answer for the usual case (the reply is the
// baseline's), everything said when it differs or went wrong.
function itgrix_gen_harness_replay_line($line, $config, $details)
{
    $trimmed = ltrim($line);
    $data = json_decode($line, true);
    if (!is_array($data)) {
        return array('skip' => 'lines that are not JSON');
    }
    if (substr($trimmed, 0, 1) !== '{') {
        return array('skip' => 'lines that are not JSON objects');
    }
    if (!isset($data['v']) || !is_int($data['v']) || !in_array($data['v'], $config['versions'], true)) {
        return array('skip' => 'lines of another format version');
    }
    $name = isset($data['customization']) ? $data['customization'] : null;
    if (!is_string($name) || !isset($config['known'][$name])) {
        return array('skip' => 'lines of unknown customizations');
    }
    if (!isset($data['at']) || !is_string($data['at']) || !isset($data['spec']) || !is_string($data['spec'])
        || !isset($data['decided_by']) || !is_string($data['decided_by']) || !array_key_exists('input', $data)) {
        return array('skip' => 'lines with missing fields');
    }
    if (is_array($data['input']) && isset($data['input']['itgrix_gen_not_captured'])) {
        return array('skip' => 'calls too large to have been captured');
    }
    $now = itgrix_gen_harness_unix($data['at']);
    if ($now === null) {
        return array('skip' => 'lines without a valid time');
    }
    if (!isset($config['files'][$name])) {
        return array('c' => $name, 'out' => 1); // another customization than the one asked for
    }
    $baseline = null;
    if ($config['baseline'] === 'decided') {
        // In shadow the connector got the pass-through; what the spec decided is would_reply.
        $baseline = array_key_exists('would_reply', $data) ? $data['would_reply']
            : (array_key_exists('reply', $data) ? $data['reply'] : null);
    } elseif ($config['baseline'] === 'answered') {
        $baseline = array_key_exists('reply', $data) ? $data['reply'] : null;
    }
    $result = itgrix_gen_harness_case($config['files'][$name], $config['decide'][$name], $data['input'], $now);
    $out = array('c' => $name, 'd' => $result['decided'], 'old' => $data['decided_by'], 'at' => $data['at'],
        'spec' => $data['spec']);
    $problem = $result['errors'] || $result['output'] !== '' || $result['reply'] === null;
    $same = false;
    $before = null;
    if ($config['baseline'] !== 'none' && !$problem) {
        $before = itgrix_gen_harness_json($baseline);
        // Key order aside (a permutation keeps the length, so only equal lengths are sorted).
        $same = $before === $result['reply'] || (strlen($before) === strlen($result['reply'])
            && itgrix_gen_harness_json(itgrix_gen_harness_canon($baseline))
            === itgrix_gen_harness_json(itgrix_gen_harness_canon(json_decode($result['reply'], true))));
    }
    if (!$details && !$same) {
        $out['x'] = 1; // changed; the caller has all the details it wants
        if ($problem) {
            $out['failed'] = true;
        }
        return $out;
    }
    if ($config['baseline'] === 'none' || !$same) {
        $out['reply'] = $result['reply'];
        $out['sent'] = $result['sent'];
        if ($problem) {
            $out['failed'] = true;
            $out['errors'] = $result['errors'];
            $out['output'] = $result['output'];
        }
    }
    if ($config['baseline'] !== 'none' && !$same) {
        $out['base'] = $before === null ? itgrix_gen_harness_json($baseline) : $before;
    }
    return $out;
}

if (isset($argv) && in_array('--stream', $argv, true)) {
    $config = json_decode(fgets(STDIN), true);
    if (!is_array($config) || !isset($config['files']) || !is_array($config['files'])) {
        fwrite(STDERR, "itgrix-gen harness: the stream's first line could not be read\n");
        exit(2);
    }
    itgrix_gen_harness_hooks(isset($config['hooks']) ? $config['hooks'] : null, true);
    $config['known'] = array_flip($config['names']);
    while (($head = fgets(STDIN)) !== false) {
        // "<count> <details>": details 0 when the caller wants only counts for changed calls.
        $head = explode(' ', trim($head));
        $count = (int) $head[0];
        $details = !isset($head[1]) || $head[1] !== '0';
        $answers = array();
        for ($i = 0; $i < $count; $i++) {
            $line = fgets(STDIN);
            $answers[] = $line === false ? array('skip' => 'torn lines') : itgrix_gen_harness_replay_line($line, $config, $details);
        }
        // Messages may quote the input's bytes: never let one of them cost the chunk its answer.
        $text = defined('JSON_INVALID_UTF8_SUBSTITUTE') ? json_encode($answers, JSON_INVALID_UTF8_SUBSTITUTE)
            : json_encode($answers);
        echo ($text === false ? 'null' : $text), "\n";
        flush();
    }
    exit(0);
}

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
// generated files' HTTP requests go to the stub, which answers 200 and logs what was sent.
itgrix_gen_harness_hooks(isset($request['hooks']) ? $request['hooks'] : null, !empty($request['stub_http']));
$results = array();
foreach ($request['cases'] as $case) {
    $decide = isset($case['decide']) && is_string($case['decide']) ? $case['decide'] : null;
    $params = json_decode($case['input'], true);
    if (!empty($case['bytes'])) {
        $params = itgrix_gen_harness_bytes($params);
    }
    $result = itgrix_gen_harness_case($case['file'], $decide, $params, $case['now'], !empty($case['bytes']));
    unset($result['sent']); // the log has what was sent
    $results[] = $result;
}
restore_error_handler();
echo json_encode($results);
