# cmake --install, then consumers built with pkg-config and find_package(glint).
if(NOT GLINT_SANITIZE)
  add_test(NAME install_consumers
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/check_install.sh ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR})
  set_tests_properties(install_consumers PROPERTIES TIMEOUT 600)
endif()
