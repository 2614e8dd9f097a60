// The machinery shared by RNN, LSTM and GRU (layers/rnn.hpp, lstm.hpp, gru.hpp; their options
// num_layers<>, bidirectional<>, batch_first<>, proj_size<>, nonlinearity<>, returns<> and dropout<>
// are in options.hpp): their state_dict (PyTorch's keys and order), their shape rules, and one
// cell step that both the whole-sequence forward pass and the streaming step run, so the two
// agree to the last bit; and their training (backpropagation through time).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../backward.hpp"
#include "../layer.hpp"
#include "../math.hpp"
#include "../options.hpp"
#include "fixed_string.hpp"
#include "kernels/gemm.hpp"
#include "kernels/simd.hpp"

namespace typenet {
namespace detail {

enum class cell_kind { rnn_tanh, rnn_relu, lstm, gru };
enum class rnn_output { output, h_n, c_n, invalid };

constexpr rnn_output rnn_output_of(std::string_view what) {
    if (what == "output") return rnn_output::output;
    if (what == "h_n") return rnn_output::h_n;
    if (what == "c_n") return rnn_output::c_n;
    return rnn_output::invalid;
}

// name + "_l" + layer + ("_reverse"), e.g. weight_hh_l1_reverse: the characters of one key.
inline constexpr std::size_t rnn_key_chars = 24;
constexpr void write_rnn_key(char* out, std::string_view name, std::size_t layer, bool reverse) {
    std::size_t n = 0;
    for (char ch : name) out[n++] = ch;
    out[n++] = '_';
    out[n++] = 'l';
    char digits[20];
    std::size_t count = 0;
    do {
        digits[count++] = char('0' + layer % 10);
        layer /= 10;
    } while (layer);
    while (count) out[n++] = digits[--count];
    if (reverse)
        for (char ch : std::string_view("_reverse")) out[n++] = ch;
}

// y[n] = W1[n] . x1 + W2[n] . x2 (+ b1[n] + b2[n]) for N rows: the input and the hidden products of
// a cell in one pass, with one horizontal sum per row instead of two (gemm.hpp's dot_tile).
template <class T, std::size_t N, std::size_t K1, std::size_t K2>
struct dot2_rows {
    using S = simd<T, dot_vector_bytes<T, K1, K2>()>;
    static constexpr std::size_t NR = S::lanes;

    [[gnu::always_inline]] static void run(const T* x1, const T* W1, const T* x2, const T* W2, T* y, const T* b1,
                                           const T* b2) {
        for (std::size_t n0 = 0; n0 + NR <= N; n0 += NR)
            dot_tile<T, S, NR, K1, K2>(x1, W1 + n0 * K1, x2, W2 + n0 * K2, y + n0, b1 ? b1 + n0 : nullptr,
                                    b1 ? b2 + n0 : nullptr);
        if constexpr (N % NR != 0) {  // the last rows, fewer than a vector
            constexpr std::size_t n0 = N / NR * NR;
            dot_tile<T, S, N % NR, K1, K2>(x1, W1 + n0 * K1, x2, W2 + n0 * K2, y + n0, b1 ? b1 + n0 : nullptr,
                                        b1 ? b2 + n0 : nullptr);
        }
    }
};

template <cell_kind Cell, std::size_t InputSize, std::size_t HiddenSize, class... Options>
struct recurrent {
    static constexpr std::size_t input_size = InputSize, hidden_size = HiddenSize;
    static constexpr std::size_t layers = option_t<option_kind::num_layers, num_layers<1>, Options...>::value;
    static constexpr bool is_bidirectional =
        option_t<option_kind::bidirectional, bidirectional<false>, Options...>::value;
    static constexpr bool is_batch_first = option_t<option_kind::batch_first, batch_first<false>, Options...>::value;
    static constexpr bool has_bias = option_t<option_kind::bias, bias<true>, Options...>::value;
    static constexpr std::size_t projection = option_t<option_kind::proj_size, proj_size<0>, Options...>::value;
    static constexpr rnn_output returned =
        rnn_output_of(option_t<option_kind::returns, typenet::returns<"output">, Options...>::value);
    static constexpr cell_kind cell = Cell;

    static_assert(InputSize >= 1 && HiddenSize >= 1, "recurrent layers: input_size and hidden_size must be at least 1");
    static_assert(layers >= 1, "recurrent layers: num_layers must be at least 1");
    static_assert(projection < HiddenSize, "LSTM: proj_size must be smaller than hidden_size (as PyTorch requires)");
    static_assert(returned != rnn_output::invalid,
                  "recurrent layers: returns<> takes \"output\", \"h_n\" or \"c_n\" (LSTM only)");
    static_assert(returned != rnn_output::c_n || Cell == cell_kind::lstm,
                  "returns<\"c_n\">: only an LSTM has a cell state; use returns<\"h_n\">");

