# glint vs ONNX Runtime (CPU) on the bundled models.
add_test(NAME ort_parity COMMAND ${CMAKE_CURRENT_LIST_DIR}/run.sh $<TARGET_FILE:glint_cli> ${PROJECT_SOURCE_DIR})
set_tests_properties(ort_parity PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900)
