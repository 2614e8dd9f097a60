// libFuzzer target for the zip reader and read_pth's zip format.
//
// Each input is parsed as a zip archive (every entry's bytes taken and its CRC checked), then read
// as a .pth checkpoint. Both must either throw typenet::format_error or give results inside the
// input's bytes; anything else (a crash, a sanitizer report, another exception) is a finding.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <typenet/detail/formats/zip.hpp>
#include <typenet/pth.hpp>

#include "pth_fuzz_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
    try {
        const typenet::detail::zip_reader zip(input, "fuzz.zip");
        for (const typenet::detail::zip_entry& entry : zip.entries()) {
            fuzz::check(zip.find(entry.name) == &entry, "find does not give the entry back");
            try {
                const std::span<const std::byte> bytes = zip.data(entry);
                fuzz::check(bytes.data() >= input.data() && bytes.data() + bytes.size() <= input.data() + input.size(),
                            "entry data outside the archive");
                zip.verify_crc(entry);
            } catch (const typenet::format_error&) {
            }
        }
    } catch (const typenet::format_error&) {
    }
    fuzz::check_read_pth(input);
    return 0;
}
