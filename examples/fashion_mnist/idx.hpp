// Fashion-MNIST from its gzip'ed IDX files, with the pixels scaled exactly as train.py scales them,
// so that a typenet model sees the very numbers the PyTorch model was trained and tested on.
//
//     const fashion_mnist_split test = read_fashion_mnist("/usr/share/datasets/fashion-mnist", "t10k");
//     std::cout << test.count << " images; the first is a " << fashion_mnist_class_names[test.labels[0]] << '\n';
//
// IDX (the format of the original MNIST files): a big-endian header, then unsigned bytes.
//   images: magic 0x00000803, count, rows, cols, then count * rows * cols pixels, row-major;
//   labels: magic 0x00000801, count, then count labels.
// Every check a damaged or wrong file could fail throws idx::error, naming the file and what is wrong.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cfloat>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace idx {

// A file that is missing, is not gzip, or is not the IDX file the caller expects.
struct error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

inline constexpr std::uint32_t images_magic = 0x00000803;  // unsigned bytes, 3 dimensions
inline constexpr std::uint32_t labels_magic = 0x00000801;  // unsigned bytes, 1 dimension

struct images {
    std::size_t count = 0, rows = 0, cols = 0;
    std::vector<std::uint8_t> pixels;  // count * rows * cols, row-major
};

namespace detail {

inline std::string hex32(std::uint32_t value) {
    constexpr std::string_view digits = "0123456789abcdef";
    std::string text = "0x";
    for (int shift = 28; shift >= 0; shift -= 4) text += digits[(value >> shift) & 0xf];
    return text;
}

// The decompressed bytes of one gzip file, read in order. Knows how far it got, for messages.
class gzip_stream {
public:
    explicit gzip_stream(const std::filesystem::path& path) : name_(path.string()) {
        errno = 0;
        file_ = gzopen(name_.c_str(), "rb");
        if (file_ == nullptr) {
            const int code = errno;
            throw error(name_ + ": cannot open: " +
                        (code != 0 ? std::generic_category().message(code) : std::string("out of memory")));
        }
        // zlib would pass a file without a gzip header through unchanged: the data set is gzip'ed, so
        // anything else is the wrong file (or one unpacked by hand, which the caller should know about).
        if (gzdirect(file_) == 1) {
            gzclose(file_);
            throw error(name_ + ": not a gzip file (expected the gzip'ed IDX file, *-ubyte.gz)");
        }
    }
    gzip_stream(const gzip_stream&) = delete;
    gzip_stream& operator=(const gzip_stream&) = delete;
    ~gzip_stream() { gzclose(file_); }

    const std::string& name() const { return name_; }
    std::uint64_t position() const { return position_; }

    // Fills `out`, or part of it when the data ends. Damaged gzip data throws.
    std::size_t read(std::span<std::uint8_t> out) {
        std::size_t done = 0;
        while (done < out.size()) {
            // gzread takes an unsigned count and returns an int: ask for at most 1 MiB at a time.
            const auto want = static_cast<unsigned>(std::min<std::size_t>(out.size() - done, std::size_t{1} << 20));
            const int got = gzread(file_, out.data() + done, want);
            if (got < 0) fail("corrupt gzip data");
            done += static_cast<std::size_t>(got);
            position_ += static_cast<std::uint64_t>(got);
            if (static_cast<unsigned>(got) < want) {
                int code = Z_OK;
                gzerror(file_, &code);
                // A gzip stream cut short is not an IDX file cut short: say which one it is.
                if (code == Z_BUF_ERROR) fail("the gzip data is cut short: the file ends inside the compressed stream");
                if (code != Z_OK) fail("corrupt gzip data");
                break;
            }
        }
        return done;
    }

    // Counts the bytes left, without keeping them.
    std::uint64_t skip_rest() {
        std::array<std::uint8_t, 4096> sink;
        const std::uint64_t start = position_;
        while (read(sink) == sink.size()) {
        }
        return position_ - start;
    }

private:
    [[noreturn]] void fail(std::string_view what) {
        int code = Z_OK;
        const char* zlib_message = gzerror(file_, &code);
        std::string_view message = zlib_message != nullptr ? zlib_message : "";
        // zlib's messages start with the file's name, which ours already does.
        if (message.starts_with(name_ + ": ")) message.remove_prefix(name_.size() + 2);
        // No byte offset: zlib decompresses ahead of what it hands out, so it would mislead.
        throw error(name_ + ": " + std::string(what) + " (zlib: " + std::string(message) + ")");
    }

