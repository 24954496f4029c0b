'use strict';
// Where node-gyp can find this Node's headers without downloading them: the directory holding
// include/node/common.gypi next to the running node binary (Debian's /usr, the official tarballs'
// install prefix). When run as a command, runs the rest of the command line with node-gyp pointed
// there (npm_config_nodedir), e.g. `node scripts/node-headers.js prebuildify --napi --strip`.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

function localNodeDir() {
  const candidates = [process.env.npm_config_nodedir, path.resolve(process.execPath, '..', '..')];
  for (const dir of candidates) {
    if (dir && fs.existsSync(path.join(dir, 'include', 'node', 'common.gypi'))) return dir;
  }
  return null;
}

/** The environment for node-gyp: nodedir set when local headers exist. */
function nodeGypEnv(env = process.env) {
  const dir = localNodeDir();
  return dir ? { ...env, npm_config_nodedir: dir } : { ...env };
}

/** The node-gyp command: npm's own (npm sets npm_config_node_gyp for scripts), or the one beside npm. */
function nodeGypCommand() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.resolve(process.execPath, '..', '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.resolve(process.execPath, '..', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  for (const c of candidates) if (c && fs.existsSync(c)) return [process.execPath, c];
  return ['node-gyp'];
}

module.exports = { localNodeDir, nodeGypEnv, nodeGypCommand };

if (require.main === module) {
  const [cmd, ...args] = process.argv.slice(2);
  if (!cmd) {
    console.log(localNodeDir() ?? '(no local Node headers: node-gyp will download them)');
    process.exit(0);
  }
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: nodeGypEnv(), shell: process.platform === 'win32' });
  process.exit(r.status ?? 1);
}
