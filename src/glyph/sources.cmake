# The glyph layer (FreeType rasterisation, caches, PNG/.npy output), built
# only when FreeType and libpng are found; fontconfig is optional (it finds
# the default fallback font).
find_package(Fontconfig QUIET)
add_library(glint_glyph STATIC
  src/glyph/font.c
  src/glyph/utf8.c
  src/glyph/image_io.c
  src/glyph/glyph_cache.c
  src/glyph/style_cache.c
  src/glyph/default_font.c
  src/glyph/renderer.c
  src/glyph/renderer_models.c)
target_include_directories(glint_glyph PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
  PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
target_compile_definitions(glint_glyph PRIVATE GLINT_BUILDING _POSIX_C_SOURCE=200809L)
target_link_libraries(glint_glyph PUBLIC glint_static Freetype::Freetype PNG::PNG Threads::Threads)
if(Fontconfig_FOUND)
  target_link_libraries(glint_glyph PUBLIC Fontconfig::Fontconfig)
  target_compile_definitions(glint_glyph PRIVATE GLINT_HAVE_FONTCONFIG=1)
  message(STATUS "glint: glyph layer ON (FreeType, libpng, fontconfig)")
else()
  message(STATUS "glint: glyph layer ON (FreeType, libpng; no fontconfig: the fallback font is looked for at the usual paths)")
endif()
glint_warnings(glint_glyph)
