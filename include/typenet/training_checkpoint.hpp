// save_checkpoint and load_checkpoint: a training checkpoint, in both directions with PyTorch.
//
//   # Python                                              // C++
//   torch.save({'epoch': epoch,                           typenet::save_checkpoint("ckpt.pth", *model,
//    'model_state_dict': model.state_dict(),                  optimizer, epoch);
//    'optimizer_state_dict': optimizer.state_dict()},
//    "ckpt.pth")
//   c = torch.load("ckpt.pth")                            std::int64_t epoch = typenet::load_checkpoint(
//   model.load_state_dict(c['model_state_dict'])              "ckpt.pth", *model, optimizer);
//   optimizer.load_state_dict(c['optimizer_state_dict'])
//   epoch = c['epoch']
//
//     #include <typenet/trainable.hpp>
//     #include <typenet/training_checkpoint.hpp>
//     using Net = typenet::Sequential<typenet::Linear<4, 8>, typenet::Tanh, typenet::Linear<8, 3>>;
//     using M = typenet::Trainable<Net, typenet::Input<4>, float, 16>;
//     auto model = std::make_unique<M>();
//     typenet::Adam adam(*model, {.lr = 1e-3});
//     typenet::save_checkpoint("/tmp/typenet_training_checkpoint_example.pth", *model, adam, 7);
//     std::int64_t epoch = typenet::load_checkpoint("/tmp/typenet_training_checkpoint_example.pth", *model, adam);
//     // epoch == 7
//     (void)epoch;
//
// The file is the dict of PyTorch's tutorials, in torch.save's zip format (what save_state_dict
// writes, serialization.hpp): 'epoch' an int, 'model_state_dict' the model's state_dict
// (an OrderedDict with _metadata), 'optimizer_state_dict' what optimizer.state_dict() returns in
// PyTorch 1.13: 'state' maps a parameter's index (its place in the optimizer's parameters, group
// after group) to its state, and only parameters that took a step have one ('momentum_buffer',
// None without momentum, for SGD; 'step' a float32 0-dim tensor, 'exp_avg', 'exp_avg_sq' and with
// amsgrad 'max_exp_avg_sq' for Adam and AdamW); 'param_groups' lists each group's hyper-parameters,
// named and ordered as PyTorch 1.13 does, with its 'params'. Tensors are in the model's dtype.
// torch.load reads it, also with weights_only=True, and model.load_state_dict and
// optimizer.load_state_dict take its parts; training goes on as if it had never stopped.
//
// load_checkpoint reads such a file, whoever wrote it, into a model and an optimizer of the same
// kind and groups, and returns its epoch. It checks everything before it changes anything: the
// model's state_dict as load_state_dict does (strict), and that the optimizer's part is this
// optimizer's: the same hyper-parameter names (flags that change how PyTorch computes but not
// what, foreach, capturable, differentiable, fused, and a scheduler's initial_lr, are accepted
// and ignored), as many groups with as many parameters, every state tensor in its parameter's
// shape. Otherwise it throws typenet::error saying what differs. It copies the file's
// hyper-parameters into the groups' options (lr, momentum, betas, ...) as
// optimizer.load_state_dict does. Adam's and AdamW's files look the same in PyTorch 1.13: only
// a decoupled_weight_decay flag, which newer PyTorch writes, tells them apart, and is checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adam.hpp"
#include "checkpoint.hpp"
#include "detail/io_linkage.hpp"
#include "detail/optimizer.hpp"
#include "error.hpp"
#include "serialization.hpp"
#include "sgd.hpp"
#include "state_dict.hpp"

