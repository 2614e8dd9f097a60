// GroupNorm: the channels of each sample split into num_groups groups, each normalised over its
// channels and positions, then scaled and shifted per channel; like nn.GroupNorm(num_groups,
// num_channels, eps=1e-5, affine=True). Keys weight and bias, [num_channels], unless affine<false>.
//
//     using G = typenet::GroupNorm<8, 64>;                                       // nn.GroupNorm(8, 64)
//     using H = typenet::GroupNorm<1, 16, typenet::eps<"1e-6">, typenet::affine<false>>;
//     static_assert(G::state.size() == 2 && H::state.size() == 0);
//     static_assert(G::infer({64, 7, 7}).ok() && G::infer({64}).ok());
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "../backward.hpp"
#include "../detail/kernels/reductions.hpp"
#include "../layer.hpp"
#include "../options.hpp"
#include "layer_norm.hpp"  // normalized_group_backward

namespace typenet {

template <std::size_t NumGroups, std::size_t NumChannels, class... Options>
struct GroupNorm {
    static_assert(NumGroups >= 1 && NumChannels >= 1, "GroupNorm: num_groups and num_channels must be at least 1");
    static_assert(NumChannels % NumGroups == 0, "GroupNorm: num_channels must be divisible by num_groups");
    static_assert(options_accepted<void(option_kind::eps, option_kind::affine), Options...>,
                  "GroupNorm takes the options eps<> and affine<>, each at most once");
    static constexpr std::size_t num_groups = NumGroups;
    static constexpr std::size_t num_channels = NumChannels;
    static constexpr double eps = option_t<option_kind::eps, typenet::eps<"1e-5">, Options...>::value;
    static constexpr bool affine = option_t<option_kind::affine, typenet::affine<true>, Options...>::value;

    static constexpr std::string_view type_name = "GroupNorm";
    static constexpr auto state = [] {
        if constexpr (affine)
            return std::array{parameter("weight", {NumChannels}, 1), parameter("bias", {NumChannels})};
        else
            return std::array<state_spec, 0>{};
    }();
    static constexpr bool in_place = true;
    static constexpr bool sample_wise = true;

    // Per-sample input [C, *], as nn.GroupNorm's (N, C, *).
    static constexpr shape_check infer(shape in) {
        if (in.rank < 1)
            return fail("GroupNorm: takes [C, ...] per sample (first number: 1, the least rank; second: the rank it "
                        "gets)",
                        1, in.rank);
        if (in[0] != NumChannels)
            return fail("GroupNorm: num_channels (first number) must equal the channels of its input (second number), "
                        "i.e. the out_channels of the layer before it",
                        NumChannels, in[0]);
        return {in};
    }

    template <class T, shape In, std::size_t N>
    static void propagate(layer_params<GroupNorm, T> params, const T* in, T* out) {
        constexpr std::size_t inner = In.numel() / NumChannels, per_group = NumChannels / NumGroups;
        constexpr std::size_t group_size = per_group * inner;
        for (std::size_t g = 0; g < N * NumGroups; ++g) {
            const T* x = in + g * group_size;
            T* y = out + g * group_size;
            const detail::moments<T> m = detail::moments_of<T, group_size>(x);
            const T rstd = detail::reciprocal_sqrt(m.variance + T(eps));
            // As PyTorch's CPU kernel: y = x * scale + shift, scale = rstd * weight[c].
            for (std::size_t k = 0; k < per_group; ++k) {
                T scale = rstd, shift = -m.mean * rstd;
                if constexpr (affine) {
                    const std::size_t c = g % NumGroups * per_group + k;
                    scale = rstd * params.template get<0>()[c];
                    shift = params.template get<1>()[c] - m.mean * scale;
                }
                detail::scale_and_shift<T, inner>(x + k * inner, y + k * inner, scale, shift);
            }
        }
    }

    // Training (backward.hpp): each group's statistics are computed again, as the forward did; the
    // weight is per channel, one entry for each `inner` values of the group.
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<GroupNorm, T>& p) {
        constexpr std::size_t inner = In.numel() / NumChannels, per_group = NumChannels / NumGroups;
        constexpr std::size_t group_size = per_group * inner;
        const auto [weight, dweight, dbias] = detail::affine_of<affine>(p);
        for (std::size_t g = 0; g < N * NumGroups; ++g) {
            const std::size_t first = g % NumGroups * per_group, at = g * group_size;
            const detail::moments<T> m = detail::moments_of<T, group_size>(p.in + at);
            detail::normalized_group_backward<T>(group_size, 1, p.in + at, p.grad_out + at,
                                                 p.grad_in ? p.grad_in + at : nullptr, m.mean,
                                                 detail::reciprocal_sqrt(m.variance + T(eps)),
                                                 weight ? weight + first : nullptr, dweight ? dweight + first : nullptr,
                                                 dbias ? dbias + first : nullptr, inner);
        }
    }
};

}  // namespace typenet
