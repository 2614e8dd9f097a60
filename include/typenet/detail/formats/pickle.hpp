// A restricted unpickler for the data.pkl of PyTorch checkpoints. It never executes anything: it
// accepts the opcodes and globals of torch's weights_only loader, plus the protocol 3 and 4 opcodes
// torch.save writes with pickle_protocol=3 or 4 (FRAME, MEMOIZE, STACK_GLOBAL, short strings,
// bytes), and builds a tree of plain values (None, bools, ints, floats, strings, bytes, tuples,
// lists, dicts, sets, tensors, storages). Everything else is refused with a message naming the
// opcode or the global and its byte offset.
//
// Hostile input is expected. Parsing is a loop over opcodes, never recursion; nesting depth, memo
// indices and string lengths are checked before anything is allocated. Values are 24 bytes, in
// blocks that never move; their strings and items live in two pools of the tree, children are
// referenced by index, so destroying the tree is flat and cycles (a list that contains itself
// through the memo) are harmless. None, booleans, the empty tuple and the integers 0 to 255 are
// made once and shared, as Python does.
//
// Memory is bounded: the tree and the parser's stacks together never hold more than
// unpickle_memory_per_byte (24) bytes per byte of pickle read so far, plus unpickle_memory_base
// (1 MiB); a pickle that needs more is refused with a format_error saying so. torch.save's pickles
// need less than 10 bytes per byte (measured: 4 for a state_dict, 8 for a checkpoint dict with an
// optimizer's state and a list of 100,000 ints).
#pragma once

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../../error.hpp"
#include "zip.hpp"

namespace typenet::detail {

using pickle_id = std::uint32_t;
inline constexpr pickle_id no_pickle_value = 0xFFFFFFFFu;
// More dimensions than any tensor has (PyTorch's CUDA kernels stop at 25).
inline constexpr std::size_t max_tensor_rank = 64;
// The memory limit (see above), documented in the README.
inline constexpr std::size_t unpickle_memory_per_byte = 24;
inline constexpr std::size_t unpickle_memory_base = std::size_t(1) << 20;

enum class pickle_kind : unsigned char {
    none,
    boolean,      // `number` 0 or 1
    integer,      // fits in int64: `number`
    big_integer,  // LONG1 wider than int64: little-endian two's complement bytes, tree.text(id)
    floating,     // real()
    string,       // BINUNICODE and the like, or SHORT_BINSTRING (Python 2's str): tree.text(id)
    bytes,        // SHORT_BINBYTES, BINBYTES, BINBYTES8: tree.text(id)
    tuple,        // tree.items(id)
    list,
    dict,         // tree.items(id) alternate key, value, in insertion order; `ordered` for an OrderedDict
    set,
    global,       // an allowed global not called: a dtype (torch.float32), a storage class...; tree.text(id) "module.name"
    object,       // a torch object kept as text: torch.device('cuda:0')
    storage,      // a persistent id the caller resolved: `number` is the caller's storage index
    tensor,       // _rebuild_tensor_v2(...): `number` the storage offset; tree.tensor_storage(id),
                  // tree.tensor_shape(id), tree.tensor_strides(id)
};

struct pickle_value {
    pickle_kind kind = pickle_kind::none;
    bool ordered = false;        // dict: an OrderedDict
    std::uint32_t height = 0;    // nesting levels below it, as far as parsing saw
    std::uint32_t count = 0;     // a container's items; a text's bytes
    std::uint32_t first = 0;     // a container's first item, a text's first byte, in the tree's pools; a tensor's arguments
    std::int64_t number = 0;     // see pickle_kind; a floating's bits; list, dict, set: capacity, and attributes << 32

    double real() const { return std::bit_cast<double>(number); }
};

class unpickler;

class pickle_tree {
public:
    pickle_id root = no_pickle_value;
    std::size_t end = 0;  // offset just past STOP, relative to the bytes parsed

    std::size_t size() const { return count_; }
    const pickle_value& operator[](pickle_id id) const { return blocks_[id / block_size][id % block_size]; }

    // A string's, bytes', big integer's, global's or object's text; empty for other kinds.
    std::string_view text(pickle_id id) const {
        const pickle_value& v = (*this)[id];
        const bool has_text = v.kind == pickle_kind::string || v.kind == pickle_kind::bytes ||
                              v.kind == pickle_kind::big_integer || v.kind == pickle_kind::global ||
                              v.kind == pickle_kind::object;
        return has_text && v.count ? std::string_view(chars_.data() + v.first, v.count) : std::string_view();
    }
    // A tuple's, list's, set's items; a dict's keys and values, alternating; empty for other kinds.
    std::span<const pickle_id> items(pickle_id id) const {
        const pickle_value& v = (*this)[id];
        const bool has_items = v.kind == pickle_kind::tuple || v.kind == pickle_kind::list ||
                               v.kind == pickle_kind::dict || v.kind == pickle_kind::set;
        return has_items && v.count ? std::span<const pickle_id>(items_.data() + v.first, v.count)
                                    : std::span<const pickle_id>();
    }
    // The state BUILD gave a dict (an OrderedDict's _metadata), or no_pickle_value.
    pickle_id attributes(pickle_id id) const {
        const pickle_value& v = (*this)[id];
        return v.kind == pickle_kind::dict ? pickle_id(std::uint64_t(v.number) >> 32) : no_pickle_value;
    }
    // A tensor's storage (a storage value), shape and strides, checked when the tensor was made.
    pickle_id tensor_storage(pickle_id id) const { return items((*this)[id].first)[0]; }
    std::vector<std::uint64_t> tensor_shape(pickle_id id) const { return integers(items((*this)[id].first)[2]); }
    std::vector<std::uint64_t> tensor_strides(pickle_id id) const { return integers(items((*this)[id].first)[3]); }

private:
    friend class unpickler;
    static constexpr std::size_t block_size = 1024;

