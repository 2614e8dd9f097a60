// Zip archives as PyTorch's .pth files use them: stored (uncompressed) entries, zip64 end records,
// entry data aligned to 64 bytes.
//
// zip_reader parses an archive held in memory. Every size and offset it reads is checked against the
// bytes present before it is used, so a damaged or hostile archive gives a format_error, never an
// out-of-bounds read; entries may not overlap, so checking every CRC reads each byte once at most.
// Entry data are spans into the archive: nothing is copied.
//
// zip_writer streams an archive to a chunk_writer (file.hpp), each entry's data on a 64-byte boundary
// as PyTorch writes them, so that Python's zipfile and torch.load read the result.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../error.hpp"
#include "crc32.hpp"
#include "file.hpp"

namespace typenet::detail {

// Little-endian unsigned integer of `width` bytes at `p`; the caller has checked the bounds.
inline std::uint64_t load_little_endian(const std::byte* p, std::size_t width) {
    std::uint64_t value = 0;
    for (std::size_t i = width; i-- > 0;) value = value << 8 | std::uint64_t(p[i]);
    return value;
}

inline std::string crc_hex(std::uint32_t value) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string text = "0x00000000";
    for (std::size_t i = 0; i < 8; ++i) text[9 - i] = digits[(value >> (4 * i)) & 0xF];
    return text;
}

// A name from a file, printable in a message: control and non-ASCII bytes escaped, long names cut.
inline std::string escape_for_message(std::string_view text, std::size_t max_length = 120) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (out.size() >= max_length) {
            out += "...";
            break;
        }
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7F && c != '\\') {
            out += char(c);
        } else if (c == '\\') {
            out += "\\\\";
        } else {
            out += "\\x";
            out += digits[c >> 4];
            out += digits[c & 0xF];
        }
    }
    return out;
}

inline constexpr std::uint32_t zip_local_header_signature = 0x04034b50;
inline constexpr std::uint32_t zip_central_header_signature = 0x02014b50;
inline constexpr std::uint32_t zip_end_signature = 0x06054b50;
inline constexpr std::uint32_t zip64_end_signature = 0x06064b50;
inline constexpr std::uint32_t zip64_locator_signature = 0x07064b50;
inline constexpr std::size_t zip_local_header_size = 30;
inline constexpr std::size_t zip_central_header_size = 46;
inline constexpr std::size_t zip_end_size = 22;
inline constexpr std::size_t zip64_end_size = 56;
inline constexpr std::size_t zip64_locator_size = 20;
inline constexpr std::uint16_t zip64_extra_id = 0x0001;
inline constexpr std::uint16_t pytorch_padding_extra_id = 0x4246;  // "FB", as PyTorch names it

// True when the bytes start like a zip archive: a local header, or the end records of an empty one.
inline bool looks_like_zip(std::span<const std::byte> bytes) {
    if (bytes.size() < 4) return false;
    const std::uint64_t signature = load_little_endian(bytes.data(), 4);
    return signature == zip_local_header_signature || signature == zip_end_signature || signature == zip64_end_signature;
}

struct zip_entry {
    std::string name;
    std::uint16_t flags = 0;
    std::uint16_t method = 0;                // 0: stored; anything else is refused by data()
    std::uint32_t crc32 = 0;                 // from the central directory (PyTorch leaves the local one 0)
    std::uint64_t compressed_size = 0;
    std::uint64_t size = 0;
    std::uint64_t local_header_offset = 0;
    std::uint64_t data_offset = 0;           // after the LOCAL header's name and extra field
};

class zip_reader {
public:
    // `source` names the archive in messages (a file name, or "<memory>").
    zip_reader(std::span<const std::byte> archive, std::string source)
        : archive_(archive), source_(std::move(source)) {
        parse();
    }

    const std::string& source() const { return source_; }
    const std::vector<zip_entry>& entries() const { return entries_; }

    // The entry named exactly `name`, or nullptr.
    const zip_entry* find(std::string_view name) const {
        const auto found = index_.find(name);
        return found == index_.end() ? nullptr : &entries_[found->second];
    }

    // The folder every entry of a PyTorch archive sits in (its name is opaque), taken from the first
    // entry: "archive" for "archive/data.pkl". Empty when the first entry is not in a folder.
    std::string_view top_folder() const {
        if (entries_.empty()) return {};
        const std::string_view first = entries_.front().name;
        const std::size_t slash = first.find('/');
        return slash == std::string_view::npos ? std::string_view() : first.substr(0, slash);
    }