namespace typenet {

namespace detail {

// An optimizer's state as PyTorch's state_dict lays it out, for the code that does not depend on
// the optimizer's or the model's type. Saving reads it; loading fills it in (values, has_state,
// step, present) and writes the file's tensors into the buffers.
struct optimizer_buffer {
    enum class rule { always, may_be_none, with_amsgrad };
    std::string_view name;   // "exp_avg"
    std::span<std::byte> data;  // the optimizer's buffer: the parameter's shape, the model's dtype
    rule when = rule::always;   // may_be_none: SGD's momentum_buffer; with_amsgrad: iff the group's amsgrad
    bool present = true;        // false: None, or no buffer (no amsgrad)
};
struct optimizer_parameter {
    const state_entry* entry = nullptr;
    std::size_t group = 0;
    bool has_state = false;  // it took a step: PyTorch's state has an entry for it
    bool has_step = false;   // Adam: 'step' comes first in its state
    double step = 0;
    std::vector<optimizer_buffer> buffers;
};
struct optimizer_description {
    std::string_view name;  // "SGD"
    int decoupled_weight_decay = -1;  // Adam 0, AdamW 1, else -1
    std::vector<std::vector<hyper_parameter>> groups;  // in PyTorch 1.13's order
    std::vector<optimizer_parameter> parameters;       // in the optimizer's order (params())
};

// save_checkpoint for any model and optimizer: `model_pickle` is the model's data.pkl
// (state_dict_pickle in serialization.hpp), spliced into the checkpoint's.
TYPENET_IO_INLINE void save_training_checkpoint(const std::filesystem::path& path, std::int64_t epoch,
                                                std::span<const std::byte> state, std::span<const state_entry> entries,
                                                std::uint64_t fingerprint, std::span<const char> model_pickle,
                                                const optimizer_description& optimizer);

// load_checkpoint for any model and optimizer: checks, then loads the model's state block and the
// optimizer's buffers, fills in `optimizer`, returns the epoch.
TYPENET_IO_INLINE std::int64_t load_training_checkpoint(shared_bytes bytes, const std::string& source,
                                                        std::span<std::byte> state, const model_description& model,
                                                        optimizer_description& optimizer);
TYPENET_IO_INLINE std::int64_t load_training_checkpoint(const std::filesystem::path& path, std::span<std::byte> state,
                                                        const model_description& model,
                                                        optimizer_description& optimizer);

// A boolean hyper-parameter of a group, false when the optimizer has none of that name.
inline bool hyper_flag(const std::vector<hyper_parameter>& group, std::string_view name) {
    for (const hyper_parameter& h : group)
        if (h.name == name) return h.value != 0;
    return false;
}

inline double hyper_value(const std::vector<hyper_parameter>& group, std::string_view name, bool second = false) {
    for (const hyper_parameter& h : group)
        if (h.name == name) return second ? h.second : h.value;
    throw error(concat({"typenet: no hyper-parameter ", name}));  // a bug in a describe() below
}

template <class T>
std::span<std::byte> writable(std::span<T> values) {
    return {reinterpret_cast<std::byte*>(values.data()), values.size_bytes()};
}

// What each optimizer's checkpoint holds, and how the file's values go back into it.
template <class Model>
optimizer_description describe(SGD<Model>& o) {
    using kind = hyper_parameter::kind;
    optimizer_description d;
    d.name = "SGD";
    for (const auto& g : o.param_groups()) {
        const sgd_options& x = g.options;
        d.groups.push_back({{"lr", kind::real, x.lr},
                            {"momentum", kind::real, x.momentum},
                            {"dampening", kind::real, x.dampening},
                            {"weight_decay", kind::real, x.weight_decay},
                            {"nesterov", kind::boolean, double(x.nesterov)},
                            {"maximize", kind::boolean, double(x.maximize)},
                            {"foreach", kind::none},
                            {"differentiable", kind::boolean, 0}});
        for (std::size_t e : g.entries) {
            optimizer_parameter p{&Model::state_dict[e], d.groups.size() - 1, o.stepped(e), false, 0, {}};
            p.buffers.push_back({"momentum_buffer", writable(o.momentum_buffer(e)),
                                 optimizer_buffer::rule::may_be_none, o.has_momentum_buffer(e)});
            d.parameters.push_back(std::move(p));
        }
    }
    return d;
}
template <class Model>
void restore(SGD<Model>& o, const optimizer_description& d) {
    std::size_t i = 0;
    for (std::size_t g = 0; g < d.groups.size(); ++g) {
        auto& group = o.param_groups()[g];
        const auto& h = d.groups[g];
        group.options = {hyper_value(h, "lr"),           hyper_value(h, "momentum"), hyper_value(h, "dampening"),
                         hyper_value(h, "weight_decay"), hyper_value(h, "nesterov") != 0,
                         hyper_value(h, "maximize") != 0};
        for (std::size_t e : group.entries) {
            const optimizer_parameter& p = d.parameters[i++];
            o.set_stepped(e, p.has_state);
            o.set_has_momentum_buffer(e, p.has_state && p.buffers[0].present);
        }
    }
}

template <class Model, class Options, bool Decoupled>
optimizer_description describe(adam_family<Model, Options, Decoupled>& o) {
    using kind = hyper_parameter::kind;
    optimizer_description d;
    d.name = Decoupled ? "AdamW" : "Adam";
    d.decoupled_weight_decay = Decoupled;
    for (const auto& g : o.param_groups()) {
        const Options& x = g.options;
        std::vector<hyper_parameter> h = {{"lr", kind::real, x.lr},
                                          {"betas", kind::pair, x.beta1, x.beta2},
                                          {"eps", kind::real, x.eps},
                                          {"weight_decay", kind::real, x.weight_decay},
                                          {"amsgrad", kind::boolean, double(x.amsgrad)}};
        // PyTorch 1.13's order: AdamW has foreach before maximize, and no differentiable or fused.
        if (Decoupled)
            h.insert(h.end(), {{"foreach", kind::none}, {"maximize", kind::boolean, double(x.maximize)},
                               {"capturable", kind::boolean, 0}});
        else
            h.insert(h.end(), {{"maximize", kind::boolean, double(x.maximize)}, {"foreach", kind::none},
                               {"capturable", kind::boolean, 0}, {"differentiable", kind::boolean, 0},
                               {"fused", kind::boolean, 0}});
        d.groups.push_back(std::move(h));
        for (std::size_t e : g.entries) {
            const double step = o.step_count(e);
            optimizer_parameter p{&Model::state_dict[e], d.groups.size() - 1, step > 0, true, step, {}};
            p.buffers.push_back({"exp_avg", writable(o.exp_avg(e))});
            p.buffers.push_back({"exp_avg_sq", writable(o.exp_avg_sq(e))});
            const std::span<std::byte> vmax = writable(o.max_exp_avg_sq(e));
            p.buffers.push_back({"max_exp_avg_sq", vmax, optimizer_buffer::rule::with_amsgrad, !vmax.empty()});
            d.parameters.push_back(std::move(p));
        }
    }
    return d;
}
template <class Model, class Options, bool Decoupled>
void restore(adam_family<Model, Options, Decoupled>& o, const optimizer_description& d) {
    std::size_t i = 0;
    for (std::size_t g = 0; g < d.groups.size(); ++g) {
        auto& group = o.param_groups()[g];
        const auto& h = d.groups[g];
        group.options = {hyper_value(h, "lr"),      hyper_value(h, "betas"),          hyper_value(h, "betas", true),
                         hyper_value(h, "eps"),     hyper_value(h, "weight_decay"),   hyper_value(h, "amsgrad") != 0,
                         hyper_value(h, "maximize") != 0};
        for (std::size_t e : group.entries) {
            const optimizer_parameter& p = d.parameters[i++];
            o.set_step_count(e, p.has_state ? p.step : 0);
        }
    }
}

}  // namespace detail

// Writes {'epoch': epoch, 'model_state_dict': ..., 'optimizer_state_dict': ...} as torch.save
// does (see above). The file is written atomically: on failure the destination is left as it was.
template <class M, class Optimizer>
void save_checkpoint(const std::filesystem::path& path, const M& model, Optimizer& optimizer, std::int64_t epoch) {
    const auto& pickle = detail::state_dict_pickle<M>::bytes;
    detail::save_training_checkpoint(path, epoch, model.state(), M::state_dict, M::fingerprint, pickle,
                                     detail::describe(optimizer));
}

// Loads a checkpoint dict written by save_checkpoint or by PyTorch (see above) into the model and
// the optimizer, and returns its 'epoch'. On an error nothing is changed.
template <class M, class Optimizer>
std::int64_t load_checkpoint(const std::filesystem::path& path, M& model, Optimizer& optimizer) {
    detail::optimizer_description d = detail::describe(optimizer);
    const std::int64_t epoch =
        detail::load_training_checkpoint(path, model.state(), detail::describe_model<M>(), d);
    detail::restore(optimizer, d);
    return epoch;
}

// The same from a file held in memory (nothing is copied but the values); messages name it
// `source_name`.
template <class M, class Optimizer>
std::int64_t load_checkpoint(std::span<const std::byte> bytes, M& model, Optimizer& optimizer,
                             const std::string& source_name = "<memory>") {
    detail::optimizer_description d = detail::describe(optimizer);
    const std::int64_t epoch = detail::load_training_checkpoint(shared_bytes::borrowed(bytes), source_name,
                                                                model.state(), detail::describe_model<M>(), d);
    detail::restore(optimizer, d);
    return epoch;
}

}  // namespace typenet

