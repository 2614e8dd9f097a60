"""Reference models of the conv_pool group: Conv1d, ConvTranspose1d/2d, the 1-d pools, the adaptive
max pools and Upsample (parity_conv_pool.cpp, with the typenet twins in conv_pool.hpp). Options are
mostly not the defaults; the Upsample sizes are chosen where PyTorch's source-index rules differ
from the naive ones (see the comments). Also ConstantPad1d and Transpose, and the causal
convolution models that stream.cpp runs one time step at a time."""
import torch.nn as nn


class Transpose(nn.Module):
    """x.transpose(dim0, dim1) in a forward, as a module (typenet's Transpose<dim0, dim1>)."""

    def __init__(self, dim0, dim1):
        super().__init__()
        self.dim0, self.dim1 = dim0, dim1

    def forward(self, x):
        return x.transpose(self.dim0, self.dim1)


MODELS = {
    # Conv1d
    "conv1d_defaults": (lambda: nn.Sequential(nn.Conv1d(3, 5, 3)), (3, 11)),
    "conv1d_options": (lambda: nn.Sequential(nn.Conv1d(4, 6, 5, stride=2, padding=3, dilation=2, groups=2,
                                                       bias=False)), (4, 17)),
    "conv1d_depthwise": (lambda: nn.Sequential(nn.Conv1d(6, 6, 3, padding=1, groups=6), nn.ReLU()), (6, 9)),
    # ConvTranspose2d
    "conv_transpose2d_defaults": (lambda: nn.Sequential(nn.ConvTranspose2d(3, 5, 3)), (3, 5, 6)),
    "conv_transpose2d_stride_padding": (lambda: nn.Sequential(nn.ConvTranspose2d(4, 6, 4, stride=2, padding=1)),
                                        (4, 5, 7)),
    "conv_transpose2d_options": (
        lambda: nn.Sequential(nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(1, 2), output_padding=(1, 2),
                                                 groups=2, bias=False, dilation=(1, 2))), (4, 5, 4)),
    # output_padding 2 with stride 1: allowed because the dilation (3) is larger.
    "conv_transpose2d_depthwise_dilation": (
        lambda: nn.Sequential(nn.ConvTranspose2d(5, 5, 3, padding=2, output_padding=2, groups=5, dilation=3)),
        (5, 6, 5)),
    # Large enough that float32 multiplies two samples per pass, then the third alone.
    "conv_transpose2d_passes": (lambda: nn.Sequential(nn.ConvTranspose2d(16, 16, 4, stride=2, padding=1)),
                                (16, 20, 20)),
    # ConvTranspose1d
    "conv_transpose1d_defaults": (lambda: nn.Sequential(nn.ConvTranspose1d(3, 2, 4)), (3, 5)),
    "conv_transpose1d_options": (
        lambda: nn.Sequential(nn.ConvTranspose1d(4, 6, 3, stride=3, padding=1, output_padding=2, groups=2,
                                                 dilation=2)), (4, 7)),
    # 1-d pools
    "max_pool1d_defaults": (lambda: nn.Sequential(nn.MaxPool1d(2)), (4, 9)),
    "max_pool1d_options": (lambda: nn.Sequential(nn.MaxPool1d(4, stride=3, padding=2, dilation=2, ceil_mode=True)),
                           (3, 16)),
    "avg_pool1d_defaults": (lambda: nn.Sequential(nn.AvgPool1d(3)), (4, 10)),
    "avg_pool1d_include_pad": (lambda: nn.Sequential(nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True)), (2, 8)),
    "avg_pool1d_exclude_pad": (
        lambda: nn.Sequential(nn.AvgPool1d(4, stride=3, padding=2, ceil_mode=True, count_include_pad=False)),
        (3, 12)),
    # adaptive pools
    "adaptive_avg_pool1d": (lambda: nn.Sequential(nn.AdaptiveAvgPool1d(4)), (3, 10)),
    "adaptive_avg_pool1d_upsample": (lambda: nn.Sequential(nn.AdaptiveAvgPool1d(5)), (2, 3)),
    "adaptive_max_pool2d_7_to_4": (lambda: nn.Sequential(nn.AdaptiveMaxPool2d((4, 4))), (3, 7, 7)),
    "adaptive_max_pool2d_rect": (lambda: nn.Sequential(nn.AdaptiveMaxPool2d((3, 5))), (2, 10, 3)),
    "adaptive_max_pool1d": (lambda: nn.Sequential(nn.AdaptiveMaxPool1d(4)), (3, 10)),
    # Upsample, nearest
    "upsample_nearest_2x": (lambda: nn.Sequential(nn.Upsample(scale_factor=2)), (3, 4, 5)),
    # Rows 26 -> 46: floor(i * 26/46) in double differs from PyTorch's float-rounded floorf; columns
    # 26 -> 22: the float32 model's float scale differs from the double one.
    "upsample_nearest_size": (lambda: nn.Sequential(nn.Upsample(size=(46, 22))), (2, 26, 26)),
    # 14 -> 46: float32 and float64 index differently.
    "upsample_nearest_size_14_to_46": (lambda: nn.Sequential(nn.Upsample(size=(46, 3))), (2, 14, 5)),
    # scale 3.7: 1 / 3.7 is the scale, not 11 / 40.
    "upsample_nearest_scale_3_7": (lambda: nn.Sequential(nn.Upsample(scale_factor=3.7)), (2, 11, 5)),
    # 5 -> 10 and 7 -> 7 at scales 2.1 and 1.1: with several channels floor(i / 2.1) and
    # floor(i / 1.1); with one channel PyTorch's channels-last kernel copies (i / 2 and i).
    "upsample_nearest_fractional": (lambda: nn.Sequential(nn.Upsample(scale_factor=(2.1, 1.1))), (3, 5, 7)),
    "upsample_nearest_one_channel": (lambda: nn.Sequential(nn.Upsample(scale_factor=(2.1, 1.1))), (1, 5, 7)),
    "upsample_nearest_down": (lambda: nn.Sequential(nn.Upsample(scale_factor=0.6)), (2, 9, 11)),
    "upsample_nearest_1d": (lambda: nn.Sequential(nn.Upsample(scale_factor=1.7)), (3, 9)),
    "upsampling_nearest2d": (lambda: nn.Sequential(nn.UpsamplingNearest2d(scale_factor=3)), (2, 3, 4)),
    # Upsample, linear
    "upsample_bilinear_2x": (lambda: nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear")), (2, 4, 5)),
    "upsample_bilinear_2x_align": (
        lambda: nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)), (2, 4, 5)),
    "upsample_bilinear_fractional": (lambda: nn.Sequential(nn.Upsample(scale_factor=(1.5, 0.6), mode="bilinear")),
                                     (3, 5, 9)),
    "upsample_bilinear_fractional_align": (
        lambda: nn.Sequential(nn.Upsample(scale_factor=(2.5, 1.3), mode="bilinear", align_corners=True)), (2, 3, 7)),
    "upsample_bilinear_size": (lambda: nn.Sequential(nn.Upsample(size=(9, 11), mode="bilinear")), (3, 4, 5)),
    "upsample_bilinear_size_align": (
        lambda: nn.Sequential(nn.Upsample(size=(7, 4), mode="bilinear", align_corners=True)), (3, 5, 6)),
    "upsample_bilinear_one_channel": (lambda: nn.Sequential(nn.Upsample(scale_factor=1.7, mode="bilinear")),
                                      (1, 5, 6)),
    "upsample_bilinear_recompute": (
        lambda: nn.Sequential(nn.Upsample(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)), (2, 5, 6)),
    "upsampling_bilinear2d": (lambda: nn.Sequential(nn.UpsamplingBilinear2d(size=(5, 7))), (2, 3, 4)),
    "upsample_linear": (lambda: nn.Sequential(nn.Upsample(scale_factor=2.5, mode="linear")), (3, 7)),
    "upsample_linear_size_align": (lambda: nn.Sequential(nn.Upsample(size=11, mode="linear", align_corners=True)),
                                   (3, 4)),
    # In chains, as in models: a 1-d encoder and a 2-d decoder.
    "conv1d_encoder": (lambda: nn.Sequential(
        nn.Conv1d(2, 8, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2), nn.Conv1d(8, 8, 3, dilation=2), nn.ReLU(),
        nn.AdaptiveAvgPool1d(3), nn.Flatten(), nn.Linear(24, 5)), (2, 30)),
    "conv_transpose2d_decoder": (lambda: nn.Sequential(
        nn.ConvTranspose2d(8, 4, 2, stride=2), nn.ReLU(), nn.Upsample(scale_factor=1.5, mode="bilinear"),
        nn.Conv2d(4, 3, 3, padding=1), nn.AdaptiveMaxPool2d((5, 4))), (8, 3, 4)),
    # Conv1d, BatchNorm1d and SiLU run as one fused step in typenet.
    "conv1d_batch_norm_silu": (lambda: nn.Sequential(nn.Conv1d(3, 6, 5, padding=2), nn.BatchNorm1d(6), nn.SiLU()),
                               (3, 40)),
    # ConstantPad1d with a value, and Transpose of outer, inner and negative dims.
    "constant_pad1d_transpose": (lambda: nn.Sequential(nn.ConstantPad1d((2, 3), -0.5), Transpose(1, 3),
                                                       Transpose(-1, 2), nn.Linear(4, 2)), (3, 4, 5)),
    # Causal convolutions (a left ConstantPad1d of (k - 1) * dilation zeros) that stream.cpp also runs
    # one time step at a time: features over time [T, F] around a convolution over [C, L], and a
    # grouped, dilated one on [C, L] itself.
    "stream_causal_conv": (lambda: nn.Sequential(
        nn.Linear(4, 8), nn.Tanh(), Transpose(1, 2), nn.ConstantPad1d((4, 0), 0.), nn.Conv1d(8, 8, 3, dilation=2),
        Transpose(1, 2), nn.Linear(8, 2)), (120, 4)),
    "stream_grouped_conv": (lambda: nn.Sequential(
        nn.ConstantPad1d((3, 0), 0.), nn.Conv1d(4, 6, 2, dilation=3, groups=2, bias=False), nn.ReLU(),
        nn.Conv1d(6, 3, 1)), (4, 110)),
}