    std::string name_;
    gzFile file_ = nullptr;
    std::uint64_t position_ = 0;
};

// Reads `count` bytes into `out` (appended), or throws naming where the data ends.
inline void read_exactly(gzip_stream& in, std::vector<std::uint8_t>& out, std::uint64_t count, std::string_view what) {
    // Grows as the data arrives, so a header that claims billions of images fails as truncated,
    // not as an allocation of gigabytes.
    constexpr std::uint64_t chunk = std::uint64_t{1} << 22;
    const std::uint64_t end = in.position() + count;
    for (std::uint64_t left = count; left > 0;) {
        const std::size_t step = static_cast<std::size_t>(std::min(left, chunk));
        const std::size_t old_size = out.size();
        out.resize(old_size + step);
        const std::size_t got = in.read(std::span(out).subspan(old_size));
        if (got < step)
            throw error(in.name() + ": truncated at byte " + std::to_string(in.position()) + " (expected " +
                        std::to_string(end) + " bytes: the header and " + std::string(what) + ")");
        left -= step;
    }
}

inline std::uint32_t big_endian32(const std::uint8_t* bytes) {
    return std::uint32_t{bytes[0]} << 24 | std::uint32_t{bytes[1]} << 16 | std::uint32_t{bytes[2]} << 8 | bytes[3];
}

// The header: `fields` big-endian 32-bit numbers, the first of which is the magic. The magic is
// checked before the rest is read, so that a short file of the other kind is called what it is.
template <std::size_t fields>
std::array<std::uint32_t, fields> read_header(gzip_stream& in, std::uint32_t magic, std::string_view kind) {
    std::array<std::uint8_t, 4 * fields> bytes{};
    const auto truncated = [&] {
        return error(in.name() + ": truncated at byte " + std::to_string(in.position()) + ": an IDX " +
                     std::string(kind) + " header needs " + std::to_string(bytes.size()) + " bytes");
    };
    if (in.read(std::span(bytes).first(4)) < 4) throw truncated();
    if (const std::uint32_t found = big_endian32(bytes.data()); found != magic)
        throw error(in.name() + ": wrong magic " + hex32(found) + " (expected " + hex32(magic) + ", " +
                    std::string(kind) + "s)");
    if (in.read(std::span(bytes).subspan(4)) < bytes.size() - 4) throw truncated();
    std::array<std::uint32_t, fields> header{};
    for (std::size_t i = 0; i < fields; ++i) header[i] = big_endian32(bytes.data() + 4 * i);
    return header;
}

inline void expect_end(gzip_stream& in, std::uint64_t count, std::string_view what) {
    const std::uint64_t data_end = in.position();
    if (const std::uint64_t extra = in.skip_rest(); extra > 0)
        throw error(in.name() + ": " + std::to_string(extra) + (extra == 1 ? " extra byte" : " extra bytes") +
                    " after the " + std::to_string(count) + " " + std::string(what) + " (the data ends at byte " +
                    std::to_string(data_end) + ", the file at byte " + std::to_string(in.position()) + ")");
}

}  // namespace detail

// The images of an IDX file, which must be rows x cols each.
inline images read_images(const std::filesystem::path& file, std::size_t rows, std::size_t cols) {
    detail::gzip_stream in(file);
    const auto header = detail::read_header<4>(in, images_magic, "image");
    if (header[2] != rows || header[3] != cols)
        throw error(in.name() + ": images are " + std::to_string(header[2]) + "x" + std::to_string(header[3]) +
                    " (expected " + std::to_string(rows) + "x" + std::to_string(cols) + ")");
    images result{.count = header[1], .rows = rows, .cols = cols, .pixels = {}};
    const std::uint64_t image_size = std::uint64_t{rows} * cols;
    if (image_size != 0 && result.count > std::numeric_limits<std::uint64_t>::max() / image_size)
        throw error(in.name() + ": " + std::to_string(result.count) + " images of " + std::to_string(image_size) +
                    " bytes do not fit in memory");
    const std::string what = std::to_string(result.count) + " images";
    detail::read_exactly(in, result.pixels, result.count * image_size, what);
    detail::expect_end(in, result.count, "images");
    return result;
}

