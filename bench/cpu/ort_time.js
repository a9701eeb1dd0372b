// Times ONNX Runtime's CPU session on a glyph generator: the comparison for
// glint's CPU backend (bench/cpu/compare.sh). Prints one JSON line.
//   node ort_time.js MODEL --batch N --size H --threads T --iters K [--warmup K]
'use strict';
const path = require('path');
const ort = require(path.join(__dirname, 'node_modules', 'onnxruntime-node'));

function arg(name, dflt) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

async function main() {
  const model = process.argv[2];
  const batch = arg('batch', 1), size = arg('size', 64), threads = arg('threads', 1);
  const iters = arg('iters', 20), warmup = arg('warmup', 5);
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1,
    graphOptimizationLevel: 'all', executionMode: 'sequential'});
  const styleDim = 64;
  const content = new Float32Array(batch * size * size).map(() => Math.random());
  const style = new Float32Array(batch * styleDim).map(() => Math.random() * 2 - 1);
  const feeds = {
    content: new ort.Tensor('float32', content, [batch, 1, size, size]),
    style: new ort.Tensor('float32', style, [batch, styleDim])};
  for (let i = 0; i < warmup; i++) await session.run(feeds);
  const t = [];
  for (let i = 0; i < iters; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    t.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  t.sort((a, b) => a - b);
  const p50 = t[Math.floor(t.length / 2)];
  console.log(JSON.stringify({runtime: 'onnxruntime', version: ort.env.versions ? ort.env.versions.common : '',
    batch, size, threads, iters, p50_us: p50, min_us: t[0], per_glyph_us: p50 / batch}));
}
main().catch((e) => { console.error('ort_time: ' + e.message); process.exit(1); });
