"""Reference models of the activations_norms group (activations.hpp's layers, Softmax, the
normalisation layers, the identity-at-inference layers), mirrored in activations_norms.hpp.
Activations come after a Linear whose random parameters are scaled up (Spread), so that their
inputs lie on both sides of their breakpoints."""
import torch
import torch.nn as nn
import torchvision.models.convnext
import torchvision.ops


class Spread(nn.Sequential):
    """An nn.Sequential (same state_dict) whose first layer's weight and bias make_reference.py's
    randomisation leaves multiplied by `factor` (after_randomize): values spread widely enough to
    cross the breakpoints of the activation after it (ReLU6's 6, Hardswish's +-3, Softplus's
    threshold 20, the saturation of Sigmoid and Tanh)."""

    def __init__(self, *modules, factor):
        super().__init__(*modules)
        self.factor = factor

    def after_randomize(self):
        with torch.no_grad():
            self[0].weight.mul_(self.factor)
            self[0].bias.mul_(self.factor)


def act(module, factor=4.0):
    """Linear(8, 15) (odd: vectors and a scalar tail) then the activation: pre-activations of standard deviation about 1.4 * factor."""
    return lambda: Spread(nn.Linear(8, 15), module(), factor=factor)


MODELS = {
    # Activations, on values spread over both sides of their breakpoints.
    "act_relu6": (act(nn.ReLU6), (4, 8)),
    "act_hardtanh": (act(lambda: nn.Hardtanh(), factor=1.0), (4, 8)),
    "act_hardtanh_custom": (act(lambda: nn.Hardtanh(-2.0, 3.0)), (4, 8)),
    "act_leaky_relu": (act(nn.LeakyReLU), (4, 8)),
    "act_leaky_relu_02": (act(lambda: nn.LeakyReLU(0.2)), (4, 8)),
    "act_elu": (act(nn.ELU), (4, 8)),
    "act_elu_alpha": (act(lambda: nn.ELU(alpha=0.5), factor=1.0), (4, 8)),
    "act_gelu": (act(nn.GELU), (4, 8)),
    "act_gelu_near_zero": (act(nn.GELU, factor=1.0), (4, 8)),
    "act_gelu_tanh": (act(lambda: nn.GELU(approximate="tanh")), (4, 8)),
    "act_silu": (act(nn.SiLU), (4, 8)),
    "act_sigmoid": (act(nn.Sigmoid), (4, 8)),
    "act_tanh": (act(nn.Tanh), (4, 8)),
    "act_hardswish": (act(nn.Hardswish), (4, 8)),
    "act_hardsigmoid": (act(nn.Hardsigmoid), (4, 8)),
    "act_mish": (act(nn.Mish), (4, 8)),
    "act_softplus": (act(nn.Softplus, factor=1.0), (4, 8)),
    "act_softplus_threshold": (act(nn.Softplus, factor=12.0), (4, 8)),
    "act_softplus_beta_threshold": (act(lambda: nn.Softplus(beta=2, threshold=1.5), factor=1.0), (4, 8)),
    # A convolution then activations in a chain, on an image (odd sizes: vector tails).
    "act_conv_chain": (lambda: nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.GELU(), nn.Conv2d(6, 5, 1),
                                             nn.Hardswish(), nn.Conv2d(5, 4, 1), nn.SiLU()), (3, 7, 9)),
    # Softmax and LogSoftmax over every dimension of a rank-3 sample [5, 6, 19]: across channels
    # (vectors along the pixels), rows (vectors along a row), and along the contiguous last one.
    "softmax_dim1": (lambda: nn.Sequential(nn.Conv2d(4, 5, 1), nn.Softmax(dim=1)), (4, 6, 19)),
    "softmax_dim2": (lambda: nn.Sequential(nn.Conv2d(4, 5, 1), nn.Softmax(dim=2)), (4, 6, 19)),
    "softmax_dim3": (lambda: nn.Sequential(nn.Conv2d(4, 5, 1), nn.Softmax(dim=3)), (4, 6, 19)),
    "softmax_dim_minus1": (lambda: nn.Sequential(nn.Conv2d(4, 5, 1), nn.Softmax(dim=-1)), (4, 6, 37)),
    "softmax_dim_minus3": (lambda: nn.Sequential(nn.Conv2d(4, 5, 1), nn.Softmax(dim=-3)), (4, 6, 19)),
    "log_softmax_dim1": (lambda: nn.Sequential(nn.Conv2d(4, 5, 1), nn.LogSoftmax(dim=1)), (4, 6, 19)),
    "log_softmax_dim2": (lambda: nn.Sequential(nn.Conv2d(4, 5, 1), nn.LogSoftmax(dim=2)), (4, 6, 19)),
    "log_softmax_dim3": (lambda: nn.Sequential(nn.Conv2d(4, 5, 1), nn.LogSoftmax(dim=3)), (4, 6, 19)),
    "log_softmax_dim_minus1": (lambda: nn.Sequential(nn.Conv2d(4, 5, 1), nn.LogSoftmax(dim=-1)), (4, 6, 37)),
    # Values in the hundreds: e^x overflows unless the maximum is subtracted first.
    "softmax_large_values": (lambda: Spread(nn.Conv2d(4, 5, 1), nn.Softmax(dim=1), factor=100.0), (4, 3, 17)),
    "log_softmax_large_values": (lambda: Spread(nn.Linear(6, 40), nn.LogSoftmax(dim=-1), factor=100.0), (6,)),
    "classifier_softmax": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(12, 10), nn.Softmax(dim=1)), (3, 4)),
    "classifier_log_softmax": (lambda: nn.Sequential(nn.Linear(12, 100), nn.LogSoftmax(dim=-1)), (12,)),
    # LayerNorm over one and two trailing dims, with and without affine parameters.
    "layer_norm_last": (lambda: nn.Sequential(nn.Linear(6, 20), nn.LayerNorm(20)), (5, 6)),
    "layer_norm_last_no_affine": (lambda: nn.Sequential(nn.Linear(6, 20), nn.LayerNorm(20, elementwise_affine=False)),
                                  (5, 6)),
    "layer_norm_two_dims": (lambda: nn.Sequential(nn.LayerNorm((4, 5), eps=1e-6)), (3, 4, 5)),
    "layer_norm_two_dims_no_affine": (lambda: nn.Sequential(nn.LayerNorm([4, 5], elementwise_affine=False)),
                                      (3, 4, 5)),
    "layer_norm_wide": (lambda: nn.Sequential(nn.Linear(8, 96), nn.LayerNorm(96), nn.GELU(), nn.Linear(96, 8)),
                        (7, 8)),
    # GroupNorm with one group, two, and one per channel.
    "group_norm_1": (lambda: nn.Sequential(nn.Conv2d(3, 6, 3), nn.GroupNorm(1, 6)), (3, 7, 6)),
    "group_norm_2": (lambda: nn.Sequential(nn.Conv2d(3, 6, 3), nn.GroupNorm(2, 6, eps=1e-3)), (3, 7, 6)),
    "group_norm_per_channel": (lambda: nn.Sequential(nn.Conv2d(3, 6, 3), nn.GroupNorm(6, 6)), (3, 7, 6)),
    "group_norm_no_affine": (lambda: nn.Sequential(nn.GroupNorm(2, 4, affine=False)), (4, 5)),
    # InstanceNorm: PyTorch's defaults (no state), affine, and running statistics in eval().
    "instance_norm2d": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.InstanceNorm2d(4)), (3, 8, 7)),
    "instance_norm2d_affine": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.InstanceNorm2d(4, affine=True)),
                               (3, 8, 7)),
    "instance_norm2d_running_stats": (
        lambda: nn.Sequential(nn.InstanceNorm2d(4, eps=1e-3, momentum=0.2, track_running_stats=True)), (4, 5, 6)),
    "instance_norm2d_affine_running_stats": (
        lambda: nn.Sequential(nn.InstanceNorm2d(4, affine=True, track_running_stats=True)), (4, 5, 6)),
    "instance_norm1d": (lambda: nn.Sequential(nn.InstanceNorm1d(5, affine=True)), (5, 9)),
    "instance_norm1d_running_stats": (lambda: nn.Sequential(nn.InstanceNorm1d(5, track_running_stats=True)), (5, 1)),
    # torchvision's LayerNorm2d (ConvNeXt's), with its own default eps and with ConvNeXt's.
    "layer_norm2d": (lambda: nn.Sequential(nn.Conv2d(3, 8, 3), torchvision.models.convnext.LayerNorm2d(8)),
                     (3, 9, 8)),
    "layer_norm2d_convnext": (lambda: nn.Sequential(
        nn.Conv2d(3, 96, 4, stride=4), torchvision.models.convnext.LayerNorm2d(96, eps=1e-6)), (3, 24, 20)),
    # Identity at inference.
    "dropout_variants": (lambda: nn.Sequential(
        nn.Conv2d(2, 3, 1), nn.Dropout2d(0.2), nn.AlphaDropout(0.1), torchvision.ops.StochasticDepth(0.2, "row"),
        torchvision.ops.StochasticDepth(0.5, "batch"), nn.Flatten(2), nn.Dropout1d(0.3), nn.Flatten(),
        nn.Linear(3 * 20, 4), nn.Dropout1d(0.1), nn.Linear(4, 3)), (2, 4, 5)),
}
