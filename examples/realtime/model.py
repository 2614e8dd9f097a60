"""The PyTorch side of realtime.cpp: a small audio-style network (the shape of RTNeural's benchmark
model: Dense 1->8, tanh, Conv1D 8->4 kernel 3 dilation 2, tanh, GRU 4->8, Dense 8->1) that maps a
signal to a signal, one sample in, one out. Its convolution is causal: it sees the current sample
and the ones 2 and 4 samples back, never the future, so it can run sample by sample.

    save_weights.py OUT.pth     # random weights (seeded); a trained model's state_dict saves the same way
"""
import torch
import torch.nn as nn


class RealtimeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense_in = nn.Linear(1, 8)
        self.pad = nn.ConstantPad1d((4, 0), 0.0)  # (kernel_size - 1) * dilation samples of past
        self.conv = nn.Conv1d(8, 4, kernel_size=3, dilation=2)
        self.gru = nn.GRU(4, 8, batch_first=True)
        self.dense_out = nn.Linear(8, 1)

    def forward(self, x):  # x: [batch, time, 1]
        h = torch.tanh(self.dense_in(x))
        h = torch.tanh(self.conv(self.pad(h.transpose(1, 2)))).transpose(1, 2)
        h, _ = self.gru(h)
        return self.dense_out(h)


def test_signal(n, sample_rate=48000):
    """What realtime.cpp feeds the network: a 440 Hz tone and a 3 kHz one, computed in double."""
    t = torch.arange(n, dtype=torch.float64) / sample_rate
    return (0.5 * torch.sin(2 * torch.pi * 440 * t) + 0.25 * torch.sin(2 * torch.pi * 3000 * t)).float()
