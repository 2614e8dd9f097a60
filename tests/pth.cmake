# Tests of pth.hpp and the zip, pickle and file machinery behind it.

# Checkpoints written by PyTorch at test time, with manifests of what they hold.
set(pth_files_dir ${CMAKE_CURRENT_BINARY_DIR}/pth_files)
add_test(NAME pth_files
         COMMAND ${TYPENET_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/interop/make_pth_files.py ${pth_files_dir})
set_tests_properties(pth_files PROPERTIES FIXTURES_SETUP pth_files)

# The zip reader and writer and the unpickler on bytes made in the tests: no files needed.
typenet_test_executable(typenet_pth_unit_tests zip.cpp pickle.cpp)
catch_discover_tests(typenet_pth_unit_tests TEST_PREFIX "pth unit: ")

# read_pth on PyTorch's files, and on damaged and hostile ones.
typenet_test_executable(typenet_pth_tests pth.cpp)
target_compile_definitions(typenet_pth_tests PRIVATE TYPENET_PTH_FILES_DIR="${pth_files_dir}")
catch_discover_tests(typenet_pth_tests TEST_PREFIX "pth: " PROPERTIES FIXTURES_REQUIRED pth_files)

# What zip_writer writes, read by Python's zipfile and torch.load.
add_executable(pth_zip_writer_sample pth_zip_writer_sample.cpp)
target_link_libraries(pth_zip_writer_sample PRIVATE typenet::typenet typenet_project_options)
add_test(NAME pth_zip_writer_interop
         COMMAND ${TYPENET_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/interop/pth_check_zip_writer.py
                 $<TARGET_FILE:pth_zip_writer_sample> ${CMAKE_CURRENT_BINARY_DIR}/pth_zip_writer)

# typenet-inspect's output on PyTorch's files.
if(TARGET typenet-inspect)
  add_test(NAME pth_inspect_tool
           COMMAND ${TYPENET_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/interop/pth_check_inspect.py
                   $<TARGET_FILE:typenet-inspect> ${pth_files_dir})
  set_tests_properties(pth_inspect_tool PROPERTIES FIXTURES_REQUIRED pth_files)
endif()

# File I/O (detail/formats/file.hpp) and read_checkpoint's choice of format: special files, symlinks,
# permissions, long names, files that change while read, saves killed midway.
typenet_test_executable(typenet_file_tests file.cpp)
target_compile_definitions(typenet_file_tests PRIVATE TYPENET_PTH_FILES_DIR="${pth_files_dir}")
catch_discover_tests(typenet_file_tests TEST_PREFIX "file: " PROPERTIES FIXTURES_REQUIRED pth_files)

# Memory the readers may use; operator new is counted, so a program of its own.
typenet_test_executable(typenet_memory_tests memory_limits.cpp)
catch_discover_tests(typenet_memory_tests TEST_PREFIX "memory: ")

# Weights in memory (read_checkpoint, load_state_dict on a span) and the architecture fingerprint.
typenet_test_executable(typenet_embed_tests embed.cpp)
target_compile_definitions(typenet_embed_tests PRIVATE TYPENET_PTH_FILES_DIR="${pth_files_dir}")
catch_discover_tests(typenet_embed_tests TEST_PREFIX "embed: " PROPERTIES FIXTURES_REQUIRED pth_files)

# The same tests with the I/O code compiled once, in typenet::io (TYPENET_SEPARATE_IO): the readers,
# the loader and both savers through the declarations-only headers. GCC only (CI time).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  typenet_test_executable(typenet_embed_separate_io_tests embed.cpp)
  target_link_libraries(typenet_embed_separate_io_tests PRIVATE typenet::io)
  target_compile_definitions(typenet_embed_separate_io_tests PRIVATE TYPENET_PTH_FILES_DIR="${pth_files_dir}")
  catch_discover_tests(typenet_embed_separate_io_tests TEST_PREFIX "embed (typenet::io): "
                       PROPERTIES FIXTURES_REQUIRED pth_files)
endif()
