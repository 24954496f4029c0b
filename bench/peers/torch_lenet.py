"""One LeNet-5 training epoch in PyTorch: the network of gn.models.lenet5(), the same data and the
same loop as bench/run.ts's end-to-end benchmark (Fashion-MNIST train split, pixels / 255, batch 64,
reshuffled every epoch, SGD lr 0.01 momentum 0.9, cross-entropy).

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/peers/torch_lenet.py --threads 2 --epochs 2

Prints one JSON object: seconds and images/s per epoch, the best epoch, and the time spent in data
(batch gathering), forward (including the loss), backward and the optimizer step in the best epoch.
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(directory, base):
    for name in (base, base + ".gz"):
        p = os.path.join(directory, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f"{base}[.gz] is not in {directory}")


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N images (quick runs)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    images = read_idx(find(a.data, "train-images-idx3-ubyte"))
    labels = read_idx(find(a.data, "train-labels-idx1-ubyte"))
    if a.limit:
        images, labels = images[: a.limit], labels[: a.limit]
    x_all = torch.from_numpy(images.astype(np.float32) / 255).reshape(-1, 1, 28, 28)
    y_all = torch.from_numpy(labels.astype(np.int64))
    n = x_all.shape[0]

    model = lenet5()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    def busy():
        try:
            with open("/proc/stat") as f:
                v = [int(x) for x in f.readline().split()[1:9]]
            return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / 100
        except OSError:
            return None

    epochs = []
    for _ in range(a.epochs):
        busy0, own0 = busy(), time.process_time()
        phases = {"data": 0.0, "forward": 0.0, "backward": 0.0, "optimizer": 0.0}
        loss_sum = 0.0
        t_epoch = time.perf_counter()
        perm = torch.randperm(n)
        for s in range(0, n, a.batch_size):
            t0 = time.perf_counter()
            idx = perm[s : s + a.batch_size]
            xb, yb = x_all[idx], y_all[idx]
            t1 = time.perf_counter()
            loss = F.cross_entropy(model(xb), yb)
            t2 = time.perf_counter()
            opt.zero_grad()
            loss.backward()
            t3 = time.perf_counter()
            opt.step()
            t4 = time.perf_counter()
            loss_sum += loss.item() * xb.shape[0]
            phases["data"] += t1 - t0
            phases["forward"] += t2 - t1
            phases["backward"] += t3 - t2
            phases["optimizer"] += t4 - t3
        seconds = time.perf_counter() - t_epoch
        e = {"seconds": seconds, "imagesPerSecond": n / seconds, "loss": loss_sum / n, "phases": phases}
        busy1 = busy()
        if busy0 is not None and busy1 is not None:
            # cores other processes kept busy during the epoch
            e["othersBusy"] = max(0.0, (busy1 - busy0 - (time.process_time() - own0)) / seconds)
        epochs.append(e)
    best = min(epochs, key=lambda e: e["seconds"])
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "images": n,
        "batchSize": a.batch_size,
        "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")},
        "epochs": epochs,
        "best": best,
    }))


if __name__ == "__main__":
    main()
