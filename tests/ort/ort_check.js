// Runs each model on fresh random inputs through ONNX Runtime (CPU) and
// through `glint run`, and compares the outputs: every element must satisfy
// |glint - ort| <= 1e-4 * (|ort| + rms(ort)) (plain relative error is
// meaningless for outputs near zero, where only float32 rounding differs).
// usage: node ort_check.js GLINT_BINARY MODEL.onnx...
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const ort = require('onnxruntime-node');

function writeNpy(file, data, dims) {
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

function readNpyF32(file) {
  const b = fs.readFileSync(file);
  const hlen = b.readUInt16LE(8);
  const body = b.subarray(10 + hlen);
  return new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
}

// Concrete dims for an input: dynamic batch 2, dynamic spatial dims 16 (or 24 for W).
function concreteDims(meta) {
  const dims = meta.shape || [];
  return dims.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? 2 : i === dims.length - 1 ? 24 : 16));
}

async function checkModel(glint, model, tmp) {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  const feeds = {};
  const args = ['run', model, '--device', 'cpu'];
  for (const name of session.inputNames) {
    const meta = session.inputMetadata ? session.inputMetadata.find((m) => m.name === name) : null;
    if (!meta || meta.type !== 'float32') return 'skipped'; // random data only makes sense for floats
    const dims = concreteDims(meta);
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.random();
    feeds[name] = new ort.Tensor('float32', data, dims);
    const f = path.join(tmp, `in_${name}.npy`);
    writeNpy(f, data, dims);
    args.push('--input', `${name}=${f}`);
  }
  let results;
  try {
    results = await session.run(feeds);
  } catch (e) {
    return 'skipped'; // random values are not valid for this model (e.g. a scales input)
  }
  // random values for a shape-like input (scales, sizes) can make an empty
  // result, which compares nothing
  if (session.outputNames.some((name) => results[name].data.length === 0)) return 'skipped';
  for (const name of session.outputNames) {
    const want = results[name];
    const f = path.join(tmp, `out_${name}.npy`);
    args.push('--output', `${name}=${f}`);
    writeNpy(path.join(tmp, `want_${name}.npy`), want.data, want.dims);
  }
  try {
    execFileSync(glint, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const msg = String(e.stderr || e.message);
    if (/not supported|supports 11 to 21|must be known when/.test(msg)) return 'refused'; // refused at load, never answered
    throw new Error(msg.trim());
  }
  let ok = true;
  for (const name of session.outputNames) {
    const want = results[name].data;
    const got = readNpyF32(path.join(tmp, `out_${name}.npy`));
    if (got.length !== want.length) {
      console.log(`FAILED ${model} ${name}: ${got.length} values, ORT has ${want.length}`);
      ok = false;
      continue;
    }
    let ss = 0;
    for (let i = 0; i < want.length; i++) ss += want[i] * want[i];
    const rms = Math.sqrt(ss / Math.max(1, want.length));
    let worst = 0;
    for (let i = 0; i < want.length; i++) {
      const r = Math.abs(got[i] - want[i]) / (Math.abs(want[i]) + rms + 1e-30);
      if (!(r <= worst)) worst = r;
    }
    const pass = worst <= 1e-4;
    console.log(`${pass ? 'ok    ' : 'FAILED'} ${path.basename(path.dirname(model))}/${path.basename(model)} ${name}: max rel error ${worst.toExponential(2)}`);
    ok = ok && pass;
  }
  return ok;
}

(async () => {
  const [glint, ...models] = process.argv.slice(2);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'glint-ort-'));
  let passed = 0, failed = 0, skipped = 0;
  for (const m of models) {
    try {
      const r = await checkModel(glint, m, tmp);
      if (r === 'skipped' || r === 'refused') skipped++;
      else if (r) passed++;
      else failed++;
    } catch (e) {
      console.log(`FAILED ${m}: ${e.message.split('\n')[0]}`);
      failed++;
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`ort: ${passed} passed, ${failed} failed, ${skipped} skipped (inputs that random data cannot fill, or refused by glint at load)`);
  process.exit(failed ? 1 : 0);
})();
