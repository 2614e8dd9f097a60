"""Turns the benchmark suite's output into the published results: a markdown table, a JSON summary
and a PNG chart (latency, throughput and % of peak per model and configuration; typenet, LibTorch,
ONNX Runtime), with a description of the machine and the date. The rows are each model's (batch,
threads) configurations as manifest.json lists them (model_zoo.MODELS). Run with /usr/bin/python3 (Debian's
python3-matplotlib). scripts/bench.sh calls it; by hand:

    report.py --benchmark BENCH.json --manifest DATA/manifest.json [--ort ORT.json]
              [--compile-times COMPILE.json] [--step-benchmark STEP.json
              --sequence-manifest DATA/sequence/manifest.json] --out-dir bench/results

With --step-benchmark (typenet_step_bench's JSON) and --sequence-manifest, the results get a
"Sequence models" table too (typenet, LibTorch, and ONNX Runtime from the --ort JSON's
sequence_results). --sequence-only writes that table alone into the existing results: it replaces
the "sequence" entry of OUT_DIR/results.json and rewrites results.md from it, leaving every other
figure (and chart.png) as the earlier full run wrote them; --benchmark and --manifest are then not
needed.

Statistics: each benchmark ran several repetitions; "median" and "min" are over the repetitions'
mean time per batch. images/s, GFLOP/s and % of peak use the median. The peak is the best
single-core figure of the peak_fma benchmark of the same run; % of peak with 2 threads divides by
twice that.
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess

PEERS = [("typenet", "typenet"), ("libtorch", "LibTorch"), ("onnxruntime", "ONNX Runtime")]
COLORS = {"typenet": "#1f77b4", "libtorch": "#d62728", "onnxruntime": "#2ca02c"}
NAME = re.compile(r"^(typenet|libtorch)/(\w+)/batch:(\d+)/threads:(\d+)")
# typenet_step_bench's PEER/MODEL/WHAT, and what each WHAT is.
SEQUENCE_NAME = re.compile(r"^(typenet|libtorch)/(\w+)/([\w:]+)$")
SEQUENCE_WHAT = {"step": "one step, state carried (batch 1)", "1000_steps": "1,000 steps (batch 1)",
                 "batch:1": "sequence 64, batch 1", "batch:16": "sequence 64, batch 16",
                 "sample": "one sample (batch 1)"}
RTNEURAL_TITLE = ("RTNeural's benchmark network (Linear 1-8, tanh, Conv1d 8-4 k3 d2, tanh, GRU 4-8, Linear 8-1; "
                  "examples/realtime)")
UNIT = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
# Targets of the compile-time issue (CPU seconds, MiB): GCC at 128 layers, the SimpleMNIST example,
# and a program holding torchvision's resnet18 at 224x224.
TARGET_128 = (30.0, 2048.0)
TARGET_EXAMPLE = (15.0, 1536.0)
TARGET_TORCHVISION = {"resnet18": (20.0, 2048.0)}


def command_output(*command):
    try:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def package_version(name):
    return command_output("dpkg-query", "-W", "-f=${Version}", name) or "not installed"


def lscpu_fields():
    fields = {}
    for line in command_output("lscpu").splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def machine(benchmark_context, ort_context):
    lscpu = lscpu_fields()
    flags = set(lscpu.get("Flags", "").split())
    wanted = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
              "avx512_fp16", "amx_tile"]
    return {
        "cpu": lscpu.get("Model name", platform.processor()),
        "cores": lscpu.get("CPU(s)", "?"),
        "caches": ", ".join(f"{k} {lscpu[k]}" for k in ("L1d cache", "L2 cache", "L3 cache") if k in lscpu),
        "hypervisor": lscpu.get("Hypervisor vendor", "none"),
        "flags": " ".join(f for f in wanted if f in flags),
        "os": command_output("sh", "-c", ". /etc/os-release && echo $PRETTY_NAME") or platform.platform(),
        "kernel": platform.release(),
        "gcc": (command_output("g++", "--version").splitlines() or ["not installed"])[0],
        "clang": (command_output("clang++", "--version").splitlines() or ["not installed"])[0],
        "libtorch": benchmark_context.get("libtorch_version", "?") + " (Debian libtorch-dev "
                    + package_version("libtorch-dev") + ")",
        "blas": benchmark_context.get("libtorch_blas", "?") + " (libopenblas0-openmp "
                + package_version("libopenblas0-openmp") + ")",
        "google_benchmark": package_version("libbenchmark-dev") + " (library built as "
                            + benchmark_context.get("library_build_type", "?") + ")",
        "onnxruntime": (f"onnxruntime-node {ort_context['onnxruntime_version']}, Node {ort_context['node_version']}"
                        if ort_context else "not run"),
        "typenet_simd": benchmark_context.get("typenet_simd", "?"),
        "load_average": benchmark_context.get("load_avg", []),
    }


def read_benchmarks(path):
    with open(path) as f:
        data = json.load(f)
    runs, peak, peak_2, loads = {}, [], [], {}
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b["run_name"]
        if name.startswith("load/"):
            loads.setdefault(name.split("/")[1], []).append(b.get("bytes_per_second", 0.0))
            continue
        if name.startswith("peak_fma/"):
            if "/512-bit/" in name or "/256-bit/" in name or "/scalar/" in name:
                width = name.split("/")[1]
                (peak if b["threads"] == 1 else peak_2).append((width, b.get("GFLOP/s", 0.0)))
            continue
        m = NAME.match(name)
        if not m:
            continue
        key = (m.group(1), m.group(2), int(m.group(3)), int(m.group(4)))
        run = runs.setdefault(key, {"times": [], "error": None})
        if b.get("error_occurred"):
            run["error"] = b.get("error_message", "error")
        else:
            run["times"].append(b["real_time"] * UNIT[b["time_unit"]])
    return data["context"], runs, peak, peak_2, loads


def read_ort(path):
    if not path or not os.path.exists(path):
        return None, {}, None
    with open(path) as f:
        data = json.load(f)
    runs = {("onnxruntime", r["model"], r["batch"], r["threads"]): {"times": r["times_s"], "error": None}
            for r in data["results"]}
    for e in data.get("errors", []):
        m = re.match(r"onnxruntime/(\w+)/batch:(\d+)/threads:(\d+)", e)
        if m:
            runs[("onnxruntime", m.group(1), int(m.group(2)), int(m.group(3)))] = {"times": [], "error": e}
    return data["context"], runs, data.get("call_overhead")


def summarise(runs, models, peak_flops):
    rows = []
    for model in models:
        for configuration in model["configurations"]:
            batch, threads = configuration["batch"], configuration["threads"]
            flops = model["flops_per_image"] * batch
            row = {"model": model["name"], "title": model["title"], "batch": batch, "threads": threads,
                   "flops_per_batch": flops, "peak_bound_s": flops / (threads * peak_flops), "peers": {}}
            for peer, _ in PEERS:
                run = runs.get((peer, model["name"], batch, threads))
                if run is None:
                    continue
                if run["error"] or not run["times"]:
                    row["peers"][peer] = {"status": "not implemented" if (run["error"] or "").startswith(
                        "not implemented") else "error", "message": run["error"]}
                    continue
                median = statistics.median(run["times"])
                row["peers"][peer] = {
                    "status": "ok", "repetitions": len(run["times"]), "min_s": min(run["times"]), "median_s": median,
                    "images_per_s": batch / median, "gflops": flops / median / 1e9,
                    "percent_of_peak": 100 * flops / median / (threads * peak_flops),
                }
            rows.append(row)
    return rows


def read_step_benchmarks(path):
    """typenet_step_bench's Google Benchmark JSON: its context and {(peer, model, what): run}."""
    with open(path) as f:
        data = json.load(f)
    runs = {}
    for b in data["benchmarks"]:
        m = SEQUENCE_NAME.match(b["run_name"])
        if b.get("run_type") != "iteration" or not m:
            continue
        run = runs.setdefault(m.groups(), {"times": [], "error": None})
        if b.get("error_occurred"):
            run["error"] = b.get("error_message", "error")
        else:
            run["times"].append(b["real_time"] * UNIT[b["time_unit"]])
    return data["context"], runs


