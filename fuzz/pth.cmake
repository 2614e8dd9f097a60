# Fuzz targets for the zip reader and the unpickler.
#   fuzz/make_corpus_pth.py DIR TARGET        writes TARGET's seed corpus (real files PyTorch wrote)
#   zip_reader DIR -max_total_time=600        runs one; scripts/fuzz.sh TARGET SECONDS does it all
foreach(target zip_reader unpickler)
  add_executable(${target} ${target}.cpp)
  target_link_libraries(${target} PRIVATE typenet::typenet typenet_project_options)
  target_compile_options(${target} PRIVATE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
                                           -fno-omit-frame-pointer)
  target_link_options(${target} PRIVATE -fsanitize=fuzzer,address,undefined)
endforeach()
