// The core's peak: fp32 FMAs from registers and nothing else, the denominator of the suite's
// "% of peak". Sixteen independent accumulators cover the FMA latency (4 cycles on 2 ports needs
// 8 in flight); x = x * m + a with m just under 1 keeps the values finite forever. Measured in
// the same run as the models, per second of the thread's CPU time: what the core can do even
// while other processes take turns on it (the models' times are wall-clock).
#include <immintrin.h>

#include <algorithm>
#include <ctime>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <numeric>
#include <type_traits>

#include <benchmark/benchmark.h>

#include "runner.hpp"

namespace bench {
namespace {

constexpr int accumulators = 16;
constexpr std::size_t rounds = 1 << 14;  // per benchmark iteration: about 0.1 ms at 512 bits

#if defined(__AVX512F__)
struct fma512 {
    using V = __m512;
    static constexpr int lanes = 16;
    static V set(float x) { return _mm512_set1_ps(x); }
    static V fma(V x, V m, V a) { return _mm512_fmadd_ps(x, m, a); }
};
#endif
#if defined(__FMA__)
struct fma256 {
    using V = __m256;
    static constexpr int lanes = 8;
    static V set(float x) { return _mm256_set1_ps(x); }
    static V fma(V x, V m, V a) { return _mm256_fmadd_ps(x, m, a); }
};
#else
// Without FMA instructions: a multiply and an add per element, whatever the compiler makes of them.
struct scalar {
    using V = float;
    static constexpr int lanes = 1;
    static V set(float x) { return x; }
    static V fma(V x, V m, V a) { return x * m + a; }
};
#endif

#if defined(__AVX512F__)
using widest = fma512;
#elif defined(__FMA__)
using widest = fma256;
#else
using widest = scalar;
#endif

// `start` comes from memory on every call: with constants only, the compiler would compute the
// call once, or at compile time.
template <class I>
[[gnu::noinline]] float fma_rounds(std::size_t n, float start) {
    typename I::V x[accumulators];
    for (int i = 0; i < accumulators; ++i) x[i] = I::set(start + float(i));
    const typename I::V m = I::set(0.999999f), a = I::set(1e-6f);
    for (std::size_t r = 0; r < n; ++r)
        for (int i = 0; i < accumulators; ++i) x[i] = I::fma(x[i], m, a);
    float lanes[accumulators * I::lanes];
    std::memcpy(lanes, x, sizeof lanes);
    return std::accumulate(lanes, lanes + accumulators * I::lanes, 0.0f);
}

template <class I>
constexpr double flops_per_call = 2.0 * I::lanes * accumulators * rounds;

std::mutex best_mutex;
double best_single_core = 0;  // FLOP/s

void record(double flops_per_second) {
    std::lock_guard lock(best_mutex);
    best_single_core = std::max(best_single_core, flops_per_second);
}

double thread_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

template <class I>
void peak_fma(benchmark::State& state) {
    const double start = thread_cpu_seconds();
    float start_value = 1;
    for (auto _ : state) {
        benchmark::DoNotOptimize(start_value);
        benchmark::DoNotOptimize(fma_rounds<I>(rounds, start_value));
    }
    const double seconds = thread_cpu_seconds() - start;
    if (std::is_same_v<I, widest> && state.threads() == 1)
        record(flops_per_call<I> * double(state.iterations()) / seconds);
    // Summed over the benchmark's threads: the 2-thread row is both cores together.
    state.counters["GFLOP/s"] = flops_per_call<I> * double(state.iterations()) / seconds / 1e9;
}

template <class I>
void add_peak_benchmark(const char* name) {
    auto* b = benchmark::RegisterBenchmark(name, peak_fma<I>)->Unit(benchmark::kMicrosecond)->Threads(1);
    if (std::is_same_v<I, widest>) b->Threads(2);  // both cores: is the second one really there?
}

}  // namespace

void register_peak_benchmarks() {
#if defined(__AVX512F__)
    add_peak_benchmark<fma512>("peak_fma/512-bit");
#endif
#if defined(__FMA__)
    add_peak_benchmark<fma256>("peak_fma/256-bit");
#else
    add_peak_benchmark<scalar>("peak_fma/scalar");
#endif
}

double peak_flops_per_core() {
    {
        std::lock_guard lock(best_mutex);
        if (best_single_core > 0) return best_single_core;
    }
    // The peak benchmark was filtered out: measure for a moment instead.
    const double start = thread_cpu_seconds();
    std::size_t calls = 0;
    double seconds = 0;
    float start_value = 1;
    do {
        benchmark::DoNotOptimize(start_value);
        benchmark::DoNotOptimize(fma_rounds<widest>(rounds, start_value));
        ++calls;
        seconds = thread_cpu_seconds() - start;
    } while (seconds < 0.2);
    record(flops_per_call<widest> * double(calls) / seconds);
    std::lock_guard lock(best_mutex);
    return best_single_core;
}

}  // namespace bench
