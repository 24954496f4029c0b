/**
 * What the results file says about the machine and the build: CPU, cores, caches, load, versions,
 * the git commit and whether the sources that make the library differ from it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function loadavg(): [number, number, number] {
  const l = os.loadavg();
  return [l[0], l[1], l[2]];
}

function cpuTimes(): { busy: number; total: number } {
  // First line of /proc/stat: user nice system idle iowait irq softirq steal ...
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((s, x) => s + x, 0);
  return { busy: total - idle, total };
}

/**
 * Cores kept busy by other processes over `seconds` (sampled from /proc/stat while this process
 * sleeps): a sharper "is the machine idle" than the 1-minute load average.
 */
export function busyCores(seconds = 1): number | null {
  try {
    const a = cpuTimes();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);
    const b = cpuTimes();
    const cores = os.availableParallelism();
    return b.total > a.total ? ((b.busy - a.busy) / (b.total - a.total)) * cores : 0;
  } catch {
    return null;
  }
}

function cpuinfoField(name: string): string | null {
  try {
    for (const line of fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n')) {
      if (line.startsWith(name)) return line.slice(line.indexOf(':') + 1).trim();
    }
  } catch {
    /* not Linux */
  }
  return null;
}

function git(root: string, args: string[]): string | null {
  const r = spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export interface BuildInfo {
  root: string;
  commit: string | null;
  /** Files under src/ and native/ that differ from the commit (the measured build may include them). */
  dirty: string[];
  /** dist/ is older than some file of src/ (run `npm run build:ts`). */
  distStale: boolean;
  addonFile: string | null;
  addonModified: string | null;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

export function buildInfo(root: string, addonFile: string | null): BuildInfo {
  const status = git(root, ['status', '--porcelain', '--', 'src', 'native']);
  let distStale = false;
  try {
    distStale = newestMtime(path.join(root, 'src')) > fs.statSync(path.join(root, 'dist', 'index.js')).mtimeMs;
  } catch {
    distStale = true;
  }
  return {
    root,
    commit: git(root, ['rev-parse', 'HEAD']),
    dirty: status ? status.split('\n').map((l) => l.slice(3)) : [],
    distStale,
    addonFile,
    addonModified: addonFile && fs.existsSync(addonFile) ? fs.statSync(addonFile).mtime.toISOString() : null,
  };
}

export interface MachineInfo {
  host: string;
  cpu: string | null;
  cpuFamily: string | null;
  cpuModelNumber: string | null;
  hypervisor: boolean;
  cores: number;
  memoryGB: number;
  os: string;
  node: string;
  v8: string;
}

export function machineInfo(): MachineInfo {
  const flags = cpuinfoField('flags') ?? '';
  return {
    host: os.hostname(),
    cpu: cpuinfoField('model name') ?? os.cpus()[0]?.model ?? null,
    cpuFamily: cpuinfoField('cpu family'),
    cpuModelNumber: cpuinfoField('model\t'),
    hypervisor: /\bhypervisor\b/.test(flags),
    cores: os.availableParallelism(),
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    v8: process.versions.v8,
  };
}