#if TYPENET_IO_DEFINITIONS
#include <algorithm>
#include <bit>
#include <cstring>
#include <map>
#include <optional>

#include "detail/formats/convert.hpp"
#include "detail/formats/file.hpp"
#include "detail/formats/pickle.hpp"
#include "detail/formats/state_dict_pickle.hpp"
#include "detail/formats/zip.hpp"

namespace typenet {
namespace detail {

// Optimizer flags that choose how PyTorch computes a step, not what it computes: any value loads.
// initial_lr is what an LR scheduler adds to each group.
inline bool ignored_hyper_parameter(std::string_view name) {
    return name == "foreach" || name == "capturable" || name == "differentiable" || name == "fused" ||
           name == "initial_lr";
}

// The checkpoint's data.pkl: the model's pickle between the optimizer's parts, and every tensor
// the optimizer's part names, in the order of their storage keys (after the model's 0..N-1).
struct checkpoint_pickle_writer {
    pickle_sink& p;
    std::size_t next_key;
    std::vector<std::span<const std::byte>>* records;  // filled on one pass only
    std::span<const float> steps;                      // a float32 'step' per parameter

    void integer(std::int64_t v) {
        if (v >= 0) return p.integer(std::uint64_t(v));
        if (v >= INT32_MIN) {
            p.byte('J');  // BININT: signed 32-bit
            p.little_endian(std::uint64_t(v), 4);
            return;
        }
        p.byte(0x8A);  // LONG1, 8 bytes of two's complement
        p.byte(8);
        p.little_endian(std::uint64_t(v), 8);
    }
    void real(double v) {
        p.byte('G');  // BINFLOAT: big-endian IEEE double
        const std::uint64_t bits = std::bit_cast<std::uint64_t>(v);
        for (int i = 7; i >= 0; --i) p.byte(unsigned(bits >> (8 * i)));
    }
    void boolean(bool v) { p.byte(v ? 0x88 : 0x89); }  // NEWTRUE, NEWFALSE
    void tensor(dtype type, const typenet::shape& shape, std::size_t numel, std::span<const std::byte> data) {
        p.global("torch._utils", "_rebuild_tensor_v2");
        p.mark();
        p.mark();
        p.unicode("storage");
        p.global("torch", storage_class(type));
        p.decimal(next_key++);
        p.unicode("cpu");
        p.integer(numel);
        p.byte('t');
        p.byte('Q');  // BINPERSID
        p.integer(0);
        std::size_t strides[max_rank] = {};
        std::size_t stride = 1;
        for (std::size_t d = shape.rank; d-- > 0;) {
            strides[d] = stride;
            stride *= shape.dims[d];
        }
        p.int_tuple(shape.dims, shape.rank);
        p.int_tuple(strides, shape.rank);
        p.byte(0x89);  // requires_grad False
        p.empty_ordered_dict();
        p.byte('t');
        p.byte('R');
        if (records) records->push_back(data);
    }

