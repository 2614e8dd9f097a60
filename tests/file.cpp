// Tests of detail/formats/file.hpp, the file I/O behind every reader and writer, and of read_checkpoint's
// choice of format: files that change while they are read, special files, saves through symlinks,
// permissions, long names, saves killed midway. Linux: FIFOs, /dev/null, symlinks, modes, fork.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <typenet/serialization.hpp>
#include <typenet/typenet.hpp>

#include "pth_test_support.hpp"
#include "support.hpp"

#ifndef TYPENET_PTH_FILES_DIR
#error "TYPENET_PTH_FILES_DIR names the directory make_pth_files.py writes (see tests/pth.cmake)"
#endif

namespace fs = std::filesystem;
using typenet::format_error;

namespace {

using M = typenet::Model<typenet::Linear<4, 2>, typenet::Input<4>>;

using test::temp_dir;

void write_bytes(const fs::path& path, const std::vector<std::byte>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

// How a child process ended: what it wrote to its pipe, and its exit code or signal.
struct child_result {
    std::string output;
    int exit_code = -1;
    int signal = 0;
};

// Runs f in a child process (a crash there cannot take the test runner down) that gets SIGALRM
// after `seconds`; f's result comes back through a pipe. The child never returns into Catch.
child_result in_child(const std::function<std::string()>& f, unsigned seconds = 20) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        ::alarm(seconds);
        std::string out;
        try {
            out = f();
        } catch (const std::exception& e) {
            out = std::string("exception: ") + e.what();
        }
        for (std::size_t done = 0; done < out.size();) {
            const ssize_t n = ::write(fds[1], out.data() + done, out.size() - done);
            if (n <= 0) break;
            done += std::size_t(n);
        }
        ::_exit(0);
    }
    ::close(fds[1]);
    child_result r;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        r.output.append(buffer, std::size_t(n));
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
    return r;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const format_error& e) {
        return e.what();
    }
    return "";
}

std::unique_ptr<M> model_with(float first) {
    auto model = std::make_unique<M>();
    float value = first;
    for (const typenet::state_entry& e : M::state_dict) {
        auto* p = reinterpret_cast<float*>(model->bytes(e).data());
        for (std::size_t i = 0; i < e.numel; ++i) p[i] = value++;
    }
    return model;
}

float first_weight(const fs::path& path) {
    auto model = std::make_unique<M>();
    typenet::load_state_dict(*model, path);
    return model->at<"weight">()[0];
}

unsigned mode_of(const fs::path& path) {
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return info.st_mode & 07777;
}

}  // namespace

TEST_CASE("a file truncated after it was opened does not kill the loading process (no SIGBUS)", "[file]") {
    // torch.save to the same path truncates the file first. One 8 MiB storage, CRC-checked on read.
    temp_dir dir;
    const fs::path path = dir / "big.pth";
    std::vector<std::byte> data(8u << 20);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = std::byte(i * 7 % 251);
    test::pickle_builder b;
    b.proto().ordered_dict().mark().unicode("w");
    b.tensor("FloatStorage", "0", data.size() / 4, 0, {data.size() / 4}, {1}).op('u').stop();
    write_bytes(path, test::make_checkpoint_zip(b.bytes, {{"0", data}}));

    const child_result r = in_child([&] {
        typenet::shared_bytes bytes = typenet::detail::read_file(path);
        if (::truncate(path.c_str(), 0) != 0) return std::string("truncate failed");
        const typenet::checkpoint c = typenet::read_pth(std::move(bytes), path.string());
        return std::string(test::gather(c.tensors.at(0)) == data ? "the values as written" : "other values");
    });
    CHECK(r.signal == 0);  // SIGBUS (7) when the file's pages are mapped
    CHECK(r.output == "the values as written");
}

TEST_CASE("a file that shrinks or changes while it is read gives an error naming it", "[file]") {
    temp_dir dir;
    const fs::path path = dir / "w.bin";
    write_bytes(path, std::vector<std::byte>(1u << 20, std::byte{3}));
    {
        typenet::detail::readable_file file(path);  // opened: its size is known from here on
        REQUIRE(::truncate(path.c_str(), 1000) == 0);
        CHECK_THAT(error_of([&] { file.read_all(); }),
                   Catch::Contains(path.string()) && Catch::Contains("shrank from 1048576 to 1000 bytes") &&
                       Catch::Contains("another program is writing it"));
    }
    {
        typenet::detail::readable_file file(path);
        write_bytes(path, std::vector<std::byte>(2000, std::byte{4}));  // grows: only the bytes known at opening are read
        const std::string error = error_of([&] { file.read_all(); });
        CHECK_THAT(error, Catch::Contains(path.string()) && Catch::Contains("changed while it was being read"));
    }
    typenet::detail::readable_file file(path);
    CHECK(file.read_all().data.size() == 2000);
}

