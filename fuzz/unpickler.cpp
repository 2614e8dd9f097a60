// libFuzzer target for the restricted unpickler and read_pth's legacy format (a run of pickles
// followed by raw storages, with no checksums in the way of the fuzzer's mutations).
//
// Each input is unpickled on its own (any persistent id accepted as a storage) and its value
// printed, then read as a legacy .pth checkpoint. Both must either throw typenet::format_error or
// succeed with results inside the input; anything else (a crash, a sanitizer report, another
// exception, a hang) is a finding.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <typenet/detail/formats/pickle.hpp>
#include <typenet/pth.hpp>

#include "pth_fuzz_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
    try {
        typenet::detail::unpickle_options options;
        options.source = "fuzz.pkl";
        options.persistent_load = [](const typenet::detail::pickle_tree&, typenet::detail::pickle_id, std::size_t) {
            return std::int64_t(0);
        };
        const typenet::detail::pickle_tree tree = typenet::detail::unpickle(input, options);
        fuzz::check(tree.end <= input.size(), "the pickle ends past the input");
        // One value per opcode at most, besides the four every tree makes first (None, True, False, ()).
        fuzz::check(tree.size() <= input.size() + 4, "more values than input bytes");
        const std::string text = typenet::detail::pickle_repr(tree, tree.root);
        fuzz::check(text.size() <= 203, "repr longer than its limit");
        for (typenet::detail::pickle_id id = 0; id < tree.size(); ++id)
            typenet::detail::describe_pickle_value(tree, id);
    } catch (const typenet::format_error&) {
    }
    fuzz::check_read_pth(input);
    return 0;
}