    void write(std::int64_t epoch, std::span<const char> model_pickle, const optimizer_description& o) {
        p.byte(0x80);  // PROTO 2
        p.byte(2);
        p.byte('}');
        p.mark();
        p.unicode("epoch");
        integer(epoch);
        p.unicode("model_state_dict");
        // The model's own pickle without its PROTO and STOP: one value, its storages keyed 0..N-1.
        for (char c : model_pickle.subspan(2, model_pickle.size() - 3)) p.byte(static_cast<unsigned char>(c));
        p.unicode("optimizer_state_dict");
        p.byte('}');
        p.mark();
        p.unicode("state");
        p.byte('}');
        bool any = false;
        for (std::size_t i = 0; i < o.parameters.size(); ++i) {
            const optimizer_parameter& param = o.parameters[i];
            if (!param.has_state) continue;
            if (!any) p.mark();
            any = true;
            integer(std::int64_t(i));
            p.byte('}');
            p.mark();
            if (param.has_step) {
                p.unicode("step");
                static constexpr typenet::shape scalar{};
                tensor(dtype::float32, scalar, 1, std::as_bytes(steps.subspan(i, 1)));
            }
            const bool amsgrad = hyper_flag(o.groups[param.group], "amsgrad");
            for (const optimizer_buffer& b : param.buffers) {
                if (b.when == optimizer_buffer::rule::with_amsgrad && !amsgrad) continue;
                p.unicode(b.name);
                if (b.present)
                    tensor(param.entry->dtype, param.entry->shape, param.entry->numel, b.data);
                else
                    p.byte('N');
            }
            p.byte('u');
        }
        if (any) p.byte('u');
        p.unicode("param_groups");
        p.byte(']');  // EMPTY_LIST
        if (!o.groups.empty()) p.mark();
        std::size_t first = 0;
        for (std::size_t g = 0; g < o.groups.size(); ++g) {
            p.byte('}');
            p.mark();
            for (const hyper_parameter& h : o.groups[g]) {
                p.unicode(h.name);
                switch (h.type) {
                    case hyper_parameter::kind::real: real(h.value); break;
                    case hyper_parameter::kind::boolean: boolean(h.value != 0); break;
                    case hyper_parameter::kind::none: p.byte('N'); break;
                    case hyper_parameter::kind::pair:
                        real(h.value);
                        real(h.second);
                        p.byte(0x86);  // TUPLE2
                        break;
                }
            }
            p.unicode("params");
            p.byte(']');
            std::size_t count = 0;
            for (const optimizer_parameter& param : o.parameters) count += param.group == g;
            if (count) {
                p.mark();
                for (std::size_t i = first; i < first + count; ++i) integer(std::int64_t(i));
                p.byte('e');  // APPENDS
            }
            first += count;
            p.byte('u');
        }
        if (!o.groups.empty()) p.byte('e');
        p.byte('u');  // the optimizer's dict
        p.byte('u');  // the checkpoint's dict
        p.byte('.');
    }
};

TYPENET_IO_INLINE void save_training_checkpoint(const std::filesystem::path& path, std::int64_t epoch,
                                                std::span<const std::byte> state, std::span<const state_entry> entries,
                                                std::uint64_t fingerprint, std::span<const char> model_pickle,
                                                const optimizer_description& optimizer) {
    std::vector<float> steps;
    for (const optimizer_parameter& p : optimizer.parameters) steps.push_back(float(p.step));
    std::vector<std::span<const std::byte>> records;
    pickle_sink counter;
    checkpoint_pickle_writer{counter, entries.size(), &records, steps}.write(epoch, model_pickle, optimizer);
    std::vector<char> pickle(counter.size);
    pickle_sink sink{pickle.data()};
    checkpoint_pickle_writer{sink, entries.size(), nullptr, steps}.write(epoch, model_pickle, optimizer);

    std::string top = path.stem().string();
    if (top.empty()) top = "archive";
    auto text = [](std::string_view s) { return std::as_bytes(std::span<const char>(s.data(), s.size())); };
    write_file_atomically(path, [&](const chunk_writer& out) {
        zip_writer zip(out);
        zip.add(top + "/data.pkl", std::as_bytes(std::span<const char>(pickle)));
        zip.add(top + "/byteorder", text("little"));
        const std::string fingerprint_record = fingerprint_text(fingerprint) + "\n";  // as save_pth_state
        zip.add(top + "/typenet_fingerprint", text(fingerprint_record));
        for (std::size_t i = 0; i < entries.size(); ++i)
            zip.add(concat({top, "/data/", std::to_string(i)}), state.subspan(entries[i].offset, entries[i].nbytes));
        for (std::size_t i = 0; i < records.size(); ++i)
            zip.add(concat({top, "/data/", std::to_string(entries.size() + i)}), records[i]);
        zip.add(top + "/version", text("3\n"));
        zip.finish();
    });
}

// Reads the optimizer's part of a checkpoint dict against an optimizer's description.
class optimizer_state_reader {
public:
    optimizer_state_reader(std::span<const std::byte> file, std::string source) : source_(std::move(source)) {
        if (!looks_like_zip(file))
            fail("not a zip archive: load_checkpoint reads checkpoints in torch.save's zip format (PyTorch 1.6 and "
                 "later; not _use_new_zipfile_serialization=False)");
        zip_.emplace(file, source_);
        prefix_ = std::string(zip_->top_folder()) + "/";
        const zip_entry* pickle = zip_->find(prefix_ + "data.pkl");
        if (!pickle) fail("the zip archive has no data.pkl: not a torch.save checkpoint");
        zip_->verify_crc(*pickle);
        if (const zip_entry* order = zip_->find(prefix_ + "byteorder"))
            big_endian_ = std::string_view(reinterpret_cast<const char*>(zip_->data(*order).data()),
                                           zip_->data(*order).size()).starts_with("big");
        unpickle_options options;
        options.source = concat({source_, " (", escape_for_message(pickle->name), ")"});
        options.persistent_load = [&](const pickle_tree& tree, pickle_id id, std::size_t) {
            const std::span<const pickle_id> items = tree.items(id);
            if (tree[id].kind != pickle_kind::tuple || items.size() != 5 ||
                tree[items[1]].kind != pickle_kind::global || tree[items[2]].kind != pickle_kind::string ||
                tree[items[4]].kind != pickle_kind::integer)
                fail(concat({"a persistent id is ", pickle_repr(tree, id),
                             ", not ('storage', type, key, location, size)"}));
            storages_.push_back({std::string(tree.text(items[1])), std::string(tree.text(items[2])),
                                 std::uint64_t(tree[items[4]].number)});
            return std::int64_t(storages_.size() - 1);
        };
        tree_ = unpickle(zip_->data(*pickle), options);
    }