// The labels of an IDX file, each of which must be less than num_classes.
inline std::vector<std::uint8_t> read_labels(const std::filesystem::path& file, std::size_t num_classes) {
    detail::gzip_stream in(file);
    const auto header = detail::read_header<2>(in, labels_magic, "label");
    std::vector<std::uint8_t> labels;
    detail::read_exactly(in, labels, header[1], std::to_string(header[1]) + " labels");
    detail::expect_end(in, header[1], "labels");
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (labels[i] >= num_classes)
            throw error(in.name() + ": label " + std::to_string(labels[i]) + " at byte " + std::to_string(8 + i) +
                        " (image " + std::to_string(i) + ") is not a class (0 to " + std::to_string(num_classes - 1) +
                        ")");
    return labels;
}

}  // namespace idx

inline constexpr std::size_t fashion_mnist_rows = 28, fashion_mnist_cols = 28;
inline constexpr std::size_t fashion_mnist_image_size = fashion_mnist_rows * fashion_mnist_cols;
inline constexpr std::array<std::string_view, 10> fashion_mnist_class_names{
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

// The training pixels' mean and standard deviation after dividing by 255, to four digits (train.py
// prints the exact values). The same decimal literals in train.py round to the same floats.
inline constexpr float fashion_mnist_mean = 0.2860f, fashion_mnist_std = 0.3530f;

// Bit for bit train.py's normalize(): a division, a subtraction and a division, in this order, each
// rounded to float as IEEE arithmetic does. That needs no excess precision (x87) and no fast-math
// shortcuts (a multiplication by 1/255 instead of the division already changes most results).
static_assert(FLT_EVAL_METHOD == 0, "the preprocessing must round every step to float, as numpy does");
#ifdef __FAST_MATH__
#error "-ffast-math changes the preprocessing's rounding: build idx.hpp's users without it"
#endif
inline float fashion_mnist_normalize(std::uint8_t pixel) {
    return (static_cast<float>(pixel) / 255.0f - fashion_mnist_mean) / fashion_mnist_std;
}

struct fashion_mnist_split {
    std::vector<float> images;         // count x 28 x 28, row-major, fashion_mnist_normalize'd
    std::vector<std::uint8_t> labels;  // count, each an index into fashion_mnist_class_names
    std::size_t count = 0;

    // Image i < count, as the model's input (1 x 28 x 28).
    std::span<const float, fashion_mnist_image_size> image(std::size_t i) const {
        return std::span<const float, fashion_mnist_image_size>(images.data() + i * fashion_mnist_image_size,
                                                                fashion_mnist_image_size);
    }
};

// One split of the data set in `dir`, as Debian's dataset-fashion-mnist installs it
// (/usr/share/datasets/fashion-mnist): "train" (60,000 images) or "t10k" (10,000).
inline fashion_mnist_split read_fashion_mnist(const std::filesystem::path& dir, std::string_view split) {
    const std::filesystem::path images_file = dir / (std::string(split) + "-images-idx3-ubyte.gz");
    const std::filesystem::path labels_file = dir / (std::string(split) + "-labels-idx1-ubyte.gz");
    const idx::images images = idx::read_images(images_file, fashion_mnist_rows, fashion_mnist_cols);
    fashion_mnist_split result;
    result.labels = idx::read_labels(labels_file, fashion_mnist_class_names.size());
    if (result.labels.size() != images.count)
        throw idx::error(images_file.string() + " has " + std::to_string(images.count) + " images but " +
                         labels_file.string() + " has " + std::to_string(result.labels.size()) + " labels");
    result.count = images.count;
    result.images.resize(images.pixels.size());
    for (std::size_t i = 0; i < images.pixels.size(); ++i) result.images[i] = fashion_mnist_normalize(images.pixels[i]);
    return result;
}
