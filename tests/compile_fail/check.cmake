# Compiles SOURCE with CXX and passes when compilation fails and the diagnostic's first lines show
# the expected path, sizes (or shapes) and message (see compile_fail.cmake).
set(first_lines 12)
file(STRINGS ${SOURCE} expectations REGEX "^// (path|sizes|shapes|message): ")
set(include_flags "")
foreach(dir ${INCLUDE_DIRS})
  list(APPEND include_flags "-I${dir}")
endforeach()
execute_process(COMMAND ${CXX} -std=c++20 -fsyntax-only ${include_flags} ${SOURCE}
                RESULT_VARIABLE result ERROR_VARIABLE output OUTPUT_VARIABLE stdout)
if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must not")
endif()
string(REPLACE "\n" ";" lines "${output}")
list(SUBLIST lines 0 ${first_lines} head)
string(JOIN "\n" head_text ${head})

# Clang prints a string template argument as its characters: "ab'" as 'a', 'b', '\''.
function(as_chars text out)
  string(REGEX REPLACE "(.)" "'\\1', " chars "${text}")
  string(REPLACE "'''" "'\\''" chars "${chars}")
  string(REGEX REPLACE ", $" "" chars "${chars}")
  set(${out} "${chars}" PARENT_SCOPE)
endfunction()

foreach(line ${expectations})
  string(REGEX REPLACE "^// (path|sizes|shapes|message): " "" value "${line}")
  if(line MATCHES "^// path: ")
    # GCC prints "classifier.1", Clang 'c', 'l', 'a', ...
    as_chars("${value}" chars)
    string(FIND "${head_text}" "\"${value}\"" at_gcc)
    string(FIND "${head_text}" "<${chars}>" at_clang)
    if(at_gcc EQUAL -1 AND at_clang EQUAL -1)
      message(FATAL_ERROR "the first ${first_lines} lines do not name the layer ${value}:\n${head_text}")
    endif()
  elseif(line MATCHES "^// (sizes|shapes): ")
    # "sizes: 2048 2000" or "shapes: 64,28,28 128,14,14". Both compilers print them as template
    # arguments: ", 2048, 2000>" or ", 2048UL, 2000UL>" for typenet's rules on sizes, and
    # dims<2048>, dims<2000> or dims<64, 28, 28> for rules on shapes and layers' own rules.
    string(REPLACE " " ";" sizes "${value}")
    list(GET sizes 0 first)
    list(GET sizes 1 second)
    string(REGEX REPLACE "([0-9]+)" "\\1(UL)?" first_dims "${first}")
    string(REGEX REPLACE "([0-9]+)" "\\1(UL)?" second_dims "${second}")
    string(REPLACE "," ", " first_dims "${first_dims}")
    string(REPLACE "," ", " second_dims "${second_dims}")
    if(NOT head_text MATCHES ", ${first}(UL)?, ${second}(UL)?>" AND
       NOT head_text MATCHES "dims<${first_dims}>, (typenet::shape_error::)?dims<${second_dims}>")
      message(FATAL_ERROR "the first ${first_lines} lines do not show ${first} and ${second}:\n${head_text}")
    endif()
  else()
    # As written (typenet's own rules), or as a template argument: a string (GCC) or characters (Clang).
    as_chars("${value}" chars)
    string(REPLACE "'" "\\'" gcc_escaped "${value}")  # GCC prints ' inside a string argument as \'
    string(FIND "${head_text}" "${value}" at)
    string(FIND "${head_text}" "${gcc_escaped}" at_escaped)
    string(FIND "${head_text}" "${chars}" at_chars)
    if(at EQUAL -1 AND at_escaped EQUAL -1 AND at_chars EQUAL -1)
      message(FATAL_ERROR "the first ${first_lines} lines do not contain \"${value}\":\n${head_text}")
    endif()
  endif()
endforeach()
message(STATUS "failed to compile, as expected:\n${head_text}")
