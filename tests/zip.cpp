// Tests of detail/formats/zip.hpp: archives written by zip_writer read back by zip_reader, and archives with
// damaged structures, which must give a format_error and never a read outside the buffer.
// (Archives written by PyTorch are read in pth.cpp; tests/interop/pth_check_zip_writer.py has
// Python's zipfile and torch.load read what zip_writer writes.)
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <typenet/detail/formats/zip.hpp>

#include "pth_test_support.hpp"

using typenet::format_error;
using typenet::detail::zip_entry;
using typenet::detail::zip_reader;

namespace {

std::vector<std::byte> pattern(std::size_t size, unsigned seed) {
    std::vector<std::byte> data(size);
    for (std::size_t i = 0; i < size; ++i) data[i] = std::byte((i * 131 + seed) & 0xFF);
    return data;
}

const std::vector<std::pair<std::string, std::vector<std::byte>>> sample_entries = {
    {"archive/data.pkl", pattern(100, 1)},
    {"archive/data/0", pattern(0, 2)},
    {"archive/data/1", pattern(1000, 3)},
    {"archive/version", test::bytes_of("3\n")},
    {"archive/caf\xc3\xa9", pattern(64, 4)},  // a UTF-8 name
};

std::uint32_t u32(const std::vector<std::byte>& b, std::size_t at) {
    return std::uint32_t(typenet::detail::load_little_endian(b.data() + at, 4));
}
void set_le(std::vector<std::byte>& b, std::size_t at, std::uint64_t value, int width) {
    for (int i = 0; i < width; ++i) b[at + std::size_t(i)] = std::byte(value >> (8 * i) & 0xFF);
}
// Offsets of every occurrence of a 4-byte signature.
std::vector<std::size_t> find_signature(const std::vector<std::byte>& b, std::uint32_t signature) {
    std::vector<std::size_t> found;
    for (std::size_t i = 0; i + 4 <= b.size(); ++i)
        if (u32(b, i) == signature) found.push_back(i);
    return found;
}

std::string error_of(const std::vector<std::byte>& archive) {
    try {
        zip_reader zip(archive, "test.zip");
        for (const zip_entry& e : zip.entries()) zip.verify_crc(e);
    } catch (const format_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("zip_writer output reads back: names, bytes, CRCs, 64-byte alignment", "[zip]") {
    for (bool zip64 : {false, true}) {
        CAPTURE(zip64);
        const std::vector<std::byte> archive = test::make_zip(sample_entries, zip64);
        const zip_reader zip(archive, "test.zip");
        REQUIRE(zip.entries().size() == sample_entries.size());
        CHECK(zip.top_folder() == "archive");
        for (std::size_t i = 0; i < sample_entries.size(); ++i) {
            const zip_entry& e = zip.entries()[i];
            CHECK(e.name == sample_entries[i].first);
            CHECK(e.method == 0);
            CHECK(e.data_offset % 64 == 0);
            const auto data = zip.data(e);
            CHECK(std::vector<std::byte>(data.begin(), data.end()) == sample_entries[i].second);
            CHECK(e.crc32 == typenet::detail::crc32(sample_entries[i].second));
            CHECK_NOTHROW(zip.verify_crc(e));
            CHECK(zip.find(e.name) == &e);
        }
        CHECK(zip.find("archive/data/2") == nullptr);
        // The zip64 end record and locator are always written; zip64 extra fields only when asked.
        CHECK(find_signature(archive, typenet::detail::zip64_end_signature).size() == 1);
        CHECK(find_signature(archive, typenet::detail::zip64_locator_signature).size() == 1);
    }
}

TEST_CASE("zip: CRC-32 of the empty string and of '123456789' are the standard check values", "[zip]") {
    // The check value of CRC-32/ISO-HDLC, the variant zip uses, is 0xCBF43926.
    CHECK(typenet::detail::crc32(test::bytes_of("123456789")) == 0xCBF43926u);
    CHECK(typenet::detail::crc32(test::bytes_of("")) == 0u);
}

TEST_CASE("zip: an empty archive has no entries and no top folder", "[zip]") {
    const std::vector<std::byte> archive = test::make_zip({});
    const zip_reader zip(archive, "empty.zip");
    CHECK(zip.entries().empty());
    CHECK(zip.top_folder().empty());
    CHECK(typenet::detail::looks_like_zip(archive));
}

TEST_CASE("zip_writer refuses duplicate names and use after finish", "[zip]") {
    std::vector<std::byte> sink;
    typenet::detail::zip_writer writer([&](std::span<const std::byte> c) { sink.insert(sink.end(), c.begin(), c.end()); });
    writer.add("a/x", test::bytes_of("1"));
    CHECK_THROWS_WITH(writer.add("a/x", test::bytes_of("2")), Catch::Contains("added twice"));
    CHECK_THROWS_AS(writer.add("", test::bytes_of("2")), format_error);
    writer.finish();
    CHECK(writer.size() == sink.size());
    CHECK_THROWS_AS(writer.add("a/y", test::bytes_of("2")), format_error);
    CHECK_THROWS_AS(writer.finish(), format_error);
}

TEST_CASE("zip: a corrupted byte of entry data fails its CRC check, naming the entry", "[zip]") {
    std::vector<std::byte> archive = test::make_zip(sample_entries);
    const std::size_t at = std::size_t(zip_reader(archive, "t").find("archive/data/1")->data_offset) + 500;
    archive[at] ^= std::byte{0x01};
    const zip_reader zip(archive, "test.zip");
    CHECK_THROWS_WITH(zip.verify_crc(*zip.find("archive/data/1")),
                      Catch::Contains("archive/data/1") && Catch::Contains("CRC-32") && Catch::Contains("test.zip"));
    CHECK_NOTHROW(zip.verify_crc(*zip.find("archive/data.pkl")));
}

TEST_CASE("zip: a CRC in the central directory that does not match fails the check", "[zip]") {
    std::vector<std::byte> archive = test::make_zip(sample_entries);
    const std::size_t central = find_signature(archive, typenet::detail::zip_central_header_signature).at(0);
    set_le(archive, central + 16, 0x12345678, 4);
    CHECK_THAT(error_of(archive), Catch::Contains("archive/data.pkl") && Catch::Contains("0x12345678"));
}

TEST_CASE("zip: compressed entries are refused with a clear message", "[zip]") {
    std::vector<std::byte> archive = test::make_zip(sample_entries);
    const std::size_t central = find_signature(archive, typenet::detail::zip_central_header_signature).at(0);
    set_le(archive, central + 10, 8, 2);  // method: deflate
    const zip_reader zip(archive, "test.zip");
    CHECK_THROWS_WITH(zip.data(zip.entries()[0]), Catch::Contains("compressed") && Catch::Contains("deflate") &&
                                                     Catch::Contains("archive/data.pkl"));
}

TEST_CASE("zip: damaged structures give a format_error naming what is wrong", "[zip]") {
    const std::vector<std::byte> good = test::make_zip(sample_entries);
    const std::size_t end = find_signature(good, typenet::detail::zip_end_signature).back();
    const std::size_t zip64_end = find_signature(good, typenet::detail::zip64_end_signature).back();
    const std::size_t locator = find_signature(good, typenet::detail::zip64_locator_signature).back();
    const std::size_t central = find_signature(good, typenet::detail::zip_central_header_signature).at(1);
    REQUIRE(error_of(good).empty());

    struct damage {
        const char* what;
        std::size_t at;
        std::uint64_t value;
        int width;
        const char* message;
    };
    const damage cases[] = {
        {"zip64 end: directory offset past the end", zip64_end + 48, good.size(), 8, "central directory"},
        {"zip64 end: directory offset near 2^64", zip64_end + 48, ~std::uint64_t(0) - 10, 8, "central directory"},
        {"zip64 end: directory size near 2^64", zip64_end + 40, ~std::uint64_t(0), 8, "central directory"},
        {"zip64 end: 2^60 entries", zip64_end + 32, std::uint64_t(1) << 60, 8, "multi-disk"},
        {"zip64 end: 2^60 entries, on disk too", zip64_end + 24, std::uint64_t(1) << 60, 8, "multi-disk"},
        {"zip64 end: record size", zip64_end + 4, 1u << 20, 8, "zip64 end record's size"},
        {"zip64 locator: offset past the end", locator + 8, good.size() + 100, 8, "zip64 end record offset"},
        {"zip64 locator: offset near 2^64", locator + 8, ~std::uint64_t(0), 8, "zip64 end record offset"},
        {"zip64 locator: wrong place", locator + 8, 0, 8, "no zip64 end record"},
        {"zip64 locator: many disks", locator + 16, 7, 4, "multi-disk"},
        {"central: local header offset past the data", central + 42, good.size() - 10, 4, "outside the entries' area"},
        {"central: local header offset at a non-header", central + 42, 1, 4, "no local header"},
        {"central: compressed size huge", central + 20, 0xFFFFFFF0u, 4, "different compressed"},
        {"central: both sizes huge", central + 20, 0xFFFFFFF0FFFFFFF0u, 8, "run past"},
        {"central: sizes all ones without a zip64 field", central + 20, 0xFFFFFFFFFFFFFFFFu, 8, "run past"},
        {"central: name length past the directory", central + 28, 0xFFFF, 2, "run past the directory"},
        {"central: extra length past the directory", central + 30, 0xFFFF, 2, "run past the directory"},
        {"central: signature", central, 0x99999999, 4, "no central directory header"},
        {"central: encrypted", central + 8, 1, 2, "encrypted"},
        {"central: another disk", central + 34, 3, 2, "another disk"},
        {"central: name differs from the local one", central + 46, 'X', 1, "in its local header"},
        {"end: comment length", end + 20, 5, 2, "no end of central directory record"},
        {"zip64 end: disk number", zip64_end + 16, 1, 4, "multi-disk"},
    };
    for (const damage& d : cases) {
        CAPTURE(d.what);
        std::vector<std::byte> archive = good;
        set_le(archive, d.at, d.value, d.width);
        CHECK_THAT(error_of(archive), Catch::Contains(d.message) && Catch::Contains("test.zip"));
    }
    // An entry count that the directory's size cannot hold (both counts, so it is not "multi-disk").
    std::vector<std::byte> archive = good;
    set_le(archive, zip64_end + 24, std::uint64_t(1) << 60, 8);
    set_le(archive, zip64_end + 32, std::uint64_t(1) << 60, 8);
    CHECK_THAT(error_of(archive), Catch::Contains("1152921504606846976 entries"));
}

TEST_CASE("zip: the zip64 extra fields hold the real sizes and offsets", "[zip]") {
    std::vector<std::byte> archive = test::make_zip(sample_entries, true);
    const std::size_t central = find_signature(archive, typenet::detail::zip_central_header_signature).at(2);
    CHECK(u32(archive, central + 20) == 0xFFFFFFFFu);  // the 32-bit fields say "see zip64"
    CHECK(u32(archive, central + 42) == 0xFFFFFFFFu);
    // Its extra field: id 1, 24 bytes: size, compressed size, local header offset.
    const std::size_t extra = central + 46 + std::size_t(typenet::detail::load_little_endian(archive.data() + central + 28, 2));
    CHECK(typenet::detail::load_little_endian(archive.data() + extra, 2) == 1);
    CHECK(typenet::detail::load_little_endian(archive.data() + extra + 2, 2) == 24);
    CHECK(typenet::detail::load_little_endian(archive.data() + extra + 4, 8) == 1000);

    // A zip64 extra field too short for the fields it must hold.
    set_le(archive, extra + 2, 8, 2);
    CHECK_THAT(error_of(archive), Catch::Contains("zip64 extra field") || Catch::Contains("malformed extra field"));
}

TEST_CASE("zip: duplicate entry names are refused", "[zip]") {
    // Two entries whose names differ in one byte, renamed alike in the central and local headers.
    std::vector<std::byte> archive = test::make_zip({{"a/x1", pattern(5, 1)}, {"a/x2", pattern(5, 2)}});
    for (std::size_t at : find_signature(archive, typenet::detail::zip_central_header_signature)) archive[at + 46 + 3] = std::byte{'1'};
    for (std::size_t at : find_signature(archive, typenet::detail::zip_local_header_signature)) archive[at + 30 + 3] = std::byte{'1'};
    CHECK_THAT(error_of(archive), Catch::Contains("appears twice") && Catch::Contains("a/x1"));
}

TEST_CASE("zip: every truncation of an archive is refused", "[zip]") {
    const std::vector<std::byte> archive = test::make_zip(sample_entries);
    for (std::size_t size = 0; size < archive.size(); ++size) {
        CAPTURE(size);
        const std::vector<std::byte> cut(archive.begin(), archive.begin() + std::ptrdiff_t(size));
        CHECK_THROWS_AS(zip_reader(cut, "cut.zip"), format_error);
    }
}

TEST_CASE("zip: any single corrupted byte gives a format_error or entries inside the buffer", "[zip]") {
    const std::vector<std::byte> good = test::make_zip(sample_entries, true);
    std::size_t refused = 0;
    for (std::size_t at = 0; at < good.size(); ++at) {
        for (std::byte value : {std::byte{0x00}, std::byte{0xFF}, good[at] ^ std::byte{0x80}}) {
            std::vector<std::byte> archive = good;
            archive[at] = value;
            try {
                const zip_reader zip(archive, "test.zip");
                for (const zip_entry& e : zip.entries()) {
                    if (e.method != 0) continue;
                    const auto data = zip.data(e);
                    REQUIRE(data.data() >= archive.data());
                    REQUIRE(data.data() + data.size() <= archive.data() + archive.size());
                }
            } catch (const format_error&) {
                ++refused;
            }
        }
    }
    CHECK(refused > 0);
}

namespace {

void put_le(std::vector<std::byte>& out, std::uint64_t value, int width) {
    for (int i = 0; i < width; ++i) out.push_back(std::byte(value >> (8 * i) & 0xFF));
}

// An archive whose entries share one data range: each local header's extra field holds the next
// local header, so every entry's data starts right after the last header (the shape that made the
// CRC work quadratic). Written byte by byte: zip_writer never overlaps entries.
std::vector<std::byte> nested_archive(std::size_t count, const std::vector<std::byte>& data) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < count; ++i) names.push_back("a/e" + std::to_string(i));
    // Header k's extra field is exactly header k+1, which holds header k+2 in its own extra field...
    std::vector<std::size_t> extra(count, 0);
    for (std::size_t k = count - 1; k-- > 0;) extra[k] = 30 + names[k + 1].size() + extra[k + 1];
    const std::uint32_t crc = typenet::detail::crc32(data);
    std::vector<std::byte> archive;
    std::vector<std::size_t> offsets;
    for (std::size_t k = 0; k < count; ++k) {
        offsets.push_back(archive.size());
        put_le(archive, typenet::detail::zip_local_header_signature, 4);
        put_le(archive, 20, 2);  // version needed
        put_le(archive, 0, 2);   // flags
        put_le(archive, 0, 2);   // stored
        put_le(archive, 0, 4);   // time, date
        put_le(archive, crc, 4);
        put_le(archive, data.size(), 4);
        put_le(archive, data.size(), 4);
        put_le(archive, names[k].size(), 2);
        put_le(archive, extra[k], 2);
        for (char c : names[k]) archive.push_back(std::byte(c));
    }
    archive.insert(archive.end(), data.begin(), data.end());
    const std::size_t directory = archive.size();
    for (std::size_t k = 0; k < count; ++k) {
        put_le(archive, typenet::detail::zip_central_header_signature, 4);
        put_le(archive, 20, 2);  // made by
        put_le(archive, 20, 2);  // version needed
        put_le(archive, 0, 2);   // flags
        put_le(archive, 0, 2);   // stored
        put_le(archive, 0, 4);   // time, date
        put_le(archive, crc, 4);
        put_le(archive, data.size(), 4);
        put_le(archive, data.size(), 4);
        put_le(archive, names[k].size(), 2);
        put_le(archive, 0, 2);   // extra length
        put_le(archive, 0, 2);   // comment length
        put_le(archive, 0, 2);   // disk
        put_le(archive, 0, 2);   // internal attributes
        put_le(archive, 0, 4);   // external attributes
        put_le(archive, offsets[k], 4);
        for (char c : names[k]) archive.push_back(std::byte(c));
    }
    const std::size_t directory_size = archive.size() - directory;
    put_le(archive, typenet::detail::zip_end_signature, 4);
    put_le(archive, 0, 4);  // disks
    put_le(archive, count, 2);
    put_le(archive, count, 2);
    put_le(archive, directory_size, 4);
    put_le(archive, directory, 4);
    put_le(archive, 0, 2);  // comment length
    return archive;
}

}  // namespace

TEST_CASE("zip: entries whose bytes overlap are refused, so no byte is checked twice", "[zip]") {
    // One entry is well-formed: the builder itself is right.
    const std::vector<std::byte> data = pattern(4096, 5);
    REQUIRE(error_of(nested_archive(1, data)).empty());
    // Three entries sharing one data range, their headers nested in each other's extra fields.
    CHECK_THAT(error_of(nested_archive(3, data)),
               Catch::Contains("overlap") && Catch::Contains("a/e0") && Catch::Contains("a/e1") &&
                   Catch::Contains("test.zip"));

    // A local header hidden inside another entry's data: "a/outer" holds a complete entry "a/inner".
    std::vector<std::byte> inner_header;
    const std::vector<std::byte> payload = pattern(100, 6);
    put_le(inner_header, typenet::detail::zip_local_header_signature, 4);
    put_le(inner_header, 20, 2);
    put_le(inner_header, 0, 8);  // flags, method, time, date
    put_le(inner_header, typenet::detail::crc32(payload), 4);
    put_le(inner_header, payload.size(), 4);
    put_le(inner_header, payload.size(), 4);
    put_le(inner_header, 7, 2);  // "a/inner"
    put_le(inner_header, 0, 2);
    for (char c : std::string("a/inner")) inner_header.push_back(std::byte(c));
    inner_header.insert(inner_header.end(), payload.begin(), payload.end());
    std::vector<std::byte> archive = test::make_zip({{"a/outer", inner_header}, {"a/inner", payload}});
    REQUIRE(error_of(archive).empty());
    // Point the central directory's "a/inner" at the copy inside "a/outer"'s data.
    const zip_reader zip(archive, "test.zip");
    const std::size_t outer_data = std::size_t(zip.find("a/outer")->data_offset);
    const std::size_t central = find_signature(archive, typenet::detail::zip_central_header_signature).at(1);
    REQUIRE(u32(archive, central + 42) == zip.find("a/inner")->local_header_offset);
    set_le(archive, central + 42, outer_data, 4);
    CHECK_THAT(error_of(archive), Catch::Contains("overlap") && Catch::Contains("a/outer") && Catch::Contains("a/inner"));
}
