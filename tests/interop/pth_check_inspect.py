"""Checks typenet-inspect's output on checkpoints PyTorch wrote (make_pth_files.py), against the
manifests PyTorch wrote with them. Usage: pth_check_inspect.py TYPENET_INSPECT PTH_FILES_DIR"""
import pathlib
import subprocess
import sys

tool, files = sys.argv[1], pathlib.Path(sys.argv[2])
ELEMENT_SIZE = {"float32": 4, "float64": 8, "float16": 2, "bfloat16": 2, "int64": 8, "int32": 4, "int16": 2,
                "int8": 1, "uint8": 1, "bool": 1}


def run(*args, status=0):
    result = subprocess.run([tool, *args], capture_output=True, text=True)
    assert result.returncode == status, f"{args}: exit status {result.returncode}, stderr: {result.stderr}"
    return result.stdout.splitlines(), result.stderr


def expected_entries(manifest):
    lines, total = [], 0
    for line in (files / manifest).read_text().splitlines():
        key, dtype, shape = line.split()[:3]
        dims = [] if shape == "-" else [int(d) for d in shape.split(",")]
        lines.append(f"{key} {dtype} [{', '.join(map(str, dims))}]")
        count = 1
        for d in dims:
            count *= d
        total += count * ELEMENT_SIZE[dtype]
    return lines, f"total: {len(lines)} tensors, {total} bytes"


# A bare state_dict, zip and legacy: the format, then every entry in order, then the total.
for name, fmt in (("dtypes", "PyTorch zip (torch.save)"), ("views_legacy", "PyTorch legacy (torch.save before 1.6)")):
    out, _ = run(str(files / f"{name}.pth"))
    entries, total = expected_entries(f"{name}.manifest")
    assert out == [f"file: {files / name}.pth", f"format: {fmt}", *entries, total], "\n".join(out)

# A checkpoint dict: its top-level keys with descriptions, and a hint naming the state_dict's key.
out, _ = run(str(files / "checkpoint.pth"))
top_level = [f"  {line.replace(chr(9), ': ')}" for line in (files / "checkpoint.top_level").read_text().splitlines()]
assert out[2:] == ["checkpoint dict, 11 top-level keys:", *top_level,
                   f"to list the tensors of a state_dict in it: typenet-inspect {files / 'checkpoint.pth'} "
                   "--key model_state_dict"], "\n".join(out)

# With --key: the top-level keys, then the state_dict's entries.
out, _ = run(str(files / "checkpoint.pth"), "--key", "model_state_dict")
entries, total = expected_entries("checkpoint.manifest")
assert out[2:] == ["checkpoint dict, 11 top-level keys:", *top_level, "state_dict 'model_state_dict':", *entries, total], \
    "\n".join(out)

# A safetensors file (written by the independent writer of tests/interop): format, metadata, entries.
sys.path.insert(0, str(pathlib.Path(__file__).parent))
import torch  # noqa: E402
import safetensors_writer  # noqa: E402
safetensors_file = files / "inspect.safetensors"
safetensors_writer.write(str(safetensors_file), [("fc.weight", torch.ones(3, 2)), ("fc.bias", torch.zeros(3, dtype=torch.float64)),
                                                 ("steps", torch.tensor(5))], metadata={"format": "pt"})
out, _ = run(str(safetensors_file))
assert out == [f"file: {safetensors_file}", "format: safetensors", "metadata: format = pt", "fc.weight float32 [3, 2]",
               "fc.bias float64 [3]", "steps int64 []", "total: 3 tensors, 56 bytes"], "\n".join(out)

# Keys and metadata that hold control characters print escaped: a newline cannot forge a line of
# output, an escape sequence cannot reach the terminal. Valid UTF-8 prints as it is. The suggested
# command quotes the key for the shell (bash's $'...' when it holds control characters).
hostile_keys = ["a\nb total: 0 tensors, 0 bytes", "\x1b[8mhidden", "tab\there", "caf\u00e9", "back\\slash", "c1\u0085"]
hostile = files / "hostile_keys.pth"
torch.save({key: torch.zeros(1) for key in hostile_keys}, hostile)
out, _ = run(str(hostile))
assert out == [f"file: {hostile}", "format: PyTorch zip (torch.save)", "a\\nb total: 0 tensors, 0 bytes float32 [1]",
               "\\x1b[8mhidden float32 [1]", "tab\\there float32 [1]", "caf\u00e9 float32 [1]",
               "back\\\\slash float32 [1]", "c1\\u0085 float32 [1]", "total: 6 tensors, 24 bytes"], "\n".join(out)
hostile_metadata = files / "hostile_metadata.safetensors"
safetensors_writer.write(str(hostile_metadata), [("w\r", torch.ones(1))], metadata={"format\n": "pt\x1b]0;title\x07"})
out, _ = run(str(hostile_metadata))
assert out == [f"file: {hostile_metadata}", "format: safetensors", "metadata: format\\n = pt\\x1b]0;title\\x07",
               "w\\r float32 [1]", "total: 1 tensor, 4 bytes"], "\n".join(out)
checkpoint_dict = files / "hostile_checkpoint.pth"
torch.save({"model\n": {"w": torch.zeros(1)}, "note": "\x1b[2J"}, checkpoint_dict)
out, _ = run(str(checkpoint_dict))
assert out[2:] == ["checkpoint dict, 2 top-level keys:", "  model\\n: dict of 1 tensor", "  note: str '\\x1b[2J'",
                   f"to list the tensors of a state_dict in it: typenet-inspect {checkpoint_dict} --key $'model\\n'"], \
    "\n".join(out)

# Errors go to stderr with status 1.
out, err = run(str(files / "torchscript.pt"), status=1)
assert out == [] and "TorchScript" in err, err
out, err = run(str(files / "no_such_file.pth"), status=1)
assert "cannot open" in err and "no_such_file.pth" in err, err
out, err = run(status=1)
assert "no FILE given" in err and "usage:" in err, err
out, err = run(str(files / "checkpoint.pth"), "--key", "nope", status=1)
assert "no key 'nope'" in err, err
out, _ = run("--help")
assert out[0].startswith("usage: typenet-inspect FILE"), out
print("typenet-inspect's output matches PyTorch's manifests")