    std::vector<std::uint64_t> integers(pickle_id tuple) const {
        std::vector<std::uint64_t> out;
        for (pickle_id item : items(tuple)) out.push_back(std::uint64_t((*this)[item].number));
        return out;
    }

    std::vector<std::unique_ptr<pickle_value[]>> blocks_;
    std::size_t count_ = 0;
    std::vector<char> chars_;
    std::vector<pickle_id> items_;
};

// Resolves a persistent id (BINPERSID): gets the tree and the id's value, returns the caller's index
// of the storage it names (kept in the storage value's `number`), or throws.
using persistent_loader = std::function<std::int64_t(const pickle_tree&, pickle_id persistent_id, std::size_t position)>;

struct unpickle_options {
    std::string source = "<memory>";  // for messages: "model.pth (model/data.pkl)"
    std::size_t base_offset = 0;      // added to byte offsets in messages, for pickles inside a file
    std::size_t max_depth = 1000;     // Python's own recursion limit stops deeper data from being saved
    persistent_loader persistent_load;
};

// The name pickletools gives an opcode, for messages; empty for a byte that is no opcode.
constexpr std::string_view pickle_opcode_name(unsigned char op) {
    switch (op) {
        case '(': return "MARK";           case '.': return "STOP";            case '0': return "POP";
        case '1': return "POP_MARK";       case '2': return "DUP";             case 'F': return "FLOAT";
        case 'I': return "INT";            case 'J': return "BININT";          case 'K': return "BININT1";
        case 'L': return "LONG";           case 'M': return "BININT2";         case 'N': return "NONE";
        case 'P': return "PERSID";         case 'Q': return "BINPERSID";       case 'R': return "REDUCE";
        case 'S': return "STRING";         case 'T': return "BINSTRING";       case 'U': return "SHORT_BINSTRING";
        case 'V': return "UNICODE";        case 'X': return "BINUNICODE";      case 'a': return "APPEND";
        case 'b': return "BUILD";          case 'c': return "GLOBAL";          case 'd': return "DICT";
        case '}': return "EMPTY_DICT";     case 'e': return "APPENDS";         case 'g': return "GET";
        case 'h': return "BINGET";         case 'i': return "INST";            case 'j': return "LONG_BINGET";
        case 'l': return "LIST";           case ']': return "EMPTY_LIST";      case 'o': return "OBJ";
        case 'p': return "PUT";            case 'q': return "BINPUT";          case 'r': return "LONG_BINPUT";
        case 's': return "SETITEM";        case 't': return "TUPLE";           case ')': return "EMPTY_TUPLE";
        case 'u': return "SETITEMS";       case 'G': return "BINFLOAT";        case 'B': return "BINBYTES";
        case 'C': return "SHORT_BINBYTES"; case 0x80: return "PROTO";          case 0x81: return "NEWOBJ";
        case 0x82: return "EXT1";          case 0x83: return "EXT2";           case 0x84: return "EXT4";
        case 0x85: return "TUPLE1";        case 0x86: return "TUPLE2";         case 0x87: return "TUPLE3";
        case 0x88: return "NEWTRUE";       case 0x89: return "NEWFALSE";       case 0x8a: return "LONG1";
        case 0x8b: return "LONG4";         case 0x8c: return "SHORT_BINUNICODE"; case 0x8d: return "BINUNICODE8";
        case 0x8e: return "BINBYTES8";     case 0x8f: return "EMPTY_SET";      case 0x90: return "ADDITEMS";
        case 0x91: return "FROZENSET";     case 0x92: return "NEWOBJ_EX";      case 0x93: return "STACK_GLOBAL";
        case 0x94: return "MEMOIZE";       case 0x95: return "FRAME";          case 0x96: return "BYTEARRAY8";
        case 0x97: return "NEXT_BUFFER";   case 0x98: return "READONLY_BUFFER";
        default: return {};
    }
}

// The dtype names torch pickles as GLOBAL torch <name>.
constexpr bool is_torch_dtype_name(std::string_view name) {
    constexpr std::string_view names[] = {"float16", "float32", "float64", "bfloat16", "int8",      "int16",
                                          "int32",   "int64",   "uint8",   "bool",     "complex32", "complex64",
                                          "complex128"};
    for (std::string_view n : names)
        if (n == name) return true;
    return false;
}

// torch.FloatStorage, torch.BFloat16Storage, ...: the storage classes a persistent id names.
constexpr bool is_torch_storage_class(std::string_view module, std::string_view name) {
    if (module != "torch" || !name.ends_with("Storage") || name.size() == 7) return false;
    for (char c : name)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
    return true;
}

// The weights_only allow-list, the part tensors and plain data need.
constexpr bool is_allowed_global(std::string_view module, std::string_view name) {
    if (module == "collections") return name == "OrderedDict";
    if (module == "torch._utils")
        return name == "_rebuild_tensor_v2" || name == "_rebuild_tensor" || name == "_rebuild_parameter";
    if (module == "torch.nn.parameter") return name == "Parameter";
    if (module == "torch")
        return name == "Size" || name == "device" || is_torch_dtype_name(name) || is_torch_storage_class(module, name);
    return false;
}

class unpickler {
public:
    unpickler(std::span<const std::byte> bytes, const unpickle_options& options) : in_(bytes), options_(options) {
        // Shared values, made once (the bytes they take count in the 1 MiB every pickle may use).
        none_ = make(pickle_kind::none);
        true_ = make(pickle_kind::boolean);
        value(true_).number = 1;
        false_ = make(pickle_kind::boolean);
        empty_tuple_ = make(pickle_kind::tuple);
        small_integers_.assign(256, no_pickle_value);
    }

