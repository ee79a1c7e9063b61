# Codecs generated from schemas/*.json by tools/codegen (docs/formats/protocol-codegen.md).
#
#   tributary_protocol          one struct per schema + the API registry + the wire runtime (wire.cc).
#                               Include as "protocol/messages/produce_request.h", "protocol/api_keys.h",
#                               "protocol/all_apis.h" (generated, under ${CMAKE_BINARY_DIR}/generated)
#                               and "protocol/records.h", "protocol/wire.h" (hand-written, in src/).
#   tributary_protocol_testing  random message filling for property tests; linked only by tests and not
#                               built by default.
#
# Nothing generated is committed. The generator writes a file only when its content changes, and the
# list of outputs is computed at configure time (the configure step re-runs when a schema is added or
# removed, or the generator changes).

set(TRIBUTARY_CODEGEN ${PROJECT_SOURCE_DIR}/tools/codegen/codegen.py)
set(TRIBUTARY_GENERATED_DIR ${CMAKE_BINARY_DIR}/generated)
set(_schemas_dir ${CMAKE_CURRENT_SOURCE_DIR}/schemas)

file(GLOB _protocol_schemas CONFIGURE_DEPENDS ${_schemas_dir}/*.json)
file(GLOB _codegen_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tools/codegen/*.py)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_codegen_sources})

execute_process(
  COMMAND ${Python3_EXECUTABLE} ${TRIBUTARY_CODEGEN} --schemas ${_schemas_dir} --list-outputs
  OUTPUT_VARIABLE _codegen_list
  ERROR_VARIABLE _codegen_error
  RESULT_VARIABLE _codegen_result)
if(NOT _codegen_result EQUAL 0)
  message(FATAL_ERROR "tools/codegen failed:\n${_codegen_error}")
endif()

string(REPLACE "\n" ";" _codegen_list "${_codegen_list}")
set(_protocol_outputs "")
set(_protocol_sources "")
set(_testing_outputs "")
set(_testing_sources "")
foreach(_line IN LISTS _codegen_list)
  if(_line STREQUAL "")
    continue()
  endif()
  string(REPLACE " " ";" _parts "${_line}")
  list(GET _parts 0 _group)
  list(GET _parts 1 _rel)
  set(_file ${TRIBUTARY_GENERATED_DIR}/${_rel})
  if(_group STREQUAL "lib")
    list(APPEND _protocol_outputs ${_file})
    if(_rel MATCHES "\\.cc$")
      list(APPEND _protocol_sources ${_file})
    endif()
  elseif(_group STREQUAL "testing")
    list(APPEND _testing_outputs ${_file})
    if(_rel MATCHES "\\.cc$")
      list(APPEND _testing_sources ${_file})
    endif()
  else()
    message(FATAL_ERROR "tools/codegen: unknown output group '${_group}'")
  endif()
endforeach()

add_custom_command(
  OUTPUT ${_protocol_outputs} ${_testing_outputs}
  COMMAND ${Python3_EXECUTABLE} ${TRIBUTARY_CODEGEN} --schemas ${_schemas_dir} --out ${TRIBUTARY_GENERATED_DIR}
  DEPENDS ${_protocol_schemas} ${_codegen_sources}
  COMMENT "Generating Kafka protocol codecs from ${_schemas_dir}"
  VERBATIM)
add_custom_target(tributary_protocol_codegen DEPENDS ${_protocol_outputs} ${_testing_outputs})

add_library(tributary_protocol STATIC ${CMAKE_CURRENT_SOURCE_DIR}/wire.cc ${_protocol_sources})
add_dependencies(tributary_protocol tributary_protocol_codegen)
target_include_directories(tributary_protocol PUBLIC ${TRIBUTARY_GENERATED_DIR})
target_link_libraries(tributary_protocol PUBLIC tributary_flags tributary_bytes tributary_model)

add_library(tributary_protocol_testing STATIC EXCLUDE_FROM_ALL
  ${CMAKE_CURRENT_SOURCE_DIR}/testing/random_source.cc ${_testing_sources})
add_dependencies(tributary_protocol_testing tributary_protocol_codegen)
target_link_libraries(tributary_protocol_testing PUBLIC tributary_protocol)

# The generated sources all include the same few headers, which dominate their compile time: compiling
# them in batches (a unity build) cuts the library's build from scratch several-fold. Generated sources
# define nothing file-local that could clash within a batch.
set_target_properties(tributary_protocol tributary_protocol_testing PROPERTIES
  UNITY_BUILD ON
  UNITY_BUILD_BATCH_SIZE 16)