TEST_CASE("read_checkpoint: a safetensors file whose length field starts 0x80 0x02 is read as safetensors", "[file]") {
    // A JSON header of 640 = 0x280 bytes: the file starts 80 02, as a legacy pickle (PROTO 2) does.
    temp_dir dir;
    const fs::path path = dir / "w.safetensors";
    const auto model = model_with(1);
    std::vector<typenet::safetensors_tensor> tensors;
    for (const typenet::state_entry& e : M::state_dict)
        tensors.push_back({std::string(e.key), e.dtype, {e.shape.begin(), e.shape.end()}, model->bytes(e)});
    typenet::safetensors_metadata metadata{{"format", "pt"}, {"padding", ""}};
    while (typenet::detail::safetensors_header(tensors, metadata, "").size() < 640) metadata[1].second += 'x';
    REQUIRE(typenet::detail::safetensors_header(tensors, metadata, "").size() == 640);
    typenet::save_safetensors(tensors, path, metadata);
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.get() == 0x80);
    REQUIRE(in.get() == 0x02);
    CHECK(first_weight(path) == 1);
    CHECK(typenet::read_checkpoint(path).format == typenet::checkpoint_format::safetensors);
    CHECK_THAT(error_of([&] { typenet::read_pth(path); }), Catch::Contains("read it with read_safetensors"));
}

TEST_CASE("read_checkpoint: legacy files in pickle protocols 3 and 4 are PyTorch checkpoints", "[file]") {
    for (const char* name : {"small_protocol3_legacy.pth", "small_protocol4_legacy.pth"}) {
        CAPTURE(name);
        const typenet::checkpoint c = typenet::read_checkpoint(fs::path(TYPENET_PTH_FILES_DIR) / name);
        CHECK(c.format == typenet::checkpoint_format::pth_legacy);
        CHECK(c.tensors.size() == 3);  // weight, bias, steps (make_pth_files.py's `small`)
    }
}

TEST_CASE("reading refuses what is not a regular file, without waiting for a writer", "[file]") {
    temp_dir dir;
    const fs::path fifo = dir / "fifo.pth";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // Opening a FIFO for reading waits for a writer: in a child, whose alarm ends a wait.
    const child_result r = in_child([&] { return error_of([&] { typenet::read_checkpoint(fifo); }); }, 10);
    CHECK(r.signal == 0);  // SIGALRM (14) when it waits
    CHECK_THAT(r.output, Catch::Contains(fifo.string()) && Catch::Contains("a FIFO") &&
                             Catch::Contains("not a regular file"));
    CHECK_THAT(error_of([&] { typenet::read_checkpoint(dir.path); }),
               Catch::Contains("a directory") && Catch::Contains("not a regular file"));
    CHECK_THAT(error_of([&] { typenet::read_checkpoint("/dev/null"); }),
               Catch::Contains("/dev/null") && Catch::Contains("a character device") &&
                   Catch::Contains("not a regular file"));
}

TEST_CASE("saving keeps an existing file's permissions, and a new file gets what the umask allows", "[file]") {
    temp_dir dir;
    const auto model = model_with(1);
    for (unsigned mode : {0600u, 0640u, 0604u}) {
        CAPTURE(mode);
        const fs::path path = dir / ("existing_" + std::to_string(mode) + ".pth");
        typenet::save_state_dict(*model, path);
        REQUIRE(::chmod(path.c_str(), mode) == 0);
        typenet::save_state_dict(*model, path);
        CHECK(mode_of(path) == mode);
        typenet::save_safetensors(*model, path);
        CHECK(mode_of(path) == mode);
    }
    // As open(path, "wb") in torch.save: 0666 without the umask's bits.
    for (mode_t mask : {mode_t(077), mode_t(022), mode_t(027)}) {
        CAPTURE(mask);
        const mode_t previous = ::umask(mask);
        const fs::path path = dir / ("new_" + std::to_string(mask) + ".pth");
        typenet::save_state_dict(*model, path);
        const fs::path st = dir / ("new_" + std::to_string(mask) + ".safetensors");
        typenet::save_safetensors(*model, st);
        ::umask(previous);
        CHECK(mode_of(path) == (0666u & ~unsigned(mask)));
        CHECK(mode_of(st) == (0666u & ~unsigned(mask)));
    }
}