    pickle_tree run() {
        for (;;) {
            if (pos_ >= in_.size())
                fail(pos_, "the pickle ends without a STOP opcode (the data are truncated)");
            const std::size_t start = pos_;
            const auto op = static_cast<unsigned char>(in_[pos_++]);
            op_start_ = start;
            switch (op) {
                case 0x80: {  // PROTO
                    const std::uint64_t version = take(1, op);
                    if (version > 5) fail(start, concat({"pickle protocol ", std::to_string(version), " does not exist"}));
                    break;
                }
                case 0x95: {  // FRAME: the length of the next opcodes, for buffered reading; nothing to do
                    const std::uint64_t length = take(8, op);
                    if (length > in_.size() - pos_)
                        fail(start, concat({"FRAME announces ", std::to_string(length), " bytes but ",
                                            std::to_string(in_.size() - pos_), " are left (the data are truncated)"}));
                    break;
                }
                case '.': {  // STOP
                    tree_.root = pop(op);
                    tree_.end = pos_;
                    return std::move(tree_);
                }
                case '(': {  // MARK
                    if (marks_.size() >= options_.max_depth) too_deep(start);
                    grow(marks_, 1);
                    marks_.push_back(stack_.size());
                    break;
                }
                case 'N': push(none_); break;
                case 0x88: push(true_); break;   // NEWTRUE
                case 0x89: push(false_); break;  // NEWFALSE
                case 'J': push_integer(std::int32_t(std::uint32_t(take(4, op)))); break;  // BININT: signed
                case 'K': push_integer(std::int64_t(take(1, op))); break;                  // BININT1
                case 'M': push_integer(std::int64_t(take(2, op))); break;                  // BININT2
                case 0x8a: push_long(op); break;                                           // LONG1
                case 'G': {  // BINFLOAT: big-endian IEEE double
                    need(8, op);
                    std::uint64_t bits = 0;
                    for (std::size_t i = 0; i < 8; ++i) bits = bits << 8 | std::uint64_t(in_[pos_ + i]);
                    pos_ += 8;
                    const pickle_id v = make(pickle_kind::floating);
                    value(v).number = std::int64_t(bits);
                    push(v);
                    break;
                }
                case 'X': push_text(pickle_kind::string, take(4, op), op); break;     // BINUNICODE
                case 0x8c: push_text(pickle_kind::string, take(1, op), op); break;    // SHORT_BINUNICODE
                case 0x8d: push_text(pickle_kind::string, take(8, op), op); break;    // BINUNICODE8
                case 'U': push_text(pickle_kind::string, take(1, op), op); break;     // SHORT_BINSTRING
                case 'C': push_text(pickle_kind::bytes, take(1, op), op); break;      // SHORT_BINBYTES
                case 'B': push_text(pickle_kind::bytes, take(4, op), op); break;      // BINBYTES
                case 0x8e: push_text(pickle_kind::bytes, take(8, op), op); break;     // BINBYTES8
                case ')': push(empty_tuple_); break;
                case ']': push(make(pickle_kind::list)); break;
                case '}': push(make(pickle_kind::dict)); break;
                case 0x8f: push(make(pickle_kind::set)); break;
                case 't': {  // TUPLE
                    const std::size_t mark = pop_mark(op);
                    const pickle_id v = make_tuple(std::span(stack_).subspan(mark));
                    stack_.resize(mark);
                    push(v);
                    break;
                }
                case 0x85: case 0x86: case 0x87: {  // TUPLE1, TUPLE2, TUPLE3
                    const std::size_t count = std::size_t(op - 0x84);
                    if (frame_size() < count) underflow(op);
                    const pickle_id v = make_tuple(std::span(stack_).last(count));
                    stack_.resize(stack_.size() - count);
                    push(v);
                    break;
                }
                case 0x91: {  // FROZENSET: a set of the items since the MARK
                    const std::size_t mark = pop_mark(op);
                    const pickle_id v = make(pickle_kind::set);
                    for (std::size_t i = mark; i < stack_.size(); ++i) add_item(v, stack_[i]);
                    stack_.resize(mark);
                    push(v);
                    break;
                }
                case 'a': {  // APPEND
                    const pickle_id item = pop(op);
                    add_item(target(pickle_kind::list, op), item);
                    break;
                }
                case 'e': add_marked(pickle_kind::list, op); break;  // APPENDS
                case 0x90: add_marked(pickle_kind::set, op); break;  // ADDITEMS
                case 's': {  // SETITEM
                    const pickle_id v = pop(op);
                    const pickle_id key = pop(op);
                    const pickle_id dict = target(pickle_kind::dict, op);
                    add_item(dict, key);
                    add_item(dict, v);
                    break;
                }
                case 'u': {  // SETITEMS
                    if (!marks_.empty() && (stack_.size() - marks_.back()) % 2 != 0)
                        fail(start, "SETITEMS with an odd number of items: a key without a value");
                    add_marked(pickle_kind::dict, op);
                    break;
                }
                case 'q': memo_put(take(1, op), op); break;  // BINPUT
                case 'r': memo_put(take(4, op), op); break;  // LONG_BINPUT
                case 0x94: memo_put(memo_.size(), op); break;  // MEMOIZE: the next index
                case 'h': memo_get(take(1, op)); break;      // BINGET
                case 'j': memo_get(take(4, op)); break;      // LONG_BINGET
                case 'c': {  // GLOBAL: module and name, each ending with a newline
                    const std::string_view module = line();
                    global(module, line());
                    break;
                }
                case 0x93: {  // STACK_GLOBAL: module and name from the stack
                    const pickle_id name = pop(op);
                    const pickle_id module = pop(op);
                    if (value(module).kind != pickle_kind::string || value(name).kind != pickle_kind::string)
                        fail(start, concat({"STACK_GLOBAL needs two strings, not ", describe(module), " and ", describe(name)}));
                    global(tree_.text(module), tree_.text(name));
                    break;
                }
                case 'R': reduce(op); break;
                case 0x81: new_object(op); break;  // NEWOBJ
                case 'b': build(op); break;
                case 'Q': persistent_id(op); break;  // BINPERSID
                default: {
                    const std::string_view name = pickle_opcode_name(op);
                    if (name.empty())
                        fail(start, concat({"byte ", hex8(op), " is not a pickle opcode (the data are corrupted)"}));
                    fail(start, concat({"opcode ", name, " (", hex8(op),
                                        ") is not supported: typenet reads the pickle opcodes that torch.save writes "
                                        "(protocols 2 to 5) and torch's weights_only loader accepts"}));
                }
            }
        }
    }

private:
    static std::string hex8(unsigned char byte) {
        static constexpr char digits[] = "0123456789abcdef";
        return {'0', 'x', digits[byte >> 4], digits[byte & 0xF]};
    }

