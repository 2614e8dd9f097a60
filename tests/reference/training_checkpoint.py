"""Reference data for typenet's training checkpoints (tests/training_checkpoint.cpp), computed by
PyTorch, and the check of the checkpoints typenet writes.

An MLP (nn.Sequential(Linear(6, 16), Tanh(), Linear(16, 4)), typenet's
Sequential<Linear<6, 16>, Tanh, Linear<16, 4>>) learns with F.cross_entropy on BATCHES fixed
batches of SAMPLES samples, step k taking batch k % BATCHES, with each optimizer of CONFIGS.

  make OUTPUT_DIR   writes
    init.pth                the model's initial state_dict (seed 0)
    batches.x.bin           float32 [BATCHES, SAMPLES, 6], raw little-endian
    batches.y.bin           int64 [BATCHES, SAMPLES]
    <config>.step20.pth     {'epoch': 20, 'model_state_dict', 'optimizer_state_dict'} after 20 steps
    <config>.step40.pth     the same after 40 steps straight (epoch 40)
    adam.bad_shape.pth      adam.step20.pth with parameter 0's exp_avg of the wrong shape
    sgd.no_optimizer.pth    {'epoch', 'model_state_dict'} only
  check OUTPUT_DIR  for each config, reads <config>.typenet20.pth, the checkpoint typenet saved after
                    20 steps, into a fresh model and optimizer (made with other hyper-parameters:
                    the file's must win), trains 20 more steps and compares the parameters with
                    <config>.typenet40.pth, typenet's state_dict after 40 steps straight; also checks
                    that the file's layout is PyTorch's own (keys, order, dtypes, shapes) and that
                    torch.load(weights_only=True) reads it exactly when it reads PyTorch's own file;
                    and that adam.float64.pth, a float64 model's checkpoint, loads with its dtypes.
"""
import copy
import os
import pickletools
import sys
import zipfile

import torch
import torch.nn as nn
import torch.nn.functional as F

BATCHES, SAMPLES = 4, 16
TOLERANCE = 1e-5  # max |difference| / max |expected|, per tensor


def make_model():
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 4))


# name -> (make the optimizer, freeze the first Linear). The hyper-parameters given to `other` are
# not the real ones: loading a checkpoint must bring those back.
def sgd(m, other=False):
    return torch.optim.SGD(m.parameters(), lr=0.5 if other else 0.05, momentum=0.1 if other else 0.9,
                           nesterov=not other, weight_decay=0 if other else 1e-3)


def sgd_plain(m, other=False):
    return torch.optim.SGD(m.parameters(), lr=0.01 if other else 0.1)  # the frozen Linear gets no state


def adam(m, other=False):
    return torch.optim.Adam([{"params": m[0].parameters(), "lr": 1e-3 if other else 1e-2},
                             {"params": m[2].parameters(), "lr": 1e-3 if other else 5e-3,
                              "weight_decay": 0 if other else 1e-4}],
                            betas=(0.9, 0.999) if other else (0.8, 0.99))


def adamw(m, other=False):
    return torch.optim.AdamW(m.parameters(), lr=1e-3 if other else 1e-2, weight_decay=0.01 if other else 0.05,
                             amsgrad=True)


CONFIGS = {"sgd": (sgd, False), "sgd_plain": (sgd_plain, True), "adam": (adam, False), "adamw": (adamw, False)}


def batches():
    g = torch.Generator().manual_seed(1)
    return torch.randn(BATCHES, SAMPLES, 6, generator=g), torch.randint(0, 4, (BATCHES, SAMPLES), generator=g)


def model_for(config, state_dict):
    m = make_model()
    m.load_state_dict(state_dict)
    if CONFIGS[config][1]:
        m[0].requires_grad_(False)
    return m


def train(m, optimizer, x, y, first, last):
    for k in range(first, last):
        optimizer.zero_grad()
        F.cross_entropy(m(x[k % BATCHES]), y[k % BATCHES]).backward()
        optimizer.step()


def checkpoint(m, optimizer, epoch):
    return {"epoch": epoch, "model_state_dict": m.state_dict(), "optimizer_state_dict": optimizer.state_dict()}


