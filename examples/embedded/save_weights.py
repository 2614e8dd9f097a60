"""Saves the seed's SimpleMNISTModel (fashion_mnist/train.py) with PyTorch's own initialization,
seeded, as torch.save writes a state_dict; the build embeds the file (CMakeLists.txt). A trained
model's state_dict saves the same way. Usage: save_weights.py OUT.pth"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fashion_mnist"))
from train import SimpleMNISTModel  # noqa: E402

torch.manual_seed(0)
torch.save(SimpleMNISTModel().eval().state_dict(), sys.argv[1])