    std::int64_t read(optimizer_description& o) {
        const pickle_id root = tree_.root;
        if (tree_[root].kind != pickle_kind::dict)
            fail(concat({"the file holds ", describe_pickle_value(tree_, root),
                         ", not a checkpoint dict {'epoch': ..., 'model_state_dict': ..., "
                         "'optimizer_state_dict': ...}"}));
        const std::span<const pickle_id> top = tree_.items(root);
        bool tensors = !top.empty();
        for (std::size_t i = 1; i < top.size(); i += 2) tensors = tensors && tree_[top[i]].kind == pickle_kind::tensor;
        if (tensors)
            fail(concat({"a state_dict (its keys are ", keys_of(root), "), not a checkpoint dict {'epoch': ..., "
                         "'model_state_dict': ..., 'optimizer_state_dict': ...}: it holds no optimizer state. Load it "
                         "with typenet::load_state_dict"}));
        const pickle_id epoch = required(root, "epoch", "the checkpoint dict");
        if (tree_[epoch].kind != pickle_kind::integer)
            fail(concat({"'epoch' is ", describe_pickle_value(tree_, epoch), ", not an int"}));
        required(root, "model_state_dict", "the checkpoint dict");
        const pickle_id state_dict = required(root, "optimizer_state_dict", "the checkpoint dict");
        if (tree_[state_dict].kind != pickle_kind::dict)
            fail(concat({"'optimizer_state_dict' is ", describe_pickle_value(tree_, state_dict),
                         ", not a dict (optimizer.state_dict())"}));
        const pickle_id state = required(state_dict, "state", "'optimizer_state_dict'");
        const pickle_id groups = required(state_dict, "param_groups", "'optimizer_state_dict'");
        if (tree_[state].kind != pickle_kind::dict || tree_[groups].kind != pickle_kind::list)
            fail("'optimizer_state_dict' should hold 'state', a dict, and 'param_groups', a list");

        // param_groups: as many as the optimizer's, each with as many parameters, and its hyper-parameters.
        const std::span<const pickle_id> group_items = tree_.items(groups);
        if (!group_items.empty() && !o.groups.empty() && tree_[group_items[0]].kind == pickle_kind::dict) {
            // Another optimizer's checkpoint is worth saying so before counting its groups.
            std::vector<hyper_parameter> first = o.groups[0];
            read_hyper_parameters(group_items[0], "param_groups[0]", o, first);
        }
        if (group_items.size() != o.groups.size())
            fail(concat({"the checkpoint's optimizer has ", std::to_string(group_items.size()),
                         " parameter groups, this ", o.name, " has ", std::to_string(o.groups.size()),
                         ": make the optimizer with the groups it was saved with"}));
        std::map<std::int64_t, std::size_t> position_of;  // the file's parameter index -> the optimizer's
        std::size_t position = 0;
        for (std::size_t g = 0; g < o.groups.size(); ++g) {
            const pickle_id group = group_items[g];
            const std::string where = concat({"param_groups[", std::to_string(g), "]"});
            if (tree_[group].kind != pickle_kind::dict) fail(concat({where, " is not a dict"}));
            read_hyper_parameters(group, where, o, o.groups[g]);
            const pickle_id params = required(group, "params", where);
            std::size_t count = 0;
            for (const optimizer_parameter& p : o.parameters) count += p.group == g;
            const std::span<const pickle_id> indices = tree_.items(params);
            if (tree_[params].kind != pickle_kind::list || indices.size() != count)
                fail(concat({where, " holds ", describe_pickle_value(tree_, params), " as 'params'; this ", o.name,
                             "'s group ", std::to_string(g), " has ", std::to_string(count),
                             " parameters: make the optimizer with the groups it was saved with"}));
            for (pickle_id index : indices) {
                if (tree_[index].kind != pickle_kind::integer ||
                    !position_of.emplace(tree_[index].number, position).second)
                    fail(concat({where, "['params'] holds ", pickle_repr(tree_, index),
                                 ", not a parameter index that appears once"}));
                ++position;
            }
        }

        // state: the file's parameter index -> that parameter's buffers.
        std::vector<pickle_id> state_of(o.parameters.size(), no_pickle_value);
        const std::span<const pickle_id> state_items = tree_.items(state);
        for (std::size_t i = 0; i < state_items.size(); i += 2) {
            const auto found = tree_[state_items[i]].kind == pickle_kind::integer
                                   ? position_of.find(tree_[state_items[i]].number)
                                   : position_of.end();
            if (found == position_of.end())
                fail(concat({"'state' has an entry for ", pickle_repr(tree_, state_items[i]),
                             ", which no parameter group lists"}));
            state_of[found->second] = state_items[i + 1];
        }
        pending_.clear();
        for (std::size_t i = 0; i < o.parameters.size(); ++i) read_parameter_state(o, i, state_of[i]);
        return tree_[epoch].number;
    }