    static constexpr std::size_t directions = is_bidirectional ? 2 : 1;
    static constexpr std::size_t H = HiddenSize;
    static constexpr std::size_t H_out = projection ? projection : HiddenSize;  // the size of h
    static constexpr std::size_t gates = Cell == cell_kind::lstm ? 4 : Cell == cell_kind::gru ? 3 : 1;
    static constexpr std::size_t GH = gates * H;
    static constexpr bool has_cell_state = Cell == cell_kind::lstm;
    // The input size of layer l: input_size, then the previous layer's output, both directions.
    static constexpr std::size_t layer_input(std::size_t l) { return l == 0 ? InputSize : directions * H_out; }

    // state_dict: for every layer, for every direction: weight_ih, weight_hh, bias_ih, bias_hh,
    // weight_hr (PyTorch's _flat_weights_names).
    static constexpr std::size_t per_cell = 2 + (has_bias ? 2 : 0) + (projection ? 1 : 0);
    static constexpr std::size_t entries = layers * directions * per_cell;
    static constexpr auto key_text = [] {
        std::array<char, entries * rnn_key_chars> text{};
        std::size_t e = 0;
        for (std::size_t l = 0; l < layers; ++l)
            for (std::size_t d = 0; d < directions; ++d) {
                const std::string_view names[] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"};
                for (std::size_t k = 0; k < 5; ++k) {
                    if ((k == 2 || k == 3) && !has_bias) continue;
                    if (k == 4 && !projection) continue;
                    write_rnn_key(text.data() + rnn_key_chars * e++, names[k], l, d == 1);
                }
            }
        return text;
    }();
    static constexpr auto state = [] {
        std::array<state_spec, entries> out{};
        std::size_t e = 0;
        for (std::size_t l = 0; l < layers; ++l)
            for (std::size_t d = 0; d < directions; ++d) {
                const shape shapes[] = {{GH, layer_input(l)}, {GH, H_out}, {GH}, {GH}, {H_out, H}};
                for (std::size_t k = 0; k < 5; ++k) {
                    if ((k == 2 || k == 3) && !has_bias) continue;
                    if (k == 4 && !projection) continue;
                    const char* key = key_text.data() + rnn_key_chars * e;
                    std::size_t length = 0;
                    while (length < rnn_key_chars && key[length]) ++length;
                    out[e++] = parameter(std::string_view(key, length), shapes[k]);
                }
            }
        return out;
    }();

    static constexpr shape_check infer(shape in) {
        if (in.rank != 2)
            return fail("recurrent layers (RNN, LSTM, GRU) take a per-sample input [T, input_size] of rank 2 "
                        "(first number); the input has another rank (second number; the batch is not counted)",
                        2, in.rank);
        if (in[1] != InputSize)
            return fail("recurrent layers: input_size (first number) must equal the features of the input "
                        "[T, features] (second number)",
                        InputSize, in[1]);
        if (in[0] < 1) return fail("recurrent layers: the sequence must have at least one step", 1, in[0]);
        if (returned == rnn_output::output) return {shape{in[0], directions * H_out}};
        if (returned == rnn_output::h_n) return {shape{directions * layers, H_out}};
        return {shape{directions * layers, H}};
    }

    // One layer and direction's weights, inside the state block.
    template <class T>
    struct cell_weights {
        const T *w_ih, *w_hh, *b_ih = nullptr, *b_hh = nullptr, *w_hr = nullptr;
    };
    template <class T>
    static constexpr auto byte_offsets = [] {
        std::array<std::size_t, entries + 1> out{};
        for (std::size_t e = 0; e < entries; ++e) out[e + 1] = out[e] + entry_bytes(state[e], sizeof(T));
        return out;
    }();
    template <class T>
    [[gnu::always_inline]] static cell_weights<T> weights_of(const std::byte* base, std::size_t l, std::size_t d) {
        const std::size_t first = (l * directions + d) * per_cell;
        auto at = [&](std::size_t k) { return reinterpret_cast<const T*>(base + byte_offsets<T>[first + k]); };
        cell_weights<T> w{at(0), at(1)};
        if constexpr (has_bias) {
            w.b_ih = at(2);
            w.b_hh = at(3);
        }
        if constexpr (projection != 0) w.w_hr = at(per_cell - 1);
        return w;
    }

    // Whether a cell's input product W_ih x + b_ih is computed on its own, apart from W_hh h + b_hh
    // (as PyTorch adds them): for hidden sizes of 64 and more, whose weights outgrow the L1 cache.
    // The whole-sequence pass then computes it for input_block steps at once, reading W_ih once per
    // block instead of once per step; the stream computes it the same way one step at a time, so
    // the two still agree to the last bit. Smaller cells add both products in one pass (dot2_rows):
    // one horizontal sum per row instead of two, which is what their step latency is made of.
    static constexpr bool separate_input = H >= 64;
    static constexpr std::size_t input_block = 16;

