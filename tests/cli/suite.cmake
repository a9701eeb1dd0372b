# glint info / run end to end, including bad input.
add_test(NAME cli_info_run COMMAND ${CMAKE_CURRENT_LIST_DIR}/test_cli.sh $<TARGET_FILE:glint_cli> ${PROJECT_SOURCE_DIR})
set_tests_properties(cli_info_run PROPERTIES TIMEOUT 300)
