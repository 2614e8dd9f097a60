// Tests of examples/fashion_mnist/idx.hpp: the real data reads as train.py reads it, bit for bit,
// and every kind of damaged file ends in an idx::error that says what is wrong, never in a crash.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "../support.hpp"
#include "idx.hpp"

namespace {

namespace fs = std::filesystem;
using bytes = std::vector<std::uint8_t>;
using Catch::Matchers::Message;

const fs::path data_dir = FASHION_MNIST_DIR;
const fs::path scratch_root = IDX_TEST_SCRATCH_DIR;

// An empty directory of the test's own, so that test cases can run in parallel.
fs::path scratch(const std::string& name) {
    const fs::path dir = scratch_root / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

void append_big_endian32(bytes& out, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

// A well-formed images file's content: a pattern that differs from image to image.
bytes idx_images(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, std::uint32_t magic = idx::images_magic) {
    bytes out;
    for (std::uint32_t field : {magic, count, rows, cols}) append_big_endian32(out, field);
    for (std::uint32_t i = 0; i < count * rows * cols; ++i) out.push_back(static_cast<std::uint8_t>(i * 7 + i / 784));
    return out;
}

bytes idx_labels(std::uint32_t count, std::uint32_t magic = idx::labels_magic) {
    bytes out;
    for (std::uint32_t field : {magic, count}) append_big_endian32(out, field);
    for (std::uint32_t i = 0; i < count; ++i) out.push_back(static_cast<std::uint8_t>(i % 10));
    return out;
}

void write_raw(const fs::path& file, const bytes& content) {
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(content.data()), static_cast<std::streamsize>(content.size()));
    REQUIRE(out.good());
}

void write_gzip(const fs::path& file, const bytes& content) {
    gzFile out = gzopen(file.c_str(), "wb");
    REQUIRE(out != nullptr);
    const int written = gzwrite(out, content.data(), static_cast<unsigned>(content.size()));
    REQUIRE(gzclose(out) == Z_OK);
    REQUIRE(written == static_cast<int>(content.size()));
}

// The exception's message contains each of the parts (for messages that quote zlib, say).
class message_contains : public Catch::MatcherBase<std::exception> {
public:
    explicit message_contains(std::vector<std::string> parts) : parts_(std::move(parts)) {}
    bool match(const std::exception& e) const override {
        const std::string message = e.what();
        return std::all_of(parts_.begin(), parts_.end(),
                           [&](const std::string& part) { return message.find(part) != std::string::npos; });
    }
    std::string describe() const override {
        std::string text = "has a message containing";
        for (const std::string& part : parts_) text += " \"" + part + "\"";
        return text;
    }

private:
    std::vector<std::string> parts_;
};

bytes read_raw(const fs::path& file) {
    const std::vector<char> content = test::read_file(file.string());
    return bytes(content.begin(), content.end());
}

}  // namespace

TEST_CASE("the Fashion-MNIST test split reads as train.py reads it, bit for bit", "[idx][data]") {
    const fashion_mnist_split test = read_fashion_mnist(data_dir, "t10k");

    // train.py --export-preprocessed (run by the fixture): count labels, then count * 784 float32.
    const bytes reference = read_raw(FASHION_MNIST_T10K_REFERENCE);
    constexpr std::size_t bytes_per_image = 1 + fashion_mnist_image_size * sizeof(float);
    REQUIRE(reference.size() % bytes_per_image == 0);
    const std::size_t python_count = reference.size() / bytes_per_image;

    // Fashion-MNIST's test split: 10,000 images, 1,000 of each class (the data set's documentation).
    CHECK(python_count == 10000);
    REQUIRE(test.count == python_count);
    REQUIRE(test.labels.size() == test.count);
    REQUIRE(test.images.size() == test.count * fashion_mnist_image_size);
    std::vector<std::size_t> per_class(fashion_mnist_class_names.size());
    for (std::uint8_t label : test.labels) {
        REQUIRE(label < per_class.size());
        ++per_class[label];
    }
    CHECK(std::all_of(per_class.begin(), per_class.end(), [](std::size_t n) { return n == 1000; }));

    CHECK(test.labels[0] == reference[0]);
    CHECK(std::equal(test.labels.begin(), test.labels.end(), reference.begin()));
    // The pixels: the same bits, so a C++ model sees exactly the input the PyTorch model saw.
    std::vector<float> python_images(test.images.size());
    std::memcpy(python_images.data(), reference.data() + test.count, python_images.size() * sizeof(float));
    std::size_t differing = 0;
    for (std::size_t i = 0; i < python_images.size(); ++i)
        differing += std::memcmp(&python_images[i], &test.images[i], sizeof(float)) != 0;
    CHECK(differing == 0);
    CHECK(test.image(1)[0] == test.images[fashion_mnist_image_size]);

    // Those bits cover fashion_mnist_normalize for every input: each of the 256 pixel values occurs.
    const idx::images raw = idx::read_images(data_dir / "t10k-images-idx3-ubyte.gz", 28, 28);
    std::vector<bool> seen(256);
    for (std::uint8_t p : raw.pixels) seen[p] = true;
    CHECK(std::count(seen.begin(), seen.end(), true) == 256);
}

TEST_CASE("the Fashion-MNIST training split has 60,000 labelled images", "[idx][data]") {
    const fashion_mnist_split train = read_fashion_mnist(data_dir, "train");
    CHECK(train.count == 60000);  // the data set's documentation: 60,000 training images
    CHECK(train.images.size() == train.count * fashion_mnist_image_size);
    CHECK(std::all_of(train.labels.begin(), train.labels.end(), [](std::uint8_t l) { return l < 10; }));
}

TEST_CASE("well-formed small files read back as written", "[idx]") {
    const fs::path dir = scratch("well_formed");
    write_gzip(dir / "t10k-images-idx3-ubyte.gz", idx_images(3, 28, 28));
    write_gzip(dir / "t10k-labels-idx1-ubyte.gz", idx_labels(3));
    const fashion_mnist_split split = read_fashion_mnist(dir, "t10k");
    REQUIRE(split.count == 3);
    CHECK(split.labels == bytes{0, 1, 2});
    const bytes content = idx_images(3, 28, 28);
    const bytes pixels(content.begin() + 16, content.end());
    for (std::size_t i = 0; i < pixels.size(); ++i) REQUIRE(split.images[i] == fashion_mnist_normalize(pixels[i]));
    // Pixel 0 is background: (0 / 255 - mean) / std, the same expression as the header's, is negative.
    CHECK(fashion_mnist_normalize(0) == -fashion_mnist_mean / fashion_mnist_std);
}

TEST_CASE("IDX content cut short names the byte where it ends", "[idx][malformed]") {
    const fs::path dir = scratch("truncated");
    const fs::path file = dir / "images.gz";
    const bytes full = idx_images(3, 28, 28);
    const std::size_t expected = 16 + 3 * 28 * 28;
    REQUIRE(full.size() == expected);

    for (std::size_t cut : {std::size_t{0}, std::size_t{3}, std::size_t{15}}) {
        write_gzip(file, bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut)));
        CHECK_THROWS_MATCHES(idx::read_images(file, 28, 28), idx::error,
                             Message(file.string() + ": truncated at byte " + std::to_string(cut) +
                                     ": an IDX image header needs 16 bytes"));
    }
    for (std::size_t cut : {std::size_t{16}, std::size_t{16 + 784 + 5}, expected - 1}) {
        write_gzip(file, bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut)));
        CHECK_THROWS_MATCHES(idx::read_images(file, 28, 28), idx::error,
                             Message(file.string() + ": truncated at byte " + std::to_string(cut) + " (expected " +
                                     std::to_string(expected) + " bytes: the header and 3 images)"));
    }

    const fs::path labels = dir / "labels.gz";
    const bytes full_labels = idx_labels(5);
    write_gzip(labels, bytes(full_labels.begin(), full_labels.begin() + 6));
    CHECK_THROWS_MATCHES(idx::read_labels(labels, 10), idx::error,
                         Message(labels.string() + ": truncated at byte 6: an IDX label header needs 8 bytes"));
    write_gzip(labels, bytes(full_labels.begin(), full_labels.end() - 1));  // 8 + 5 bytes, less the last
    CHECK_THROWS_MATCHES(idx::read_labels(labels, 10), idx::error,
                         Message(labels.string() + ": truncated at byte 12 (expected 13 bytes: the header and 5 "
                                                   "labels)"));
}