    // A step's pre-activations: g (GH values; a GRU's r and z already summed) and a GRU's gn
    // (W_in x + b_in, then W_hn h + b_hn: n needs them apart). The gates run in whole vectors: a
    // hidden size that is not a multiple of the width is padded (a vector more, zeros), so small
    // layers, such as a GRU with hidden size 8 under AVX-512, do not fall back to scalars.
    template <class T>
    struct pre_activations {
        static constexpr std::size_t lanes = simd<T>::lanes;
        static constexpr std::size_t summed = Cell == cell_kind::gru ? 2 * H : GH;
        alignas(state_alignment) T g[GH + lanes];
        alignas(state_alignment) T gn[Cell == cell_kind::gru ? 2 * H + lanes : 1];
        [[gnu::always_inline]] pre_activations() {
            if constexpr (H % lanes != 0) {
                for (std::size_t i = summed; i < GH + lanes; ++i) g[i] = T(0);
                if constexpr (Cell == cell_kind::gru)
                    for (std::size_t i = 2 * H; i < 2 * H + lanes; ++i) gn[i] = T(0);
            }
        }
    };

    // One step of one cell, PyTorch's formulas (ATen's RNN.cpp cells), on gi = W_ih x + b_ih and
    // gh = W_hh h + b_hh:
    //   RNN:  h = tanh(gi + gh) or relu(gi + gh)
    //   LSTM: i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of (gi + gh); c = f c + i g; h = o tanh(c)
    //         (then h = W_hr h with proj_size)
    //   GRU:  r, z = sigmoid(gi_r + gh_r), sigmoid(gi_z + gh_z); n = tanh(gi_n + r gh_n) (b_hn inside
    //         the reset product); h = (h - n) z + n
    // h (H_out values) and c (H) are updated in place.
    template <class T, std::size_t In>
    [[gnu::always_inline]] static void cell_step(const cell_weights<T>& w, const T* x, T* h, T* c) {
        if constexpr (separate_input) {
            alignas(state_alignment) T gi[GH];
            dot_rows<T, 1, GH, In>::run(x, w.w_ih, gi, w.b_ih);
            cell_step_from<T>(w, gi, h, c);
        } else {
            // RNN and LSTM add the two products whole, GRU those of r and z, in one pass.
            pre_activations<T> p;
            dot2_rows<T, pre_activations<T>::summed, In, H_out>::run(x, w.w_ih, h, w.w_hh, p.g, w.b_ih, w.b_hh);
            if constexpr (Cell == cell_kind::gru) {
                dot_rows<T, 1, H, In>::run(x, w.w_ih + 2 * H * In, p.gn, has_bias ? w.b_ih + 2 * H : nullptr);
                dot_rows<T, 1, H, H_out>::run(h, w.w_hh + 2 * H * H_out, p.gn + H,
                                              has_bias ? w.b_hh + 2 * H : nullptr);
            }
            cell_gates<T>(w, p, h, c);
        }
    }

    // One step given gi = W_ih x + b_ih (separate_input).
    template <class T>
    [[gnu::always_inline]] static void cell_step_from(const cell_weights<T>& w, const T* gi, T* h, T* c) {
        pre_activations<T> p;
        alignas(state_alignment) T gh[GH];
        dot_rows<T, 1, GH, H_out>::run(h, w.w_hh, gh, w.b_hh);
        for (std::size_t i = 0; i < pre_activations<T>::summed; ++i) p.g[i] = gi[i] + gh[i];
        if constexpr (Cell == cell_kind::gru)
            for (std::size_t i = 0; i < H; ++i) {
                p.gn[i] = gi[2 * H + i];
                p.gn[H + i] = gh[2 * H + i];
            }
        cell_gates<T>(w, p, h, c);
    }

    // The gates on a step's pre-activations: h and c updated in place.
    template <class T>
    [[gnu::always_inline]] static void cell_gates(const cell_weights<T>& w, const pre_activations<T>& p, T* h,
                                                  T* c) {
        const T* g = p.g;
        [[maybe_unused]] const T* gn = p.gn;
        using S = simd<T>;
        using V = typename S::type;
        constexpr std::size_t lanes = S::lanes;
        constexpr bool padded = H % lanes != 0;
        constexpr std::size_t Hp = round_up(H, lanes);
        // h (H values but for LSTM's projection) and c, padded to whole vectors when needed.
        alignas(state_alignment) T h_pad[padded || projection ? Hp : 1];
        alignas(state_alignment) T c_pad[padded && has_cell_state ? Hp : 1];
        T* hv = padded || projection ? h_pad : h;
        T* cv = padded && has_cell_state ? c_pad : c;
        if constexpr (padded) {
            for (std::size_t i = 0; i < Hp; ++i) h_pad[i] = i < H && Cell == cell_kind::gru ? h[i] : T(0);
            if constexpr (has_cell_state)
                for (std::size_t i = 0; i < Hp; ++i) c_pad[i] = i < H ? c[i] : T(0);
        }
        #pragma GCC unroll 16
        for (std::size_t i = 0; i < Hp; i += lanes) {
            if constexpr (Cell == cell_kind::rnn_tanh) {
                S::store(hv + i, math::tanh(S::load(g + i)));
            } else if constexpr (Cell == cell_kind::rnn_relu) {
                S::store(hv + i, math::max(S::load(g + i), math::splat<V>(0)));
            } else if constexpr (Cell == cell_kind::gru) {
                const V r = math::sigmoid(S::load(g + i));
                const V z = math::sigmoid(S::load(g + H + i));
                const V n = math::tanh(S::load(gn + i) + S::load(gn + H + i) * r);
                S::store(hv + i, (S::load(hv + i) - n) * z + n);
            } else {
                const V in_gate = math::sigmoid(S::load(g + i));
                const V forget = math::sigmoid(S::load(g + H + i));
                const V cell_gate = math::tanh(S::load(g + 2 * H + i));
                const V out_gate = math::sigmoid(S::load(g + 3 * H + i));
                const V c_new = forget * S::load(cv + i) + in_gate * cell_gate;
                S::store(cv + i, c_new);
                S::store(hv + i, out_gate * math::tanh(c_new));
            }
        }
        if constexpr (projection != 0) {
            dot_rows<T, 1, H_out, H>::run(h_pad, w.w_hr, h, nullptr);
        } else if constexpr (padded) {
            for (std::size_t i = 0; i < H; ++i) h[i] = h_pad[i];
        }
        if constexpr (padded && has_cell_state)
            for (std::size_t i = 0; i < H; ++i) c[i] = c_pad[i];
    }

