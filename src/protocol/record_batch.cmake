# The record batch v2 codec (tributary_record_batch): headers, validation, in-place patching, the
# record reader and the batch builder. Format: docs/formats/record-batch.md.
add_library(tributary_record_batch STATIC
  ${CMAKE_CURRENT_LIST_DIR}/record_batch.cc
  ${CMAKE_CURRENT_LIST_DIR}/record_batch_reader.cc
  ${CMAKE_CURRENT_LIST_DIR}/record_batch_builder.cc
  ${CMAKE_CURRENT_LIST_DIR}/record_batch_control.cc
  ${CMAKE_CURRENT_LIST_DIR}/produce_validation.cc)
target_link_libraries(tributary_record_batch PUBLIC tributary_util tributary_bytes tributary_model tributary_flags fmt::fmt)