    // Writes the tensors read() checked into the optimizer's buffers.
    void apply(optimizer_description& o) {
        for (const pending_copy& c : pending_)
            copy_converted(c.tensor, c.type, big_endian_, c.destination.data());
        for (optimizer_parameter& p : o.parameters)
            if (!p.has_state)
                for (optimizer_buffer& b : p.buffers) std::fill(b.data.begin(), b.data.end(), std::byte{0});
    }

private:
    struct storage {
        std::string class_name, key;
        std::uint64_t numel;
    };

    [[noreturn]] void fail(std::string_view what) const {
        throw error(concat({"typenet: load_checkpoint: ", source_, ": ", what}));
    }

    // A tensor of the file, checked, and the buffer it goes into.
    struct pending_copy {
        checkpoint_tensor tensor;
        std::span<std::byte> destination;
        dtype type;
    };

    pickle_id find(pickle_id dict, std::string_view key) const {
        const std::span<const pickle_id> items = tree_.items(dict);
        for (std::size_t i = 0; i < items.size(); i += 2)
            if (tree_[items[i]].kind == pickle_kind::string && tree_.text(items[i]) == key) return items[i + 1];
        return no_pickle_value;
    }
    std::string keys_of(pickle_id dict) const {
        std::string keys;
        const std::span<const pickle_id> items = tree_.items(dict);
        for (std::size_t i = 0; i < items.size(); i += 2)
            keys += concat({i ? ", " : "", pickle_repr(tree_, items[i], 60)});
        return keys.empty() ? "none" : keys;
    }
    pickle_id required(pickle_id dict, std::string_view key, std::string_view where) const {
        const pickle_id found = find(dict, key);
        if (found == no_pickle_value)
            fail(concat({where, " has no key '", key, "'; its keys are ", keys_of(dict)}));
        return found;
    }