def make(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    init = make_model().state_dict()
    torch.save(init, f"{out}/init.pth")
    x, y = batches()
    x.numpy().tofile(f"{out}/batches.x.bin")
    y.numpy().tofile(f"{out}/batches.y.bin")
    for config, (make_optimizer, _) in CONFIGS.items():
        m = model_for(config, init)
        optimizer = make_optimizer(m)
        train(m, optimizer, x, y, 0, 20)
        torch.save(checkpoint(m, optimizer, 20), f"{out}/{config}.step20.pth")
        if config == "adam":
            bad = copy.deepcopy(checkpoint(m, optimizer, 20))  # state_dict() shares the optimizer's dicts
            bad["optimizer_state_dict"]["state"][0]["exp_avg"] = torch.zeros(3)
            torch.save(bad, f"{out}/adam.bad_shape.pth")
        if config == "sgd":
            torch.save({"epoch": 20, "model_state_dict": m.state_dict()}, f"{out}/sgd.no_optimizer.pth")
        train(m, optimizer, x, y, 20, 40)
        torch.save(checkpoint(m, optimizer, 40), f"{out}/{config}.step40.pth")


def layout(c):
    """What a checkpoint dict holds, without values: keys, order, types, dtypes, shapes."""
    def of(v):
        if torch.is_tensor(v):
            return ("tensor", v.dtype, tuple(v.shape))
        if isinstance(v, dict):
            return (type(v).__name__, [(k, of(x)) for k, x in v.items()])
        if isinstance(v, (list, tuple)):
            return (type(v).__name__, [of(x) for x in v])
        return (type(v).__name__ if v is not None else "None",)
    o = c["optimizer_state_dict"]
    # PyTorch writes ints for some defaults (momentum=0) where typenet writes floats; both are numbers.
    # A group's keys come in the order the group was given them, then the defaults': compared as sets
    # here, their order in check().
    groups = [sorted((k, "number" if isinstance(v, (int, float)) and not isinstance(v, bool) else of(v))
                     for k, v in g.items() if k != "params") for g in o["param_groups"]]
    return (list(c.keys()), of(c["model_state_dict"]), c["model_state_dict"]._metadata,
            of(o["state"]), groups, [g["params"] for g in o["param_groups"]])


def weights_only_error(path):
    try:
        torch.load(path, weights_only=True)
        return None
    except Exception as e:  # PyTorch 1.13's weights_only loader refuses floats (BINFLOAT), in its own files too
        return str(e)


# The opcodes of torch's weights_only unpickler (torch/_weights_only_unpickler.py), and BINFLOAT,
# which PyTorch 1.13's lacks: in 1.13 weights_only=True refuses every checkpoint with a float in it,
# PyTorch's own optimizer.state_dict() included (check() requires the same outcome for both files).
WEIGHTS_ONLY_OPCODES = {
    "PROTO", "STOP", "GLOBAL", "REDUCE", "BUILD", "NEWOBJ", "MARK", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3",
    "EMPTY_TUPLE", "EMPTY_LIST", "EMPTY_DICT", "EMPTY_SET", "APPEND", "APPENDS", "SETITEM", "SETITEMS", "NONE",
    "NEWTRUE", "NEWFALSE", "BININT", "BININT1", "BININT2", "LONG1", "BINFLOAT", "BINUNICODE", "SHORT_BINSTRING",
    "BINPERSID", "BINPUT", "LONG_BINPUT", "BINGET", "LONG_BINGET"}
WEIGHTS_ONLY_GLOBALS = {"collections OrderedDict", "torch._utils _rebuild_tensor_v2", "torch FloatStorage",
                        "torch DoubleStorage"}


def pickle_outside_weights_only(path):
    with zipfile.ZipFile(path) as z:
        data = z.read(next(n for n in z.namelist() if n.endswith("/data.pkl")))
    return sorted({f"{op.name} {arg}" if op.name == "GLOBAL" and arg not in WEIGHTS_ONLY_GLOBALS else op.name
                   for op, arg, _ in pickletools.genops(data)
                   if op.name not in WEIGHTS_ONLY_OPCODES or (op.name == "GLOBAL" and arg not in WEIGHTS_ONLY_GLOBALS)})


def check(out):
    x, y = batches()
    failures = 0
    for config, (make_optimizer, _) in CONFIGS.items():
        path = f"{out}/{config}.typenet20.pth"
        ours = torch.load(path)
        theirs = torch.load(f"{out}/{config}.step20.pth")
        if layout(ours) != layout(theirs):
            print(f"{config}: the layout of {path} is not PyTorch's:\n  typenet {layout(ours)}\n  PyTorch {layout(theirs)}")
            failures += 1
        ours_error, theirs_error = weights_only_error(path), weights_only_error(f"{out}/{config}.step20.pth")
        if (ours_error is None) != (theirs_error is None) or (ours_error and ours_error != theirs_error):
            print(f"{config}: torch.load(weights_only=True): typenet's file: {ours_error}; PyTorch's: {theirs_error}")
            failures += 1
        outside = pickle_outside_weights_only(path)
        if outside:
            print(f"{config}: {path} uses what torch's weights_only loader refuses: {outside}")
            failures += 1
        if ours["epoch"] != 20:
            print(f"{config}: epoch {ours['epoch']}, not 20")
            failures += 1
        m = model_for(config, torch.load(f"{out}/init.pth"))
        optimizer = make_optimizer(m, other=True)
        # typenet writes every group's hyper-parameters in the order of PyTorch's defaults.
        for g in ours["optimizer_state_dict"]["param_groups"]:
            if list(g.keys()) != list(optimizer.defaults.keys()) + ["params"]:
                print(f"{config}: the hyper-parameters' order {list(g.keys())} is not PyTorch's "
                      f"{list(optimizer.defaults.keys())}")
                failures += 1
        m.load_state_dict(ours["model_state_dict"])
        optimizer.load_state_dict(ours["optimizer_state_dict"])
        train(m, optimizer, x, y, 20, 40)
        expected = torch.load(f"{out}/{config}.typenet40.pth")
        for key, value in m.state_dict().items():
            error = ((value - expected[key]).abs().max() / expected[key].abs().max()).item()
            print(f"{config} {key}: PyTorch resumed from typenet's checkpoint vs typenet 40 steps: {error:.3g}")
            if not error <= TOLERANCE:
                failures += 1
    # A float64 model's checkpoint: its state in float64, 'step' in float32, as PyTorch keeps them.
    c = torch.load(f"{out}/adam.float64.pth")
    m = make_model().double()
    m.load_state_dict(c["model_state_dict"])
    optimizer = adam(m)
    optimizer.load_state_dict(c["optimizer_state_dict"])
    dtypes = {(k, v.dtype) for s in optimizer.state_dict()["state"].values() for k, v in s.items()}
    if dtypes != {("step", torch.float32), ("exp_avg", torch.float64), ("exp_avg_sq", torch.float64)} or \
            any(v.dtype != torch.float64 for v in c["model_state_dict"].values()) or c["epoch"] != 40:
        print(f"adam.float64.pth: epoch {c['epoch']}, dtypes {dtypes}")
        failures += 1
    train(m, optimizer, x.double(), y, 40, 41)  # it trains on
    if failures:
        sys.exit(f"{failures} failures")


if __name__ == "__main__":
    {"make": make, "check": check}[sys.argv[1]](sys.argv[2])
