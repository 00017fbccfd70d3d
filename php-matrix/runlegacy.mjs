// Runs our harness (generator/php/harness.php) on the PHP versions php-wasm-cli does not offer:
// 5.2 through @php-wasm/node's legacy runtime, 7.2 and 7.3 through @php-wasm/node 3.0 (the last
// line that ships them, installed under the alias php-wasm-node-3-0 with its own
// @php-wasm/universal, which must be the one that builds the PHP).
// argv[2]: the version; stdin: the harness request {"harness": path, "cases": [{file, input, now}]};
// stdout: its reply.  The WASM runtime sees no host files, so the harness and each file are copied in.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const version = process.argv[2] || '5.2';
const require = createRequire(import.meta.url);
let loadNodeRuntime, PHP;
if (version === '5.2') {
  ({ loadNodeRuntime } = await import('@php-wasm/node'));
  ({ PHP } = await import('@php-wasm/universal'));
} else {
  const fromLegacy = createRequire(require.resolve('php-wasm-node-3-0'));
  ({ loadNodeRuntime } = require('php-wasm-node-3-0'));
  ({ PHP } = fromLegacy('@php-wasm/universal'));
}

const request = JSON.parse(readFileSync(0, 'utf8'));
const php = new PHP(await loadNodeRuntime(version, { emscriptenOptions: { processId: 1 } }));
php.mkdir('/itgrix');
php.writeFile('/itgrix/harness.php', readFileSync(request.harness));
const seen = new Map();
for (const c of request.cases) {
  if (!seen.has(c.file)) {
    const inner = `/itgrix/f${seen.size}.php`;
    php.writeFile(inner, readFileSync(c.file));
    seen.set(c.file, inner);
  }
  c.file = seen.get(c.file);
}
php.writeFile('/itgrix/request.json', JSON.stringify({ cases: request.cases, stub_http: !!request.stub_http, hooks: request.hooks }));
php.writeFile('/itgrix/main.php',
  "<?php date_default_timezone_set('Pacific/Chatham'); $itgrix_gen_request_file = '/itgrix/request.json'; include '/itgrix/harness.php';");
const result = await php.run({ scriptPath: '/itgrix/main.php' });
if (result.errors) process.stderr.write(result.errors);
// Exit only once stdout is flushed: a pipe takes 64 KiB at once, and process.exit() right after
// write() cut a larger reply there (a matrix run of every golden case).
process.stdout.write(result.text, () => process.exit(result.exitCode || 0));