TEST_CASE("a header claiming billions of images fails as truncated, without allocating for them", "[idx][malformed]") {
    const fs::path file = scratch("huge_count") / "images.gz";
    bytes content = idx_images(1, 28, 28);
    content[4] = content[5] = content[6] = content[7] = 0xff;  // count 2^32 - 1
    write_gzip(file, content);
    CHECK_THROWS_MATCHES(idx::read_images(file, 28, 28), idx::error,
                         Message(file.string() + ": truncated at byte 800 (expected " +
                                 std::to_string(16 + std::uint64_t{0xffffffff} * 784) +
                                 " bytes: the header and 4294967295 images)"));
}

TEST_CASE("a gzip file cut short is reported as such, wherever it is cut", "[idx][malformed]") {
    const fs::path dir = scratch("gzip_truncated");
    const fs::path whole = dir / "whole.gz", cut_file = dir / "cut.gz";
    write_gzip(whole, idx_images(3, 28, 28));
    const bytes compressed = read_raw(whole);
    REQUIRE(compressed.size() > 30);
    // Inside the compressed data, and inside the 8-byte trailer (CRC-32 and length) that ends it.
    for (std::size_t cut : {std::size_t{12}, compressed.size() / 2, compressed.size() - 8, compressed.size() - 1}) {
        write_raw(cut_file, bytes(compressed.begin(), compressed.begin() + static_cast<std::ptrdiff_t>(cut)));
        CHECK_THROWS_MATCHES(idx::read_images(cut_file, 28, 28), idx::error,
                             message_contains({cut_file.string() + ": the gzip data is cut short"}));
    }
}

