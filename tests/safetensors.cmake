# Tests of safetensors.hpp and detail/formats/json.hpp.
#
#   safetensors: ...             reading, writing, hostile files; no Python needed
#   safetensors_python_files     PyTorch tensors written by an independent Python writer (fixture)
#   safetensors interop: ...     typenet reads those files exactly ("[python]" tests)
#   safetensors_typenet_writes   typenet writes files for the Python checker (fixture, "[typenet_writes]")
#   safetensors_python_check     an independent Python reader and PyTorch check typenet's files
set(safetensors_interop_dir ${CMAKE_CURRENT_BINARY_DIR}/safetensors_interop)

typenet_test_executable(typenet_safetensors_tests safetensors.cpp json.cpp)
target_compile_definitions(typenet_safetensors_tests PRIVATE
                           TYPENET_SAFETENSORS_INTEROP_DIR="${safetensors_interop_dir}")
catch_discover_tests(typenet_safetensors_tests TEST_PREFIX "safetensors: " TEST_SPEC "~[python]")

add_test(NAME safetensors_python_files
         COMMAND ${TYPENET_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/interop/safetensors_make.py ${safetensors_interop_dir})
set_tests_properties(safetensors_python_files PROPERTIES FIXTURES_SETUP safetensors_python_files)
catch_discover_tests(typenet_safetensors_tests TEST_PREFIX "safetensors interop: " TEST_SPEC "[python]"
                     PROPERTIES FIXTURES_REQUIRED safetensors_python_files)

add_test(NAME safetensors_typenet_writes COMMAND typenet_safetensors_tests "[typenet_writes]")
set_tests_properties(safetensors_typenet_writes PROPERTIES FIXTURES_SETUP safetensors_typenet_files)
add_test(NAME safetensors_python_check
         COMMAND ${TYPENET_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/interop/safetensors_check.py ${safetensors_interop_dir})
set_tests_properties(safetensors_python_check PROPERTIES FIXTURES_REQUIRED safetensors_typenet_files)