    // Layer l's cell on one step.
    template <class T, std::size_t L>
    [[gnu::always_inline]] static void cell_step_of_layer(const cell_weights<T>& w, const T* x, T* h, T* c) {
        cell_step<T, layer_input(L)>(w, x, h, c);
    }

    // Scratch of the whole-sequence pass: the outputs of two layers (ping-pong), h, c, and with
    // separate_input a block of steps' input products.
    template <class T>
    static constexpr std::size_t scratch_elements(shape in, std::size_t) {
        const std::size_t sequence = aligned_elements(in[0] * directions * H_out, sizeof(T));
        return 2 * sequence + aligned_elements(H_out, sizeof(T)) + aligned_elements(H, sizeof(T)) +
               (separate_input ? aligned_elements(input_block * GH, sizeof(T)) : 0);
    }

    // The whole sequence: layer by layer, each direction running the same cell step as the stream.
    template <class T, shape In, std::size_t N, class Params>
    static void propagate(Params params, const T* in, T* out, T* scratch) {
        constexpr std::size_t steps = In[0];
        constexpr std::size_t width = directions * H_out;  // one step of a layer's output
        constexpr std::size_t sequence = aligned_elements(steps * width, sizeof(T));
        T* buffers[2] = {scratch, scratch + sequence};
        T* h = scratch + 2 * sequence;
        T* c = h + aligned_elements(H_out, sizeof(T));
        T* gi = c + aligned_elements(H, sizeof(T));  // separate_input: [input_block][GH]
        constexpr std::size_t out_numel = infer(In).output.numel();
        for (std::size_t n = 0; n < N; ++n) {
            const T* x = in + n * In.numel();
            T* y = out + n * out_numel;
            run_layers<T, steps, 0, false>(params.base, x, y, buffers, h, c, gi, nullptr, false, nullptr);
        }
    }