TEST_CASE("damaged gzip data is reported, not read", "[idx][malformed]") {
    const fs::path dir = scratch("gzip_corrupt");
    const fs::path file = dir / "images.gz";
    write_gzip(file, idx_images(3, 28, 28));
    const bytes compressed = read_raw(file);

    bytes wrong_crc = compressed;
    wrong_crc[wrong_crc.size() - 8] ^= 0x01;  // the trailer's CRC-32 of the content
    write_raw(file, wrong_crc);
    CHECK_THROWS_MATCHES(idx::read_images(file, 28, 28), idx::error,
                         message_contains({file.string() + ": corrupt gzip data", "(zlib: incorrect data check)"}));

    bytes wrong_method = compressed;
    wrong_method[2] = 7;  // the gzip header's compression method: only 8, deflate, exists
    write_raw(file, wrong_method);
    CHECK_THROWS_MATCHES(idx::read_images(file, 28, 28), idx::error,
                         message_contains({file.string() + ": corrupt gzip data"}));
}

const std::string not_gzip = ": not a gzip file (expected the gzip'ed IDX file, *-ubyte.gz)";

TEST_CASE("files that are not gzip at all are refused", "[idx][malformed]") {
    const fs::path dir = scratch("not_gzip");
    const fs::path file = dir / "images";

    write_raw(file, idx_images(3, 28, 28));  // a correct IDX file, but unpacked
    CHECK_THROWS_MATCHES(idx::read_images(file, 28, 28), idx::error, Message(file.string() + not_gzip));
    const std::string text = "<html>404 Not Found</html>\n";
    write_raw(file, bytes(text.begin(), text.end()));
    CHECK_THROWS_MATCHES(idx::read_images(file, 28, 28), idx::error, Message(file.string() + not_gzip));
    write_raw(file, bytes{0x1f});  // the first byte of gzip's magic, alone
    CHECK_THROWS_MATCHES(idx::read_images(file, 28, 28), idx::error, Message(file.string() + not_gzip));
}

TEST_CASE("empty and missing files are refused", "[idx][malformed]") {
    const fs::path dir = scratch("empty_missing");
    write_raw(dir / "empty", {});  // a gzip file has at least a header and a trailer
    CHECK_THROWS_MATCHES(idx::read_labels(dir / "empty", 10), idx::error,
                         Message((dir / "empty").string() + not_gzip));
    CHECK_THROWS_MATCHES(idx::read_labels(dir / "missing.gz", 10), idx::error,
                         Message((dir / "missing.gz").string() + ": cannot open: No such file or directory"));
    CHECK_THROWS_MATCHES(read_fashion_mnist(dir, "t10k"), idx::error,
                         Message((dir / "t10k-images-idx3-ubyte.gz").string() +
                                 ": cannot open: No such file or directory"));
}