    [[noreturn]] void fail(std::size_t pos, std::string_view what) const {
        throw format_error(concat({"typenet: ", options_.source, ": pickle at byte offset ",
                                   std::to_string(options_.base_offset + pos), ": ", what}));
    }
    [[noreturn]] void underflow(unsigned char op) const {
        fail(op_start_, concat({pickle_opcode_name(op), " needs more values than the stack holds (since the last MARK)"}));
    }
    [[noreturn]] void too_deep(std::size_t pos) const {
        fail(pos, concat({"the data are nested more than ", std::to_string(options_.max_depth),
                          " levels deep; checkpoints never are, so the file is corrupted or hostile"}));
    }

    // ---- memory: every allocation is counted against the limit first ----

    std::size_t memory_limit() const { return unpickle_memory_per_byte * pos_ + unpickle_memory_base; }
    void check_memory(std::size_t needed) const {
        if (needed > memory_limit())
            fail(op_start_, concat({"reading this pickle needs more than ", std::to_string(memory_limit()),
                                    " bytes of memory after ", std::to_string(pos_),
                                    " bytes of it; typenet allows a pickle 24 bytes of memory per byte plus 1 MiB "
                                    "(torch.save's pickles need less than 10), so the file is corrupted or hostile"}));
    }
    // Room for `extra` more elements, growing by half (the old and the new buffer are both held while
    // it moves). Pools indexed by 32 bits stay below 2^32 elements.
    template <class T>
    void grow(std::vector<T>& v, std::size_t extra) {
        if (v.capacity() - v.size() >= extra) return;
        const std::size_t wanted = std::max({v.size() + extra, v.capacity() + v.capacity() / 2, std::size_t(16)});
        if (wanted > no_pickle_value) fail(op_start_, "more than 4 billion values, items or bytes of text");
        check_memory(used_ + wanted * sizeof(T));
        const std::size_t before = v.capacity();
        v.reserve(wanted);
        used_ += (v.capacity() - before) * sizeof(T);
    }

    // ---- reading the input ----

    void need(std::size_t count, unsigned char op) const {
        if (in_.size() - pos_ < count)
            fail(op_start_, concat({pickle_opcode_name(op), " needs ", std::to_string(count), " bytes but ",
                                    std::to_string(in_.size() - pos_), " are left (the data are truncated)"}));
    }
    std::uint64_t take(std::size_t count, unsigned char op) {
        need(count, op);
        const std::uint64_t v = load_little_endian(in_.data() + pos_, count);
        pos_ += count;
        return v;
    }
    std::string_view line() {
        const auto* first = reinterpret_cast<const char*>(in_.data() + pos_);
        const std::string_view rest(first, in_.size() - pos_);
        const std::size_t newline = rest.find('\n');
        if (newline == std::string_view::npos) fail(op_start_, "GLOBAL's name does not end (the data are truncated)");
        pos_ += newline + 1;
        return rest.substr(0, newline);
    }

    // ---- values ----

