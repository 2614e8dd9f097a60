// The key padding mask of the forward call under way: per sample, which positions of the sequence
// are padding (PyTorch's key_padding_mask / src_key_padding_mask, True = ignore this key). It is
// data of the call, not of a layer, and typenet's layers receive only their input; so Model::forward
// publishes it here, in a thread_local, for the duration of the call, and the layers that declare
// `reads_key_padding_mask = true` (MultiheadAttention and Mean with key_padding_mask<true>) read
// it. Sample n of a layer's batch is sample n of the call: such layers are not sample_wise, so no
// batch holding them is split into groups or across threads (module.hpp), and a layer runs on the
// thread that called forward.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "../error.hpp"

namespace typenet::detail {

struct key_padding {
    const bool* mask = nullptr;            // [samples][positions], true where a key is padding; or
    const std::size_t* lengths = nullptr;  // [samples]: positions from lengths[n] on are padding
    std::size_t positions = 0;

    constexpr bool padded(std::size_t sample, std::size_t position) const {
        return mask ? mask[sample * positions + position] : position >= lengths[sample];
    }
};

inline thread_local key_padding current_key_padding{};

// The mask of the call under way, for a layer that reads one. Model::forward always sets it; a
// layer run some other way has none, which is an error rather than a guess.
inline key_padding call_key_padding(std::string_view layer) {
    const key_padding padding = current_key_padding;
    if (!padding.mask && !padding.lengths)
        throw error(concat({layer, " with key_padding_mask<true>: this forward call has no key padding mask; pass it "
                                   "to Model::forward beside the input"}));
    return padding;
}

// Valid lengths beyond the sequence are an error (Model::forward, Trainable::forward).
inline void check_valid_lengths(const key_padding& padding, std::size_t samples) {
    if (padding.lengths)
        for (std::size_t n = 0; n < samples; ++n)
            if (padding.lengths[n] > padding.positions)
                throw error(concat({"typenet: the valid length ", std::to_string(padding.lengths[n]), " of sample ",
                                    std::to_string(n), " exceeds the ", std::to_string(padding.positions),
                                    " positions of the sequence"}));
}

// Sets the mask for the lifetime of the scope and puts back what was there before, also when the
// forward pass throws (an Embedding refusing an id).
class key_padding_scope {
public:
    explicit key_padding_scope(key_padding padding) : saved_(current_key_padding) { current_key_padding = padding; }
    ~key_padding_scope() { current_key_padding = saved_; }
    key_padding_scope(const key_padding_scope&) = delete;
    key_padding_scope& operator=(const key_padding_scope&) = delete;

private:
    key_padding saved_;
};

}  // namespace typenet::detail
