#!/usr/bin/python3
"""PyTorch's training throughput on the seed's SimpleMNISTModel: images per second of the loop
train.py runs (zero_grad, forward, cross-entropy, backward, Adam; batch 64, train() mode), on random
batches, for each thread count given. Prints one JSON object: {"1": images/s, "2": images/s, ...}.

    /usr/bin/python3 bench/training_throughput.py [--threads 1 2] [--steps 60] [--warmup 5]

The median of --repeats timings of --steps steps each is reported, after --warmup steps.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
from models import SimpleMNISTModel  # noqa: E402


def images_per_second(threads, steps, warmup, repeats, batch=64):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = SimpleMNISTModel()
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, 1, 28, 28)
    labels = torch.randint(0, 10, (batch,))

    def step():
        optimizer.zero_grad()
        F.cross_entropy(model(x), labels).backward()
        optimizer.step()

    for _ in range(warmup):
        step()
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        timings.append(time.perf_counter() - start)
    return steps * batch / statistics.median(timings)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps({str(t): images_per_second(t, args.steps, args.warmup, args.repeats) for t in args.threads}))


if __name__ == "__main__":
    main()
