"""PyTorch timings of the kernels bench/run.ts times, on the same shapes and thread count.

Run with Debian's interpreter, which has python3-torch (scripts/install-system-deps.sh --with-peers):

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/peers/torch_bench.py spec.json

spec.json (written by bench/run.ts): {"threads": T, "reps": 5, "minTime": 0.3, "items": [...]}, each
item {"id": ..., "kind": ..., shape fields}. Prints one JSON object: the torch version and, per
item, the best and median seconds of one call, or an error. The timing method is the driver's: one
warm-up call, then samples of `inner` back-to-back calls (inner sized so a sample takes >= ~2 ms),
at least `reps` samples and `minTime` seconds, at most 200 samples; retaken while other processes
keep >= 0.5 cores busy (each result records them as othersBusy).

Outputs are written into preallocated tensors (the out= variants) wherever ATen has one, as
gradnode's kernels write into preallocated arrays; convolutions allocate their outputs (their time is
dominated by arithmetic).
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

aten = torch.ops.aten


def machine_busy_seconds():
    """Seconds the whole machine spent busy (Linux /proc/stat, 10 ms ticks), or None."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / 100
    except OSError:
        return None


def timeit(fn, reps, min_time):
    """The driver's method; retaken (after pauses of 2, 5 and 10 s) while other processes keep >= 0.5
    cores busy, keeping the least contended attempt (othersBusy: cores they used meanwhile)."""
    best = time_once(fn, reps, min_time)
    for pause in (2, 5, 10):
        if best.get("othersBusy", 0) < 0.5:
            break
        time.sleep(pause)
        t = time_once(fn, reps, min_time)
        if t.get("othersBusy", 0) < best.get("othersBusy", 0):
            best = t
    return best


