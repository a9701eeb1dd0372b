# Re-checks the committed golden files with training/onnx_ref.py, a NumPy
# ONNX evaluator independent of PyTorch and of glint (skipped, exit 77, when
# python3-numpy or python3-onnx is missing). The engine's own run of these
# files is tests/unit/test_models_golden.c.
set(GLINT_SYSTEM_PYTHON /usr/bin/python3)
if(EXISTS ${GLINT_SYSTEM_PYTHON})
  add_test(NAME models_golden_onnx_ref
           COMMAND ${GLINT_SYSTEM_PYTHON} ${PROJECT_SOURCE_DIR}/training/onnx_ref.py --golden)
  set_tests_properties(models_golden_onnx_ref PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
endif()