    void read_hyper_parameters(pickle_id group, const std::string& where, const optimizer_description& o,
                               std::vector<hyper_parameter>& hyper) const {
        // Every key is one this optimizer knows; every hyper-parameter it uses is there.
        const std::span<const pickle_id> items = tree_.items(group);
        std::string unknown;
        for (std::size_t i = 0; i < items.size(); i += 2) {
            const std::string_view key = tree_.text(items[i]);
            if (key == "params" || ignored_hyper_parameter(key)) continue;
            if (key == "decoupled_weight_decay" && o.decoupled_weight_decay >= 0) {
                const pickle_value& v = tree_[items[i + 1]];
                if (v.kind == pickle_kind::boolean && v.number != o.decoupled_weight_decay)
                    fail(concat({where, " has decoupled_weight_decay=", v.number ? "True" : "False", ": it is ",
                                 v.number ? "AdamW" : "Adam", "'s, not ", o.name, "'s. Load it into a typenet::",
                                 v.number ? "AdamW" : "Adam"}));
                continue;
            }
            if (std::none_of(hyper.begin(), hyper.end(), [&](const hyper_parameter& h) { return h.name == key; }))
                unknown += concat({unknown.empty() ? "" : ", ", pickle_repr(tree_, items[i], 60)});
        }
        std::string missing;
        for (const hyper_parameter& h : hyper)
            if (!ignored_hyper_parameter(h.name) && find(group, h.name) == no_pickle_value)
                missing += concat({missing.empty() ? "'" : ", '", h.name, "'"});
        if (!unknown.empty() || !missing.empty())
            fail(concat({where, " is not ", o.name, "'s: ", unknown.empty() ? "" : concat({"it has ", unknown}),
                         !unknown.empty() && !missing.empty() ? "; " : "",
                         missing.empty() ? "" : concat({"it lacks ", missing}), " (its keys are ", keys_of(group),
                         "). Load it into the optimizer it was saved from"}));
        for (hyper_parameter& h : hyper) {
            if (ignored_hyper_parameter(h.name)) continue;
            const pickle_id value = find(group, h.name);
            const std::string what = concat({where, "['", h.name, "'] is ", pickle_repr(tree_, value, 60)});
            switch (h.type) {
                case hyper_parameter::kind::real: h.value = number(value, what); break;
                case hyper_parameter::kind::boolean:
                    if (tree_[value].kind != pickle_kind::boolean) fail(concat({what, ", not a bool"}));
                    h.value = double(tree_[value].number);
                    break;
                case hyper_parameter::kind::pair: {
                    const std::span<const pickle_id> two = tree_.items(value);
                    if (tree_[value].kind != pickle_kind::tuple || two.size() != 2)
                        fail(concat({what, ", not a pair of numbers"}));
                    h.value = number(two[0], what);
                    h.second = number(two[1], what);
                    break;
                }
                case hyper_parameter::kind::none: break;
            }
        }
    }
    double number(pickle_id id, const std::string& what) const {
        const pickle_value& v = tree_[id];
        if (v.kind == pickle_kind::floating) return v.real();
        if (v.kind == pickle_kind::integer) return double(v.number);
        fail(concat({what, ", not a number"}));
    }

    void read_parameter_state(optimizer_description& o, std::size_t i, pickle_id state) {
        optimizer_parameter& p = o.parameters[i];
        p.has_state = state != no_pickle_value;
        p.step = 0;
        for (optimizer_buffer& b : p.buffers) b.present = false;
        if (!p.has_state) return;
        const std::string where = concat({"the state of parameter ", std::to_string(i), " (", p.entry->key, ")"});
        if (tree_[state].kind != pickle_kind::dict) fail(concat({where, " is not a dict"}));
        const bool amsgrad = hyper_flag(o.groups[p.group], "amsgrad");
        std::vector<std::string_view> expected;
        if (p.has_step) {
            expected.push_back("step");
            const pickle_id step = required(state, "step", where);
            if (tree_[step].kind == pickle_kind::tensor) {
                const checkpoint_tensor t = tensor(step, concat({where, "['step']"}));
                if (t.numel() != 1)
                    fail(concat({where, "['step'] has ", std::to_string(t.numel()), " elements, not 1"}));
                const element e = read_element(t.storage.data() + t.storage_offset * size_of(t.dtype), t.dtype,
                                               big_endian_ && size_of(t.dtype) > 1);
                p.step = e.is_integer ? double(e.integer) : e.real;
            } else {
                p.step = number(step, concat({where, "['step'] is ", pickle_repr(tree_, step, 60)}));
            }
        }
        for (optimizer_buffer& b : p.buffers) {
            if (b.when == optimizer_buffer::rule::with_amsgrad && !amsgrad) continue;
            expected.push_back(b.name);
            if (b.when == optimizer_buffer::rule::with_amsgrad && b.data.empty())
                fail(concat({where, " has '", b.name, "' (amsgrad), and this ", o.name,
                             " has no room for it: make it with amsgrad = true"}));
            const pickle_id value = required(state, b.name, where);
            const std::string what = concat({where, "['", b.name, "']"});
            if (tree_[value].kind == pickle_kind::none && b.when == optimizer_buffer::rule::may_be_none) continue;
            if (tree_[value].kind != pickle_kind::tensor)
                fail(concat({what, " is ", describe_pickle_value(tree_, value), ", not a tensor"}));
            checkpoint_tensor t = tensor(value, what);
            const bool same_shape = t.shape.size() == p.entry->shape.rank &&
                                    std::equal(t.shape.begin(), t.shape.end(), p.entry->shape.begin());
            if (!same_shape)
                fail(concat({what, " has the shape ", shape_text(t.shape), ", not its parameter's, ",
                             to_string(p.entry->shape), ": the checkpoint is not this model's, or it is corrupted"}));
            b.present = true;
            pending_.push_back({std::move(t), b.data, p.entry->dtype});
        }
        const std::span<const pickle_id> items = tree_.items(state);
        for (std::size_t k = 0; k < items.size(); k += 2)
            if (std::find(expected.begin(), expected.end(), tree_.text(items[k])) == expected.end())
                fail(concat({where, " has ", pickle_repr(tree_, items[k], 60), ", which ", o.name,
                             " does not keep: the checkpoint is another optimizer's. Load it into the optimizer it "
                             "was saved from"}));
    }

