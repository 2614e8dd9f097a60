// Parity with PyTorch of the core reference models (reference/models.hpp, reference/models.py),
// and of the files a loader meets in the wild.
#include <catch2/catch.hpp>

#include "parity_support.hpp"
#include "reference/models.hpp"

using namespace parity;

namespace {

// Files a loader meets in the wild (see make_reference.py), each against PyTorch's output for the
// values it holds.
template <class Net, class In>
void check_variants(const std::string& name) {
    using M = typenet::Model<Net, In, float, batch>;
    auto check = [&](const std::string& suffix, typenet::load_options options) {
        INFO("file " << name << "." << suffix << ".pth");
        auto model = std::make_unique<M>();
        typenet::load_state_dict(*model, path_of(name + "." + suffix + ".pth"), options);
        CHECK(error_of(*model, name, name + "." + suffix + ".pth.output.bin") <= 1e-5);
    };
    for (const char* plain : {"float64", "float16", "bfloat16", "views", "cuda"}) check(plain, {});
    typenet::load_options dict;
    dict.state_dict_key = "model_state_dict";
    check("checkpoint", dict);
    typenet::load_options data_parallel;
    data_parallel.checkpoint_prefix = "module.";
    check("dataparallel", data_parallel);

    // Refusals name what to do.
    auto model = std::make_unique<M>();
    CHECK_THROWS_WITH(typenet::load_state_dict(*model, path_of(name + ".checkpoint.pth")),
                      Catch::Contains("options.state_dict_key = \"model_state_dict\""));
    CHECK_THROWS_WITH(typenet::load_state_dict(*model, path_of(name + ".dataparallel.pth")),
                      Catch::Contains("Missing key(s) in state_dict") && Catch::Contains("Unexpected key(s) in state_dict: \"module.") &&
                          Catch::Contains("options.checkpoint_prefix = \"module.\""));
    typenet::load_options exact;
    exact.convert_dtypes = false;
    CHECK_THROWS_WITH(typenet::load_state_dict(*model, path_of(name + ".float16.pth"), exact),
                      Catch::Contains("the checkpoint has float16, the model float32"));
}

}  // namespace

TEST_CASE("every reference model reproduces PyTorch's state_dict and outputs, through torch.save's files") {
    reference::for_each_model(check_model{});
}

TEST_CASE("checkpoints in other dtypes, views, shared storages, checkpoint dicts, DataParallel and GPU files load") {
    SECTION("simple_mnist_batch_norm") { check_variants<reference::simple_mnist_batch_norm, typenet::Input<1, 28, 28>>("simple_mnist_batch_norm"); }
    SECTION("conv_rect_dilation_groups_nobias") {
        check_variants<reference::conv_rect_dilation_groups_nobias, typenet::Input<4, 12, 9>>("conv_rect_dilation_groups_nobias");
    }
    SECTION("batch_norm1d") { check_variants<reference::batch_norm1d, typenet::Input<5>>("batch_norm1d"); }
}