    pickle_id make(pickle_kind kind) {
        if (tree_.count_ >= no_pickle_value) fail(op_start_, "too many values");
        if (tree_.count_ % pickle_tree::block_size == 0) {
            grow(tree_.blocks_, 1);
            check_memory(used_ + pickle_tree::block_size * sizeof(pickle_value));
            tree_.blocks_.push_back(std::make_unique<pickle_value[]>(pickle_tree::block_size));
            used_ += pickle_tree::block_size * sizeof(pickle_value);
        }
        const pickle_id id = pickle_id(tree_.count_++);
        value(id).kind = kind;
        return id;
    }
    // Values never move (blocks), so references stay valid while others are made.
    pickle_value& value(pickle_id id) { return tree_.blocks_[id / pickle_tree::block_size][id % pickle_tree::block_size]; }

    void push(pickle_id id) {
        grow(stack_, 1);
        stack_.push_back(id);
    }
    std::size_t frame_size() const { return stack_.size() - (marks_.empty() ? 0 : marks_.back()); }
    pickle_id pop(unsigned char op) {
        if (frame_size() == 0) underflow(op);
        const pickle_id id = stack_.back();
        stack_.pop_back();
        return id;
    }
    // Ends the frame the last MARK began; its items are stack_[mark...].
    std::size_t pop_mark(unsigned char op) {
        if (marks_.empty()) fail(op_start_, concat({pickle_opcode_name(op), " without a MARK before it"}));
        const std::size_t mark = marks_.back();
        marks_.pop_back();
        return mark;
    }
    // The container on top of the stack (once an opcode popped its items), which must be `kind`.
    pickle_id target(pickle_kind kind, unsigned char op) {
        if (frame_size() == 0) underflow(op);
        return check_target(stack_.back(), kind, op);
    }
    pickle_id check_target(pickle_id id, pickle_kind kind, unsigned char op) {
        if (value(id).kind != kind)
            fail(op_start_, concat({pickle_opcode_name(op), " needs a ",
                                    kind == pickle_kind::list ? "list" : kind == pickle_kind::dict ? "dict" : "set",
                                    " to add to, but finds ", describe(id)}));
        return id;
    }
    // APPENDS, SETITEMS, ADDITEMS: the items since the MARK go into the container just below it.
    void add_marked(pickle_kind kind, unsigned char op) {
        const std::size_t mark = pop_mark(op);
        if (mark == 0 || mark - 1 < (marks_.empty() ? 0 : marks_.back())) underflow(op);
        const pickle_id container = check_target(stack_[mark - 1], kind, op);
        for (std::size_t i = mark; i < stack_.size(); ++i) add_item(container, stack_[i]);
        stack_.resize(mark);
    }
    void note_height(pickle_value& container, pickle_id item) {
        const std::uint32_t height = value(item).height + 1;
        if (height > container.height) {
            if (height > options_.max_depth) too_deep(op_start_);
            container.height = height;
        }
    }
    // A tuple of the given items, contiguous in the item pool (tuples never change).
    pickle_id make_tuple(std::span<const pickle_id> items) {
        if (items.empty()) return empty_tuple_;
        const pickle_id t = make(pickle_kind::tuple);
        grow(tree_.items_, items.size());
        pickle_value& v = value(t);
        v.first = std::uint32_t(tree_.items_.size());
        v.count = std::uint32_t(items.size());
        for (pickle_id item : items) {
            note_height(v, item);
            tree_.items_.push_back(item);
        }
        return t;
    }
    // Appends to a list, dict or set. Its items are contiguous in the pool, with room to grow: when
    // full, they move to the pool's end with twice the room (or grow in place if already there).
    void add_item(pickle_id container, pickle_id item) {
        pickle_value& c = value(container);
        note_height(c, item);
        std::vector<pickle_id>& pool = tree_.items_;
        const std::uint32_t capacity = std::uint32_t(std::uint64_t(c.number) & 0xFFFFFFFFu);
        if (c.count == capacity) {
            const std::size_t room = std::max<std::size_t>(4, 2 * std::size_t(capacity));
            if (capacity > 0 && c.first + capacity == pool.size()) {
                grow(pool, room - capacity);
                pool.resize(pool.size() + room - capacity);
            } else {
                grow(pool, room);
                const std::size_t moved = pool.size();
                pool.resize(moved + room);
                std::copy_n(pool.begin() + c.first, c.count, pool.begin() + std::ptrdiff_t(moved));
                c.first = std::uint32_t(moved);
            }
            c.number = std::int64_t((std::uint64_t(c.number) & ~std::uint64_t(0xFFFFFFFFu)) | room);
        }
        pool[c.first + c.count++] = item;
    }