def read_ort_sequence(path):
    """bench_ort.js's sequence rows: its context, {("onnxruntime", model, what): run} and the call overhead."""
    if not path or not os.path.exists(path):
        return None, {}, None
    with open(path) as f:
        data = json.load(f)
    runs = {("onnxruntime", r["model"], r["what"]): {"times": r["times_s"], "error": None}
            for r in data.get("sequence_results", [])}
    for e in data.get("errors", []):
        m = re.match(r"onnxruntime/(\w+)/([\w:]+): ", e)
        if m:
            runs[("onnxruntime", m.group(1), m.group(2))] = {"times": [], "error": e}
    return data["context"], runs, data.get("call_overhead")


def sequence_summary(step_path, sequence_manifest_path, ort_path):
    """The "Sequence models" table's data: one row per model and what was timed (sequence_zoo.MODELS'
    order), then RTNeural's network (typenet only), with the machine it ran on."""
    with open(sequence_manifest_path) as f:
        models = json.load(f)["models"]
    context, runs = read_step_benchmarks(step_path)
    ort_context, ort_runs, call_overhead = read_ort_sequence(ort_path)
    runs.update(ort_runs)
    lscpu = lscpu_fields()
    keys = []
    for model in models:
        whats = ([f"batch:{b}" for b in model["batches"]] if model["kind"] == "transformer"
                 else ["step", f"{model['steps']}_steps"])
        keys += [(model["name"], model["title"], what) for what in whats]
    keys.append(("rtneural", RTNEURAL_TITLE, "sample"))
    rows = []
    for name, title, what in keys:
        row = {"model": name, "title": title, "what": what, "description": SEQUENCE_WHAT.get(what, what), "peers": {}}
        for peer, _ in PEERS:
            run = runs.get((peer, name, what))
            if run is None:
                continue
            if run["error"] or not run["times"]:
                row["peers"][peer] = {"status": "error", "message": run["error"]}
                continue
            row["peers"][peer] = {"status": "ok", "repetitions": len(run["times"]), "min_s": min(run["times"]),
                                  "median_s": statistics.median(run["times"])}
        rows.append(row)
    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": lscpu.get("Model name", platform.processor()),
        "cores": lscpu.get("CPU(s)", "?"),
        "load_average": context.get("load_avg", []),
        "libtorch": context.get("libtorch_version", "?"),
        "onnxruntime": (f"onnxruntime-node {ort_context['onnxruntime_version']}, Node {ort_context['node_version']}"
                        if ort_context else "not run"),
        "ort_call_overhead_s": statistics.median(call_overhead["times_s"]) if call_overhead else None,
        "rows": rows,
    }


