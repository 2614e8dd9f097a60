// Plain loops that say what each layer computes, written as PyTorch documents it: the oracle the
// tuned kernels are compared with (kernels.cpp), on shapes and batch sizes PyTorch parity does
// not reach. Slow and obvious on purpose.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

namespace oracle {

// x: [N][C][H][W]; w: [OC][C/groups][KH][KW]; returns [N][OC][OH][OW].
template <class T>
std::vector<T> conv2d(const std::vector<T>& x, std::size_t N, std::size_t C, std::size_t H, std::size_t W,
                      const T* w, const T* bias, std::size_t OC, std::size_t KH, std::size_t KW, std::size_t sh,
                      std::size_t sw, std::size_t ph, std::size_t pw, std::size_t dh, std::size_t dw,
                      std::size_t groups) {
    const std::size_t OH = (H + 2 * ph - dh * (KH - 1) - 1) / sh + 1, OW = (W + 2 * pw - dw * (KW - 1) - 1) / sw + 1;
    const std::size_t icg = C / groups, ocg = OC / groups;
    std::vector<T> y(N * OC * OH * OW);
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t oc = 0; oc < OC; ++oc)
            for (std::size_t oh = 0; oh < OH; ++oh)
                for (std::size_t ow = 0; ow < OW; ++ow) {
                    double sum = bias ? bias[oc] : 0;
                    for (std::size_t ic = 0; ic < icg; ++ic)
                        for (std::size_t kh = 0; kh < KH; ++kh)
                            for (std::size_t kw = 0; kw < KW; ++kw) {
                                const long long ih = (long long)(oh * sh + kh * dh) - (long long)ph;
                                const long long iw = (long long)(ow * sw + kw * dw) - (long long)pw;
                                if (ih < 0 || iw < 0 || ih >= (long long)H || iw >= (long long)W) continue;
                                sum += double(x[((n * C + oc / ocg * icg + ic) * H + std::size_t(ih)) * W + std::size_t(iw)]) *
                                       double(w[((oc * icg + ic) * KH + kh) * KW + kw]);
                            }
                    y[((n * OC + oc) * OH + oh) * OW + ow] = T(sum);
                }
    return y;
}

// x: [rows][K], w: [O][K]
template <class T>
std::vector<T> linear(const std::vector<T>& x, std::size_t rows, std::size_t K, const T* w, const T* bias, std::size_t O) {
    std::vector<T> y(rows * O);
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t o = 0; o < O; ++o) {
            double sum = bias ? bias[o] : 0;
            for (std::size_t k = 0; k < K; ++k) sum += double(x[r * K + k]) * double(w[o * K + k]);
            y[r * O + o] = T(sum);
        }
    return y;
}

// Per channel c of [N][C][inner]: y = (x - mean) / sqrt(var + eps) * weight + bias.
template <class T>
void batch_norm(std::vector<T>& x, std::size_t N, std::size_t C, std::size_t inner, const T* weight, const T* bias,
                const T* mean, const T* var, double eps) {
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t i = 0; i < inner; ++i) {
                T& v = x[(n * C + c) * inner + i];
                v = T((double(v) - double(mean[c])) / std::sqrt(double(var[c]) + eps) * double(weight[c]) + double(bias[c]));
            }
}

template <class T>
void relu(std::vector<T>& x) {
    for (T& v : x) v = v < T(0) ? T(0) : v;
}

// Max pooling without padding or dilation, floor mode.
template <class T>
std::vector<T> max_pool(const std::vector<T>& x, std::size_t planes, std::size_t H, std::size_t W, std::size_t K,
                        std::size_t S) {
    const std::size_t OH = (H - K) / S + 1, OW = (W - K) / S + 1;
    std::vector<T> y(planes * OH * OW);
    for (std::size_t p = 0; p < planes; ++p)
        for (std::size_t oh = 0; oh < OH; ++oh)
            for (std::size_t ow = 0; ow < OW; ++ow) {
                T best = -std::numeric_limits<T>::infinity();
                for (std::size_t i = 0; i < K; ++i)
                    for (std::size_t j = 0; j < K; ++j) best = std::max(best, x[(p * H + oh * S + i) * W + ow * S + j]);
                y[(p * OH + oh) * OW + ow] = best;
            }
    return y;
}

// Max pooling in general: padding (ignored), dilation, and the output size given (ceil_mode decides it).
template <class T>
std::vector<T> max_pool2d(const std::vector<T>& x, std::size_t planes, long H, long W, long KH, long KW, long SH,
                          long SW, long PH, long PW, long DH, long DW, long OH, long OW) {
    std::vector<T> y(planes * std::size_t(OH * OW));
    for (std::size_t p = 0; p < planes; ++p)
        for (long oh = 0; oh < OH; ++oh)
            for (long ow = 0; ow < OW; ++ow) {
                T best = -std::numeric_limits<T>::infinity();
                for (long i = 0; i < KH; ++i)
                    for (long j = 0; j < KW; ++j) {
                        const long h = oh * SH - PH + i * DH, w = ow * SW - PW + j * DW;
                        if (h >= 0 && h < H && w >= 0 && w < W) best = std::max(best, x[(p * H + h) * W + w]);
                    }
                y[(p * std::size_t(OH) + std::size_t(oh)) * std::size_t(OW) + std::size_t(ow)] = best;
            }
    return y;
}

}  // namespace oracle
