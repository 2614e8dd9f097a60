"""The PyTorch side of classify.cpp: a small Transformer text classifier over token ids (an
embedding plus a learned positional table, two encoder layers with a final LayerNorm, the mean over
positions, a linear head).

    save_weights.py OUT.pth     # random weights (seeded); a trained model's state_dict saves the same way
"""
import torch
import torch.nn as nn

VOCABULARY, D_MODEL, LENGTH, CLASSES = 1000, 64, 32, 3


class TextClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCABULARY, D_MODEL, padding_idx=0)
        self.pos = nn.Parameter(0.02 * torch.randn(LENGTH, D_MODEL))
        layer = nn.TransformerEncoderLayer(D_MODEL, 4, 256, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(D_MODEL), enable_nested_tensor=False)
        self.head = nn.Linear(D_MODEL, CLASSES)

    def forward(self, ids):  # ids: [batch, LENGTH] int64, padded with 0
        return self.head(self.encoder(self.embedding(ids) + self.pos).mean(dim=1))
