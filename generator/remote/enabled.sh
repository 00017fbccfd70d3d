# itgrix-gen's `status --enabled` on the connector's server (or on this machine for a folder
# target): fetch the connector's own status page with curl, or with PHP when curl is missing.
# Sent as the argument of `sh -c`; $1 is the php to use, $2 "php" to use it even when curl is there.  The URL and the admin login come on
# stdin, never as arguments (a command line is visible to every user of the server): two lines,
# each in base64, curl's config (`curl -K -`) and the same request for the PHP fetcher (the URL,
# and the login and password when there are any, one a line; nothing but PHP's core is needed).
# Output: the page's body, a line break and the HTTP status code; exit code: curl's (7: could not
# connect), 127 when there is neither curl nor that php.
set -u
PATH=$PATH:/usr/local/bin:/usr/bin:/bin
IFS= read -r config || config=
IFS= read -r request || request=
if [ "${2:-}" != php ] && command -v curl >/dev/null 2>&1; then
    printf '%s' "$config" | base64 -d | curl -K -
    exit $?
fi
if ! command -v "$1" >/dev/null 2>&1; then
    if [ "${2:-}" = php ]; then
        echo "$1 not found on this machine to ask the status page with" >&2
    else
        echo "neither curl nor $1 on this machine to ask the status page with" >&2
    fi
    exit 127
fi
printf '%s' "$request" | "$1" -d allow_url_fopen=1 -d display_errors=stderr -r '
error_reporting(E_ALL & ~E_DEPRECATED);
function igg_get($url, $auth) {
    $header = "Connection: close\r\n" . ($auth !== "" ? "Authorization: " . $auth . "\r\n" : "");
    $context = stream_context_create(array("http" => array("method" => "GET", "header" => $header,
        "ignore_errors" => true, "timeout" => 15, "follow_location" => 0, "max_redirects" => 1)));
    $body = @file_get_contents($url, false, $context, 0, 8000000);
    $head = function_exists("http_get_last_response_headers") ? http_get_last_response_headers()
        : (isset($http_response_header) ? $http_response_header : array());
    $code = 0;
    if (is_array($head) && count($head) > 0 && preg_match("#^HTTP/\S+\s+(\d{3})#", $head[0], $m)) {
        $code = (int) $m[1];
    }
    return array($body, is_array($head) ? $head : array(), $code);
}
/* RFC 2617 digest (MD5, qop=auth or none): the login the admin panel asks for. */
function igg_digest($head, $user, $password, $uri) {
    foreach ($head as $line) {
        if (!preg_match("/^WWW-Authenticate:\s*Digest\s+(.*)$/i", $line, $found)) {
            continue;
        }
        preg_match_all("/(\w+)=(?:\"([^\"]*)\"|([^\s,]*))/", $found[1], $pairs, PREG_SET_ORDER);
        $p = array();
        foreach ($pairs as $pair) {
            $p[strtolower($pair[1])] = (isset($pair[3]) && $pair[3] !== "") ? $pair[3] : $pair[2];
        }
        $realm = isset($p["realm"]) ? $p["realm"] : "";
        $nonce = isset($p["nonce"]) ? $p["nonce"] : "";
        $qop = (isset($p["qop"]) && preg_match("/(^|,)\s*auth\s*(,|$)/", $p["qop"])) ? "auth" : "";
        $ha1 = md5($user . ":" . $realm . ":" . $password);
        $ha2 = md5("GET:" . $uri);
        $cnonce = md5(uniqid("", true));
        $nc = "00000001";
        $response = $qop !== "" ? md5($ha1 . ":" . $nonce . ":" . $nc . ":" . $cnonce . ":auth:" . $ha2)
            : md5($ha1 . ":" . $nonce . ":" . $ha2);
        $q = "\"";
        $value = "Digest username=" . $q . $user . $q . ", realm=" . $q . $realm . $q . ", nonce=" . $q . $nonce . $q
            . ", uri=" . $q . $uri . $q . ", response=" . $q . $response . $q . ", algorithm=MD5";
        if ($qop !== "") {
            $value .= ", qop=auth, nc=" . $nc . ", cnonce=" . $q . $cnonce . $q;
        }
        if (isset($p["opaque"])) {
            $value .= ", opaque=" . $q . $p["opaque"] . $q;
        }
        return $value;
    }
    return "";
}
$lines = explode("\n", (string) base64_decode(trim(file_get_contents("php://stdin"))), 3);
$request = array("url" => $lines[0]);
if (count($lines) == 3) {
    $request["user"] = $lines[1];
    $request["password"] = $lines[2];
}
if ($request["url"] === "") {
    fwrite(STDERR, "the request did not arrive\n");
    exit(2);
}
$answer = igg_get($request["url"], "");
if ($answer[2] == 401 && isset($request["user"])) {
    $parts = parse_url($request["url"]);
    $uri = (isset($parts["path"]) ? $parts["path"] : "/") . (isset($parts["query"]) ? "?" . $parts["query"] : "");
    $auth = igg_digest($answer[1], $request["user"], $request["password"], $uri);
    if ($auth !== "") {
        $answer = igg_get($request["url"], $auth);
    }
}
if ($answer[0] === false && $answer[2] == 0) {
    $last = error_get_last();
    fwrite(STDERR, "cannot connect to " . $request["url"] . ($last ? ": " . $last["message"] : "") . "\n");
    exit(7);
}
echo ($answer[0] === false ? "" : $answer[0]) . "\n" . $answer[2];
'