def sequence_time(seconds):
    if seconds < 1e-5:
        return f"{seconds * 1e6:.2f} us"
    return fmt_time(seconds)


def sequence_markdown(seq):
    if not seq:
        return []
    overhead = seq.get("ort_call_overhead_s")
    load = seq["load_average"]
    out = ["", "## Sequence models", "",
           f"CPU: **{seq['cpu']}** ({seq['cores']} CPUs), one thread for every peer; run on {seq['date']} "
           "(`scripts/bench.sh --only=sequence` reruns this table alone); load average when it started: "
           + (", ".join(f"{x:.2f}" for x in load) if load else "?")
           + (" (others were using the machine: times are noisy)" if load and load[0] > 0.5 else "") + ".",
           "Median time per call over the repetitions (min in results.json). Weights and inputs are "
           "bench/sequence_zoo.py's (PyTorch), and every peer's outputs were checked against PyTorch's "
           "before timing (1e-4 of the output's scale). typenet: `Stream::step` for one step, `Model::forward` "
           f"otherwise. LibTorch {seq['libtorch']}: the C++ frontend's `torch::nn::GRU` / `LSTM` called on a "
           "one-step sequence with the state carried, or on the whole sequence; the encoder as frozen TorchScript "
           "traced under `no_grad`, which runs PyTorch's fused inference kernel "
           "(`aten::_transformer_encoder_layer_fwd`). ONNX Runtime "
           f"({seq['onnxruntime']}): from Node, the state (h_n, c_n) each call returns fed back as the next "
           "call's input from JavaScript, each call's overhead included ("
           + (f"{sequence_time(overhead)} per call on a model of one ReLU" if overhead else "not measured")
           + ").", "",
           "| Model | What | typenet | LibTorch | ONNX Runtime |", "|---|---|---:|---:|---:|"]

    def cell(p):
        if p is None:
            return "not run"
        return sequence_time(p["median_s"]) if p["status"] == "ok" else p["status"]

    for r in seq["rows"]:
        out.append(f"| {r['title']} | {r['description']} | "
                   + " | ".join(cell(r["peers"].get(p)) if p == "typenet" or r["model"] != "rtneural" else "n/a"
                                for p, _ in PEERS) + " |")
    out += ["", "The TransformerEncoder is `nn.TransformerEncoder(nn.TransformerEncoderLayer(128, 4, "
            "batch_first=True), 2)`: PyTorch's defaults (dim_feedforward 2048, relu, post-norm, no final norm), "
            "in eval() mode. RTNeural's network runs in typenet only (random weights; its peers are RTNeural's own "
            "benchmarks, not part of this suite)."]
    return out


