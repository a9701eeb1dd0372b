# `glint calibrate` driven in-process: the command's file with a test main,
# so that it is tested whether or not main.c dispatches it yet.
glint_add_c_test(test_quant_cli ${CMAKE_CURRENT_SOURCE_DIR}/quant/test_quant_cli.c
  ${PROJECT_SOURCE_DIR}/tools/glint/cmd_calibrate.c ${PROJECT_SOURCE_DIR}/tools/glint/cli.c)
