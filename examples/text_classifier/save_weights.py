"""Saves TextClassifier's state_dict (model.py) for classify.cpp. Usage: save_weights.py OUT.pth"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import TextClassifier  # noqa: E402

torch.manual_seed(0)
model = TextClassifier().eval()
torch.save(model.state_dict(), sys.argv[1])
print(f"saved {len(model.state_dict())} entries to {sys.argv[1]}")
