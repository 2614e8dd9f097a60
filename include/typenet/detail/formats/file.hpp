// Whole-file reads that another process cannot crash, and writes that never leave a partial file
// at the destination.
//
// Reading copies the file into memory with pread rather than mapping it: a mapped file that
// another process truncates (torch.save to the same path truncates first) raises SIGBUS on the
// next access, which would kill the process. Only regular files are read, and only as many bytes
// as they held when opened, so a FIFO cannot block and /dev/zero cannot exhaust memory.
//
// Writing goes to a temporary file next to the destination (symlinks followed, as open() would),
// which is flushed and renamed over it. The temporary file's name derives from the destination's,
// and the writer holds an flock on it: a later save of the same file removes temporaries left by
// saves that were killed (no lock, not modified for a minute), never one a live save is writing.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <new>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../checkpoint.hpp"
#include "../../error.hpp"

namespace typenet::detail {

inline std::string system_error_text() { return std::strerror(errno); }

// What a file that is not a regular file is, for messages.
inline std::string_view file_kind(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISLNK(mode)) return "a symbolic link";
    return "a special file";
}

// Closes a descriptor when it goes out of scope.
struct file_descriptor {
    int fd = -1;
    explicit file_descriptor(int descriptor) : fd(descriptor) {}
    file_descriptor(const file_descriptor&) = delete;
    file_descriptor& operator=(const file_descriptor&) = delete;
    ~file_descriptor() {
        if (fd >= 0) ::close(fd);
    }
};

// A regular file opened for reading, with its size and modification time at opening. Opening
// refuses anything else without blocking (a FIFO opens at once with O_NONBLOCK).
class readable_file {
public:
    explicit readable_file(const std::filesystem::path& path)
        : path_(path), file_(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) {
        if (file_.fd < 0) throw format_error(concat({"typenet: cannot open ", path_.string(), ": ", system_error_text()}));
        if (::fstat(file_.fd, &opened_) != 0)
            throw format_error(concat({"typenet: cannot read ", path_.string(), ": ", system_error_text()}));
        if (!S_ISREG(opened_.st_mode))
            throw format_error(concat({"typenet: cannot read ", path_.string(), ": it is ", file_kind(opened_.st_mode),
                                       ", not a regular file. typenet reads weights from regular files only; copy the "
                                       "data to a file first, or pass the bytes to read_pth/read_safetensors"}));
        const int flags = ::fcntl(file_.fd, F_GETFL);
        if (flags >= 0) ::fcntl(file_.fd, F_SETFL, flags & ~O_NONBLOCK);
    }

    std::uint64_t size() const { return std::uint64_t(opened_.st_size); }

    // The file's bytes: exactly size() of them, read into memory that the result owns. Throws if
    // the file shrank or changed while being read (another process writing it).
    shared_bytes read_all() {
        const std::size_t size = std::size_t(opened_.st_size);
        if (size == 0) return shared_bytes(std::make_shared<const std::vector<std::byte>>());
        std::shared_ptr<std::byte> buffer = allocate(size);
        if (!buffer)
            throw format_error(concat({"typenet: cannot read ", path_.string(), ": not enough memory for its ",
                                       std::to_string(size), " bytes"}));
        std::size_t done = 0;
        while (done < size) {
            // Linux moves at most 2 GiB per call.
            const std::size_t chunk = std::min<std::size_t>(size - done, std::size_t(1) << 30);
            const ssize_t n = ::pread(file_.fd, buffer.get() + done, chunk, off_t(done));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw format_error(concat({"typenet: cannot read ", path_.string(), ": ", system_error_text()}));
            if (n == 0) throw changed(concat({"shrank from ", std::to_string(size), " to ", std::to_string(done), " bytes"}));
            done += std::size_t(n);
        }
        struct stat now {};
        if (::fstat(file_.fd, &now) == 0 &&
            (now.st_size != opened_.st_size || now.st_mtim.tv_sec != opened_.st_mtim.tv_sec ||
             now.st_mtim.tv_nsec != opened_.st_mtim.tv_nsec))
            throw changed("changed");
        const std::byte* data = buffer.get();
        return {std::shared_ptr<const void>(std::move(buffer)), std::span<const std::byte>(data, size)};
    }

private:
    // Memory for a file's bytes, not initialized (pread fills it), page-aligned or 64-byte aligned
    // (the records of a .pth are 64-byte aligned in the file); null when there is none. A large
    // buffer asks for transparent huge pages: faulting in 4 KiB pages costs more than the copy
    // itself (measured: 100 MB in 100 ms with 4 KiB pages, 25 ms with 2 MiB ones).
    static std::shared_ptr<std::byte> allocate(std::size_t size) {
        constexpr std::size_t huge_page = std::size_t(2) << 20;
        if (size >= huge_page) {
            // Mapped with a huge page of room, so that the buffer can start on a huge page boundary.
            const std::size_t mapped = size + huge_page;
            void* p = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) return nullptr;
            auto* base = static_cast<std::byte*>(p);
            std::byte* aligned = base + (huge_page - reinterpret_cast<std::uintptr_t>(base) % huge_page) % huge_page;
#ifdef MADV_HUGEPAGE
            ::madvise(aligned, size, MADV_HUGEPAGE);  // a hint: without it, 4 KiB pages
#endif
            return std::shared_ptr<std::byte>(aligned, [base, mapped](std::byte*) { ::munmap(base, mapped); });
        }
        void* p = ::operator new(size, std::align_val_t(64), std::nothrow);
        if (!p) return nullptr;
        return std::shared_ptr<std::byte>(static_cast<std::byte*>(p), [](std::byte* q) { ::operator delete(q, std::align_val_t(64)); });
    }

    format_error changed(std::string_view what) const {
        return format_error(concat({"typenet: ", path_.string(), " ", what,
                                    " while it was being read: another program is writing it (torch.save truncates a "
                                    "file, then writes it). Read it again once the writer has finished."}));
    }

    std::filesystem::path path_;
    file_descriptor file_;
    struct stat opened_ {};
};

