# Installs typenet (headers, CMake package, tools) from SOURCE_DIR into a fresh prefix, then builds
# and runs a separate project that finds it with find_package(typenet CONFIG), embeds weights
# with its typenet_embed_weights and links its compiled I/O, typenet::io.
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed: ${ARGN}\n${out}")
  endif()
endfunction()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX}
    -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix -DTYPENET_BUILD_TESTS=OFF -DTYPENET_BUILD_EXAMPLES=OFF)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${CMAKE_COMMAND} --install ${WORK_DIR}/build)
run(${WORK_DIR}/prefix/bin/typenet-inspect --help)
# The installed typenet-port finds its Python package, and --check would find the installed headers.
run(${CMAKE_COMMAND} -E env TYPENET_PYTHON=${PYTHON} ${WORK_DIR}/prefix/bin/typenet-port --torchvision resnet18
    -o ${WORK_DIR}/resnet18.hpp)
run(${CMAKE_COMMAND} -E env PYTHONPATH=${WORK_DIR}/prefix/share/typenet/python ${PYTHON} -c
    "from typenet_port.check import default_include as d; assert d() == '${WORK_DIR}/prefix/include', d()")
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install/consumer -B ${WORK_DIR}/consumer -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer)
# The consumer reads no file: its weights are inside it.
file(REMOVE ${WORK_DIR}/consumer/weights.safetensors)
run(${WORK_DIR}/consumer/consumer)
