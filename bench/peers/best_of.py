# The timing of the whole-network peers (torch_resnet18.py, torch_dcgan.py): fn run 3 times to
# warm up, then 10 times; the best and the median, in ms (bench/best_of.js, the same).
import time


def best_of(fn):
    for _ in range(3):
        fn()
    ms = []
    for _ in range(10):
        t = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t) * 1e3)
    ms.sort()
    return f"best {ms[0]:.1f} ms, median {ms[5]:.1f} ms"
