// Whole-file reads, and writes that never leave a partial file at the destination.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../checkpoint.hpp"
#include "../error.hpp"

namespace typenet::detail {

inline std::string system_error_text() { return std::strerror(errno); }

// A whole file, mapped into memory when it is a regular file (no copy out of the page cache),
// read otherwise. Failures name the file and the reason.
inline shared_bytes read_file(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw format_error(concat({"typenet: cannot open ", path.string(), ": ", system_error_text()}));
    struct stat info {};
    if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_size > 0) {
        const std::size_t size = std::size_t(info.st_size);
        void* mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        ::close(fd);
        if (mapped == MAP_FAILED)
            throw format_error(concat({"typenet: cannot map ", path.string(), " into memory: ", system_error_text()}));
        std::shared_ptr<const void> owner(mapped, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
        return {std::move(owner), std::span<const std::byte>(static_cast<const std::byte*>(mapped), size)};
    }
    auto bytes = std::make_shared<std::vector<std::byte>>();  // a pipe, a device, an empty file
    std::size_t size = 0;
    for (;;) {
        if (size == bytes->size()) bytes->resize(bytes->empty() ? 65536 : bytes->size() * 2);
        const ssize_t n = ::read(fd, bytes->data() + size, bytes->size() - size);
        if (n < 0) {
            if (errno == EINTR) continue;
            const std::string reason = system_error_text();
            ::close(fd);
            throw format_error(concat({"typenet: cannot read ", path.string(), ": ", reason}));
        }
        if (n == 0) break;
        size += std::size_t(n);
    }
    ::close(fd);
    bytes->resize(size);
    return shared_bytes(std::shared_ptr<const std::vector<std::byte>>(std::move(bytes)));
}

// Writes a file atomically: the data goes to a temporary file in the destination's directory,
// which is flushed to disk and then renamed over the destination. A crash or a full disk leaves
// the destination as it was; the temporary file is removed on failure. `produce` receives a
// function that writes a chunk of bytes.
using chunk_writer = std::function<void(std::span<const std::byte>)>;

inline void write_file_atomically(const std::filesystem::path& destination,
                                  const std::function<void(const chunk_writer&)>& produce) {
    const std::filesystem::path dir = destination.has_parent_path() ? destination.parent_path() : ".";
    std::string pattern = (dir / concat({".", destination.filename().string(), ".tmp-XXXXXX"})).string();
    int fd = ::mkstemp(pattern.data());
    if (fd < 0)
        throw format_error(concat({"typenet: cannot create a temporary file in ", dir.string(), " to write ",
                                   destination.string(), ": ", system_error_text()}));
    // Whatever fails, the temporary file goes and the destination stays as it was.
    auto abandon = [&] {
        if (fd >= 0) ::close(fd);
        fd = -1;
        ::unlink(pattern.c_str());
    };
    auto fail = [&](std::string_view what) {
        const std::string reason = system_error_text();
        abandon();
        throw format_error(concat({"typenet: cannot ", what, " ", destination.string(), ": ", reason,
                                   " (the destination was not changed)"}));
    };
    try {
        produce([&](std::span<const std::byte> chunk) {
            while (!chunk.empty()) {
                const ssize_t n = ::write(fd, chunk.data(), chunk.size());
                if (n < 0) {
                    if (errno == EINTR) continue;
                    fail("write");
                }
                chunk = chunk.subspan(std::size_t(n));
            }
        });
    } catch (...) {
        abandon();
        throw;
    }
    if (::fchmod(fd, 0644) != 0) fail("set the permissions of");
    if (::fsync(fd) != 0) fail("flush");
    const int closed = ::close(fd);
    fd = -1;
    if (closed != 0) fail("write");
    if (::rename(pattern.c_str(), destination.c_str()) != 0) fail("replace");
    // The rename itself is durable once the directory is flushed.
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
}

}  // namespace typenet::detail
