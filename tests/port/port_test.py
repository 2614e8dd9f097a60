"""typenet-port on small modules: every layer kind typenet has, in one compiled program
(modules.CASES, each checked against PyTorch as `typenet-port --check` does), and the modules it
must refuse, each with a message naming the module's path and type (modules.REFUSED).

    port_test.py [--cxx g++] [--work-dir DIR] [--only NAME ...] [--refusals]
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import modules  # noqa: E402
import torch  # noqa: E402
from typenet_port import PortError, port  # noqa: E402
from typenet_port.check import Case, check  # noqa: E402


def refusals():
    failures = 0
    for name, (factory, words) in modules.REFUSED.items():
        try:
            port(factory(), name=name)
            message = None
        except PortError as e:
            message = str(e)
        missing = [w for w in words if message is None or w not in message]
        if missing:
            failures += 1
            print(f"FAIL refused {name}: message {message!r} lacks {missing}")
        else:
            print(f"ok   refused {name}: {message}")
    return failures == 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cxx")
    p.add_argument("--work-dir")
    p.add_argument("--only", nargs="*", help="check these CASES only")
    p.add_argument("--refusals", action="store_true", help="the refusals only (nothing compiled)")
    a = p.parse_args()
    ok = refusals()
    if a.refusals:
        return 0 if ok else 1
    cases = []
    for name, (factory, shape, tokens) in modules.CASES.items():
        if a.only and name not in a.only:
            continue
        torch.manual_seed(0)
        model = factory()
        header = port(model, name="Net", namespace=f"port_{name}", source=f"tests/port/modules.py {name}")
        cases.append(Case(name="Net", namespace=f"port_{name}", header=header, model=model, input_shape=shape, tokens=tokens))
    ok = check(cases, cxx=a.cxx, work_dir=a.work_dir) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
