'use strict';
// Makes the small Fashion-MNIST sample shipped in data/fashion-mnist-sample/ (so that the CLI and the
// end-to-end test run on a fresh clone): the first TRAIN training and TEST test images of a full
// MNIST-format directory, written back as gzip-compressed IDX files.
// Usage: node scripts/make-sample.js [sourceDir] [train] [test]
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const src = process.argv[2] ?? path.resolve(__dirname, '..', '..', 'shared', 'datasets', 'fashion-mnist');
const counts = { train: Number(process.argv[3] ?? 2000), t10k: Number(process.argv[4] ?? 500) };
const out = path.resolve(__dirname, '..', 'data', 'fashion-mnist-sample');
fs.mkdirSync(out, { recursive: true });

function subset(file, n) {
  const buf = zlib.gunzipSync(fs.readFileSync(path.join(src, `${file}.gz`)));
  const ndim = buf[3];
  const shape = Array.from({ length: ndim }, (_, d) => buf.readUInt32BE(4 + 4 * d));
  const item = shape.slice(1).reduce((a, b) => a * b, 1);
  const header = Buffer.from(buf.subarray(0, 4 + 4 * ndim));
  header.writeUInt32BE(n, 4);
  const body = buf.subarray(4 + 4 * ndim, 4 + 4 * ndim + n * item);
  // mtime 0 in the gzip header keeps the output byte-identical from run to run.
  fs.writeFileSync(path.join(out, `${file}.gz`), zlib.gzipSync(Buffer.concat([header, body]), { level: 9 }));
}

for (const split of ['train', 't10k']) {
  subset(`${split}-images-idx3-ubyte`, counts[split]);
  subset(`${split}-labels-idx1-ubyte`, counts[split]);
}
fs.copyFileSync(path.join(src, 'LICENSE'), path.join(out, 'LICENSE'));
console.log(`wrote ${counts.train} training and ${counts.t10k} test samples to ${out}`);
