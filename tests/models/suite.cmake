# Python-side checks of the committed model files, with Debian's
# /usr/bin/python3 (each is skipped, exit 77, when a package it needs is
# missing). The engine's own run of the golden files is
# tests/unit/test_models_golden.c.
#  models_golden_onnx_ref   tests/models/*.npy outputs vs the .onnx files,
#                           through training/onnx_ref.py (NumPy, no PyTorch)
#  models_raster_python     training/raster.py still draws tests/models/raster/
#  models_export_check      models/*.onnx vs models/glyph_model.pt (PyTorch),
#                           through onnx_ref.py and through `glint run`
set(GLINT_SYSTEM_PYTHON /usr/bin/python3)
if(EXISTS ${GLINT_SYSTEM_PYTHON})
  add_test(NAME models_golden_onnx_ref
           COMMAND ${GLINT_SYSTEM_PYTHON} ${PROJECT_SOURCE_DIR}/training/onnx_ref.py --golden)
  add_test(NAME models_raster_python
           COMMAND ${GLINT_SYSTEM_PYTHON} ${PROJECT_SOURCE_DIR}/training/make_raster_golden.py --check)
  set_tests_properties(models_golden_onnx_ref models_raster_python
                       PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
  if(EXISTS ${PROJECT_SOURCE_DIR}/models/glyph_model.pt)
    set(GLINT_EXPORT_CHECK_ARGS --models ${PROJECT_SOURCE_DIR}/models)
    if(TARGET glint_cli)
      list(APPEND GLINT_EXPORT_CHECK_ARGS --glint $<TARGET_FILE:glint_cli>)
    endif()
    add_test(NAME models_export_check
             COMMAND ${GLINT_SYSTEM_PYTHON} ${PROJECT_SOURCE_DIR}/training/check_export.py
                     ${GLINT_EXPORT_CHECK_ARGS})
    set_tests_properties(models_export_check PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
  endif()
endif()
