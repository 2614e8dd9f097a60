// Memory the readers may use: the unpickler stays within its documented limit (README: "at most 24
// bytes of memory per byte of pickle, plus 1 MiB") whatever the opcodes, and special files are
// refused before anything grows. Every operator new of this program is counted, so it is a program
// of its own (like no_alloc.cpp).
#include <catch2/catch.hpp>

#include <malloc.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <new>
#include <string>
#include <vector>

#include <typenet/detail/formats/pickle.hpp>
#include <typenet/pth.hpp>
#include <typenet/serialization.hpp>

#include "pth_test_support.hpp"

namespace {
std::atomic<std::size_t> live_bytes{0};
std::atomic<std::size_t> peak_bytes{0};
std::atomic<std::size_t> cap_bytes{std::numeric_limits<std::size_t>::max()};

// Heap bytes as malloc counts them (its rounding included); beyond the cap, std::bad_alloc.
void* allocate(std::size_t size, std::size_t alignment) {
    size = size ? size : 1;
    void* p = alignment <= alignof(std::max_align_t)
                  ? std::malloc(size)
                  : std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
    if (!p) throw std::bad_alloc();
    const std::size_t usable = malloc_usable_size(p);
    const std::size_t now = live_bytes += usable;
    if (now > cap_bytes) {
        live_bytes -= usable;
        std::free(p);
        throw std::bad_alloc();
    }
    std::size_t peak = peak_bytes;
    while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {
    }
    return p;
}
void release(void* p) {
    if (!p) return;
    live_bytes -= malloc_usable_size(p);
    std::free(p);
}
}  // namespace

