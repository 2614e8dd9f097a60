# typenet_project_options: what this project's own programs (tests, examples, tools, benchmarks) are
# built with, never what users of the library get: warnings as errors, sanitizers, -march, OpenMP.
add_library(typenet_project_options INTERFACE)
target_compile_options(typenet_project_options INTERFACE -Wall -Wextra $<$<BOOL:${TYPENET_WERROR}>:-Werror>)
if(TYPENET_SANITIZE)
  target_compile_options(typenet_project_options INTERFACE -fsanitize=${TYPENET_SANITIZE} -fno-omit-frame-pointer
                                                           -fno-sanitize-recover=all)
  if(TYPENET_NO_SANITIZE)  # after -fsanitize: Clang applies them in order
    target_compile_options(typenet_project_options INTERFACE -fno-sanitize=${TYPENET_NO_SANITIZE})
  endif()
  target_link_options(typenet_project_options INTERFACE -fsanitize=${TYPENET_SANITIZE})
endif()
if(TYPENET_MARCH)
  target_compile_options(typenet_project_options INTERFACE -march=${TYPENET_MARCH})
endif()
if(TYPENET_OPENMP)
  find_package(OpenMP REQUIRED)
  target_link_libraries(typenet_project_options INTERFACE OpenMP::OpenMP_CXX)
endif()