TEST_CASE("a wrong magic number names what was found and what was expected", "[idx][malformed]") {
    const fs::path dir = scratch("wrong_magic");
    const fs::path images = dir / "images.gz", labels = dir / "labels.gz";
    write_gzip(images, idx_images(3, 28, 28));
    write_gzip(labels, idx_labels(3));
    // Each reader given the other's file (the file names swapped in a script, say).
    CHECK_THROWS_MATCHES(idx::read_images(labels, 28, 28), idx::error,
                         Message(labels.string() + ": wrong magic 0x00000801 (expected 0x00000803, images)"));
    CHECK_THROWS_MATCHES(idx::read_labels(images, 10), idx::error,
                         Message(images.string() + ": wrong magic 0x00000803 (expected 0x00000801, labels)"));
    // The header written little-endian: the bytes 03 08 00 00 read big-endian.
    write_gzip(images, idx_images(3, 28, 28, 0x03080000));
    CHECK_THROWS_MATCHES(idx::read_images(images, 28, 28), idx::error,
                         Message(images.string() + ": wrong magic 0x03080000 (expected 0x00000803, images)"));
}

TEST_CASE("images of other sizes than the caller's are refused", "[idx][malformed]") {
    const fs::path file = scratch("wrong_size") / "images.gz";
    write_gzip(file, idx_images(2, 32, 32));  // CIFAR-sized
    CHECK_THROWS_MATCHES(idx::read_images(file, 28, 28), idx::error,
                         Message(file.string() + ": images are 32x32 (expected 28x28)"));
    write_gzip(file, idx_images(2, 28, 27));
    CHECK_THROWS_MATCHES(idx::read_images(file, 28, 28), idx::error,
                         Message(file.string() + ": images are 28x27 (expected 28x28)"));
    CHECK(idx::read_images(file, 28, 27).pixels.size() == 2 * 28 * 27);  // as the caller expects, fine
}

TEST_CASE("bytes after the data are refused, counted", "[idx][malformed]") {
    const fs::path dir = scratch("extra_bytes");
    const fs::path images = dir / "images.gz", labels = dir / "labels.gz";
    bytes content = idx_images(3, 28, 28);
    content.insert(content.end(), 5, 0);
    write_gzip(images, content);
    CHECK_THROWS_MATCHES(idx::read_images(images, 28, 28), idx::error,
                         Message(images.string() + ": 5 extra bytes after the 3 images (the data ends at byte " +
                                 std::to_string(16 + 3 * 784) + ", the file at byte " +
                                 std::to_string(16 + 3 * 784 + 5) + ")"));
    // A fourth image the header does not count: more than one read's worth of extra bytes.
    write_gzip(images, [] { bytes b = idx_images(4, 28, 28); b[7] = 3; return b; }());
    CHECK_THROWS_MATCHES(idx::read_images(images, 28, 28), idx::error,
                         message_contains({": 784 extra bytes after the 3 images"}));
    bytes label_content = idx_labels(3);
    label_content.push_back(1);
    write_gzip(labels, label_content);
    CHECK_THROWS_MATCHES(idx::read_labels(labels, 10), idx::error,
                         Message(labels.string() + ": 1 extra byte after the 3 labels (the data ends at byte 11, "
                                                   "the file at byte 12)"));
}

TEST_CASE("labels outside the classes are refused", "[idx][malformed]") {
    const fs::path file = scratch("bad_label") / "labels.gz";
    bytes content = idx_labels(4);
    content[8 + 2] = 10;  // one past the last class
    write_gzip(file, content);
    CHECK_THROWS_MATCHES(idx::read_labels(file, 10), idx::error,
                         Message(file.string() + ": label 10 at byte 10 (image 2) is not a class (0 to 9)"));
    content[8 + 2] = 255;
    write_gzip(file, content);
    CHECK_THROWS_MATCHES(idx::read_labels(file, 10), idx::error,
                         Message(file.string() + ": label 255 at byte 10 (image 2) is not a class (0 to 9)"));
}

TEST_CASE("images and labels must be as many", "[idx][malformed]") {
    const fs::path dir = scratch("count_mismatch");
    write_gzip(dir / "t10k-images-idx3-ubyte.gz", idx_images(3, 28, 28));
    write_gzip(dir / "t10k-labels-idx1-ubyte.gz", idx_labels(4));
    CHECK_THROWS_MATCHES(read_fashion_mnist(dir, "t10k"), idx::error,
                         Message((dir / "t10k-images-idx3-ubyte.gz").string() + " has 3 images but " +
                                 (dir / "t10k-labels-idx1-ubyte.gz").string() + " has 4 labels"));
}
