// gn.optim: optimizers, learning-rate schedules and gradient clipping (filled in by the optim work).
export {};
