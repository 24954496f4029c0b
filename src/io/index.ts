// gn.io: safetensors files and checkpoints (filled in by the io work).
export {};
