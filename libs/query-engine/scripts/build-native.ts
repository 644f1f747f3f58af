// Compiles native/column-reader.c into dist/native/column-reader.node (see that file). Without a
// C compiler the build goes on and the engine uses its JavaScript column path; it says so here.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const headers = join(dirname(require.resolve('node-api-headers/package.json')), 'include');
// libduckdb.so ships beside the bindings' addon, in the package for this platform.
const bindings = createRequire(require.resolve('@duckdb/node-bindings/package.json'));
const duckdbDir = dirname(
  bindings.resolve(`@duckdb/node-bindings-${process.platform}-${process.arch}/package.json`),
);
const output = join(root, 'dist', 'native', 'column-reader.node');
mkdirSync(dirname(output), { recursive: true });

const compiler = process.env.CC || 'cc';
const args = [
  '-O2',
  '-std=c11',
  '-shared',
  '-fPIC',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-DNAPI_VERSION=8',
  `-I${headers}`,
  join(root, 'native', 'column-reader.c'),
  '-o',
  output,
  `-L${duckdbDir}`,
  '-l:libduckdb.so',
  `-Wl,-rpath,${duckdbDir}`,
];
const run = spawnSync(compiler, args, { stdio: 'inherit' });
if (run.error || run.status !== 0) {
  console.warn(
    `[query-engine] native column reader not built (${run.error?.message ?? `${compiler} exited ${run.status}`}); ` +
      'the engine converts columns in JavaScript, which is several times slower on large results',
  );
}
