# cmake --install: the library (static and shared), the header, a CMake
# package config for find_package(glint) and a pkg-config file.
include(CMakePackageConfigHelpers)
install(TARGETS glint_static glint_shared EXPORT glintTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES include/glint.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(GLINT_HAVE_GLYPH)
  # The glyph layer (static; its users also link FreeType and libpng) and the
  # bundled models, which the glyph commands look for in ../share/glint/models.
  install(TARGETS glint_glyph EXPORT glintTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(FILES models/glyph_generator.onnx models/style_encoder.onnx
          DESTINATION ${CMAKE_INSTALL_DATADIR}/glint/models)
endif()
install(EXPORT glintTargets NAMESPACE glint:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/glint)
configure_package_config_file(cmake/glintConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/glintConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/glint)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/glintConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/glintConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/glintConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/glint)
set(GLINT_PC_LIBS_PRIVATE "-lpthread -lm")
if(GLINT_HAVE_CUDA)
  set(GLINT_PC_LIBS_PRIVATE "${GLINT_PC_LIBS_PRIVATE} -L${CUDAToolkit_LIBRARY_DIR} -lcudart_static -ldl -lrt -lstdc++")
endif()
configure_file(cmake/glint.pc.in ${CMAKE_CURRENT_BINARY_DIR}/glint.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/glint.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
