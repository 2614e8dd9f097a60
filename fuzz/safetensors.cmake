# Fuzz target for the safetensors parser.
#   fuzz/make_corpus_safetensors.py DIR    writes the seed corpus (real files, from PyTorch tensors)
#   safetensors DIR -max_total_time=600    runs it
add_executable(safetensors safetensors.cpp)
target_link_libraries(safetensors PRIVATE typenet::typenet typenet_project_options)
target_compile_options(safetensors PRIVATE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
                                           -fno-omit-frame-pointer)
target_link_options(safetensors PRIVATE -fsanitize=fuzzer,address,undefined)
