// Builds the web console: copies the ES modules of src/ and the pinned vendor files from
// node_modules (xterm.js, its fit addon, uPlot) into one static directory the server serves
// at /console. No bundler: index.html maps the bare imports to vendor/ with an import map.
//
//   node build.mjs OUT_DIR      (scripts/lib/common.sh build_console: build/<preset>/console)
//
// Idempotent: the output is written to OUT_DIR.tmp and renamed over OUT_DIR at the end, so a
// running server never sees a half-written console.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(here, 'node_modules');

const VENDOR = {
  'xterm.mjs': '@xterm/xterm/lib/xterm.mjs',
  'xterm.css': '@xterm/xterm/css/xterm.css',
  'addon-fit.mjs': '@xterm/addon-fit/lib/addon-fit.mjs',
  'uPlot.esm.js': 'uplot/dist/uPlot.esm.js',
  'uPlot.min.css': 'uplot/dist/uPlot.min.css',
};

function main() {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node build.mjs OUT_DIR');
    process.exit(2);
  }
  const target = path.resolve(out);
  const staging = `${target}.tmp`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(path.join(staging, 'vendor'), { recursive: true });
  fs.cpSync(path.join(here, 'src'), staging, { recursive: true });
  for (const [name, from] of Object.entries(VENDOR)) {
    const source = path.join(modules, from);
    if (!fs.existsSync(source)) {
      console.error(`missing ${source}: run npm ci in ${here}`);
      process.exit(1);
    }
    // Source map comments point at files we do not ship; drop them to keep the console quiet.
    const text = fs.readFileSync(source, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
    fs.writeFileSync(path.join(staging, 'vendor', name), text);
  }
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(staging, target);
  console.error(`console built into ${target}`);
}

main();
