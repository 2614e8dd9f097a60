// Where the type-independent I/O code (zip, pickle, JSON, CRC-32, files, the .pth and safetensors
// readers and writers, the loader's matching and messages) is compiled.
//
// By default everything is header-only: the functions are inline and every translation unit that
// loads or saves compiles them again (several seconds with GCC -O2). With TYPENET_SEPARATE_IO
// defined (linking the CMake target typenet::io defines it), the headers only declare them and
// src/typenet_io.cpp, built once into that library, defines them (it also defines
// TYPENET_IO_IMPLEMENTATION). What depends on the model type stays in the headers, thin: it
// describes the model (state_dict, modules, fingerprints, state block) and calls the library.
//
//     // CMakeLists.txt: target_link_libraries(app PRIVATE typenet::io)
//     // (without CMake: -DTYPENET_SEPARATE_IO and src/typenet_io.cpp compiled once into the program)
//     using M = typenet::Model<typenet::Linear<4, 2>, typenet::Input<4>>;
//     typenet::save_state_dict(*std::make_unique<M>(), "/tmp/typenet_io_linkage_example.pth");
#pragma once

// TYPENET_IO_DEFINITIONS: this translation unit compiles the type-independent I/O code.
// TYPENET_IO_INLINE: how those functions are declared, the same in every translation unit.
#if defined(TYPENET_SEPARATE_IO)
#define TYPENET_IO_INLINE
#if defined(TYPENET_IO_IMPLEMENTATION)
#define TYPENET_IO_DEFINITIONS 1
#else
#define TYPENET_IO_DEFINITIONS 0
#endif
#else
#define TYPENET_IO_INLINE inline
#define TYPENET_IO_DEFINITIONS 1
#endif
