// The typenet peer: the registry of the suite's models as typenet types (models.hpp), each paired
// with its entry of model_zoo.MODELS (zoo.hpp) and run by typenet_runner.hpp.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <typenet/typenet.hpp>

#include "models.hpp"
#include "runner.hpp"
#include "typenet_runner.hpp"
#include "zoo.hpp"

namespace bench {
namespace {

// The suite's models, in the order of model_zoo.MODELS (checked against zoo::names).
const std::vector<typenet_peer::registered_model>& registry() {
    using typenet_peer::entry;
    static const std::vector<typenet_peer::registered_model> all = [] {
        std::vector<typenet_peer::registered_model> models{
            entry<models::mlp, zoo::mlp>(),
            entry<models::simple_mnist, zoo::simple_mnist>(),
            entry<models::simple_mnist_bn, zoo::simple_mnist_bn>(),
            entry<models::vgg_small, zoo::vgg_small>(),
            typenet_peer::resnet18(),
            typenet_peer::mobilenet_v2(),
            typenet_peer::efficientnet_b0(),
        };
        bool same = models.size() == zoo::names.size();
        for (std::size_t i = 0; same && i < models.size(); ++i) same = models[i].info.name == zoo::names[i];
        if (!same)
            throw std::runtime_error("typenet peer: the registry in typenet_peer.cpp does not list model_zoo.MODELS' "
                                     "models in their order");
        return models;
    }();
    return all;
}

}  // namespace

std::vector<typenet_model> typenet_models() {
    std::vector<typenet_model> out;
    for (const typenet_peer::registered_model& m : registry()) out.push_back(m.info);
    return out;
}

std::unique_ptr<runner> make_typenet_runner(const std::string& name, const std::string& data_dir) {
    for (const typenet_peer::registered_model& m : registry())
        if (m.info.name == name) return m.make(data_dir);
    throw std::runtime_error("typenet peer: no model named " + name);
}

std::string typenet_description() { return std::to_string(typenet::detail::vector_bytes * 8) + "-bit vectors"; }

}  // namespace bench
