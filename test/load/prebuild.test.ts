// The addon loads from where node-gyp-build finds it and computes correctly. npm test runs this file
// after `npm run prebuild` with PREBUILDS_ONLY=1, so there it must come from prebuilds/<platform>-<arch>/.
import * as path from 'node:path';
import { expect, test } from 'vitest';
import * as gn from '../../src/index';
import { packageRoot } from '../../src/backend/native';

test('the native addon is loaded from the expected place and agrees with the reference backend', () => {
  const info = gn.backendInfo();
  expect(info.nativeError).toBeNull();
  expect(info.backend).toBe('native');
  const file = info.nativeFile ?? '';
  if (process.env.PREBUILDS_ONLY) {
    expect(file).toBe(path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, 'gradnode.node'));
  } else {
    expect(file.startsWith(packageRoot)).toBe(true);
  }
  gn.manualSeed(1);
  const x = gn.randn([2, 3, 9, 9]);
  const w = gn.randn([4, 3, 3, 3]);
  const native = gn.conv2d(x, w, null, { padding: 1 }).relu().maxPool2d(2).flatten(1).softmax(1);
  const ref = gn.withBackend('reference', () => gn.conv2d(x, w, null, { padding: 1 }).relu().maxPool2d(2).flatten(1).softmax(1));
  for (let i = 0; i < ref.numel; i++) expect(Math.abs(native.data[i] - ref.data[i])).toBeLessThan(1e-5);
});
