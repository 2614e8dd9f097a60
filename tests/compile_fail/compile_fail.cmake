# Compile-fail tests: each .cpp here must fail to compile, and the first lines of the compiler's
# output must contain the expected text (the layer's path and both sizes). A test file states what
# it expects in comments:
#   // path: classifier.1
#   // sizes: 2048 2000
#   // message: Linear: in_features
# The path is matched as GCC 12 prints it ("classifier.1") or as Clang 14 does ('c', 'l', ...).
set(compile_fail_dir ${CMAKE_CURRENT_SOURCE_DIR}/compile_fail)
file(GLOB compile_fail_sources CONFIGURE_DEPENDS ${compile_fail_dir}/*.cpp)
get_target_property(boost_includes Boost::headers INTERFACE_INCLUDE_DIRECTORIES)
foreach(source ${compile_fail_sources})
  get_filename_component(name ${source} NAME_WE)
  add_test(NAME "compile_fail: ${name}"
           COMMAND ${CMAKE_COMMAND} -DCXX=${CMAKE_CXX_COMPILER} -DSOURCE=${source}
                   -DINCLUDE_DIRS=${PROJECT_SOURCE_DIR}/include$<SEMICOLON>${PROJECT_SOURCE_DIR}$<SEMICOLON>${boost_includes}
                   -P ${compile_fail_dir}/check.cmake)
endforeach()
