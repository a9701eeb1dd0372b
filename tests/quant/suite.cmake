# `glint calibrate` driven in-process: the command's file with a test main,
# so that it is tested whether or not main.c dispatches it yet.
glint_add_c_test(test_quant_cli ${CMAKE_CURRENT_SOURCE_DIR}/quant/test_quant_cli.c
  ${PROJECT_SOURCE_DIR}/tools/glint/cmd_calibrate.c ${PROJECT_SOURCE_DIR}/tools/glint/cli.c)
# A QDQ model from ONNX Runtime's quantiser (tests/models/qdq) at INT8 and
# FP32 against ONNX Runtime's own answers.
glint_add_c_test(test_qdq_ort ${CMAKE_CURRENT_SOURCE_DIR}/quant/test_qdq_ort.c)