    // Save (the training forward): every layer's output sequence and every step's c go to `saved`
    // (saved_elements below), for the backward pass; with dropout<p> between layers, in train()
    // mode, so do the masks of the layers' outputs (train_sequence).
    template <class T, std::size_t Steps, std::size_t L, bool Save>
    [[gnu::always_inline]] static void run_layers(const std::byte* base, const T* x, T* y, T* const* buffers, T* h,
                                                  T* c, T* gi, T* saved, [[maybe_unused]] bool training,
                                                  [[maybe_unused]] random_bits* random) {
        constexpr std::size_t width = directions * H_out;
        constexpr std::size_t in_width = layer_input(L);
        // The last layer writes the output sequence straight into y when that is what is returned.
        T* seq = Save ? saved + L * Steps * width
                      : (L + 1 == layers && returned == rnn_output::output) ? y : buffers[L % 2];
        [[maybe_unused]] auto save_c = [&](std::size_t d, std::size_t t) {
            if constexpr (Save && has_cell_state)
                for (std::size_t i = 0; i < H; ++i)
                    saved[layers * Steps * width + ((L * directions + d) * Steps + t) * H + i] = c[i];
        };
        for (std::size_t d = 0; d < directions; ++d) {
            const cell_weights<T> w = weights_of<T>(base, L, d);
            for (std::size_t i = 0; i < H_out; ++i) h[i] = T(0);
            for (std::size_t i = 0; i < H; ++i) c[i] = T(0);
            if constexpr (separate_input) {
                // Blocks of input_block steps: their input products in one pass over W_ih (the
                // same per-row arithmetic as one step's), then the steps.
                for (std::size_t s0 = 0; s0 < Steps; s0 += input_block) {
                    const std::size_t count = std::min(input_block, Steps - s0);
                    const std::size_t first = d == 0 ? s0 : Steps - s0 - count;  // the block's earliest step
                    if (count == input_block)
                        dot_rows<T, input_block, GH, in_width>::run(x + first * in_width, w.w_ih, gi, w.b_ih);
                    else
                        for (std::size_t k = 0; k < count; ++k)
                            dot_rows<T, 1, GH, in_width>::run(x + (first + k) * in_width, w.w_ih, gi + k * GH,
                                                              w.b_ih);
                    for (std::size_t k = 0; k < count; ++k) {
                        const std::size_t t = d == 0 ? s0 + k : Steps - 1 - s0 - k;
                        cell_step_from<T>(w, gi + (t - first) * GH, h, c);
                        for (std::size_t i = 0; i < H_out; ++i) seq[t * width + d * H_out + i] = h[i];
                        save_c(d, t);
                    }
                }
            } else {
                for (std::size_t s = 0; s < Steps; ++s) {
                    const std::size_t t = d == 0 ? s : Steps - 1 - s;
                    cell_step_of_layer<T, L>(w, x + t * in_width, h, c);
                    for (std::size_t i = 0; i < H_out; ++i) seq[t * width + d * H_out + i] = h[i];
                    save_c(d, t);
                }
            }
            if constexpr (returned == rnn_output::h_n)
                for (std::size_t i = 0; i < H_out; ++i) y[(L * directions + d) * H_out + i] = h[i];
            if constexpr (returned == rnn_output::c_n)
                for (std::size_t i = 0; i < H; ++i) y[(L * directions + d) * H + i] = c[i];
        }
        if constexpr (L + 1 < layers) {
            const T* next = seq;  // the next layer's input
            if constexpr (Save && drops) {
                // PyTorch's F.dropout on this layer's whole output (both directions): each value
                // zeroed with probability p, the others times 1 / (1 - p) computed in T (as
                // PyTorch's noise.div_(1 - p)); in eval() mode, a mask of ones.
                T* mask = saved + mask_offset(Steps) + L * Steps * width;
                T* dropped = buffers[L % 2];
                const dropout_draw<T> draw{dropout_p};
                for (std::size_t i = 0; i < Steps * width; ++i) {
                    mask[i] = training ? draw(*random) : T(1);
                    dropped[i] = seq[i] * mask[i];
                }
                next = dropped;
            }
            run_layers<T, Steps, L + 1, Save>(base, next, y, buffers, h, c, gi, saved, training, random);
        }
        if constexpr (Save && L + 1 == layers && returned == rnn_output::output)
            for (std::size_t i = 0; i < Steps * width; ++i) y[i] = seq[i];
    }

    // Training (backward.hpp): backpropagation through time. The training forward is the
    // whole-sequence pass above (the same bits, in eval() mode), keeping every layer's output
    // sequence, for an LSTM every step's c and, with dropout<p> between layers, the mask applied to
    // each layer's output but the last: per sample, [layers][T][D * H_out], then [layers][D][T][H],
    // then [layers - 1][T][D * H_out].
    static constexpr double dropout_p = option_t<option_kind::dropout, typenet::dropout<"0">, Options...>::value;
    static constexpr bool drops = dropout_p > 0 && layers > 1;
    static constexpr std::size_t mask_offset(std::size_t steps) {
        return layers * steps * (directions * H_out + (has_cell_state ? directions * H : 0));
    }
    static constexpr std::size_t saved_per_sample(shape in) {
        return mask_offset(in[0]) + (drops ? (layers - 1) * in[0] * directions * H_out : 0);
    }
    template <class T>
    static constexpr std::size_t saved_elements(shape in, std::size_t n) {
        return n * saved_per_sample(in);
    }
    template <class T, shape In, std::size_t N>
    static void train_sequence(const std::byte* base, const T* in, T* out, T* saved, T* scratch, bool training,
                               random_bits* random) {
        constexpr std::size_t steps = In[0];
        constexpr std::size_t sequence = aligned_elements(steps * directions * H_out, sizeof(T));
        T* buffers[2] = {scratch, scratch + sequence};
        T* h = scratch + 2 * sequence;
        T* c = h + aligned_elements(H_out, sizeof(T));
        T* gi = c + aligned_elements(H, sizeof(T));
        constexpr std::size_t out_numel = infer(In).output.numel();
        for (std::size_t n = 0; n < N; ++n)
            run_layers<T, steps, 0, true>(base, in + n * In.numel(), out + n * out_numel, buffers, h, c, gi,
                                          saved + n * saved_per_sample(In), training, random);
    }

    // Backward scratch: the gradients of one layer's output sequence and of its input sequence,
    // then one step's vectors, then (dropout) a layer's input, the lower layer's output times its mask.
    static constexpr std::size_t widest = InputSize > directions * H_out ? InputSize : directions * H_out;
    static constexpr std::size_t step_vectors = 4 * GH + 3 * H_out + 4 * H;
    template <class T>
    static constexpr std::size_t backward_scratch_elements(shape in, std::size_t) {
        return 2 * in[0] * widest + step_vectors + (drops ? in[0] * directions * H_out : 0);
    }

