// The type-independent I/O code of typenet, compiled once: the library typenet::io
// (include/typenet/detail/io_linkage.hpp). Programs that link it define TYPENET_SEPARATE_IO, so
// their headers only declare these functions; here they are defined, once.
#ifndef TYPENET_SEPARATE_IO
#define TYPENET_SEPARATE_IO
#endif
#define TYPENET_IO_IMPLEMENTATION

#include "typenet/pth.hpp"
#include "typenet/safetensors.hpp"
#include "typenet/serialization.hpp"
#include "typenet/training_checkpoint.hpp"