    void push_integer(std::int64_t number) {
        if (number >= 0 && number < 256) {
            pickle_id& shared = small_integers_[std::size_t(number)];
            if (shared == no_pickle_value) {
                shared = make(pickle_kind::integer);
                value(shared).number = number;
            }
            push(shared);
            return;
        }
        const pickle_id v = make(pickle_kind::integer);
        value(v).number = number;
        push(v);
    }
    void push_long(unsigned char op) {  // LONG1: little-endian two's complement
        const std::size_t length = std::size_t(take(1, op));
        need(length, op);
        const std::span<const std::byte> digits = in_.subspan(pos_, length);
        pos_ += length;
        const bool negative = length > 0 && (std::to_integer<unsigned>(digits[length - 1]) & 0x80) != 0;
        const std::byte sign_byte = negative ? std::byte{0xFF} : std::byte{0};
        bool fits = true;  // bytes past the eighth only repeat the sign, and the eighth carries it
        for (std::size_t i = 8; i < length; ++i) fits = fits && digits[i] == sign_byte;
        if (length > 8) fits = fits && ((std::to_integer<unsigned>(digits[7]) & 0x80) != 0) == negative;
        if (!fits) {
            push(make_text(pickle_kind::big_integer, std::string_view(reinterpret_cast<const char*>(digits.data()), length)));
            return;
        }
        std::uint64_t bits = negative ? ~std::uint64_t(0) : 0;
        for (std::size_t i = 0; i < std::min<std::size_t>(length, 8); ++i) {
            bits &= ~(std::uint64_t(0xFF) << (8 * i));
            bits |= std::uint64_t(std::to_integer<unsigned>(digits[i])) << (8 * i);
        }
        push_integer(std::bit_cast<std::int64_t>(bits));
    }
    pickle_id make_text(pickle_kind kind, std::string_view text) {
        const pickle_id v = make(kind);
        grow(tree_.chars_, text.size());
        value(v).first = std::uint32_t(tree_.chars_.size());
        value(v).count = std::uint32_t(text.size());
        tree_.chars_.insert(tree_.chars_.end(), text.begin(), text.end());
        return v;
    }
    void push_text(pickle_kind kind, std::uint64_t length, unsigned char op) {
        if (length > in_.size() - pos_)  // before allocating: a length field cannot ask for more than is there
            fail(op_start_, concat({pickle_opcode_name(op), " needs ", std::to_string(length), " bytes but ",
                                    std::to_string(in_.size() - pos_), " are left (the data are truncated)"}));
        const std::string_view text(reinterpret_cast<const char*>(in_.data() + pos_), std::size_t(length));
        pos_ += std::size_t(length);
        push(make_text(kind, text));
    }

    void memo_put(std::uint64_t index, unsigned char op) {
        if (frame_size() == 0) underflow(op);
        // Picklers number the memo from 0, one entry per PUT, so a valid index is below the bytes read.
        if (index >= pos_)
            fail(op_start_, concat({"memo index ", std::to_string(index), " is larger than a pickle of ",
                                    std::to_string(pos_), " bytes so far can use"}));
        if (index >= memo_.size()) {
            grow(memo_, std::size_t(index) + 1 - memo_.size());
            memo_.resize(std::size_t(index) + 1, no_pickle_value);
        }
        memo_[std::size_t(index)] = stack_.back();
    }
    void memo_get(std::uint64_t index) {
        if (index >= memo_.size() || memo_[std::size_t(index)] == no_pickle_value)
            fail(op_start_, concat({"memo index ", std::to_string(index), " was never stored (BINPUT)"}));
        push(memo_[std::size_t(index)]);
    }

    void global(std::string_view module, std::string_view name) {
        if (!is_allowed_global(module, name))
            fail(op_start_,
                 concat({"refusing the global ", escape_for_message(module), ".", escape_for_message(name), " (GLOBAL '",
                         escape_for_message(module), " ", escape_for_message(name),
                         "'). typenet never runs code from a file: it accepts only the torch types, tensor rebuild "
                         "functions and collections.OrderedDict that tensors and plain data need. A file that holds a "
                         "whole pickled model (torch.save(model)) must be saved as torch.save(model.state_dict(), path)."}));
        push(make_text(pickle_kind::global, concat({module, ".", name})));
    }

    // The elements of a tuple argument, checked to be between min_count and max_count values.
    std::span<const pickle_id> tuple_items(pickle_id args, std::size_t min_count, std::size_t max_count,
                                           std::string_view callee) {
        const pickle_value& a = value(args);
        if (a.kind != pickle_kind::tuple || a.count < min_count || a.count > max_count)
            fail(op_start_, concat({callee, " expects a tuple of ", std::to_string(min_count),
                                    min_count == max_count ? "" : concat({" to ", std::to_string(max_count)}),
                                    " arguments, not ", describe(args)}));
        return tree_.items(args);
    }
    std::uint64_t non_negative(pickle_id id, std::string_view what) {
        const pickle_value& v = value(id);
        if (v.kind != pickle_kind::integer || v.number < 0)
            fail(op_start_, concat({what, " must be a non-negative integer, not ", describe(id)}));
        return std::uint64_t(v.number);
    }
    // A shape or strides: a tuple of at most max_tensor_rank non-negative integers; returns the rank.
    std::size_t integer_tuple(pickle_id id, std::string_view what) {
        const pickle_value& v = value(id);
        if (v.kind != pickle_kind::tuple) fail(op_start_, concat({what, " must be a tuple of integers, not ", describe(id)}));
        if (v.count > max_tensor_rank)
            fail(op_start_, concat({what, " has ", std::to_string(v.count), " dimensions; typenet reads at most ",
                                    std::to_string(max_tensor_rank)}));
        for (pickle_id item : tree_.items(id)) non_negative(item, what);
        return v.count;
    }

