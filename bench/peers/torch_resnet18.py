# PyTorch's side of bench/resnet18_step.js: the same ResNet-18, step and timing.
#   OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/peers/torch_resnet18.py [batch 8] [size 112] [threads 2]
import sys

import torch
import torch.nn as nn

from best_of import best_of

N = int(sys.argv[1]) if len(sys.argv) > 1 else 8
H = int(sys.argv[2]) if len(sys.argv) > 2 else 112
torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
torch.manual_seed(0)


class BasicBlock(nn.Module):
    def __init__(self, ci, co, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(ci, co, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(co)
        self.conv2 = nn.Conv2d(co, co, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(co)
        self.shortcut = (nn.Sequential(nn.Conv2d(ci, co, 1, stride, bias=False), nn.BatchNorm2d(co))
                         if stride != 1 or ci != co else nn.Identity())

    def forward(self, x):
        h = self.bn2(self.conv2(self.bn1(self.conv1(x)).relu()))
        return (h + self.shortcut(x)).relu()


body = nn.Sequential(
    nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
    BasicBlock(64, 64, 1), BasicBlock(64, 64, 1), BasicBlock(64, 128, 2), BasicBlock(128, 128, 1),
    BasicBlock(128, 256, 2), BasicBlock(256, 256, 1), BasicBlock(256, 512, 2), BasicBlock(512, 512, 1))
fc = nn.Linear(512, 10)
opt = torch.optim.SGD([*body.parameters(), *fc.parameters()], lr=0.01, momentum=0.9)
x = torch.randn(N, 3, H, H)
y = torch.arange(N) % 10


def logits():
    return fc(body(x).mean((2, 3)))


def step():
    loss = nn.functional.cross_entropy(logits(), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    loss.item()


train = best_of(step)
body.eval()
with torch.no_grad():
    infer = best_of(logits)
print(f"PyTorch {torch.__version__} ResNet-18 batch {N} {H}x{H}, {torch.get_num_threads()} threads: step {train}; inference {infer}")
