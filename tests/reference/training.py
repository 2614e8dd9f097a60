"""Reference data for typenet's training tests (tests/training_gradients.cpp), computed by PyTorch.

GRADIENTS: for every case, a model with random float64 parameters (and buffers), a random batch and
targets, one forward in the case's mode (train() or eval()), the case's loss and loss.backward():
  <name>.pth           torch.save(model.state_dict()) before the step, float64
  <name>.input.bin     float64 input, raw little-endian
  <name>.target.bin    int64 class indices, or float64 targets (mse, bce)
  <name>.loss.bin      float64 loss
  <name>.grads.bin     float64 gradients of every parameter, in named_parameters() order (zeros
                       for a parameter without requires_grad)
  <name>.after.bin     float64 values of every floating state_dict entry after the forward (buffers
                       a train() forward updates: BatchNorm's running statistics), state_dict order
  <name>.tracked.bin   int64 values of every int64 entry after the forward (num_batches_tracked)
A case's `frozen` lists module prefixes whose parameters get requires_grad = False.

TRAJECTORIES: from the same float32 initial weights and the same batches, STEPS optimizer steps
(cross-entropy, train() mode, Dropout p = 0) in PyTorch with each of OPTIMIZERS:
  <name>.pth              the initial state_dict (PyTorch's own initialisation, seed 1)
  <name>.batches.bin      float32 inputs, STEPS batches
  <name>.labels.bin       int64 labels
  <name>.<opt>.final.bin  float32 values of every floating state_dict entry after the steps
  <name>.<opt>.final64.bin  the same steps in float64 (from the same float32 initial weights)
  <name>.<opt>.spread.bin float64, per floating entry: ||float32 run - float64 run|| / ||float64 run||,
                          how far float32 rounding alone takes PyTorch's own trajectory from the
                          exact one (the same steps in float64)
LR_SCHEDULES: lr_steplr.bin and lr_cosine.bin, see lr_schedules().
Usage: training.py OUTPUT_DIR
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from models import SimpleMNISTModel  # noqa: E402


class MLP(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.Sigmoid(), nn.Linear(16, 4))


# name: (factory, per-sample input shape, batch, loss, mode, frozen prefixes)
# loss: ("cross_entropy", label_smoothing) | ("mse",) | ("bce",)
GRADIENTS = {
    "mlp_tanh_sigmoid": (MLP, (6,), 5, ("cross_entropy", 0.0), "train", []),
    "mlp_label_smoothing": (MLP, (6,), 5, ("cross_entropy", 0.1), "train", []),
    "relu_dropout_mse": (lambda: nn.Sequential(nn.Linear(5, 12), nn.ReLU(), nn.Dropout(0.5),
                                               nn.Linear(12, 3, bias=False)), (5,), 4, ("mse",), "eval", []),
    "flatten_bce": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2)),
                    (2, 4), 3, ("bce",), "train", []),
    "conv_relu": (lambda: nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 4, 3, padding=1),
                                        nn.ReLU(), nn.Flatten(), nn.Linear(100, 3)),
                  (2, 5, 5), 3, ("cross_entropy", 0.0), "train", []),
    "conv_stride_dilation_groups": (lambda: nn.Sequential(
        nn.Conv2d(4, 4, 1), nn.Conv2d(4, 6, (3, 2), stride=2, padding=(1, 0), dilation=(1, 2), groups=2, bias=False), nn.Tanh(),
        nn.Flatten(), nn.Linear(72, 3)), (4, 7, 8), 2, ("cross_entropy", 0.0), "train", []),
    "conv_depthwise": (lambda: nn.Sequential(nn.Conv2d(3, 3, 1), nn.Conv2d(3, 3, 3, padding=1, groups=3), nn.Flatten(), nn.Linear(108, 2)),
                       (3, 6, 6), 2, ("mse",), "train", []),
    "conv1d": (lambda: nn.Sequential(nn.Conv1d(3, 3, 1), nn.Conv1d(3, 4, 3, padding=2, dilation=2), nn.ReLU(), nn.Flatten(),
                                     nn.Linear(40, 3)), (3, 10), 3, ("cross_entropy", 0.0), "train", []),
    "frozen_first": (MLP, (6,), 5, ("cross_entropy", 0.0), "train", ["0."]),
    "frozen_middle": (MLP, (6,), 5, ("cross_entropy", 0.0), "train", ["2."]),
}


def randomize(model, generator):
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.dtype == torch.int64:
                tensor.fill_(3)
            elif name.endswith("running_var"):
                tensor.copy_(0.5 + torch.rand(tensor.shape, generator=generator, dtype=tensor.dtype))
            elif name.endswith("running_mean"):
                tensor.copy_(0.2 * torch.randn(tensor.shape, generator=generator, dtype=tensor.dtype))
            else:
                fan_in = tensor[0].numel() if tensor.dim() > 1 else 1
                tensor.copy_(torch.randn(tensor.shape, generator=generator, dtype=tensor.dtype) / fan_in ** 0.5)


def loss_of(loss, out, target):
    if loss[0] == "cross_entropy":
        return F.cross_entropy(out, target, label_smoothing=loss[1])
    if loss[0] == "mse":
        return F.mse_loss(out, target)
    return F.binary_cross_entropy_with_logits(out, target)


def target_for(loss, out_shape, batch, generator):
    if loss[0] == "cross_entropy":
        return torch.randint(0, out_shape[-1], (batch,), generator=generator)
    if loss[0] == "mse":
        return torch.randn((batch,) + out_shape, generator=generator, dtype=torch.float64)
    return torch.rand((batch,) + out_shape, generator=generator, dtype=torch.float64)


def write(path, tensor):
    with open(path, "wb") as f:
        f.write(tensor.contiguous().numpy().tobytes())


def gradient_case(out_dir, name, factory, shape, batch, loss, mode, frozen, generator):
    model = factory().double()
    randomize(model, generator)
    torch.save(model.state_dict(), os.path.join(out_dir, name + ".pth"))
    for key, p in model.named_parameters():
        if any(key.startswith(prefix) for prefix in frozen):
            p.requires_grad_(False)
    model.train(mode == "train")
    x = torch.randn((batch,) + shape, generator=generator, dtype=torch.float64)
    write_case(out_dir, name, model, x, loss, batch, generator)


def write_case(out_dir, name, model, x, loss, batch, generator):
    """One forward of `model` (in its mode) on x, the loss against a random target, backward, and the
    files above."""
    out = model(x)
    target = target_for(loss, tuple(out.shape[1:]), batch, generator)
    value = loss_of(loss, out, target)
    value.backward()
    base = os.path.join(out_dir, name)
    write(base + ".input.bin", x)
    write(base + ".target.bin", target)
    write(base + ".loss.bin", value.detach().reshape(1))
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for _, p in model.named_parameters()]
    write(base + ".grads.bin", torch.cat([g.reshape(-1) for g in grads]))
    state = model.state_dict()
    floating = [t.reshape(-1) for t in state.values() if t.is_floating_point()]
    write(base + ".after.bin", torch.cat(floating))
    tracked = [t.reshape(-1) for t in state.values() if t.dtype == torch.int64]
    write(base + ".tracked.bin", torch.cat(tracked) if tracked else torch.zeros(0, dtype=torch.int64))


def write_gradient_cases(out_dir, cases, seed):
    """Other reference modules (training_*.py) call this with their own GRADIENTS-like dict."""
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(seed)
    for name, (factory, shape, batch, loss, mode, frozen) in cases.items():
        gradient_case(out_dir, name, factory, shape, batch, loss, mode, frozen, generator)


def no_dropout(model):
    """Dropout off (p = 0) and everything else in train() mode, as the C++ twins (Dropout<"0">) run."""
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    return model


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                         nn.Linear(128, 10))


# name: (factory, per-sample input shape, batch)
TRAJECTORIES = {
    "trajectory_mlp": (mlp, (1, 28, 28), 16),
    "trajectory_simple_mnist": (lambda: no_dropout(SimpleMNISTModel()), (1, 28, 28), 8),
    "trajectory_simple_mnist_batch_norm": (lambda: no_dropout(SimpleMNISTModel(batch_norm=True)), (1, 28, 28), 8),
}
STEPS = 50
OPTIMIZERS = {
    "sgd": lambda params: torch.optim.SGD(params, lr=0.01, momentum=0.9),
    "adam": lambda params: torch.optim.Adam(params, lr=1e-3),
}


def floating_state(model):
    return torch.cat([t.reshape(-1) for t in model.state_dict().values() if t.is_floating_point()])


def trajectory_case(out_dir, name, factory, shape, batch, generator):
    torch.manual_seed(1)  # the initial weights: PyTorch's own initialisation
    initial = factory().state_dict()
    base = os.path.join(out_dir, name)
    torch.save(initial, base + ".pth")
    inputs = torch.randn((STEPS, batch) + shape, generator=generator)
    labels = torch.randint(0, 10, (STEPS, batch), generator=generator)
    write(base + ".batches.bin", inputs)
    write(base + ".labels.bin", labels)
    for optimizer_name, make in OPTIMIZERS.items():
        final = {}
        for dtype in (torch.float32, torch.float64):
            model = factory().to(dtype)
            model.load_state_dict(initial)
            model.train()
            optimizer = make(model.parameters())
            for step in range(STEPS):
                optimizer.zero_grad()
                F.cross_entropy(model(inputs[step].to(dtype)), labels[step]).backward()
                optimizer.step()
            final[dtype] = {k: v.detach() for k, v in model.state_dict().items() if v.is_floating_point()}
        write(base + "." + optimizer_name + ".final.bin", torch.cat([v.reshape(-1) for v in final[torch.float32].values()]))
        write(base + "." + optimizer_name + ".final64.bin",
              torch.cat([v.reshape(-1) for v in final[torch.float64].values()]))
        # How far float32 itself takes PyTorch from the exact trajectory, tensor by tensor.
        spread = [((final[torch.float32][k].double() - v).norm() / v.norm()).item() for k, v in final[torch.float64].items()]
        write(base + "." + optimizer_name + ".spread.bin", torch.tensor(spread, dtype=torch.float64))


SCHEDULE_STEPS = 40


def lr_schedules(out_dir):
    """Each group's learning rate after each of SCHEDULE_STEPS scheduler steps, two groups (lr 0.1 and
    0.05): lr_steplr.bin (StepLR, step_size 7, gamma 0.5), lr_cosine.bin (CosineAnnealingLR, T_max 10,
    eta_min 0.001), float64 [SCHEDULE_STEPS][2]."""
    for name, make in [("steplr", lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5)),
                       ("cosine", lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001))]:
        model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
        optimizer = torch.optim.SGD([{"params": model[0].parameters(), "lr": 0.1},
                                     {"params": model[1].parameters(), "lr": 0.05}], lr=0.1)
        schedule = make(optimizer)
        lrs = []
        for _ in range(SCHEDULE_STEPS):
            optimizer.step()
            schedule.step()
            lrs += schedule.get_last_lr()
        write(os.path.join(out_dir, "lr_" + name + ".bin"), torch.tensor(lrs, dtype=torch.float64))


if __name__ == "__main__":
    os.makedirs(sys.argv[1], exist_ok=True)
    lr_schedules(sys.argv[1])
    write_gradient_cases(sys.argv[1], GRADIENTS, 20261130)
    trajectory_generator = torch.Generator().manual_seed(20261201)
    for name, (factory, shape, batch) in TRAJECTORIES.items():
        trajectory_case(sys.argv[1], name, factory, shape, batch, trajectory_generator)
