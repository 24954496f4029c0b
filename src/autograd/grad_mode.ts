/**
 * Whether operations record the graph for backward. The mode is scoped with AsyncLocalStorage, so
 * noGrad(async () => { ...; await x; ... }) stays in no-grad mode across its awaits, and concurrent
 * async tasks do not see each other's mode.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<boolean>();
let globalEnabled = true;

export function isGradEnabled(): boolean {
  return scope.getStore() ?? globalEnabled;
}

/** Sets the mode outside any noGrad / enableGrad scope (PyTorch's torch.set_grad_enabled). */
export function setGradEnabled(enabled: boolean): void {
  globalEnabled = enabled;
}

/** Runs fn without recording the graph (PyTorch's torch.no_grad); works with async functions. */
export function noGrad<T>(fn: () => T): T {
  return scope.run(false, fn);
}

/** Runs fn with graph recording on, e.g. inside a noGrad scope. */
export function enableGrad<T>(fn: () => T): T {
  return scope.run(true, fn);
}
