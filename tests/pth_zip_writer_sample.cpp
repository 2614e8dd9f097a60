// Writes small checkpoints with detail::zip_writer for tests/interop/pth_check_zip_writer.py, which
// checks them with Python's zipfile and torch.load. Usage: pth_zip_writer_sample OUT_DIR
//
// Each holds the state_dict {'w': float32 [[0, 1, 2], [3, 4, 5]], 'b': int64 [-1, 2**40]}, pickled
// as torch.save does (an OrderedDict of _rebuild_tensor_v2 over persistent ids), plus an empty entry.
// plain.pth uses zip64 end records only; zip64.pth zip64 extra fields in every header too.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <vector>

#include <typenet/detail/formats/zip.hpp>

#include "pth_test_support.hpp"

namespace {

template <class T>
std::vector<std::byte> raw(const std::vector<T>& values) {  // little-endian: this test runs on x86-64
    std::vector<std::byte> out(values.size() * sizeof(T));
    std::memcpy(out.data(), values.data(), out.size());
    return out;
}

void write_sample(const std::filesystem::path& path, bool always_zip64) {
    test::pickle_builder p;
    p.proto().ordered_dict().mark();
    p.unicode("w").tensor("FloatStorage", "0", 6, 0, {2, 3}, {3, 1});
    p.unicode("b").tensor("LongStorage", "1", 2, 0, {2}, {1});
    p.op('u').stop();
    std::ofstream file(path, std::ios::binary);
    typenet::detail::zip_writer zip([&](std::span<const std::byte> chunk) {
        file.write(reinterpret_cast<const char*>(chunk.data()), std::streamsize(chunk.size()));
    }, always_zip64);
    zip.add("archive/data.pkl", p.bytes);
    zip.add("archive/byteorder", test::bytes_of("little"));
    zip.add("archive/data/0", raw(std::vector<float>{0, 1, 2, 3, 4, 5}));
    zip.add("archive/data/1", raw(std::vector<std::int64_t>{-1, std::int64_t(1) << 40}));
    zip.add("archive/extra/empty", {});
    zip.add("archive/version", test::bytes_of("3\n"));
    zip.finish();
    if (!file.flush()) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: pth_zip_writer_sample OUT_DIR\n";
        return 2;
    }
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    write_sample(dir / "plain.pth", false);
    write_sample(dir / "zip64.pth", true);
    return 0;
}
