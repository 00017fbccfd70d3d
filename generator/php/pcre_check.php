<?php
/*
 * itgrix-gen: PHP's own PCRE judges the spec's regexes.  stdin: a JSON list of patterns
 * (delimiters and flags included); stdout: a JSON list, null for a pattern that compiles, else
 * PCRE's message.  Run with the local php by generator/php/pcre.py when a spec is loaded.
 */
$patterns = json_decode(stream_get_contents(STDIN), true);
$out = array();
foreach ($patterns as $p) {
    $r = @preg_match($p, '');
    if ($r === false) {
        $e = error_get_last();
        $msg = $e ? preg_replace('/^preg_match\(\): /', '', $e['message']) : 'does not compile';
        $out[] = $msg;
    } else {
        $out[] = null;
    }
}
echo json_encode($out);
