# Benchmark tooling tests: the regression gate's thresholds on crafted
# summaries, `glint bench --json` on the golden model, and a miniature
# `glint bench --suite` run fed through summarize.py and report.py.
find_program(GLINT_PYTHON3 python3)
if(NOT GLINT_PYTHON3)
  message(STATUS "glint: python3 not found; the bench tests are skipped")
  return()
endif()
add_test(NAME bench_compare_thresholds
  COMMAND ${GLINT_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/test_compare.py)
if(TARGET glint_cli AND GLINT_TOOL_BENCH_SOURCES)
  add_test(NAME bench_cli
    COMMAND ${GLINT_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/test_bench_cli.py
            $<TARGET_FILE:glint_cli> ${PROJECT_SOURCE_DIR}/tests/models/unet_opset13.onnx
            ${CMAKE_CURRENT_BINARY_DIR}/bench_cli_out)
  set_tests_properties(bench_cli PROPERTIES TIMEOUT 600)
endif()
