"""typenet's architecture fingerprint (include/typenet/state_dict.hpp), computed from PyTorch's own
state_dict, for the checks of the files typenet saves (interop/safetensors_check.py,
examples/embedded_example.py)."""


def fingerprint(state_dict):
    """FNV-1a 64 over one line "key dtype [dims]" per entry, as 16 hexadecimal digits."""
    h = 0xcbf29ce484222325
    for key, t in state_dict.items():
        line = f"{key} {str(t.dtype).removeprefix('torch.')} [{', '.join(str(d) for d in t.shape)}]\n"
        for byte in line.encode():
            h = ((h ^ byte) * 0x100000001b3) % 2**64
    return f"{h:016x}"
