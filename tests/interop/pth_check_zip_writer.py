"""Checks archives written by typenet's zip_writer with Python's zipfile and PyTorch's torch.load.

Usage: pth_check_zip_writer.py SAMPLE_PROGRAM OUT_DIR
SAMPLE_PROGRAM (tests/pth_zip_writer_sample.cpp) writes OUT_DIR/plain.pth and OUT_DIR/zip64.pth; see
its comment for their contents. Exits non-zero with a message on the first difference.
"""
import collections
import pathlib
import struct
import subprocess
import sys
import zipfile

import torch

program, out = sys.argv[1], pathlib.Path(sys.argv[2])
subprocess.run([program, str(out)], check=True)

NAMES = ["archive/data.pkl", "archive/byteorder", "archive/data/0", "archive/data/1", "archive/extra/empty",
         "archive/version"]
for name, zip64 in (("plain.pth", False), ("zip64.pth", True)):
    path = out / name
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None, f"{name}: a CRC or header is wrong: {z.testzip()}"
        assert z.namelist() == NAMES, f"{name}: entries {z.namelist()}"
        for info in z.infolist():
            assert info.compress_type == zipfile.ZIP_STORED, f"{name}: {info.filename} is compressed"
            assert info.flag_bits & 0x800, f"{name}: {info.filename} lacks the UTF-8 flag"
            signature, name_length, extra_length = struct.unpack_from("<I22xHH", raw, info.header_offset)
            assert signature == 0x04034B50, f"{name}: no local header for {info.filename}"
            data_offset = info.header_offset + 30 + name_length + extra_length
            assert data_offset % 64 == 0, f"{name}: {info.filename}'s data start at {data_offset}, not 64-aligned"
            assert raw[data_offset:data_offset + info.file_size] == z.read(info.filename)
            has_zip64_field = info.extra[:2] == b"\x01\x00"
            assert has_zip64_field == zip64, f"{name}: {info.filename}: zip64 extra field {has_zip64_field}"
        assert z.read("archive/version") == b"3\n"
    loaded = torch.load(path)
    assert isinstance(loaded, collections.OrderedDict) and list(loaded) == ["w", "b"], f"{name}: {loaded!r}"
    assert loaded["w"].dtype == torch.float32 and torch.equal(loaded["w"], torch.arange(6.0).reshape(2, 3)), loaded["w"]
    assert loaded["b"].dtype == torch.int64 and loaded["b"].tolist() == [-1, 2**40], loaded["b"]
print("zipfile and torch.load read zip_writer's archives")