    // The entry's bytes, a span into the archive. Throws for anything but a stored entry.
    std::span<const std::byte> data(const zip_entry& entry) const {
        if (entry.method != 0)
            throw format_error(concat(
                {"typenet: ", source_, ": zip entry '", escape_for_message(entry.name), "' is compressed (method ",
                 std::to_string(entry.method), entry.method == 8 ? ", deflate" : "",
                 "); typenet reads only stored entries, which is what torch.save writes. The file was "
                 "probably re-packed by a zip tool: save it again with torch.save, or re-pack it without "
                 "compression (zip -0)."}));
        return archive_.subspan(std::size_t(entry.data_offset), std::size_t(entry.size));
    }

    // Checks the entry's bytes against the CRC-32 of the central directory.
    void verify_crc(const zip_entry& entry) const {
        const std::uint32_t actual = crc32(data(entry));
        if (actual != entry.crc32)
            throw format_error(concat({"typenet: ", source_, ": zip entry '", escape_for_message(entry.name),
                                       "' is corrupted: its CRC-32 is ", crc_hex(actual), " but the zip directory says ",
                                       crc_hex(entry.crc32), " (data at byte offset ", std::to_string(entry.data_offset),
                                       "). The file was damaged; copy or download it again."}));
    }

private:
    [[noreturn]] void fail(std::string_view what, std::uint64_t offset) const {
        throw format_error(concat({"typenet: ", source_, ": ", what, " (at byte offset ", std::to_string(offset),
                                   " of ", std::to_string(archive_.size()),
                                   "). The file is damaged, truncated, or not a zip archive."}));
    }

    std::uint64_t at(std::uint64_t offset, std::size_t width) const {
        return load_little_endian(archive_.data() + offset, width);
    }

    // Finds the end of central directory record: 22 bytes plus a comment that must end the file
    // exactly, searched backwards so that a signature inside the comment or the data cannot win.
    std::size_t find_end_record() const {
        const std::size_t size = archive_.size();
        if (size < zip_end_size)
            fail(concat({"too short for a zip archive: ", std::to_string(size),
                         " bytes, but the end of central directory record alone takes 22"}),
                 0);
        const std::size_t lowest = size - zip_end_size > 0xFFFF ? size - zip_end_size - 0xFFFF : 0;
        for (std::size_t pos = size - zip_end_size + 1; pos-- > lowest;) {
            if (at(pos, 4) == zip_end_signature && pos + zip_end_size + at(pos + 20, 2) == size) return pos;
        }
        fail("no end of central directory record in the last 65,557 bytes", size);
    }

    void parse() {
        const std::size_t end_record = find_end_record();
        std::uint64_t disk = at(end_record + 4, 2), directory_disk = at(end_record + 6, 2);
        std::uint64_t entries_on_disk = at(end_record + 8, 2), entry_count = at(end_record + 10, 2);
        std::uint64_t directory_size = at(end_record + 12, 4), directory_offset = at(end_record + 16, 4);
        std::uint64_t directory_limit = end_record;  // the directory ends before the end records

        if (end_record >= zip64_locator_size && at(end_record - zip64_locator_size, 4) == zip64_locator_signature) {
            const std::size_t locator = end_record - zip64_locator_size;
            const std::uint64_t record = at(locator + 8, 8);
            if (at(locator + 4, 4) != 0 || at(locator + 16, 4) > 1)
                fail("the zip64 locator describes a multi-disk archive, which is not supported", locator);
            if (record > locator || locator - record < zip64_end_size)
                fail(concat({"the zip64 end record offset ", std::to_string(record), " is outside the file"}), locator);
            if (at(record, 4) != zip64_end_signature) fail("no zip64 end record where the zip64 locator points", record);
            const std::uint64_t record_size = at(record + 4, 8);
            if (record_size < zip64_end_size - 12 || record_size > locator - record - 12)
                fail(concat({"the zip64 end record's size ", std::to_string(record_size), " is inconsistent"}), record);
            disk = at(record + 16, 4);
            directory_disk = at(record + 20, 4);
            entries_on_disk = at(record + 24, 8);
            entry_count = at(record + 32, 8);
            directory_size = at(record + 40, 8);
            directory_offset = at(record + 48, 8);
            directory_limit = record;
        }
        if (disk != 0 || directory_disk != 0 || entries_on_disk != entry_count)
            fail("the end record describes a multi-disk archive, which is not supported", end_record);
        if (directory_offset > directory_limit || directory_size > directory_limit - directory_offset)
            fail(concat({"the central directory (", std::to_string(directory_size), " bytes at offset ",
                         std::to_string(directory_offset), ") is outside the file"}),
                 end_record);
        if (entry_count > directory_size / zip_central_header_size)
            fail(concat({"the end record counts ", std::to_string(entry_count), " entries, more than a central directory of ",
                         std::to_string(directory_size), " bytes can hold"}),
                 end_record);

        entries_.reserve(std::size_t(entry_count));
        std::uint64_t pos = directory_offset;
        const std::uint64_t directory_end = directory_offset + directory_size;
        for (std::uint64_t i = 0; i < entry_count; ++i) {
            entries_.push_back(read_central_header(pos, directory_end, directory_offset));
            const zip_entry& entry = entries_.back();
            if (!index_.emplace(entry.name, entries_.size() - 1).second)
                fail(concat({"the zip entry name '", escape_for_message(entry.name), "' appears twice"}), pos);
        }
        check_no_overlap();
    }

