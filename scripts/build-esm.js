'use strict';
// The ESM entry point: a thin wrapper over the CommonJS build, so that `import` and `require` share
// one instance of the library (one random generator, one backend choice) instead of two copies.
const fs = require('node:fs');
const path = require('node:path');

const dist = path.resolve(__dirname, '..', 'dist');
fs.writeFileSync(path.join(dist, 'index.mjs'), "export * from './index.js';\nimport gn from './index.js';\nexport default gn;\n");
fs.writeFileSync(path.join(dist, 'index.d.mts'), "export * from './index.js';\nimport * as gn from './index.js';\nexport default gn;\n");
