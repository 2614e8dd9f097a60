// Loading a checkpoint of about 100 MB of float32 parameters from the page cache: a zip .pth and
// a safetensors file of the same state_dict, next to a plain memcpy of the same bytes into the
// same model (the speed of memory, measured in the same run). The files are written once by
// typenet (the zip layout is torch.save's) in the system's temporary directory. The same files
// held in memory, as weights linked into the program are, load without reading a file.
#include <benchmark/benchmark.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <vector>

#include <typenet/typenet.hpp>

namespace {

// 4096*4096 + 4096 + 2048*4096 + 2048 = 25,171,968 float32 parameters: 100.7 MB.
using Big = typenet::Model<typenet::Sequential<typenet::Linear<4096, 4096>, typenet::Linear<4096, 2048>>,
                           typenet::Input<4096>>;

struct files {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / "typenet_load_bench";
    std::filesystem::path pth = dir / "big.pth", safetensors = dir / "big.safetensors";
    std::unique_ptr<Big> model = std::make_unique<Big>();

    files() {
        std::filesystem::create_directories(dir);
        std::mt19937 gen(1);
        std::normal_distribution<float> normal;
        for (const typenet::state_entry& e : Big::state_dict) {
            auto* values = reinterpret_cast<float*>(model->bytes(e).data());
            for (std::size_t i = 0; i < e.numel; ++i) values[i] = normal(gen);
        }
        typenet::save_state_dict(*model, pth);
        typenet::save_safetensors(*model, safetensors);
    }
};

files& shared_files() {
    static files f;
    return f;
}

void load(benchmark::State& state, const std::filesystem::path& (*which)(const files&)) {
    files& f = shared_files();
    for (auto _ : state) {
        typenet::load_state_dict(*f.model, which(f));
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(Big::state_bytes));
    state.counters["MB"] = double(Big::state_bytes) / 1e6;
}

void load_pth(benchmark::State& state) {
    load(state, [](const files& f) -> const std::filesystem::path& { return f.pth; });
}
void load_safetensors(benchmark::State& state) {
    load(state, [](const files& f) -> const std::filesystem::path& { return f.safetensors; });
}
void load_from_memory(benchmark::State& state, const std::filesystem::path& (*which)(const files&)) {
    files& f = shared_files();
    const typenet::checkpoint file = typenet::read_checkpoint(which(f));
    const std::vector<std::byte> bytes(file.bytes.data.begin(), file.bytes.data.end());
    for (auto _ : state) {
        typenet::load_state_dict(*f.model, bytes);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(Big::state_bytes));
}
void load_pth_from_memory(benchmark::State& state) {
    load_from_memory(state, [](const files& f) -> const std::filesystem::path& { return f.pth; });
}
void load_safetensors_from_memory(benchmark::State& state) {
    load_from_memory(state, [](const files& f) -> const std::filesystem::path& { return f.safetensors; });
}
void copy_memory(benchmark::State& state) {
    files& f = shared_files();
    const std::vector<std::byte> source(f.model->state().begin(), f.model->state().end());
    for (auto _ : state) {
        std::memcpy(f.model->state().data(), source.data(), source.size());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(Big::state_bytes));
}

BENCHMARK(load_pth)->Name("load/pth")->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(load_safetensors)->Name("load/safetensors")->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(load_pth_from_memory)->Name("load/pth_in_memory")->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(load_safetensors_from_memory)
    ->Name("load/safetensors_in_memory")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(1.0);
BENCHMARK(copy_memory)->Name("load/memcpy")->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);

}  // namespace