def time_once(fn, reps, min_time):
    fn()  # warm-up
    t0 = time.perf_counter_ns()
    fn()
    first = (time.perf_counter_ns() - t0) / 1e9
    inner = max(1, int(0.002 / max(first, 1e-9)))
    times = []
    total = 0.0
    busy0, own0, wall0 = machine_busy_seconds(), time.process_time(), time.perf_counter()
    while (len(times) < reps or total < min_time) and len(times) < 200:
        t0 = time.perf_counter_ns()
        for _ in range(inner):
            fn()
        t = (time.perf_counter_ns() - t0) / 1e9
        total += t
        times.append(t / inner)
    wall, busy1 = time.perf_counter() - wall0, machine_busy_seconds()
    times.sort()
    r = {"best": times[0], "median": times[len(times) // 2], "reps": len(times), "inner": inner}
    if busy0 is not None and busy1 is not None and wall >= 0.05:
        r["othersBusy"] = max(0.0, (busy1 - busy0 - (time.process_time() - own0)) / wall)
    return r


def rand(*shape):
    return torch.rand(*shape, dtype=torch.float32) * 2 - 1


def conv_fns(it):
    p = it["p"]
    if p.get("padBottom", p["padH"]) != p["padH"] or p.get("padRight", p["padW"]) != p["padW"]:
        raise ValueError("asymmetric padding")
    g = p["groups"]
    x = rand(p["n"], p["cIn"], p["h"], p["w"])
    w = rand(p["cOut"], p["cIn"] // g, p["kh"], p["kw"])
    b = rand(p["cOut"]) if it.get("bias") else None
    stride, pad, dil = [p["strideH"], p["strideW"]], [p["padH"], p["padW"]], [p["dilH"], p["dilW"]]
    y = F.conv2d(x, w, b, stride, pad, dil, g)
    if list(y.shape[2:]) != [p["oh"], p["ow"]]:
        raise ValueError(f"output {list(y.shape)} differs from gradnode's {p['oh']}x{p['ow']}")
    gy = rand(*y.shape)
    bias_sizes = [p["cOut"]] if b is not None else None

    def bwd(mask):
        return lambda: aten.convolution_backward(gy, x, w, bias_sizes, stride, pad, dil, False, [0, 0], g, mask)

    fwd = lambda: F.conv2d(x, w, b, stride, pad, dil, g)
    full = bwd([True, True, b is not None])
    return {
        "fwd": fwd,
        "bwd_data": bwd([True, False, False]),
        "bwd_filter": bwd([False, True, b is not None]),
        # Forward and the whole backward (one convolution_backward call, as autograd makes it).
        "fwd_bwd": lambda: (fwd(), full()),
    }


def pool_fns(it):
    p = it["p"]
    k, s, pad = [p["kh"], p["kw"]], [p["strideH"], p["strideW"]], [p["padH"], p["padW"]]
    ceil = bool(it.get("ceilMode"))
    x = rand(p["n"], p["c"], p["h"], p["w"])
    y, idx = F.max_pool2d(x, k, s, pad, 1, ceil, True)
    if list(y.shape[2:]) != [p["oh"], p["ow"]]:
        raise ValueError("output size differs")
    gy = rand(*y.shape)
    gx = torch.empty_like(x)
    ya = torch.empty_like(y)
    cip = bool(it.get("countIncludePad", True))
    return {
        "max_fwd": lambda: aten.max_pool2d_with_indices.out(x, k, s, pad, [1, 1], ceil, out=y, indices=idx),
        "max_bwd": lambda: aten.max_pool2d_with_indices_backward.grad_input(gy, x, k, s, pad, [1, 1], ceil, idx, grad_input=gx),
        "avg_fwd": lambda: aten.avg_pool2d.out(x, k, s, pad, ceil, cip, None, out=ya),
        "avg_bwd": lambda: aten.avg_pool2d_backward.grad_input(gy, x, k, s, pad, ceil, cip, None, grad_input=gx),
    }


def bn_fns(it):
    n, c, inner = it["n"], it["c"], it["inner"]
    x = rand(n, c, inner)
    w, b = rand(c), rand(c)
    rm, rv = torch.zeros(c), torch.ones(c)
    y, mean, invstd = aten.native_batch_norm(x, w, b, rm, rv, True, 0.1, 1e-5)
    gy = rand(n, c, inner)
    return {
        "fwd": lambda: aten.native_batch_norm(x, w, b, rm, rv, True, 0.1, 1e-5),
        "bwd": lambda: aten.native_batch_norm_backward(gy, x, w, rm, rv, mean, invstd, True, 1e-5, [True, True, True]),
    }


def eltwise_fns(it):
    n = it["numel"]
    x, a, b = rand(n), rand(n), rand(n)
    y = torch.empty(n)
    gy = rand(n)
    s = torch.sigmoid(x)
    cond = rand(n) > 0
    fns = {
        "relu": lambda: torch.clamp(x, min=0, out=y),
        "relu_bwd": lambda: aten.threshold_backward.grad_input(gy, x, 0, grad_input=y),
        "sigmoid": lambda: torch.sigmoid(x, out=y),
        "sigmoid_bwd": lambda: aten.sigmoid_backward.grad_input(gy, s, grad_input=y),
        "tanh": lambda: torch.tanh(x, out=y),
        "exp": lambda: torch.exp(x, out=y),
        "add": lambda: torch.add(a, b, out=y),
        "mul": lambda: torch.mul(a, b, out=y),
        "where": lambda: torch.where(cond, a, b),
        "dropout": lambda: F.dropout(x, 0.5, True),
    }
    return fns


def optim_fns(it):
    """The single-tensor (for-loop) updates of torch.optim.SGD / Adam for one parameter."""
    n = it["numel"]
    p, g, buf, m, v = rand(n), rand(n), rand(n), rand(n), rand(n).abs()

    def sgd():
        buf.mul_(0.9).add_(g)
        p.add_(buf, alpha=-1e-6)

    def adam():
        m.mul_(0.9).add_(g, alpha=0.1)
        v.mul_(0.999).addcmul_(g, g, value=0.001)
        denom = v.sqrt().add_(1e-8)
        p.addcdiv_(m, denom, value=-1e-6)

    return {"sgd_momentum": sgd, "adam": adam}


def bias_add_fns(it):
    n, c, inner = it["n"], it["c"], it["inner"]
    x = rand(n, c, inner)
    b = rand(1, c, 1)
    y = torch.empty_like(x)
    return {"bias_add": lambda: torch.add(x, b, out=y)}


def reduce_fns(it):
    outer, n, inner = it["outer"], it["n"], it["inner"]
    x = rand(outer, n, inner)
    y = torch.empty(outer, inner)
    return {
        "sum": lambda: torch.sum(x, 1, out=y),
        "max": lambda: torch.amax(x, 1, out=y),
        "argmax": lambda: torch.argmax(x, 1),
    }


def softmax_fns(it):
    rows, cols = it["rows"], it["cols"]
    x = rand(rows, cols)
    y = torch.empty(rows, cols)
    ly = torch.empty(rows, cols)
    aten._softmax.out(x, 1, False, out=y)
    aten._log_softmax.out(x, 1, False, out=ly)
    gy = rand(rows, cols)
    dx = torch.empty(rows, cols)
    labels = torch.randint(0, cols, (rows,))
    xl = x.clone().requires_grad_(True)

    def ce():
        xl.grad = None
        F.cross_entropy(xl, labels).backward()

    return {
        "softmax": lambda: aten._softmax.out(x, 1, False, out=y),
        "softmax_bwd": lambda: aten._softmax_backward_data.out(gy, y, 1, torch.float32, grad_input=dx),
        "log_softmax": lambda: aten._log_softmax.out(x, 1, False, out=ly),
        "log_softmax_bwd": lambda: aten._log_softmax_backward_data.out(gy, ly, 1, torch.float32, out=dx),
        "cross_entropy_fwd_bwd": ce,
    }


def copy_fns(it):
    shape, perm = it["shape"], it["perm"]
    x = rand(*shape)
    y = torch.empty(*[shape[i] for i in perm])
    return {"copy": lambda: y.copy_(x.permute(*perm))}


def gemm_fns(it):
    m, n, k = it["m"], it["n"], it["k"]
    a = rand(k, m) if it.get("transA") else rand(m, k)
    b = rand(n, k) if it.get("transB") else rand(k, n)
    c = torch.empty(m, n)
    aa = a.t() if it.get("transA") else a
    bb = b.t() if it.get("transB") else b
    return {"gemm": lambda: torch.mm(aa, bb, out=c)}


def rnn_fns(it):
    """torch.nn.LSTM / RNN (batch-first) over the sequence, then backward from a fixed gradient."""
    n, t, i, h = it["batch"], it["time"], it["input"], it["hidden"]
    cls = torch.nn.LSTM if it["mode"] == "lstm" else torch.nn.RNN
    layer = cls(i, h, batch_first=True)
    x = rand(n, t, i)
    g = rand(n, t, h)

    def step():
        for p in layer.parameters():
            p.grad = None
        y, _ = layer(x)
        y.backward(g)

    return {"fwd_bwd": step}


BUILDERS = {
    "gemm": gemm_fns,
    "conv": conv_fns,
    "pool": pool_fns,
    "bn": bn_fns,
    "eltwise": eltwise_fns,
    "bias_add": bias_add_fns,
    "optim": optim_fns,
    "reduce": reduce_fns,
    "softmax": softmax_fns,
    "copy": copy_fns,
    "rnn": rnn_fns,
}


def main():
    spec = json.load(open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin)
    threads = int(spec["threads"])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    reps, min_time = int(spec.get("reps", 5)), float(spec.get("minTime", 0.3))
    out = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
        "results": [],
    }
    cache = {}
    with torch.no_grad():
        for it in spec["items"]:
            rec = {"id": it["id"]}
            try:
                key = json.dumps({k: v for k, v in it.items() if k not in ("id", "pass")}, sort_keys=True)
                if key not in cache:
                    cache.clear()  # one shape's tensors at a time
                    cache[key] = BUILDERS[it["kind"]](it)
                fn = cache[key][it["pass"]]
                if it["pass"] == "cross_entropy_fwd_bwd" or it["kind"] == "rnn":  # autograd runs
                    with torch.enable_grad():
                        rec.update(timeit(fn, reps, min_time))
                else:
                    rec.update(timeit(fn, reps, min_time))
            except Exception as e:  # a missing op in this torch version: report, go on
                rec["error"] = f"{type(e).__name__}: {e}"
            out["results"].append(rec)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