    // Each entry (local header, name, extra field, data) has bytes of its own, as every zip writer
    // lays them out. Entries nested in each other's headers or data would have their bytes read,
    // and CRC-checked, once per entry: quadratic work in the file's size.
    void check_no_overlap() const {
        std::vector<std::size_t> order(entries_.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return entries_[a].local_header_offset < entries_[b].local_header_offset;
        });
        auto range = [&](const zip_entry& e) {
            return concat({"'", escape_for_message(e.name), "' (bytes ", std::to_string(e.local_header_offset), " to ",
                           std::to_string(e.data_offset + e.compressed_size), ")"});
        };
        for (std::size_t i = 1; i < order.size(); ++i) {
            const zip_entry& before = entries_[order[i - 1]];
            const zip_entry& entry = entries_[order[i]];
            if (entry.local_header_offset < before.data_offset + before.compressed_size)
                fail(concat({"zip entries ", range(before), " and ", range(entry),
                             " overlap; zip writers, torch.save's included, give each entry bytes of its own"}),
                     entry.local_header_offset);
        }
    }

    zip_entry read_central_header(std::uint64_t& pos, std::uint64_t directory_end, std::uint64_t data_limit) const {
        const std::uint64_t header = pos;
        if (directory_end - pos < zip_central_header_size) fail("the central directory ends inside an entry's header", pos);
        if (at(pos, 4) != zip_central_header_signature) fail("no central directory header where one should be", pos);
        zip_entry entry;
        entry.flags = std::uint16_t(at(pos + 8, 2));
        entry.method = std::uint16_t(at(pos + 10, 2));
        entry.crc32 = std::uint32_t(at(pos + 16, 4));
        entry.compressed_size = at(pos + 20, 4);
        entry.size = at(pos + 24, 4);
        const std::uint64_t name_length = at(pos + 28, 2), extra_length = at(pos + 30, 2);
        const std::uint64_t comment_length = at(pos + 32, 2);
        std::uint64_t start_disk = at(pos + 34, 2);
        entry.local_header_offset = at(pos + 42, 4);
        if (directory_end - pos - zip_central_header_size < name_length + extra_length + comment_length)
            fail("a central directory header's name, extra field and comment run past the directory", pos);
        pos += zip_central_header_size;
        entry.name.assign(reinterpret_cast<const char*>(archive_.data() + pos), std::size_t(name_length));
        pos += name_length;

        // Zip64: a field set to all ones in the header is in the zip64 extra field, in this order.
        const std::uint64_t extra_end = pos + extra_length;
        while (extra_end - pos >= 4) {
            const std::uint64_t id = at(pos, 2), length = at(pos + 2, 2);
            pos += 4;
            if (length > extra_end - pos) fail(concat({"malformed extra field in the header of '", escape_for_message(entry.name), "'"}), pos);
            if (id == zip64_extra_id) {
                std::uint64_t field = pos;
                const std::uint64_t field_end = pos + length;
                auto take = [&](std::uint64_t& value, std::size_t width) {
                    if (value != (width == 2 ? 0xFFFFu : 0xFFFFFFFFu)) return;
                    if (field_end - field < 8)
                        fail(concat({"the zip64 extra field of '", escape_for_message(entry.name), "' is too short"}), field);
                    value = at(field, 8);
                    field += 8;
                };
                take(entry.size, 4);
                take(entry.compressed_size, 4);
                take(entry.local_header_offset, 4);
                take(start_disk, 2);
            }
            pos += length;
        }
        pos = extra_end + comment_length;

        if (entry.flags & 1) fail(concat({"zip entry '", escape_for_message(entry.name), "' is encrypted"}), header);
        if (start_disk != 0) fail(concat({"zip entry '", escape_for_message(entry.name), "' is on another disk"}), header);
        if (entry.method == 0 && entry.compressed_size != entry.size)
            fail(concat({"stored zip entry '", escape_for_message(entry.name), "' has different compressed (",
                         std::to_string(entry.compressed_size), ") and uncompressed (", std::to_string(entry.size), ") sizes"}),
                 header);

        // The data follow the local header, whose name and extra lengths may differ from the central
        // directory's (PyTorch pads only the local extra field).
        const std::uint64_t local = entry.local_header_offset;
        if (local > data_limit || data_limit - local < zip_local_header_size)
            fail(concat({"the local header of zip entry '", escape_for_message(entry.name), "' (offset ", std::to_string(local),
                         ") is outside the entries' area"}),
                 header);
        if (at(local, 4) != zip_local_header_signature)
            fail(concat({"no local header where the central directory puts zip entry '", escape_for_message(entry.name), "'"}), local);
        const std::uint64_t local_name_length = at(local + 26, 2), local_extra_length = at(local + 28, 2);
        entry.data_offset = local + zip_local_header_size + local_name_length + local_extra_length;
        if (entry.data_offset > data_limit || entry.compressed_size > data_limit - entry.data_offset)
            fail(concat({"the data of zip entry '", escape_for_message(entry.name), "' (", std::to_string(entry.compressed_size),
                         " bytes at offset ", std::to_string(entry.data_offset), ") run past the entries' area, which ends at ",
                         std::to_string(data_limit)}),
                 local);
        const std::string_view local_name(reinterpret_cast<const char*>(archive_.data() + local + zip_local_header_size),
                                           std::size_t(local_name_length));
        if (local_name != entry.name)
            fail(concat({"zip entry '", escape_for_message(entry.name), "' is named '", escape_for_message(local_name), "' in its local header"}),
                 local);
        return entry;
    }

    std::span<const std::byte> archive_;
    std::string source_;
    std::vector<zip_entry> entries_;
    std::map<std::string, std::size_t, std::less<>> index_;
};