    checkpoint_tensor tensor(pickle_id id, const std::string& what) const {
        const storage& s = storages_[std::size_t(tree_[tree_.tensor_storage(id)].number)];
        checkpoint_tensor t;
        t.key = what;
        const std::string_view class_name = s.class_name;
        const std::string_view names[] = {"torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage",
                                          "torch.BFloat16Storage"};
        const dtype types[] = {dtype::float32, dtype::float64, dtype::float16, dtype::bfloat16};
        bool known = false;
        for (std::size_t k = 0; k < 4; ++k)
            if (class_name == names[k]) t.dtype = types[k], known = true;
        if (!known)
            fail(concat({what, " is stored as ", escape_for_message(class_name), ", not as floating-point values"}));
        for (std::uint64_t d : tree_.tensor_shape(id)) t.shape.push_back(std::size_t(d));
        for (std::uint64_t d : tree_.tensor_strides(id)) t.strides.push_back(std::size_t(d));
        t.storage_offset = std::size_t(tree_[id].number);
        t.storage_name = concat({prefix_, "data/", s.key});
        const zip_entry* entry = zip_->find(t.storage_name);
        if (!entry) fail(concat({what, " uses storage '", escape_for_message(s.key), "', which the file lacks"}));
        zip_->verify_crc(*entry);
        t.storage = zip_->data(*entry);
        // The farthest element, overflow-checked (the shape is checked against the parameter's only later).
        std::uint64_t last = t.storage_offset, span = 0;
        bool overflow = t.strides.size() != t.shape.size(), empty = false;
        for (std::size_t d = 0; d < t.shape.size() && !overflow; ++d) {
            empty = empty || t.shape[d] == 0;
            overflow = t.shape[d] > 0 &&
                       (__builtin_mul_overflow(std::uint64_t(t.shape[d] - 1), t.strides[d], &span) ||
                        __builtin_add_overflow(last, span, &last));
        }
        if (overflow || (!empty && (last >= t.storage.size() / size_of(t.dtype) || last >= s.numel)))
            fail(concat({what, " reaches past the end of its storage ", escape_for_message(t.storage_name),
                         ": the file is corrupted"}));
        return t;
    }

    std::string source_;
    std::optional<zip_reader> zip_;
    std::string prefix_;
    bool big_endian_ = false;
    std::vector<storage> storages_;
    pickle_tree tree_;
    std::vector<pending_copy> pending_;
};

TYPENET_IO_INLINE std::int64_t load_training_checkpoint(shared_bytes bytes, const std::string& source,
                                                        std::span<std::byte> state, const model_description& model,
                                                        optimizer_description& optimizer) {
    // The optimizer's part is checked first, the model's by load_state, which changes nothing on an
    // error; then the optimizer's buffers are written, which cannot fail.
    optimizer_state_reader reader(bytes.data, source);
    const std::int64_t epoch = reader.read(optimizer);
    read_options read;
    read.state_dict_key = "model_state_dict";
    load_state(state, model, read_pth(bytes, source, read), load_options{});
    reader.apply(optimizer);
    return epoch;
}

TYPENET_IO_INLINE std::int64_t load_training_checkpoint(const std::filesystem::path& path, std::span<std::byte> state,
                                                        const model_description& model,
                                                        optimizer_description& optimizer) {
    return load_training_checkpoint(read_file(path), path.string(), state, model, optimizer);
}

}  // namespace detail
}  // namespace typenet
#endif  // TYPENET_IO_DEFINITIONS