    // For each sample, layers from the last down, each direction from its last step back to its
    // first: the step's pre-activations are recomputed from its input, h and c before it (saved),
    // then PyTorch's derivatives of the formulas of cell_step:
    //   RNN:  da = dh (1 - tanh(a)^2), or dh where a > 0 (relu)
    //   LSTM: (projection: dW_hr += dh ht^T, dht = W_hr^T dh, ht = o tanh(c)); do = dht tanh(c),
    //         dc = dc_next + dht o (1 - tanh(c)^2), di = dc g, df = dc c_prev, dg = dc i,
    //         dc_prev = dc f, through sigmoid' = s (1 - s) and tanh' = 1 - t^2
    //   GRU:  dn = dh (1 - z), dz = dh (h_prev - n), dh_prev = dh z + W_hh^T dgh; dn through tanh
    //         gives the input's n-gradient and, times r, the hidden's (b_hn inside); dr = that times
    //         (W_hn h + b_hn)
    // The gradients of the input product dgi and the hidden product dgh (equal but for GRU's n) give
    // dW_ih += dgi x^T, dW_hh += dgh h_prev^T, the biases += dgi, dgh, dx = W_ih^T dgi and the next
    // (earlier) step's dh = W_hh^T dgh. With dropout between layers, layer l's input is the layer
    // below's output times its saved mask, and the gradient flowing into that output is dx times
    // the same mask.
    template <class T, shape In, std::size_t N>
    static void backward_sequence(const std::byte* base, std::byte* grads, const T* in, const T* grad_out,
                                  T* grad_in, const T* saved, T* scratch) {
        constexpr std::size_t steps = In[0], width = directions * H_out;
        constexpr std::size_t out_numel = infer(In).output.numel();
        T* dseq = scratch;                   // dL/d(this layer's output sequence)
        T* dx = scratch + steps * widest;    // dL/d(its input sequence)
        T* gi = dx + steps * widest;         // W_ih x + b_ih
        T* gh = gi + GH;                     // W_hh h_prev + b_hh
        T* dgi = gh + GH;
        T* dgh = dgi + GH;
        T* dh = dgh + GH;                    // dL/dh of the step
        T* dh_next = dh + H_out;             // dL/dh_prev, from the step after (in processing order)
        T* zero_h = dh_next + H_out;
        T* dc_next = zero_h + H_out;
        T* zero_c = dc_next + H;
        T* ht = zero_c + H;                  // LSTM: o tanh(c) before the projection
        T* dht = ht + H;
        [[maybe_unused]] T* dropped = dht + H;  // drops: the layer's input, [T][D * H_out]
        for (std::size_t i = 0; i < H_out; ++i) zero_h[i] = T(0);
        for (std::size_t i = 0; i < H; ++i) zero_c[i] = T(0);
        for (std::size_t n = 0; n < N; ++n) {
            const T* g_out = grad_out + n * out_numel;
            const T* seqs = saved + n * saved_per_sample(In);
            const T* cells = seqs + layers * steps * width;
            for (std::size_t i = 0; i < steps * width; ++i)
                dseq[i] = returned == rnn_output::output ? g_out[i] : T(0);
            for (std::size_t l = layers; l-- > 0;) {
                const std::size_t in_width = layer_input(l);
                const T* x = l == 0 ? in + n * In.numel() : seqs + (l - 1) * steps * width;
                [[maybe_unused]] const T* mask = l > 0 ? seqs + mask_offset(steps) + (l - 1) * steps * width : nullptr;
                if constexpr (drops)
                    if (l > 0) {
                        for (std::size_t i = 0; i < steps * width; ++i) dropped[i] = x[i] * mask[i];
                        x = dropped;
                    }
                const T* seq = seqs + l * steps * width;
                T* dxl = l > 0 ? dx : grad_in ? grad_in + n * In.numel() : nullptr;
                if (dxl)
                    for (std::size_t i = 0; i < steps * in_width; ++i) dxl[i] = T(0);
                for (std::size_t d = 0; d < directions; ++d) {
                    const cell_weights<T> w = weights_of<T>(base, l, d);
                    // The gradient block is laid out like the state block.
                    cell_weights<T> gw{};
                    if (grads) gw = weights_of<T>(grads, l, d);
                    auto writable = [](const T* p) { return const_cast<T*>(p); };
                    for (std::size_t i = 0; i < H_out; ++i)
                        dh_next[i] = returned == rnn_output::h_n ? g_out[(l * directions + d) * H_out + i] : T(0);
                    for (std::size_t i = 0; i < H; ++i)
                        dc_next[i] = returned == rnn_output::c_n ? g_out[(l * directions + d) * H + i] : T(0);
                    for (std::size_t s = steps; s-- > 0;) {
                        const std::size_t t = d == 0 ? s : steps - 1 - s;
                        const std::size_t before = d == 0 ? t - 1 : t + 1;  // the step before, if s > 0
                        const T* xt = x + t * in_width;
                        const T* h_prev = s == 0 ? zero_h : seq + before * width + d * H_out;
                        [[maybe_unused]] const T* c_prev =
                            s == 0 || !has_cell_state ? zero_c : cells + ((l * directions + d) * steps + before) * H;
                        [[maybe_unused]] const T* c_t =
                            has_cell_state ? cells + ((l * directions + d) * steps + t) * H : zero_c;
                        for (std::size_t r = 0; r < GH; ++r) {
                            T a = has_bias ? w.b_ih[r] : T(0), b = has_bias ? w.b_hh[r] : T(0);
                            for (std::size_t k = 0; k < in_width; ++k) a += w.w_ih[r * in_width + k] * xt[k];
                            for (std::size_t k = 0; k < H_out; ++k) b += w.w_hh[r * H_out + k] * h_prev[k];
                            gi[r] = a;
                            gh[r] = b;
                        }
                        for (std::size_t i = 0; i < H_out; ++i) dh[i] = dseq[t * width + d * H_out + i] + dh_next[i];
                        cell_backward<T>(w, gw.w_hr ? writable(gw.w_hr) : nullptr, gi, gh, h_prev, c_prev, c_t, dh,
                                         dgi, dgh, dh_next, dc_next, ht, dht);
                        if (grads) {
                            T* gw_ih = writable(gw.w_ih);
                            T* gw_hh = writable(gw.w_hh);
                            for (std::size_t r = 0; r < GH; ++r) {
                                for (std::size_t k = 0; k < in_width; ++k) gw_ih[r * in_width + k] += dgi[r] * xt[k];
                                for (std::size_t k = 0; k < H_out; ++k) gw_hh[r * H_out + k] += dgh[r] * h_prev[k];
                            }
                            if constexpr (has_bias)
                                for (std::size_t r = 0; r < GH; ++r) {
                                    writable(gw.b_ih)[r] += dgi[r];
                                    writable(gw.b_hh)[r] += dgh[r];
                                }
                        }
                        if (dxl)
                            for (std::size_t r = 0; r < GH; ++r)
                                for (std::size_t k = 0; k < in_width; ++k)
                                    dxl[t * in_width + k] += w.w_ih[r * in_width + k] * dgi[r];
                        // dh_next holds GRU's direct term dh z (cell_backward), else zero.
                        for (std::size_t r = 0; r < GH; ++r)
                            for (std::size_t k = 0; k < H_out; ++k) dh_next[k] += w.w_hh[r * H_out + k] * dgh[r];
                    }
                }
                if (l > 0) {
                    if constexpr (drops)
                        for (std::size_t i = 0; i < steps * width; ++i) dx[i] *= mask[i];
                    std::swap(dseq, dx);
                }
            }
        }
    }

