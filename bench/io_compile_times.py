"""What loading and saving cost the compiler, header-only and with the I/O compiled once
(TYPENET_SEPARATE_IO and the typenet::io library, include/typenet/detail/io_linkage.hpp).

Three translation units, each compiled header-only and with -DTYPENET_SEPARATE_IO:
  forward     a minimal model, Sequential<Flatten, Linear<784, 10>> on 1x28x28, and a forward pass
  load_save   the same plus load_state_dict(model, "x.pth") and save_state_dict(model, "y.pth")
  seed        the seed's SimpleMNISTModel (examples/simple_mnist_model.hpp), a load, a forward, a save
and src/typenet_io.cpp, the library's one translation unit, which is compiled once per build.
Each compile runs --repeat times and the least user CPU time counts (GNU time's %U: the machine
may be shared, and other work only adds to it). Compile only: nothing is linked or run.

Usage: io_compile_times.py [--compiler g++] [--flags "-std=gnu++20 -O2 -march=native"] [--repeat 3]
                           [--json OUTPUT.json]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MINIMAL = """#include <memory>

#include <typenet/typenet.hpp>

using Net = typenet::Sequential<typenet::Flatten, typenet::Linear<784, 10>>;
using M = typenet::Model<Net, typenet::Input<1, 28, 28>>;
"""
SEED = """#include <memory>

#include <typenet/typenet.hpp>

#include "simple_mnist_model.hpp"

using M = typenet::Model<SimpleMNISTModel<>, typenet::Input<1, 28, 28>>;
"""
FORWARD = """
int main() {
    auto model = std::make_unique<M>();
    const M::output_type y = model->forward(M::input_type{});
    return y[0] > 0;
}
"""
LOAD_SAVE = """
int main() {
    auto model = std::make_unique<M>();
    typenet::load_state_dict(*model, "x.pth");
    const M::output_type y = model->forward(M::input_type{});
    typenet::save_state_dict(*model, "y.pth");
    return y[0] > 0;
}
"""
UNITS = {"forward": MINIMAL + FORWARD, "load_save": MINIMAL + LOAD_SAVE, "seed": SEED + LOAD_SAVE}


def user_seconds(command, repeat):
    best = None
    for _ in range(repeat):
        run = subprocess.run(["/usr/bin/time", "-f", "%U %M", *command], capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"io_compile_times.py: failed: {' '.join(command)}\n{run.stderr[-2000:]}")
        user, kb = run.stderr.strip().splitlines()[-1].split()
        if best is None or float(user) < best[0]:
            best = (float(user), int(kb))
    return {"user_s": best[0], "peak_mib": round(best[1] / 1024, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compiler", default="g++")
    parser.add_argument("--flags", default="-std=gnu++20 -O2 -march=native")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args()
    if not os.access("/usr/bin/time", os.X_OK):
        sys.exit("io_compile_times.py: needs GNU time (/usr/bin/time): apt-get install time")
    base = [args.compiler, *args.flags.split(), "-I", os.path.join(ROOT, "include"), "-I",
            os.path.join(ROOT, "examples"), "-c", "-o", os.devnull]
    version = subprocess.run([args.compiler, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    report = {"compiler": version, "flags": args.flags, "repeat": args.repeat, "units": {}}
    print(f"{version}, {args.flags}, least user CPU of {args.repeat}")
    with tempfile.TemporaryDirectory(prefix="typenet-io-compile-times-") as work:
        for name, text in UNITS.items():
            src = os.path.join(work, name + ".cpp")
            with open(src, "w") as f:
                f.write(text)
            inline = user_seconds([*base, src], args.repeat)
            separate = user_seconds([*base, "-DTYPENET_SEPARATE_IO", src], args.repeat)
            report["units"][name] = {"header_only": inline, "separate_io": separate}
            print(f"{name:10} header-only {inline['user_s']:6.2f} s {inline['peak_mib']:6.0f} MiB   "
                  f"TYPENET_SEPARATE_IO {separate['user_s']:6.2f} s {separate['peak_mib']:6.0f} MiB", flush=True)
        library = user_seconds([*base, os.path.join(ROOT, "src", "typenet_io.cpp")], args.repeat)
        report["library"] = library
        print(f"src/typenet_io.cpp (once per build) {library['user_s']:6.2f} s {library['peak_mib']:6.0f} MiB")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
