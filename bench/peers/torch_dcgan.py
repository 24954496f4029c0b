# PyTorch's side of bench/dcgan_step.js: the same DCGAN, step and timing.
#   OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/peers/torch_dcgan.py [batch 16] [threads 2]
import sys

import torch
import torch.nn as nn

from best_of import best_of

N = int(sys.argv[1]) if len(sys.argv) > 1 else 16
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
torch.manual_seed(0)
nz, nf, nc = 100, 64, 3


def up(ci, co):
    return [nn.ConvTranspose2d(ci, co, 4, 2, 1, bias=False), nn.BatchNorm2d(co), nn.ReLU()]


def down(ci, co):
    return [nn.Conv2d(ci, co, 4, 2, 1, bias=False), nn.BatchNorm2d(co), nn.LeakyReLU(0.2)]


G = nn.Sequential(
    nn.ConvTranspose2d(nz, nf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(nf * 8), nn.ReLU(),
    *up(nf * 8, nf * 4), *up(nf * 4, nf * 2), *up(nf * 2, nf),
    nn.ConvTranspose2d(nf, nc, 4, 2, 1, bias=False), nn.Tanh())
D = nn.Sequential(
    nn.Conv2d(nc, nf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
    *down(nf, nf * 2), *down(nf * 2, nf * 4), *down(nf * 4, nf * 8),
    nn.Conv2d(nf * 8, 1, 4, 1, 0, bias=False), nn.Flatten())
optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
real = torch.rand(N, nc, 64, 64) * 2 - 1
z = torch.randn(N, nz, 1, 1)
ones, zeros = torch.ones(N, 1), torch.zeros(N, 1)
bce = nn.functional.binary_cross_entropy_with_logits


def step():
    fake = G(z)
    d_loss = bce(D(real), ones) + bce(D(fake.detach()), zeros)
    optD.zero_grad()
    d_loss.backward()
    optD.step()
    g_loss = bce(D(fake), ones)
    optG.zero_grad()
    g_loss.backward()
    optG.step()
    g_loss.item()


train = best_of(step)
G.eval()
with torch.no_grad():
    generate = best_of(lambda: G(z).sum().item())
print(f"PyTorch {torch.__version__} DCGAN 64x64 batch {N}, {torch.get_num_threads()} threads: step {train}; generation {generate}")