    // One step's gradients of its pre-activations (dgi, dgh) from dh (and dc_next); sets dh_next to
    // GRU's direct term (else zero) and dc_next to dL/dc_prev.
    template <class T>
    static void cell_backward(const cell_weights<T>& w, T* grad_w_hr, const T* gi, const T* gh, const T* h_prev,
                              const T* c_prev, const T* c_t, const T* dh, T* dgi, T* dgh, T* dh_next, T* dc_next,
                              T* ht, T* dht) {
        auto sigmoid = [](T v) { return T(1) / (T(1) + std::exp(-v)); };
        for (std::size_t i = 0; i < H_out; ++i) dh_next[i] = T(0);
        if constexpr (Cell == cell_kind::rnn_tanh || Cell == cell_kind::rnn_relu) {
            (void)w, (void)grad_w_hr, (void)h_prev, (void)c_prev, (void)c_t, (void)ht, (void)dht;
            for (std::size_t j = 0; j < H; ++j) {
                const T a = gi[j] + gh[j];
                T da;
                if constexpr (Cell == cell_kind::rnn_tanh) {
                    const T y = std::tanh(a);
                    da = dh[j] * (T(1) - y * y);
                } else {
                    da = a > T(0) ? dh[j] : T(0);
                }
                dgi[j] = dgh[j] = da;
            }
        } else if constexpr (Cell == cell_kind::gru) {
            (void)w, (void)grad_w_hr, (void)c_prev, (void)c_t, (void)ht, (void)dht;
            for (std::size_t j = 0; j < H; ++j) {
                const T r = sigmoid(gi[j] + gh[j]);
                const T z = sigmoid(gi[H + j] + gh[H + j]);
                const T n = std::tanh(gi[2 * H + j] + r * gh[2 * H + j]);
                const T dn = dh[j] * (T(1) - z) * (T(1) - n * n);
                const T dz = dh[j] * (h_prev[j] - n) * z * (T(1) - z);
                const T dr = dn * gh[2 * H + j] * r * (T(1) - r);
                dgi[j] = dgh[j] = dr;
                dgi[H + j] = dgh[H + j] = dz;
                dgi[2 * H + j] = dn;
                dgh[2 * H + j] = dn * r;
                dh_next[j] = dh[j] * z;
            }
        } else {
            (void)h_prev;
            for (std::size_t j = 0; j < H; ++j) ht[j] = sigmoid(gi[3 * H + j] + gh[3 * H + j]) * std::tanh(c_t[j]);
            if constexpr (projection != 0) {
                for (std::size_t j = 0; j < H; ++j) dht[j] = T(0);
                for (std::size_t k = 0; k < H_out; ++k)
                    for (std::size_t j = 0; j < H; ++j) {
                        dht[j] += w.w_hr[k * H + j] * dh[k];
                        if (grad_w_hr) grad_w_hr[k * H + j] += dh[k] * ht[j];
                    }
            } else {
                (void)grad_w_hr;
                for (std::size_t j = 0; j < H; ++j) dht[j] = dh[j];
            }
            for (std::size_t j = 0; j < H; ++j) {
                const T i_gate = sigmoid(gi[j] + gh[j]);
                const T f_gate = sigmoid(gi[H + j] + gh[H + j]);
                const T g_gate = std::tanh(gi[2 * H + j] + gh[2 * H + j]);
                const T o_gate = sigmoid(gi[3 * H + j] + gh[3 * H + j]);
                const T tc = std::tanh(c_t[j]);
                const T dc = dc_next[j] + dht[j] * o_gate * (T(1) - tc * tc);
                dgi[j] = dc * g_gate * i_gate * (T(1) - i_gate);
                dgi[H + j] = dc * c_prev[j] * f_gate * (T(1) - f_gate);
                dgi[2 * H + j] = dc * i_gate * (T(1) - g_gate * g_gate);
                dgi[3 * H + j] = dht[j] * tc * o_gate * (T(1) - o_gate);
                dc_next[j] = dc * f_gate;
            }
            for (std::size_t r = 0; r < GH; ++r) dgh[r] = dgi[r];
        }
    }