TEST_CASE("saving through a symlink writes its target, and special destinations are refused and left alone", "[file]") {
    temp_dir dir;
    fs::create_directory(dir / "sub");
    typenet::save_state_dict(*model_with(1), dir / "sub/target.pth");
    fs::create_symlink("sub/target.pth", dir / "link.pth");  // relative to the link's directory
    fs::create_symlink("link.pth", dir / "link_to_link.pth");
    typenet::save_state_dict(*model_with(2), dir / "link.pth");
    CHECK(fs::is_symlink(dir / "link.pth"));
    CHECK(first_weight(dir / "sub/target.pth") == 2);
    typenet::save_safetensors(*model_with(3), dir / "link_to_link.pth");
    CHECK(fs::is_symlink(dir / "link_to_link.pth"));
    CHECK(fs::is_symlink(dir / "link.pth"));
    CHECK(first_weight(dir / "sub/target.pth") == 3);
    // A link to a file that does not exist yet: the file is made, as open() would.
    fs::create_symlink("sub/new.pth", dir / "dangling.pth");
    typenet::save_state_dict(*model_with(4), dir / "dangling.pth");
    CHECK(fs::is_symlink(dir / "dangling.pth"));
    CHECK(first_weight(dir / "sub/new.pth") == 4);
    CHECK(dir.names() == std::vector<std::string>{"dangling.pth", "link.pth", "link_to_link.pth", "sub"});

    const fs::path fifo = dir / "fifo.pth";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_THAT(error_of([&] { typenet::save_state_dict(*model_with(1), fifo); }),
               Catch::Contains(fifo.string()) && Catch::Contains("a FIFO") && Catch::Contains("not a regular file"));
    CHECK(fs::is_fifo(fifo));
    fs::create_symlink("/dev/null", dir / "null.pth");
    CHECK_THAT(error_of([&] { typenet::save_safetensors(*model_with(1), dir / "null.pth"); }),
               Catch::Contains("/dev/null") && Catch::Contains("a character device"));
    CHECK(fs::read_symlink(dir / "null.pth") == "/dev/null");
    CHECK_THAT(error_of([&] { typenet::save_state_dict(*model_with(1), dir / "sub"); }),
               Catch::Contains("a directory") && Catch::Contains("not a regular file"));
    fs::create_symlink("loop_b.pth", dir / "loop_a.pth");
    fs::create_symlink("loop_a.pth", dir / "loop_b.pth");
    CHECK_THAT(error_of([&] { typenet::save_state_dict(*model_with(1), dir / "loop_a.pth"); }),
               Catch::Contains("loop_a.pth") && Catch::Contains("symbolic links"));
    CHECK(dir.names() ==
          std::vector<std::string>{"dangling.pth", "fifo.pth", "link.pth", "link_to_link.pth", "loop_a.pth", "loop_b.pth",
                                   "null.pth", "sub"});
}

TEST_CASE("a file name as long as the file system allows can be saved", "[file]") {
    temp_dir dir;
    const long name_max = ::pathconf(dir.path.c_str(), _PC_NAME_MAX);
    REQUIRE(name_max > 8);
    for (std::size_t length : {std::size_t(name_max), std::size_t(name_max) - 10, std::size_t(244)}) {
        CAPTURE(length);
        const std::string name = std::string(length - 4, 'n') + ".pth";
        typenet::save_state_dict(*model_with(5), dir / name);
        CHECK(first_weight(dir / name) == 5);
        typenet::save_safetensors(*model_with(6), dir / name);
        CHECK(first_weight(dir / name) == 6);
        fs::remove(dir / name);
    }
    CHECK(dir.names().empty());
}

TEST_CASE("saving to an empty path says so", "[file]") {
    CHECK_THAT(error_of([&] { typenet::save_state_dict(*model_with(1), ""); }),
               Catch::Contains("empty path") && Catch::Contains("name the file"));
    CHECK_THAT(error_of([&] { typenet::save_safetensors(*model_with(1), ""); }), Catch::Contains("empty path"));
}

