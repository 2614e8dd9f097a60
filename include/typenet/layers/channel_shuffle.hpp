// ChannelShuffle: interleaves the channels of `Groups` groups, like nn.ChannelShuffle(groups) and
// torchvision's channel_shuffle in ShuffleNetV2: [C, ...] seen as [Groups, C / Groups, ...],
// transposed to [C / Groups, Groups, ...]. Output channel j * Groups + g is input channel
// g * (C / Groups) + j.
//
//     using Shuffle = typenet::ChannelShuffle<2>;
//     static_assert(Shuffle::infer({8, 5, 5}).output == typenet::shape{8, 5, 5});
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../backward.hpp"
#include "../detail/kernels/common.hpp"
#include "../layer.hpp"

namespace typenet {

template <std::size_t Groups>
struct ChannelShuffle {
    static_assert(Groups >= 1, "ChannelShuffle: groups must be at least 1");
    static constexpr std::string_view type_name = "ChannelShuffle";
    static constexpr std::array<state_spec, 0> state{};
    static constexpr bool sample_wise = true;

    static constexpr shape_check infer(shape in) {
        if (in.rank == 0) return fail("ChannelShuffle: the input needs a channel dimension", 1, 0);
        if (in[0] % Groups != 0)
            return fail("ChannelShuffle: groups (first number) must divide the input's channels (second number)", Groups,
                        in[0]);
        return {in};
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<ChannelShuffle, T>, const T* in, T* out) {
        constexpr std::size_t per_group = In[0] / Groups;
        constexpr std::size_t plane = In.numel() / In[0];
        for (std::size_t n = 0; n < N; ++n)
            for (std::size_t g = 0; g < Groups; ++g)
                for (std::size_t j = 0; j < per_group; ++j)
                    detail::copy_values<plane>(in + (n * In[0] + g * per_group + j) * plane,
                                               out + (n * In[0] + j * Groups + g) * plane);
    }

    // Training (backward.hpp): the gradient shuffled back. Seen as [C / Groups, Groups, ...], the
    // output is undone by the shuffle of C / Groups groups.
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<ChannelShuffle, T>& p) {
        if (p.grad_in) ChannelShuffle<In[0] / Groups>::template propagate<T, In, N>({nullptr}, p.grad_out, p.grad_in);
    }
};

}  // namespace typenet