// A whole regular file, read into memory (see readable_file). Failures name the file and the reason.
inline shared_bytes read_file(const std::filesystem::path& path) { return readable_file(path).read_all(); }

// ---- writing ----

// Where a save really writes: the destination with its symlinks followed, and the mode, owner and
// group of the regular file already there, if any.
struct save_target {
    std::filesystem::path path;
    bool exists = false;
    struct stat info {};
};

inline save_target resolve_save_target(const std::filesystem::path& destination) {
    const std::string prefix = concat({"typenet: cannot save to ", destination.string(), ": "});
    if (destination.empty())
        throw format_error("typenet: cannot save to an empty path: name the file to write, e.g. \"model.pth\"");
    save_target target;
    target.path = destination;
    // As open() follows links; 40 is Linux's own limit on links followed in one lookup.
    for (int links = 0;; ++links) {
        const std::string it =
            target.path == destination ? std::string("it") : concat({"it is a symbolic link to ", target.path.string(), ", which"});
        if (::lstat(target.path.c_str(), &target.info) != 0) {
            if (errno != ENOENT) throw format_error(concat({prefix, it, " cannot be examined: ", system_error_text()}));
            break;  // a new file
        }
        if (S_ISREG(target.info.st_mode)) {
            target.exists = true;
            break;
        }
        if (!S_ISLNK(target.info.st_mode))
            throw format_error(concat({prefix, it, " is ", file_kind(target.info.st_mode),
                                       ", not a regular file. typenet saves to regular files only (it writes a "
                                       "temporary file and renames it over the old one); choose another path"}));
        if (links == 40)
            throw format_error(concat({prefix, "too many levels of symbolic links (a loop?)"}));
        std::error_code error;
        const std::filesystem::path next = std::filesystem::read_symlink(target.path, error);
        if (error) throw format_error(concat({prefix, "cannot read the symbolic link ", target.path.string(), ": ", error.message()}));
        target.path = next.is_absolute() ? next : target.path.parent_path() / next;
    }
    if (!target.path.has_filename())
        throw format_error(concat({prefix, "the path ends with '/': name the file to write, e.g. \"model.pth\""}));
    return target;
}

// Temporary files of a destination are named ".<name>.<hash>.typenet-tmp-XXXXXX": at most 64 bytes
// of the destination's name (for people) and a hash of all of it, so the name fits NAME_MAX
// whatever the destination's length, and the next save of the same file recognises it.
inline constexpr std::size_t temporary_random_length = 6;