// Every replaceable allocation function, so that no other definition serves part of the program.
void* operator new(std::size_t n) { return allocate(n, 0); }
void* operator new[](std::size_t n) { return allocate(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return allocate(n, std::size_t(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return allocate(n, std::size_t(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try { return allocate(n, 0); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    try { return allocate(n, 0); } catch (...) { return nullptr; }
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    try { return allocate(n, std::size_t(a)); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    try { return allocate(n, std::size_t(a)); } catch (...) { return nullptr; }
}
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }
void operator delete(void* p, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { release(p); }

namespace {

using B = test::pickle_builder;

// What a call allocated at its peak, above what was live before it; and its error, if any.
struct measured {
    std::size_t peak = 0;
    std::string error;
};
measured measure(const std::function<void()>& f) {
    const std::size_t before = live_bytes;
    peak_bytes = before;
    measured m;
    try {
        f();
    } catch (const typenet::format_error& e) {
        m.error = e.what();
    }
    m.peak = peak_bytes - before;
    return m;
}

// The documented limit (README, "Nothing in a file is ever executed"), for a pickle of `size`
// bytes, plus 64 KiB for what does not grow with the input: the parser's own fields, the tree's
// first blocks, the error message.
std::size_t limit(std::size_t size) { return 24 * size + (1u << 20) + (64u << 10); }

constexpr std::size_t n = 1u << 20;  // opcodes per pickle: about 1 MiB each

B repeated(const std::function<void(B&)>& prefix, const std::function<void(B&, std::size_t)>& each,
           const std::function<void(B&)>& suffix = {}) {
    B b;
    b.bytes.reserve(6 * n);
    prefix(b);
    for (std::size_t i = 0; i < n; ++i) each(b, i);
    if (suffix) suffix(b);
    b.stop();
    return b;
}

// Accepts every persistent id as storage 0.
typenet::detail::unpickle_options any_storage() {
    typenet::detail::unpickle_options options;
    options.source = "hostile.pkl";
    options.persistent_load = [](const typenet::detail::pickle_tree&, typenet::detail::pickle_id, std::size_t) {
        return std::int64_t(0);
    };
    return options;
}

}  // namespace

TEST_CASE("unpickle: memory stays within 24 bytes per byte of pickle plus 1 MiB, whatever the opcodes",
          "[pickle][memory]") {
    struct pattern {
        const char* what;
        B pickle;
    };
    const auto none = [](B& b) { b.proto(); };
    const pattern patterns[] = {
        {"NONE after NONE", repeated(none, [](B& b, std::size_t) { b.op('N'); })},
        {"EMPTY_LIST after EMPTY_LIST", repeated(none, [](B& b, std::size_t) { b.op(']'); })},
        {"EMPTY_DICT after EMPTY_DICT", repeated(none, [](B& b, std::size_t) { b.op('}'); })},
        {"BININT1 after BININT1", repeated(none, [](B& b, std::size_t) { b.op('K').op(7); })},
        {"BININT2 of every value", repeated(none, [](B& b, std::size_t i) { b.op('M').little_endian(i, 2); })},
        {"a list of BININT2s", repeated([](B& b) { b.proto().op(']').mark(); },
                                        [](B& b, std::size_t i) { b.op('M').little_endian(i, 2); },
                                        [](B& b) { b.op('e'); })},
        {"a dict of BININT2 keys", repeated([](B& b) { b.proto().op('}').mark(); },
                                            [](B& b, std::size_t i) { b.op('M').little_endian(i, 2).op('N'); },
                                            [](B& b) { b.op('u'); })},
        {"pairs of BININT1s", repeated(none, [](B& b, std::size_t) { b.op('K').op(1).op('K').op(2).op(0x86); })},
        {"empty strings", repeated(none, [](B& b, std::size_t) { b.op('U').op(0); })},
        {"one memoized string, fetched again and again",
         repeated([](B& b) { b.proto().unicode("abcdefgh").op('q').op(0); },
                  [](B& b, std::size_t) { b.op('h').op(0); })},
        {"LONG_BINPUT at growing indices", repeated([](B& b) { b.proto().op('N'); },
                                                    [](B& b, std::size_t i) { b.op('r').little_endian(i, 4); })},
        {"one LONG_BINPUT at the end, at an index as large as the bytes before it",
         repeated([](B& b) { b.proto(); }, [](B& b, std::size_t) { b.op('N'); },
                  [](B& b) { b.op('r').little_endian(b.bytes.size() - 1, 4); })},
        {"tensors sharing one memoized argument tuple",
         repeated([](B& b) {
                      b.proto().global("torch._utils", "_rebuild_tensor_v2").op('q').op(0).mark();
                      b.mark().unicode("storage").global("torch", "FloatStorage").unicode("0").unicode("cpu");
                      b.integer(1).op('t').op('Q').integer(0).int_tuple({1}).int_tuple({1}).op(0x89);
                      b.ordered_dict().op('t').op('q').op(1);
                  },
                  [](B& b, std::size_t) { b.op('h').op(0).op('h').op(1).op('R'); })},
        {"persistent ids of one memoized tuple",
         repeated([](B& b) { b.proto().mark().unicode("storage").integer(1).op('t').op('q').op(0); },
                  [](B& b, std::size_t) { b.op('h').op(0).op('Q'); })},
    };
    for (const pattern& p : patterns) {
        CAPTURE(p.what, p.pickle.bytes.size());
        const measured m = measure([&] { typenet::detail::unpickle(p.pickle.bytes, any_storage()); });
        CAPTURE(m.error);
        CHECK(m.peak <= limit(p.pickle.bytes.size()));
        // Refused only for memory, and saying so.
        CHECK((m.error.empty() || m.error.find("bytes of memory") != std::string::npos));
    }
}

TEST_CASE("read_pth: a hostile data.pkl stays within the unpickler's limit", "[pth][memory]") {
    const B nones = repeated([](B& b) { b.proto(); }, [](B& b, std::size_t) { b.op('N'); });
    const auto archive = test::shared(test::make_checkpoint_zip(nones.bytes, {}));
    const measured m = measure([&] { typenet::read_pth(archive, "nones.pth"); });
    CHECK(m.peak <= limit(nones.bytes.size()));
    CHECK_THAT(m.error, Catch::Contains("nones.pth"));
}

TEST_CASE("reading /dev/zero is refused at once: it is no regular file, and it never ends", "[file][memory]") {
    // 64 MiB of headroom: a reader that reads it anyway runs into std::bad_alloc instead of the machine's memory.
    cap_bytes = live_bytes + (64u << 20);
    std::string error;
    try {
        typenet::read_checkpoint("/dev/zero");
    } catch (const typenet::format_error& e) {
        error = e.what();
    } catch (const std::bad_alloc&) {
        error = "std::bad_alloc";
    }
    cap_bytes = std::numeric_limits<std::size_t>::max();
    CHECK_THAT(error, Catch::Contains("/dev/zero") && Catch::Contains("not a regular file"));
}
