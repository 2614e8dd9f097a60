"""Saves torchvision's resnet18 state_dict for classify.cpp (random weights: nothing is downloaded;
a trained model's state_dict is saved and loaded the same way).
Usage: save_weights.py OUT.pth"""
import sys

import torch
import torchvision

model = torchvision.models.resnet18()
model.eval()
torch.save(model.state_dict(), sys.argv[1])
print(f"saved {len(model.state_dict())} entries to {sys.argv[1]}")