// Writes a zip archive of stored entries, each entry's data starting on a 64-byte boundary of the
// archive (the local header is padded with an extra field, as PyTorch does), then the central
// directory and zip64 end records. Sizes and offsets of 4 GiB and more use zip64 extra fields.
class zip_writer {
public:
    // `always_zip64` writes zip64 extra fields even for small entries: it lets tests reach the zip64
    // paths of readers without 4 GiB files.
    explicit zip_writer(chunk_writer sink, bool always_zip64 = false)
        : sink_(std::move(sink)), always_zip64_(always_zip64) {}

    void add(std::string_view name, std::span<const std::byte> data) {
        if (finished_) throw format_error("typenet: zip_writer::add after finish()");
        if (name.empty() || name.size() > 0xFFFF)
            throw format_error(concat({"typenet: zip entry name '", escape_for_message(name), "' is empty or longer than 65,535 bytes"}));
        if (!names_.emplace(name).second)
            throw format_error(concat({"typenet: zip entry '", escape_for_message(name), "' added twice"}));

        written_entry entry{std::string(name), crc32(data), data.size(), offset_};
        const bool zip64 = always_zip64_ || data.size() >= 0xFFFFFFFFu;
        const std::size_t zip64_extra = zip64 ? 4 + 16 : 0;
        const std::uint64_t unpadded = offset_ + zip_local_header_size + name.size() + zip64_extra + 4;
        const std::size_t padding = std::size_t((64 - unpadded % 64) % 64);

        std::vector<std::byte> header;
        put(header, zip_local_header_signature, 4);
        put(header, zip64 ? 45 : 20, 2);  // version needed: 4.5 for zip64, 2.0 otherwise
        put(header, utf8_names_flag, 2);
        put(header, 0, 2);                // method: stored
        put(header, 0, 2);                // time 00:00:00
        put(header, dos_date_1980_01_01, 2);
        put(header, entry.crc, 4);
        put(header, zip64 ? 0xFFFFFFFFu : entry.size, 4);
        put(header, zip64 ? 0xFFFFFFFFu : entry.size, 4);
        put(header, name.size(), 2);
        put(header, zip64_extra + 4 + padding, 2);
        put(header, name);
        if (zip64) {  // the local zip64 field holds both sizes
            put(header, zip64_extra_id, 2);
            put(header, 16, 2);
            put(header, entry.size, 8);
            put(header, entry.size, 8);
        }
        put(header, pytorch_padding_extra_id, 2);
        put(header, padding, 2);
        header.resize(header.size() + padding, std::byte{'Z'});
        write(header);
        write(data);
        entries_.push_back(std::move(entry));
    }

