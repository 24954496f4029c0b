/**
 * conv2d forward, backward-data and backward-filter (with the bias gradient when the layer has a
 * bias) on the training layers and benchmark shapes of test/shapes/conv2d.ts, plus a "fwd+bwd" row
 * per shape: the three passes back to back (sum of their times) against PyTorch's forward and one
 * convolution_backward computing all gradients, as autograd calls it. Useful flops per pass:
 * 2·N·Cout·(Cin/groups)·kh·kw·OH·OW.
 */
import { type Conv2dShape, conv2dMacs, conv2dParams, conv2dShapes } from '../../test/shapes/conv2d';
import type { Context, Row } from '../lib/context';
import { sumTimings, type Timing, timeIt, uniform } from '../lib/timing';

export function benchConvShapes(quick: boolean): Conv2dShape[] {
  return conv2dShapes.filter((s) => (s.training || s.benchOnly) && !(quick && conv2dMacs(s) > 4e8));
}

export function runConv(ctx: Context): Row[] {
  const rows: Row[] = [];
  for (const s of benchConvShapes(ctx.quick)) {
    const p = conv2dParams(s);
    const cinG = p.cIn / p.groups;
    const x = uniform(p.n * p.cIn * p.h * p.w, 1);
    const w = uniform(p.cOut * cinG * p.kh * p.kw, 2);
    const bias = s.bias ? uniform(p.cOut, 3) : null;
    const y = new Float32Array(p.n * p.cOut * p.oh * p.ow);
    const dy = uniform(y.length, 4);
    const dx = new Float32Array(x.length);
    const dw = new Float32Array(w.length);
    const db = s.bias ? new Float32Array(p.cOut) : null;
    const macs = conv2dMacs(s);
    const shape =
      `N${p.n} C${p.cIn} ${p.h}x${p.w} -> K${p.cOut} ${p.kh}x${p.kw}` +
      `${p.strideH > 1 || p.strideW > 1 ? ` s${p.strideH}` : ''}${p.padH || p.padW ? ` p${p.padH}` : ''}${p.groups > 1 ? ` g${p.groups}` : ''}` +
      `${s.bias ? ' +bias' : ''}`;
    const withRef = !ctx.noReference && macs <= ctx.refMaxMacs;
    const passes: [string, (be: typeof ctx.native) => void][] = [
      ['fwd', (be) => be.conv2dForward(x, w, bias, y, p)],
      ['bwd_data', (be) => be.conv2dBackwardData(dy, w, dx, p)],
      ['bwd_filter', (be) => be.conv2dBackwardFilter(x, dy, dw, db, p)],
    ];
    const native: Timing[] = [];
    const reference: Timing[] = [];
    const symmetric = (s.padBottom ?? p.padH) === p.padH && (s.padRight ?? p.padW) === p.padW;
    const torchBase = { kind: 'conv', p, bias: s.bias === true };
    for (const [pass, fn] of passes) {
      const row: Row = {
        family: 'conv',
        name: s.name,
        pass,
        shape,
        unit: 'GFLOP/s',
        work: 2 * macs,
        native: timeIt(() => fn(ctx.native), ctx.timing),
      };
      native.push(row.native!);
      if (withRef) {
        ctx.log(`  reference conv ${s.name} ${pass}`);
        row.reference = timeIt(() => fn(ctx.reference), ctx.refTiming);
        reference.push(row.reference);
      }
      if (symmetric) row.torchItem = { id: `conv/${s.name}/${pass}`, pass, ...torchBase };
      rows.push(row);
    }
    const total: Row = {
      family: 'conv',
      name: s.name,
      pass: 'fwd+bwd',
      shape,
      unit: 'GFLOP/s',
      work: 3 * 2 * macs,
      native: sumTimings(native),
      reference: withRef ? sumTimings(reference) : undefined,
      note: 'sum of the three passes',
    };
    if (symmetric) total.torchItem = { id: `conv/${s.name}/fwd_bwd`, pass: 'fwd_bwd', ...torchBase };
    rows.push(total);
    ctx.log(`  conv ${s.name}: fwd+bwd ${(total.native!.best * 1e3).toFixed(2)} ms`);
  }
  return rows;
}