def fmt_time(seconds):
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} us"


def cell(peer_result):
    if peer_result is None:
        return "not run"
    if peer_result["status"] != "ok":
        return peer_result["status"]
    return f"{fmt_time(peer_result['median_s'])} ({peer_result['percent_of_peak']:.1f} %)"


def markdown(summary):
    m, peak = summary["machine"], summary["peak"]
    out = [
        "# typenet benchmark results", "",
        f"Generated by `scripts/bench.sh` on {summary['date']}.", "",
        "## Machine", "",
        f"- CPU: {m['cpu']} ({m['cores']} CPUs; {m['caches']}; hypervisor: {m['hypervisor']})",
        f"- Flags: {m['flags']}",
        f"- OS: {m['os']}, kernel {m['kernel']}",
        f"- Compilers: {m['gcc']}; {m['clang']}",
        f"- typenet: {m['typenet_simd']} (`-march=native`), GCC, Release (`-O3`)",
        f"- LibTorch: {m['libtorch']}, with OpenBLAS: {m['blas']}",
        f"- ONNX Runtime: {m['onnxruntime']}",
        f"- Google Benchmark: {m['google_benchmark']}",
        f"- Load average when the suite started: {', '.join(f'{x:.2f}' for x in m['load_average'])}"
        + (" (others were using the machine: times are noisy, look at min as well as median)"
           if m["load_average"] and m["load_average"][0] > 0.5 else ""),
        "",
        "## Peak", "",
        f"One core's measured fp32 FMA throughput: **{peak['gflops_per_core']:.1f} GFLOP/s** "
        f"({peak['width']} vectors; per second of thread CPU time, best of the repetitions)."
        + "".join(f" {w}: {g:.1f} GFLOP/s." for w, g in peak["all_widths"].items() if w != peak["width"])
        + (f" Both cores together: {peak['two_cores']:.1f} GFLOP/s." if peak.get("two_cores") else ""),
        "Peak bound = model FLOPs / (threads x that figure); FLOPs count the multiply-adds of Conv2d and "
        "Linear as 2 each (bench/flops.hpp).", "",
        "## Latency per batch", "",
        "Median time per batch over the repetitions, and in parentheses the share of the peak it reaches. "
        "LibTorch runs TorchScript, frozen and `optimize_for_inference` where that works, under "
        "InferenceMode, with OpenBLAS; ONNX Runtime runs from Node, call overhead included "
        f"({fmt_time(summary['ort_call_overhead_s']) if summary.get('ort_call_overhead_s') else 'not measured'} "
        "per call, measured on a model of one ReLU).", "",
        "| Model | Batch | Threads | MFLOP/batch | Peak bound | typenet | LibTorch | ONNX Runtime |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in summary["rows"]:
        out.append(f"| {r['title']} | {r['batch']} | {r['threads']} | {r['flops_per_batch'] / 1e6:.1f} | "
                   f"{fmt_time(r['peak_bound_s'])} | " + " | ".join(cell(r["peers"].get(p)) for p, _ in PEERS) + " |")
    out += ["", "## Details", "",
            "| Model | Batch | Threads | Peer | min | median | images/s | GFLOP/s | % of peak |",
            "|---|---:|---:|---|---:|---:|---:|---:|---:|"]
    for r in summary["rows"]:
        for peer, label in PEERS:
            p = r["peers"].get(peer)
            if p is None:
                continue
            if p["status"] != "ok":
                out.append(f"| {r['title']} | {r['batch']} | {r['threads']} | {label} | {p['status']} | | | | |")
                continue
            out.append(f"| {r['title']} | {r['batch']} | {r['threads']} | {label} | {fmt_time(p['min_s'])} | "
                       f"{fmt_time(p['median_s'])} | {p['images_per_s']:,.0f} | {p['gflops']:.2f} | "
                       f"{p['percent_of_peak']:.1f} |")
    notes = [f"- {k}: {v}" for k, v in summary["libtorch_modes"].items()]
    if notes:
        out += ["", "LibTorch's mode per model:", ""] + notes
    if any(r["peers"].get("typenet", {}).get("status") == "not implemented" for r in summary["rows"]):
        out += ["", "typenet with 2 threads: not implemented in this build (no OpenMP); no figure is given rather "
                "than repeating the 1-thread one."]
    else:
        out += ["", "typenet with 2 threads: OpenMP (`omp_set_num_threads`), over groups of samples of a batch "
                "(include/typenet/module.hpp) and over the rows of large matrix products, convolutions' and Linear "
                "layers' (include/typenet/detail/kernels/gemm.hpp, detail/fusion.hpp), which a batch of one sample uses too; "
                "LibTorch: `torch::set_num_threads`; ONNX Runtime: `intraOpNumThreads`."]
    out += sequence_markdown(summary.get("sequence"))
    out += load_markdown(summary.get("load_gb_per_s"))
    out += compile_markdown(summary.get("compile_times"))
    out += ["", "![chart](chart.png)", ""]
    return "\n".join(out)


def load_markdown(loads):
    if not loads:
        return []
    labels = {"pth": "zip .pth (`load_state_dict`)", "safetensors": "safetensors (`load_state_dict`)",
              "pth_in_memory": "zip .pth held in memory (embedded weights)",
              "safetensors_in_memory": "safetensors held in memory (embedded weights)",
              "memcpy": "memcpy of the same bytes into the model"}
    out = ["", "## Loading a checkpoint", "",
           "A state_dict of 100.7 MB of float32 parameters (Linear 4096x4096 and 4096x2048), read from the "
           "page cache and loaded into the model (file read, parsing, validation, copy), median of the "
           "repetitions (bench/load_speed.cpp):", "",
           "| What | GB/s |", "|---|---:|"]
    for key in ("pth", "safetensors", "pth_in_memory", "safetensors_in_memory", "memcpy"):
        if key in loads:
            out.append(f"| {labels[key]} | {loads[key]:.2f} |")
    return out


def compile_markdown(ct):
    if not ct:
        return ["", "## Compile time", "", "Not measured in this run (`scripts/bench.sh --no-compile-times`)."]
    compilers = list(ct["compilers"])
    out = ["", "## Compile time", "",
           f"One translation unit per model, `{ct['flags']}`, measured with GNU time: wall-clock and CPU "
           "(user + system) seconds, peak resident memory of the compiler, text size of the linked program. "
           "Generated models are DEPTH weight layers each followed by a ReLU: "
           + "; ".join(f"{k}: {v}" for k, v in ct["families"].items()) + ". A torchvision row is a program "
           "holding that network (examples/torchvision/) at 224x224 that loads a .pth file given on its command "
           "line and runs one forward pass. Targets are judged on CPU seconds, which other processes on the "
           "machine do not inflate.", ""]
    header = "| Model | Depth | " + " | ".join(f"{c} wall | {c} CPU | {c} memory | {c} text" for c in compilers) + " |"
    out += [header, "|---|---:|" + "---:|" * (4 * len(compilers))]

    def fields(r):
        if r is None:
            return ["", "", "", ""]
        if r["status"] == "timeout":
            return [f"timeout ({r['wall_s']:.0f} s)", "", "", ""]
        status = "" if r["status"] == "ok" else " (failed)"
        return [f"{r['wall_s']:.1f} s{status}", f"{r['cpu_s']:.1f} s", f"{r['peak_mib']:.0f} MiB",
                f"{r.get('text_bytes', 0) / 1024:.1f} KiB" if r["status"] == "ok" else ""]

    example = {r["compiler"]: r for r in ct["example"]}
    out.append("| SimpleMNIST example | | " + " | ".join(" | ".join(fields(example.get(c))) for c in compilers) + " |")
    torchvision = {(r["model"], r["compiler"]): r for r in ct.get("torchvision", [])}
    for model in dict.fromkeys(r["model"] for r in ct.get("torchvision", [])):
        out.append(f"| torchvision {model} (224x224, loads a .pth) | | "
                   + " | ".join(" | ".join(fields(torchvision.get((model, c)))) for c in compilers) + " |")
    by_key = {(r["family"], r["depth"], r["compiler"]): r for r in ct["models"]}
    families = list(ct["families"])
    depths = sorted({r["depth"] for r in ct["models"]})
    for family in families:
        for depth in depths:
            out.append(f"| {family} | {depth} | " + " | ".join(" | ".join(fields(by_key.get((family, depth, c))))
                                                             for c in compilers) + " |")
    out += ["", "Growth: CPU seconds per added layer between successive depths (flat means linear growth).", "",
            "| Model | Compiler | " + " | ".join(f"{a}->{b}" for a, b in zip(depths, depths[1:])) + " |",
            "|---|---|" + "---:|" * (len(depths) - 1)]
    for family in families:
        for c in compilers:
            steps = []
            for a, b in zip(depths, depths[1:]):
                ra, rb = by_key.get((family, a, c)), by_key.get((family, b, c))
                ok = ra and rb and ra["status"] == "ok" and rb["status"] == "ok"
                steps.append(f"{(rb['cpu_s'] - ra['cpu_s']) / (b - a) * 1000:.0f} ms" if ok else "")
            out.append(f"| {family} | {c} | " + " | ".join(steps) + " |")
    out += ["", "Targets:", ""]
    gcc = next((c for c in compilers if "g++" in c and "clang" not in c), None)
    checks = []
    if gcc:
        for family in families:
            r = by_key.get((family, 128, gcc))
            if r:
                ok = r["status"] == "ok" and r["cpu_s"] <= TARGET_128[0] and r["peak_mib"] <= TARGET_128[1]
                checks.append(f"- {family}, 128 layers, GCC: <= 30 s and <= 2 GB: "
                              f"{'met' if ok else 'NOT met'} ({r.get('cpu_s', '?')} s, {r.get('peak_mib', '?')} MiB)")
        r = example.get(gcc)
        if r:
            ok = r["status"] == "ok" and r["cpu_s"] <= TARGET_EXAMPLE[0] and r["peak_mib"] <= TARGET_EXAMPLE[1]
            checks.append(f"- SimpleMNIST example, GCC: <= 15 s and <= 1.5 GB: {'met' if ok else 'NOT met'} "
                          f"({r.get('cpu_s', '?')} s, {r.get('peak_mib', '?')} MiB, text {r.get('text_bytes', '?')} bytes)")
        for model, (seconds, mib) in TARGET_TORCHVISION.items():
            r = torchvision.get((model, gcc))
            if r:
                ok = r["status"] == "ok" and r["cpu_s"] <= seconds and r["peak_mib"] <= mib
                checks.append(f"- torchvision {model} at 224x224, GCC: <= {seconds:.0f} s and <= {mib / 1024:.0f} GB: "
                              f"{'met' if ok else 'NOT met'} ({r.get('cpu_s', '?')} s, {r.get('peak_mib', '?')} MiB, "
                              f"wall {r.get('wall_s', '?')} s)")
    for family in families:
        for c in compilers:
            r = by_key.get((family, 512, c))
            if r:
                checks.append(f"- {family}, 512 layers, {c}: {'compiles' if r['status'] == 'ok' else r['status'].upper()}")
    return out + checks


def chart(summary, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = summary["rows"]
    labels = [f"{r['title']}\nbatch {r['batch']}, {r['threads']} thr" for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(18, 0.55 * len(rows) + 2.5), sharey=True)
    metrics = [("median_s", "Latency per batch (s, log; lower is better)", True),
               ("images_per_s", "Throughput (images/s, log; higher is better)", True),
               ("percent_of_peak", "% of the cores' peak FMA throughput", False)]
    height = 0.8 / len(PEERS)
    for ax, (key, title, log) in zip(axes, metrics):
        for i, (peer, label) in enumerate(PEERS):
            ys, xs = [], []
            for j, r in enumerate(rows):
                p = r["peers"].get(peer)
                if p and p["status"] == "ok":
                    ys.append(j + (i - 1) * height)
                    xs.append(p[key])
            ax.barh(ys, xs, height=height, color=COLORS[peer], label=label)
            if key == "median_s":
                for j, r in enumerate(rows):
                    p = r["peers"].get(peer)
                    if p and p["status"] != "ok":
                        ax.annotate(f"{label}: {p['status']}", (0, j + (i - 1) * height), xycoords=("axes fraction", "data"),
                                    xytext=(3, 0), textcoords="offset points", va="center", fontsize=7, color=COLORS[peer])
        if key == "median_s":
            ax.scatter([r["peak_bound_s"] for r in rows], range(len(rows)), marker="|", s=300, color="black",
                       label="peak bound", zorder=3)
        ax.set_title(title, fontsize=10)
        if log:
            ax.set_xscale("log")
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(rows)))
    axes[0].set_yticklabels(labels, fontsize=8)
    axes[0].invert_yaxis()
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="upper center", ncol=len(names), fontsize=9, bbox_to_anchor=(0.5, 0.965))
    m = summary["machine"]
    fig.suptitle(f"typenet vs LibTorch {m['libtorch'].split()[0]} (OpenBLAS) vs ONNX Runtime - {m['cpu']}, "
                 f"peak {summary['peak']['gflops_per_core']:.0f} GFLOP/s per core - {summary['date']}", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--benchmark", help="Google Benchmark JSON of typenet_bench")
    parser.add_argument("--manifest", help="manifest.json written by make_weights.py")
    parser.add_argument("--ort", help="JSON of bench/onnx/bench_ort.js")
    parser.add_argument("--compile-times", help="JSON of compile_times.py")
    parser.add_argument("--step-benchmark", help="Google Benchmark JSON of typenet_step_bench")
    parser.add_argument("--sequence-manifest", help="manifest.json written by sequence_zoo.py")
    parser.add_argument("--sequence-only", action="store_true",
                        help="update the sequence table of the existing OUT_DIR/results.json and results.md only")
    parser.add_argument("--out-dir", required=True)
    args = parser.parse_args()
    if bool(args.step_benchmark) != bool(args.sequence_manifest):
        parser.error("--step-benchmark and --sequence-manifest go together")
    sequence = (sequence_summary(args.step_benchmark, args.sequence_manifest, args.ort)
                if args.step_benchmark else None)

    if args.sequence_only:
        if not sequence:
            parser.error("--sequence-only needs --step-benchmark and --sequence-manifest")
        results = os.path.join(args.out_dir, "results.json")
        if not os.path.exists(results):
            raise SystemExit(f"report.py: no {results} to add the sequence models to; run scripts/bench.sh "
                             "without --only first")
        with open(results) as f:
            summary = json.load(f)
        summary["sequence"] = sequence
        write_results(summary, args.out_dir, with_chart=False)
        print(f"wrote the sequence models into results.md and results.json in {args.out_dir}")
        return
    if not args.benchmark or not args.manifest:
        parser.error("--benchmark and --manifest are required (unless --sequence-only)")

    with open(args.manifest) as f:
        models = json.load(f)["models"]
    context, runs, peak, peak_2, loads = read_benchmarks(args.benchmark)
    ort_context, ort_runs, call_overhead = read_ort(args.ort)
    runs.update(ort_runs)
    if not peak:
        raise SystemExit("report.py: the benchmark JSON has no peak_fma results; run typenet_bench without a filter")
    widths = {}
    for width, g in peak:
        widths[width] = max(widths.get(width, 0), g)
    best_width = max(widths, key=widths.get)
    peak_flops = widths[best_width] * 1e9

    summary = {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "machine": machine(context, ort_context),
        "peak": {"gflops_per_core": widths[best_width], "width": best_width, "all_widths": widths,
                 "two_cores": max((g for _, g in peak_2), default=None)},
        "ort_call_overhead_s": statistics.median(call_overhead["times_s"]) if call_overhead else None,
        "libtorch_modes": {k.split("/", 1)[1]: v for k, v in context.items() if k.startswith("libtorch/")},
        "rows": summarise(runs, models, peak_flops),
        "load_gb_per_s": {k: statistics.median(v) / 1e9 for k, v in loads.items()},
    }
    if args.compile_times and os.path.exists(args.compile_times):
        with open(args.compile_times) as f:
            summary["compile_times"] = json.load(f)
    if sequence:
        summary["sequence"] = sequence
    write_results(summary, args.out_dir, with_chart=True)
    print(f"wrote results.md, results.json and chart.png to {args.out_dir}")


def write_results(summary, out_dir, with_chart):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(markdown(summary))
    if with_chart:
        chart(summary, os.path.join(out_dir, "chart.png"))


if __name__ == "__main__":
    main()