    // Writes the central directory and the end records. The archive is complete after this.
    void finish() {
        if (finished_) throw format_error("typenet: zip_writer::finish called twice");
        finished_ = true;
        const std::uint64_t directory_offset = offset_;
        std::vector<std::byte> directory;
        for (const written_entry& entry : entries_) {
            const bool large_size = always_zip64_ || entry.size >= 0xFFFFFFFFu;
            const bool large_offset = always_zip64_ || entry.offset >= 0xFFFFFFFFu;
            const std::size_t zip64_extra = (large_size ? 16 : 0) + (large_offset ? 8 : 0);
            put(directory, zip_central_header_signature, 4);
            put(directory, made_by_unix_version_45, 2);
            put(directory, zip64_extra ? 45 : 20, 2);
            put(directory, utf8_names_flag, 2);
            put(directory, 0, 2);
            put(directory, 0, 2);
            put(directory, dos_date_1980_01_01, 2);
            put(directory, entry.crc, 4);
            put(directory, large_size ? 0xFFFFFFFFu : entry.size, 4);
            put(directory, large_size ? 0xFFFFFFFFu : entry.size, 4);
            put(directory, entry.name.size(), 2);
            put(directory, zip64_extra ? zip64_extra + 4 : 0, 2);
            put(directory, 0, 2);  // comment length
            put(directory, 0, 2);  // disk
            put(directory, 0, 2);  // internal attributes
            put(directory, std::uint64_t(0100644) << 16, 4);  // external attributes: a regular file, rw-r--r--
            put(directory, large_offset ? 0xFFFFFFFFu : entry.offset, 4);
            put(directory, entry.name);
            if (zip64_extra) {
                put(directory, zip64_extra_id, 2);
                put(directory, zip64_extra, 2);
                if (large_size) {
                    put(directory, entry.size, 8);
                    put(directory, entry.size, 8);
                }
                if (large_offset) put(directory, entry.offset, 8);
            }
            if (directory.size() >= 1 << 20) {  // bounded memory for archives of many entries
                write(directory);
                directory.clear();
            }
        }
        write(directory);
        const std::uint64_t directory_size = offset_ - directory_offset;
        const std::uint64_t count = entries_.size();

        std::vector<std::byte> end;
        const std::uint64_t zip64_end_offset = offset_;
        put(end, zip64_end_signature, 4);
        put(end, zip64_end_size - 12, 8);
        put(end, made_by_unix_version_45, 2);
        put(end, 45, 2);
        put(end, 0, 4);
        put(end, 0, 4);
        put(end, count, 8);
        put(end, count, 8);
        put(end, directory_size, 8);
        put(end, directory_offset, 8);
        put(end, zip64_locator_signature, 4);
        put(end, 0, 4);
        put(end, zip64_end_offset, 8);
        put(end, 1, 4);
        put(end, zip_end_signature, 4);
        put(end, 0, 2);
        put(end, 0, 2);
        put(end, count >= 0xFFFF ? 0xFFFF : count, 2);
        put(end, count >= 0xFFFF ? 0xFFFF : count, 2);
        put(end, directory_size >= 0xFFFFFFFFu ? 0xFFFFFFFFu : directory_size, 4);
        put(end, directory_offset >= 0xFFFFFFFFu ? 0xFFFFFFFFu : directory_offset, 4);
        put(end, 0, 2);  // comment length
        write(end);
    }

    // Bytes written so far.
    std::uint64_t size() const { return offset_; }

private:
    static constexpr std::uint16_t utf8_names_flag = 1 << 11;
    static constexpr std::uint16_t dos_date_1980_01_01 = (0 << 9) | (1 << 5) | 1;
    static constexpr std::uint16_t made_by_unix_version_45 = (3 << 8) | 45;

    struct written_entry {
        std::string name;
        std::uint32_t crc;
        std::uint64_t size;
        std::uint64_t offset;
    };

    static void put(std::vector<std::byte>& out, std::uint64_t value, std::size_t width) {
        for (std::size_t i = 0; i < width; ++i) out.push_back(std::byte(value >> (8 * i) & 0xFF));
    }
    static void put(std::vector<std::byte>& out, std::string_view text) {
        for (char c : text) out.push_back(std::byte(static_cast<unsigned char>(c)));
    }
    void write(std::span<const std::byte> bytes) {
        if (bytes.empty()) return;
        sink_(bytes);
        offset_ += bytes.size();
    }

    chunk_writer sink_;
    bool always_zip64_;
    bool finished_ = false;
    std::uint64_t offset_ = 0;
    std::vector<written_entry> entries_;
    std::set<std::string, std::less<>> names_;
};

}  // namespace typenet::detail