    // A tensor refers to its arguments tuple (storage, offset, size, stride, ...), checked here: tensors
    // that share one memoized tuple share it, and cost one value each.
    pickle_id rebuild_tensor(pickle_id args, std::span<const pickle_id> items, std::string_view callee) {
        if (value(items[0]).kind != pickle_kind::storage)
            fail(op_start_, concat({callee, " expects a storage (a persistent id) first, not ", describe(items[0])}));
        const std::uint64_t offset = non_negative(items[1], "a tensor's storage offset");
        const std::size_t rank = integer_tuple(items[2], "a tensor's size");
        const std::size_t stride_rank = integer_tuple(items[3], "a tensor's stride");
        if (stride_rank != rank)
            fail(op_start_, concat({"a tensor's size has ", std::to_string(rank), " dimensions but its stride ",
                                    std::to_string(stride_rank)}));
        const pickle_id t = make(pickle_kind::tensor);
        value(t).first = args;
        value(t).height = 1;
        value(t).number = std::int64_t(offset);
        return t;
    }

    void reduce(unsigned char op) {
        const pickle_id args = pop(op);
        if (frame_size() == 0) underflow(op);
        const pickle_id callable = stack_.back();
        if (value(callable).kind != pickle_kind::global)
            fail(op_start_, concat({"REDUCE calls ", describe(callable), ", which is not a function"}));
        const std::string callee(tree_.text(callable));  // a copy: making values may move the text pool
        pickle_id result = no_pickle_value;
        if (callee == "collections.OrderedDict") {
            tuple_items(args, 0, 0, callee);
            result = make(pickle_kind::dict);
            value(result).ordered = true;
        } else if (callee == "torch._utils._rebuild_tensor_v2") {
            // (storage, offset, size, stride, requires_grad, backward_hooks[, metadata])
            result = rebuild_tensor(args, tuple_items(args, 6, 7, callee), callee);
        } else if (callee == "torch._utils._rebuild_tensor") {
            result = rebuild_tensor(args, tuple_items(args, 4, 4, callee), callee);  // (storage, offset, size, stride)
        } else if (callee == "torch._utils._rebuild_parameter") {
            const pickle_id data = tuple_items(args, 3, 3, callee)[0];  // (data, requires_grad, backward_hooks)
            if (value(data).kind != pickle_kind::tensor)
                fail(op_start_, concat({callee, " expects a tensor, not ", describe(data)}));
            result = data;
        } else if (callee == "torch.Size") {
            const pickle_id sizes = tuple_items(args, 1, 1, callee)[0];
            integer_tuple(sizes, "torch.Size");
            result = sizes;
        } else if (callee == "torch.device") {
            const std::span<const pickle_id> items = tuple_items(args, 1, 2, callee);
            if (value(items[0]).kind != pickle_kind::string)
                fail(op_start_, concat({"torch.device expects a string, not ", describe(items[0])}));
            std::string text = concat({"torch.device('", escape_for_message(tree_.text(items[0]), 40)});
            if (items.size() == 2) text += concat({":", std::to_string(non_negative(items[1], "a device index"))});
            result = make_text(pickle_kind::object, text + "')");
        } else {
            fail(op_start_, concat({"REDUCE calls ", callee, ", which typenet does not call"}));
        }
        stack_.back() = result;
    }

    void new_object(unsigned char op) {  // NEWOBJ: cls.__new__(cls, *args), allowed for Parameter only
        const pickle_id args = pop(op);
        const pickle_id cls = pop(op);
        if (value(cls).kind != pickle_kind::global || tree_.text(cls) != "torch.nn.parameter.Parameter")
            fail(op_start_, concat({"NEWOBJ creates ", describe(cls), "; typenet creates only torch.nn.Parameter"}));
        const pickle_id data = tuple_items(args, 1, 2, "torch.nn.Parameter")[0];
        if (value(data).kind != pickle_kind::tensor)
            fail(op_start_, concat({"torch.nn.Parameter expects a tensor, not ", describe(data)}));
        push(data);
    }

    void build(unsigned char op) {  // BUILD: sets attributes, which only an OrderedDict's _metadata uses here
        const pickle_id state = pop(op);
        if (frame_size() == 0) underflow(op);
        const pickle_id object = stack_.back();
        if (value(object).kind != pickle_kind::dict)
            fail(op_start_, concat({"BUILD sets the state of ", describe(object), "; typenet sets only a dict's"}));
        if (value(state).kind != pickle_kind::dict)
            fail(op_start_, concat({"BUILD's state must be a dict, not ", describe(state)}));
        pickle_value& v = value(object);
        v.number = std::int64_t((std::uint64_t(v.number) & 0xFFFFFFFFu) | std::uint64_t(state) << 32);
    }

    void persistent_id(unsigned char op) {
        const pickle_id id = pop(op);
        if (!options_.persistent_load) fail(op_start_, "a persistent id (BINPERSID) where no storage can be");
        const std::int64_t storage = options_.persistent_load(tree_, id, options_.base_offset + op_start_);
        const pickle_id v = make(pickle_kind::storage);
        value(v).number = storage;
        push(v);
    }

    std::string describe(pickle_id id) const;