inline std::string temporary_prefix(std::string_view name) {
    std::size_t cut = std::min<std::size_t>(name.size(), 64);
    while (cut > 0 && cut < name.size() && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
    std::uint64_t hash = 0xcbf29ce484222325u;  // FNV-1a
    for (char c : name) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3u;
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex(16, '0');
    for (std::size_t i = 0; i < 16; ++i) hex[15 - i] = digits[(hash >> (4 * i)) & 0xF];
    return concat({".", name.substr(0, cut), ".", hex, ".typenet-tmp-"});
}

// Removes the temporary files that earlier saves of `name` in `dir` left when they were killed:
// files of this user, named for this destination, that nobody holds an flock on and that were not
// modified for a minute (a save locks its file right after creating it, so a fresh unlocked file
// may be one that is starting). Names of typenet before this scheme (".<name>.tmp-XXXXXX") count
// too. Best effort: whatever cannot be checked stays.
inline void remove_stale_temporaries(const std::filesystem::path& dir, std::string_view name) {
    DIR* listing = ::opendir(dir.c_str());
    if (!listing) return;
    const std::string current = temporary_prefix(name);
    const std::string previous = concat({".", name, ".tmp-"});
    const std::time_t stale_before = std::time(nullptr) - 60;
    const int dir_fd = ::dirfd(listing);
    while (const dirent* entry = ::readdir(listing)) {
        const std::string_view candidate = entry->d_name;
        const bool ours = (candidate.starts_with(current) && candidate.size() == current.size() + temporary_random_length) ||
                          (candidate.starts_with(previous) && candidate.size() == previous.size() + 6);
        if (!ours) continue;
        const file_descriptor file(::openat(dir_fd, entry->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
        struct stat opened {}, named {};
        if (file.fd < 0 || ::fstat(file.fd, &opened) != 0 || !S_ISREG(opened.st_mode) || opened.st_uid != ::geteuid() ||
            opened.st_mtime >= stale_before || ::flock(file.fd, LOCK_EX | LOCK_NB) != 0)
            continue;
        // Still the file just checked under that name: then it is unlinked holding its lock.
        if (::fstatat(dir_fd, entry->d_name, &named, AT_SYMLINK_NOFOLLOW) == 0 && named.st_dev == opened.st_dev &&
            named.st_ino == opened.st_ino)
            ::unlinkat(dir_fd, entry->d_name, 0);
    }
    ::closedir(listing);
}

// Writes a file atomically: the data go to a temporary file in the destination's directory, which
// is flushed to disk and then renamed over the destination. A crash or a full disk leaves the
// destination as it was; the temporary file is removed on failure (or, after a crash, by the next
// save of the same file). A symlink is followed: its target is replaced, the link stays. A file
// that exists keeps its permissions (and owner and group, where allowed); a new one gets 0666
// minus the umask, as torch.save's open() gives. Anything but a regular file is refused.
// `produce` receives a function that writes a chunk of bytes.
using chunk_writer = std::function<void(std::span<const std::byte>)>;

inline void write_file_atomically(const std::filesystem::path& destination,
                                  const std::function<void(const chunk_writer&)>& produce) {
    const save_target target = resolve_save_target(destination);
    const std::filesystem::path dir = target.path.has_parent_path() ? target.path.parent_path() : ".";
    const std::string name = target.path.filename().string();
    remove_stale_temporaries(dir, name);

    const std::string prefix = temporary_prefix(name);
    static constexpr char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::random_device random;
    std::string temporary;
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 100; ++attempt) {
        std::string suffix(temporary_random_length, 'x');
        for (char& c : suffix) c = letters[random() % (sizeof letters - 1)];
        temporary = (dir / (prefix + suffix)).string();
        // An existing file's permissions are set below; until then only its owner may read the data.
        fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, target.exists ? 0600 : 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0)
        throw format_error(concat({"typenet: cannot create a temporary file in ", dir.string(), " to write ",
                                   destination.string(), ": ", system_error_text()}));
    // Marks the file as live for remove_stale_temporaries; released when fd closes, or the process dies.
    ::flock(fd, LOCK_EX);
    // Whatever fails, the temporary file goes and the destination stays as it was.
    auto abandon = [&] {
        if (fd >= 0) ::close(fd);
        fd = -1;
        ::unlink(temporary.c_str());
    };
    auto fail = [&](std::string_view what) {
        const std::string reason = system_error_text();
        abandon();
        throw format_error(concat({"typenet: cannot ", what, " ", destination.string(), ": ", reason,
                                   " (the destination was not changed)"}));
    };
    if (target.exists) {
        // Owner and group first (changing them may clear set-id bits). Only root may give a file
        // away, and only a member of a group give it to that group: best effort, the group alone if need be.
        if (target.info.st_uid != ::geteuid() || target.info.st_gid != ::getegid()) {
            int changed = ::fchown(fd, target.info.st_uid, target.info.st_gid);
            if (changed != 0) changed = ::fchown(fd, uid_t(-1), target.info.st_gid);
            (void)changed;
        }
        if (::fchmod(fd, target.info.st_mode & 07777) != 0) fail("set the permissions of");
    }
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
    if (::fsync(fd) != 0) fail("flush");
    // Renamed while still locked, so that no other save ever sees it unlocked under its temporary name.
    if (::rename(temporary.c_str(), target.path.c_str()) != 0) fail("replace");
    ::close(fd);  // the data are on disk (fsync), so closing has nothing left to report
    fd = -1;
    // The rename itself is durable once the directory is flushed.
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
}

}  // namespace typenet::detail