namespace {

// Starts a save of `destination` in a child process, which dies (SIGKILL) after its first chunk,
// leaving its temporary file behind, as kill -9 or a power cut would.
void killed_save(const fs::path& destination) {
    const child_result r = in_child([&] {
        typenet::detail::write_file_atomically(destination, [](const typenet::detail::chunk_writer& write) {
            const std::vector<std::byte> chunk(4096, std::byte{1});
            write(chunk);
            ::kill(::getpid(), SIGKILL);
        });
        return std::string("not killed");
    });
    REQUIRE(r.signal == SIGKILL);
}

// Sets every entry's modification time but `keep`'s an hour back: saves that died long ago.
void age_all_but(const temp_dir& dir, const std::vector<std::string>& keep) {
    const struct timespec an_hour_ago[2] = {{::time(nullptr) - 3600, 0}, {::time(nullptr) - 3600, 0}};
    for (const std::string& name : dir.names())
        if (std::find(keep.begin(), keep.end(), name) == keep.end())
            REQUIRE(::utimensat(AT_FDCWD, (dir / name).c_str(), an_hour_ago, AT_SYMLINK_NOFOLLOW) == 0);
}

}  // namespace

TEST_CASE("a save removes the temporary files that killed saves of the same file left", "[file]") {
    temp_dir dir;
    const fs::path path = dir / "model.pth";
    typenet::save_state_dict(*model_with(1), path);
    for (int i = 0; i < 3; ++i) killed_save(path);
    killed_save(dir / "other.pth");
    // One left by typenet before temporary names had a hash, which the next save removes too.
    write_bytes(dir / ".model.pth.tmp-a1B2c3", {});
    std::vector<std::string> left = dir.names();
    REQUIRE(left.size() == 6);  // model.pth and five temporary files
    age_all_but(dir, {});
    typenet::save_state_dict(*model_with(2), path);
    CHECK(first_weight(path) == 2);
    // The other file's temporary stays: only a save of other.pth may judge it.
    left = dir.names();
    CHECK(left.size() == 2);
    CHECK(std::count(left.begin(), left.end(), "model.pth") == 1);
    typenet::save_safetensors(*model_with(3), dir / "other.pth");
    CHECK(dir.names() == std::vector<std::string>{"model.pth", "other.pth"});

    // A temporary file modified within the last minute may belong to a save that is just starting.
    killed_save(path);
    typenet::save_state_dict(*model_with(4), path);
    CHECK(dir.names().size() == 3);
}

TEST_CASE("a save leaves the temporary file of a concurrent save of the same file alone", "[file]") {
    temp_dir dir;
    const fs::path path = dir / "model.safetensors";
    typenet::save_safetensors(*model_with(1), path);
    int to_parent[2], to_child[2];
    REQUIRE(::pipe(to_parent) == 0);
    REQUIRE(::pipe(to_child) == 0);
    const auto model = model_with(7);
    std::vector<typenet::safetensors_tensor> tensors;
    for (const typenet::state_entry& e : M::state_dict)
        tensors.push_back({std::string(e.key), e.dtype, {e.shape.begin(), e.shape.end()}, model->bytes(e)});
    const std::string header = typenet::detail::safetensors_header(tensors, {{"format", "pt"}}, path.string());
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {  // a slow save: it writes half, waits for the parent, then finishes
        ::alarm(20);
        try {
            bool first = true;
            typenet::detail::write_file_atomically(path, [&](const typenet::detail::chunk_writer& write) {
                typenet::detail::write_safetensors(tensors, header, [&](std::span<const std::byte> chunk) {
                    write(chunk);
                    if (!first) return;
                    first = false;
                    char go = 0;
                    if (::write(to_parent[1], "w", 1) != 1 || ::read(to_child[0], &go, 1) != 1) ::_exit(3);
                });
            });
        } catch (...) {
            ::_exit(2);
        }
        ::_exit(0);
    }
    char written = 0;
    REQUIRE(::read(to_parent[0], &written, 1) == 1);
    REQUIRE(dir.names().size() == 2);  // the destination and the child's temporary file
    age_all_but(dir, {"model.safetensors"});
    typenet::save_safetensors(*model_with(2), path);
    CHECK(dir.names().size() == 2);
    CHECK(first_weight(path) == 2);
    REQUIRE(::write(to_child[1], "g", 1) == 1);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(first_weight(path) == 7);
    CHECK(dir.names() == std::vector<std::string>{"model.safetensors"});
    for (int fd : {to_parent[0], to_parent[1], to_child[0], to_child[1]}) ::close(fd);
}
