/**
 * Backend selection. Native when the addon loads, otherwise the reference backend with one warning
 * that says why and how to build. GRADNODE_BACKEND=reference|native forces one; forcing native when
 * the addon cannot load is an error that gives the reason.
 */
import type { Backend, FloatArray } from './backend';
import { type Addon, createNativeBackend, loadAddon } from './native';
import { referenceBackend } from './reference';

export type BackendName = 'native' | 'reference';

const load = loadAddon();
const nativeBackend: Backend | null = load.addon ? createNativeBackend(load.addon) : null;

function initialBackend(): Backend {
  const forced = process.env.GRADNODE_BACKEND;
  if (forced === 'reference') return referenceBackend;
  if (forced === 'native') {
    if (nativeBackend) return nativeBackend;
    throw new Error(
      `gradnode: GRADNODE_BACKEND=native, but the native addon could not be loaded: ${load.error}. ` +
        'Build it with `npm rebuild gradnode` (needs a C++17 compiler, make and python3).',
    );
  }
  if (forced !== undefined && forced !== '') {
    throw new Error(`gradnode: GRADNODE_BACKEND must be "native" or "reference", got "${forced}"`);
  }
  if (nativeBackend) return nativeBackend;
  process.emitWarning(
    `the native addon could not be loaded (${load.error}), so gradnode uses its pure-TypeScript ` +
      'reference backend, which is much slower. Build the addon with `npm rebuild gradnode` ' +
      '(needs a C++17 compiler, make and python3), or set GRADNODE_BACKEND=reference to choose ' +
      'the reference backend explicitly.',
    { type: 'GradnodeWarning', code: 'GRADNODE_NO_NATIVE' },
  );
  return referenceBackend;
}

let active: Backend = initialBackend();

/** The backend ops use for float32 tensors. */
export function getBackend(): Backend {
  return active;
}

/** Switch backends at run time (e.g. to compare them). */
export function setBackend(name: BackendName): void {
  if (name === 'reference') {
    active = referenceBackend;
  } else if (name === 'native') {
    if (!nativeBackend) throw new Error(`setBackend: the native addon is not available: ${load.error}`);
    active = nativeBackend;
  } else {
    throw new Error(`setBackend: expected "native" or "reference", got ${JSON.stringify(name)}`);
  }
}

/** The backend for kernels over these arrays: float64 always runs on the reference. */
export function backendFor(...arrays: FloatArray[]): Backend {
  for (const a of arrays) if (a instanceof Float64Array) return referenceBackend;
  return active;
}

/** Runs fn with the given backend active, restoring the previous one afterwards. */
export function withBackend<T>(name: BackendName, fn: () => T): T {
  const previous = active;
  setBackend(name);
  try {
    return fn();
  } finally {
    active = previous;
  }
}

export interface BackendInfo {
  /** The backend float32 ops use now. */
  backend: BackendName;
  /** Whether the native addon is loaded (it may be loaded but not active). */
  nativeAvailable: boolean;
  /** Why the addon could not be loaded, when it could not. */
  nativeError: string | null;
  /** Where the addon was loaded from. */
  nativeFile: string | null;
  /** The instruction set the native kernels use (GRADNODE_ISA caps it). */
  isa: string | null;
  /** Every instruction set compiled into the binary, and those this CPU can run. */
  compiledIsas: string[];
  runnableIsas: string[];
  /** Threads native kernels use (setNumThreads, OMP_NUM_THREADS). */
  threads: number;
  /** The GEMM register tile of the active ISA. */
  gemmTile: string | null;
}

export function backendInfo(): BackendInfo {
  const info = load.addon?.backendInfo();
  return {
    backend: active.name,
    nativeAvailable: nativeBackend !== null,
    nativeError: load.error,
    nativeFile: load.file,
    isa: info?.isa ?? null,
    compiledIsas: info?.compiledIsas ?? [],
    runnableIsas: info?.runnableIsas ?? [],
    threads: info?.threads ?? 1,
    gemmTile: info?.gemmTile ?? null,
  };
}

/** Sets the number of threads native kernels use (at least 1). Returns the value in effect. */
export function setNumThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected an integer >= 1, got ${n}`);
  return load.addon ? load.addon.setNumThreads(n) : 1;
}

export function getNumThreads(): number {
  return load.addon ? load.addon.numThreads() : 1;
}

/** The raw addon, for tests and benchmarks that call kernels directly. */
export function nativeAddon(): Addon | null {
  return load.addon;
}

export { referenceBackend };
export type { Backend };
