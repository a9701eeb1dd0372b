# Glyph-layer tests: rasterisation against the Python rule, caches, writers,
# the renderer (skipped while models/ is empty) and the commands end to end.
if(GLINT_HAVE_GLYPH)
  set(_gdir ${CMAKE_CURRENT_LIST_DIR})
  foreach(t test_glyph_font test_glyph_cache test_glyph_io test_glyph_renderer)
    add_executable(${t} ${_gdir}/${t}.c)
    target_link_libraries(${t} PRIVATE glint_glyph glint_testlib)
    target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/src)
    glint_warnings(${t})
    add_test(NAME ${t} COMMAND ${t})
    set_tests_properties(${t} PROPERTIES TIMEOUT 600 SKIP_RETURN_CODE 77)
  endforeach()

  # C rasteriser dump for the Python comparison.
  add_executable(glyph_raster_dump ${_gdir}/glyph_raster_dump.c)
  target_link_libraries(glyph_raster_dump PRIVATE glint_glyph glint_testlib)
  target_include_directories(glyph_raster_dump PRIVATE ${PROJECT_SOURCE_DIR}/src)
  glint_warnings(glyph_raster_dump)
  add_test(NAME glyph_raster_matches_python
    COMMAND /usr/bin/python3 ${_gdir}/raster_vs_python.py $<TARGET_FILE:glyph_raster_dump>
            ${PROJECT_SOURCE_DIR}/training)
  set_tests_properties(glyph_raster_matches_python PROPERTIES TIMEOUT 900 SKIP_RETURN_CODE 77)

  add_test(NAME glyph_cli
    COMMAND /bin/sh ${_gdir}/cli_test.sh $<TARGET_FILE:glint_cli> ${PROJECT_SOURCE_DIR}/models)
  set_tests_properties(glyph_cli PROPERTIES TIMEOUT 900 SKIP_RETURN_CODE 77)

  # The renderer and the model-using commands once more with two tiny
  # contract-following models written at test time (make_tiny_models.py),
  # so they are covered while models/ is empty. Skipped without python3-onnx.
  set(_tiny ${CMAKE_CURRENT_BINARY_DIR}/glyph_tiny_models)
  add_test(NAME glyph_tiny_models COMMAND /usr/bin/python3 ${_gdir}/make_tiny_models.py ${_tiny})
  set_tests_properties(glyph_tiny_models PROPERTIES FIXTURES_SETUP glyph_tiny)
  add_test(NAME test_glyph_renderer_tiny COMMAND test_glyph_renderer)
  add_test(NAME glyph_cli_tiny
    COMMAND /bin/sh ${_gdir}/cli_test.sh $<TARGET_FILE:glint_cli> ${_tiny})
  set_tests_properties(test_glyph_renderer_tiny glyph_cli_tiny PROPERTIES
    FIXTURES_REQUIRED glyph_tiny ENVIRONMENT GLINT_MODEL_DIR=${_tiny} TIMEOUT 900 SKIP_RETURN_CODE 77)
endif()
