'use strict';
// The timing of the whole-network scripts (resnet18_step.js, dcgan_step.js): fn run 3 times to
// warm up, then 10 times; the best and the median, in ms. Their PyTorch peers use
// bench/peers/best_of.py, the same.
function bestOf(fn) {
  for (let i = 0; i < 3; i++) fn();
  const ms = [];
  for (let i = 0; i < 10; i++) {
    const t = process.hrtime.bigint();
    fn();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return `best ${ms[0].toFixed(1)} ms, median ${ms[5].toFixed(1)} ms`;
}

module.exports = { bestOf };