    std::span<const std::byte> in_;
    const unpickle_options& options_;
    std::size_t pos_ = 0;
    pickle_tree tree_;
    std::size_t used_ = 0;  // bytes the tree and the stacks hold, as counted by grow() and make()
    std::vector<pickle_id> stack_;
    std::vector<std::size_t> marks_;  // stack sizes at each MARK
    std::vector<pickle_id> memo_;
    std::vector<pickle_id> small_integers_;  // the shared values of 0 to 255, made when first used
    pickle_id none_ = no_pickle_value, true_ = no_pickle_value, false_ = no_pickle_value, empty_tuple_ = no_pickle_value;
    std::size_t op_start_ = 0;
};

// Parses one pickle from the start of `bytes`; the tree's `end` says where it stopped.
inline pickle_tree unpickle(std::span<const std::byte> bytes, const unpickle_options& options = {}) {
    return unpickler(bytes, options).run();
}

inline std::string python_float_repr(double value) {  // as Python's repr: shortest round trip, "5.0" not "5"
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    std::string text(buffer, result.ptr);
    if (text.find_first_of(".eni") == std::string::npos) text += ".0";
    return text;
}

inline std::string count_of(std::size_t count, std::string_view one, std::string_view many) {
    return concat({std::to_string(count), " ", count == 1 ? one : many});
}

// One line for people: "int 5", "str 'adam'", "dict (3 entries)", "tensor float32 [2, 3]"... Looks
// only at the value and its direct children. `tensor_text` describes a tensor (it needs the storage's
// dtype, which only the caller knows).
inline std::string describe_pickle_value(const pickle_tree& tree, pickle_id id,
                                         const std::function<std::string(pickle_id)>& tensor_text = {}) {
    const pickle_value& v = tree[id];
    switch (v.kind) {
        case pickle_kind::none: return "None";
        case pickle_kind::boolean: return v.number ? "bool True" : "bool False";
        case pickle_kind::integer: return concat({"int ", std::to_string(v.number)});
        case pickle_kind::big_integer: return concat({"int of ", std::to_string(v.count), " bytes"});
        case pickle_kind::floating: return concat({"float ", python_float_repr(v.real())});
        case pickle_kind::string: return concat({"str '", escape_for_message(tree.text(id), 60), "'"});
        case pickle_kind::bytes: return concat({"bytes (", count_of(v.count, "byte", "bytes"), ")"});
        case pickle_kind::tuple: return concat({"tuple (", count_of(v.count, "item", "items"), ")"});
        case pickle_kind::list: return concat({"list (", count_of(v.count, "item", "items"), ")"});
        case pickle_kind::set: return concat({"set (", count_of(v.count, "item", "items"), ")"});
        case pickle_kind::dict: {
            const std::span<const pickle_id> items = tree.items(id);
            const std::size_t entries = items.size() / 2;
            bool all_tensors = entries > 0;
            for (std::size_t i = 1; i < items.size(); i += 2)
                all_tensors = all_tensors && tree[items[i]].kind == pickle_kind::tensor;
            if (all_tensors) return concat({"dict of ", count_of(entries, "tensor", "tensors")});
            return concat({"dict (", count_of(entries, "entry", "entries"), ")"});
        }
        case pickle_kind::global: return std::string(tree.text(id));
        case pickle_kind::object: return std::string(tree.text(id));
        case pickle_kind::storage: return "storage";
        case pickle_kind::tensor: return tensor_text ? tensor_text(id) : "tensor";
    }
    return "?";
}

inline std::string unpickler::describe(pickle_id id) const { return describe_pickle_value(tree_, id); }

// The value written out like Python's repr, cut at `max_length` characters: for messages and tests.
// Iterative with a depth limit, so deep or cyclic trees cost nothing more than the limit.
inline std::string pickle_repr(const pickle_tree& tree, pickle_id root, std::size_t max_length = 200,
                               std::size_t max_depth = 16) {
    struct frame {
        pickle_id id;
        std::size_t next;  // the next child to print
    };
    std::string out;
    std::vector<frame> stack;
    auto open = [&](pickle_id id) {
        const pickle_value& v = tree[id];
        switch (v.kind) {
            case pickle_kind::tuple: out += '('; break;
            case pickle_kind::list: out += '['; break;
            case pickle_kind::dict: case pickle_kind::set: out += '{'; break;
            case pickle_kind::none: out += "None"; return;
            case pickle_kind::boolean: out += v.number ? "True" : "False"; return;
            case pickle_kind::integer: out += std::to_string(v.number); return;
            case pickle_kind::floating: out += python_float_repr(v.real()); return;
            case pickle_kind::string: out += concat({"'", escape_for_message(tree.text(id), 60), "'"}); return;
            case pickle_kind::bytes: out += concat({"b'", escape_for_message(tree.text(id), 60), "'"}); return;
            default: out += concat({"<", describe_pickle_value(tree, id), ">"}); return;
        }
        if (stack.size() >= max_depth) {
            out += "...";
            out += v.kind == pickle_kind::tuple ? ')' : v.kind == pickle_kind::list ? ']' : '}';
            return;
        }
        stack.push_back({id, 0});
    };
    open(root);
    while (!stack.empty() && out.size() <= max_length) {
        frame& f = stack.back();
        const pickle_value& v = tree[f.id];
        const std::span<const pickle_id> items = tree.items(f.id);
        if (f.next == items.size()) {
            if (v.kind == pickle_kind::tuple && items.size() == 1) out += ',';
            out += v.kind == pickle_kind::tuple ? ')' : v.kind == pickle_kind::list ? ']' : '}';
            stack.pop_back();
            continue;
        }
        if (f.next > 0) out += (v.kind == pickle_kind::dict && f.next % 2 == 1) ? ": " : ", ";
        open(items[f.next++]);
    }
    if (out.size() > max_length || !stack.empty()) {
        out.resize(std::min(out.size(), max_length));
        out += "...";
    }
    return out;
}

}  // namespace typenet::detail