    // Streaming (stream.hpp): one time step [input_size] -> [H_out]; the state is h then c of
    // every layer, zero at the start of a sequence as PyTorch's default h_0 and c_0.
    static constexpr std::size_t state_per_layer = H_out + (has_cell_state ? H : 0);
    static constexpr shape_check step_infer(shape step_in) {
        if (is_bidirectional)
            return fail("a bidirectional recurrent layer needs the whole sequence (its reverse direction starts "
                        "at the last step); it cannot run one step at a time. Use a Model on [T, features], or "
                        "bidirectional<false>",
                        0, 1);
        if (returned != rnn_output::output)
            return fail("a recurrent layer streams its output sequence one step at a time; returns<\"h_n\"> and "
                        "returns<\"c_n\"> need the whole sequence (the state after a step is the stream's own state)",
                        0, 1);
        if (step_in.rank != 1 || step_in[0] != InputSize)
            return fail("recurrent layers: one step of the input is [input_size] (first number: input_size, "
                        "second: the step's features)",
                        InputSize, step_in.rank == 1 ? step_in[0] : step_in.numel());
        return {shape{H_out}};
    }
    template <class T, shape StepIn>
    static constexpr std::size_t step_state_size() {
        return layers * state_per_layer;
    }
    template <class T, shape StepIn, class Params>
    static void step(Params params, T* state, const T* in, T* out) {
        static_assert(!is_bidirectional,
                      "a bidirectional recurrent layer needs the whole sequence (its reverse direction starts at "
                      "the last step); it cannot run one step at a time. Use a Model on [T, features].");
        static_assert(returned == rnn_output::output,
                      "a recurrent layer streams its output sequence; returns<\"h_n\"> and returns<\"c_n\"> need "
                      "the whole sequence");
        step_layers<T, 0>(params.base, state, in, out);
    }
    template <class T, std::size_t L>
    [[gnu::always_inline]] static void step_layers(const std::byte* base, T* state, const T* x, T* out) {
        T* h = state + L * state_per_layer;
        cell_step_of_layer<T, L>(weights_of<T>(base, L, 0), x, h, h + H_out);
        if constexpr (L + 1 < layers) step_layers<T, L + 1>(base, state, h, out);
        else
            for (std::size_t i = 0; i < H_out; ++i) out[i] = h[i];
    }
};

// What RNN, LSTM and GRU (Self) declare for training (backward.hpp), through recurrent's
// train_sequence and backward_sequence.
template <class Self>
struct recurrent_training {
    template <class T, shape In, std::size_t N>
    static void train_propagate(const train_pass<Self, T>& p) {
        Self::template train_sequence<T, In, N>(p.state.base, p.in, p.out, p.saved, p.scratch, p.training, p.random);
    }
    template <class T, shape In, std::size_t N>
    static void backward(const backward_pass<Self, T>& p) {
        Self::template backward_sequence<T, In, N>(p.params.base, p.grads.base, p.in, p.grad_out, p.grad_in, p.saved,
                                                   p.scratch);
    }
};

}  // namespace detail
}  // namespace typenet
