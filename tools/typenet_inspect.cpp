// typenet-inspect: what a weights file holds, without Python: its format, the top-level keys of a
// checkpoint dict, and each tensor as `key dtype shape`, with the total count and bytes.
//
//   typenet-inspect model.pth
//   typenet-inspect checkpoint.pth --key model_state_dict
//   typenet-inspect model.safetensors
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


void print(const typenet::checkpoint& c, const typenet::read_options& options) {
    std::cout << "file: " << c.source << "\nformat: " << typenet::name(c.format) << '\n';
    if (c.big_endian) std::cout << "byte order: big-endian\n";
    for (const auto& [key, value] : c.metadata) std::cout << "metadata: " << key << " = " << value << '\n';
    const bool checkpoint_dict = !c.is_state_dict || !options.state_dict_key.empty();
    if (checkpoint_dict) {
        std::cout << "checkpoint dict, " << c.top_level.size() << " top-level keys:\n";
        for (const typenet::checkpoint_item& item : c.top_level) std::cout << "  " << item.key << ": " << item.description << '\n';
    }
    if (!c.is_state_dict) {
        std::string suggestion;
        for (const typenet::checkpoint_item& item : c.top_level)
            if (suggestion.empty() && item.description.find(" tensor") != std::string::npos) suggestion = item.key;
        std::cout << "to list the tensors of a state_dict in it: typenet-inspect " << c.source << " --key "
                  << (suggestion.empty() ? std::string("KEY") : suggestion) << '\n';
        return;
    }
    if (checkpoint_dict) std::cout << "state_dict '" << options.state_dict_key << "':\n";
    std::uint64_t total_bytes = 0;
    for (const typenet::checkpoint_tensor& t : c.tensors) {
        std::cout << t.key << ' ' << typenet::name(t.dtype) << ' ' << typenet::detail::shape_text(t.shape) << '\n';
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
        std::cerr << e.what() << '\n';  // typenet's messages name themselves, the file and what is wrong
        return 1;
    }
}
