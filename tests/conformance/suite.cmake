# The ONNX conformance tests from Debian's libonnx-testdata (skipped, exit 77,
# when the package is missing).
add_executable(run_conformance ${CMAKE_CURRENT_LIST_DIR}/run_conformance.c)
target_link_libraries(run_conformance PRIVATE glint_testlib)
glint_warnings(run_conformance)
add_test(NAME conformance
         COMMAND run_conformance /usr/share/libonnx-testdata/data ${CMAKE_CURRENT_LIST_DIR}/known_failures.txt)
set_tests_properties(conformance PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 1200)
