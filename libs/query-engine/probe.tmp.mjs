import { DuckDBBackend, encodeBatch } from './dist/src/index.js';
const principal = { user: 'b', catalogs: ['duckdb'] };
const be = await DuckDBBackend.create({ extensionDirectory: process.env.EXT, extensions: ['tpch'] });
await be.update(`CALL dbgen(sf = 1)`, { principal });
for (const enc of [false, true, false, true]) {
  const t = performance.now();
  const s = await be.query('SELECT * FROM lineitem', { principal });
  let rows = 0, bytes = 0; for await (const b of s.batches) { rows += b.numRows; if (enc) bytes += encodeBatch(b).dataBody.byteLength; }
  console.log(enc ? 'with encode' : 'no encode', rows, bytes, ((performance.now() - t) / 1000).toFixed(2), 's');
}
