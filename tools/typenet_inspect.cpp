// typenet-inspect: what a weights file holds, without Python: its format, the top-level keys of a
// checkpoint dict, and each tensor as `key dtype shape`, with the total count and bytes.
//
//   typenet-inspect model.pth
//   typenet-inspect checkpoint.pth --key model_state_dict
//   typenet-inspect model.safetensors
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <typenet/checkpoint.hpp>
#include <typenet/serialization.hpp>

namespace {

constexpr std::string_view usage =
    "usage: typenet-inspect FILE [--key KEY]\n"
    "\n"
    "Prints the format of a weights file (a PyTorch .pth/.pt as torch.save writes it, zip or legacy, or a\n"
    "safetensors file) and"
    " its tensors, one per line as `key dtype shape`, then their count and size in bytes.\n"
    "A checkpoint dict ({'epoch': ..., 'model_state_dict': ...}) is listed by its top-level keys;\n"
    "--key KEY lists the tensors of the state_dict stored under KEY.\n"
    "Nothing in the file is executed. Exit status: 0 on success, 1 on any error.\n";

// A mistake on the command line, as opposed to a file that cannot be read.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct arguments {
    std::filesystem::path file;
    typenet::read_options options;
    bool help = false;
};

arguments parse_arguments(int argc, char** argv) {
    arguments args;
    bool have_file = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            args.help = true;
        } else if (arg == "--key") {
            if (i + 1 == argc) throw usage_error("--key needs a value, e.g. --key model_state_dict");
            args.options.state_dict_key = argv[++i];
        } else if (arg.starts_with("--key=")) {
            args.options.state_dict_key = arg.substr(6);
        } else if (arg.starts_with("-") && arg != "-") {
            throw usage_error(typenet::detail::concat({"unknown option ", arg}));
        } else if (have_file) {
            throw usage_error("one FILE at a time");
        } else {
            args.file = arg;
            have_file = true;
        }
    }
    if (!have_file && !args.help) throw usage_error("no FILE given");
    return args;
}

// Text from a file (keys, metadata) or the command line, made safe for a terminal: control
// characters (C0, DEL, C1), Unicode line separators and bidirectional controls, and bytes that are
// not UTF-8 are written as escapes (\n, \t, \x1b, \u0085), a backslash as \\. Otherwise a
// newline could forge a line of output and an escape sequence could reach the terminal. Other
// UTF-8 stays as it is.
std::string printable(std::string_view text) {
    static constexpr char digits[] = "0123456789abcdef";
    auto hex = [](std::uint32_t value, int width) {
        std::string out;
        for (int i = width - 1; i >= 0; --i) out += digits[(value >> (4 * i)) & 0xF];
        return out;
    };
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '\\') { out += "\\\\"; ++i; continue; }
        if (c == '\n') { out += "\\n"; ++i; continue; }
        if (c == '\r') { out += "\\r"; ++i; continue; }
        if (c == '\t') { out += "\\t"; ++i; continue; }
        if (c < 0x20 || c == 0x7F) { out += "\\x" + hex(c, 2); ++i; continue; }
        if (c < 0x80) { out += char(c); ++i; continue; }
        // A UTF-8 sequence: its length from the first byte, then continuation bytes, shortest form.
        const std::size_t length = c >= 0xF5 ? 0 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
        std::uint32_t code = length == 4 ? c & 0x07u : length == 3 ? c & 0x0Fu : c & 0x1Fu;
        bool valid = length > 0 && i + length <= text.size();
        for (std::size_t k = 1; valid && k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            valid = (next & 0xC0) == 0x80;
            code = code << 6 | (next & 0x3Fu);
        }
        valid = valid && !(length == 3 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) &&
                !(length == 4 && (code < 0x10000 || code > 0x10FFFF));
        if (!valid) { out += "\\x" + hex(c, 2); ++i; continue; }
        const bool control = code <= 0x9F || code == 0x2028 || code == 0x2029 || code == 0x200E || code == 0x200F ||
                             (code >= 0x202A && code <= 0x202E) || (code >= 0x2066 && code <= 0x2069);
        if (control) out += "\\u" + hex(code, 4);
        else out.append(text.substr(i, length));
        i += length;
    }
    return out;
}

// A command-line argument as a POSIX shell reads it back: as it is when plain, in single quotes when
// it has spaces or quotes, in bash's $'...' (with printable()'s escapes) when it has control characters.
std::string shell_word(std::string_view text) {
    const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("_-./+,:=@%").find(c) != std::string_view::npos;
    });
    if (plain) return std::string(text);
    const std::string escaped = printable(text);
    std::string out = escaped == text ? "'" : "$'";
    for (char c : escaped) {
        if (c == '\'') out += escaped == text ? "'\\''" : "\\'";
        else out += c;
    }
    return out + "'";
}

void print(const typenet::checkpoint& c, const typenet::read_options& options) {
    std::cout << "file: " << printable(c.source) << "\nformat: " << typenet::name(c.format) << '\n';
    if (c.big_endian) std::cout << "byte order: big-endian\n";
    for (const auto& [key, value] : c.metadata)
        std::cout << "metadata: " << printable(key) << " = " << printable(value) << '\n';
    const bool checkpoint_dict = !c.is_state_dict || !options.state_dict_key.empty();
    if (checkpoint_dict) {
        std::cout << "checkpoint dict, " << c.top_level.size() << " top-level keys:\n";
        // Descriptions are typenet's own words, their strings from the file already escaped.
        for (const typenet::checkpoint_item& item : c.top_level)
            std::cout << "  " << printable(item.key) << ": " << item.description << '\n';
    }
    if (!c.is_state_dict) {
        std::string suggestion;
        for (const typenet::checkpoint_item& item : c.top_level)
            if (suggestion.empty() && item.description.find(" tensor") != std::string::npos) suggestion = item.key;
        std::cout << "to list the tensors of a state_dict in it: typenet-inspect " << shell_word(c.source) << " --key "
                  << (suggestion.empty() ? std::string("KEY") : shell_word(suggestion)) << '\n';
        return;
    }
    if (checkpoint_dict) std::cout << "state_dict '" << printable(options.state_dict_key) << "':\n";
    std::uint64_t total_bytes = 0;
    for (const typenet::checkpoint_tensor& t : c.tensors) {
        std::cout << printable(t.key) << ' ' << typenet::name(t.dtype) << ' ' << typenet::detail::shape_text(t.shape)
                  << '\n';
        // Each tensor's size fits in 64 bits (the reader checks); their sum saturates.
        const std::uint64_t bytes = t.numel() * typenet::size_of(t.dtype);
        total_bytes = bytes > UINT64_MAX - total_bytes ? UINT64_MAX : total_bytes + bytes;
    }
    std::cout << "total: " << c.tensors.size() << (c.tensors.size() == 1 ? " tensor, " : " tensors, ") << total_bytes
              << " bytes\n";
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const arguments args = parse_arguments(argc, argv);
        if (args.help) {
            std::cout << usage;
            return 0;
        }
        print(typenet::read_checkpoint(args.file, args.options), args.options);
        return 0;
    } catch (const usage_error& e) {
        std::cerr << "typenet-inspect: " << e.what() << "\n\n" << usage;
        return 1;
    } catch (const std::exception& e) {
        std::cerr << printable(e.what()) << '\n';  // typenet's messages name themselves, the file and what is wrong
        return 1;
    }
}
