'use strict';
// `npm install` step for the addon. If a prebuild (prebuilds/<platform>-<arch>/) or an earlier build
// loads, there is nothing to do. Otherwise compile with node-gyp against this Node's own headers
// (no download). A failed build does not fail the install: gradnode then runs on its TypeScript
// reference backend and says so, once, when it loads.
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { nodeGypCommand, nodeGypEnv } = require('./node-headers');

const root = path.resolve(__dirname, '..');

function loads() {
  try {
    require(require('node-gyp-build').resolve(root));
    return true;
  } catch {
    return false;
  }
}

const fromSource = process.env.npm_config_build_from_source === 'true' || process.argv.includes('--build-from-source');
if (!fromSource && loads()) process.exit(0);

const [cmd, ...pre] = nodeGypCommand();
const r = spawnSync(cmd, [...pre, 'rebuild', '--jobs=max'], { cwd: root, stdio: 'inherit', env: nodeGypEnv() });
if (r.status !== 0 || !loads()) {
  console.warn(
    '\ngradnode: the native addon could not be built, so gradnode will use its (much slower) pure-TypeScript\n' +
      'reference backend. To build it, install a C++17 compiler, make and python3, then run `npm rebuild gradnode`.\n',
  );
}
process.exit(0);
