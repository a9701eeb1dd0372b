# The `glint` command. Subcommands live one per file (cmd_*.c).
set(GLINT_TOOL_SOURCES
  tools/glint/main.c
  tools/glint/cli.c
  tools/glint/npy.c
  tools/glint/cmd_info.c
  tools/glint/cmd_run.c)
set(GLINT_TOOL_GLYPH_SOURCES "")
if(GLINT_HAVE_GLYPH)
  include(tools/glint/glyph_sources.cmake OPTIONAL)
endif()
set(GLINT_TOOL_BENCH_SOURCES "")
include(tools/glint/bench_sources.cmake OPTIONAL)
set(GLINT_TOOL_CALIBRATE_SOURCES "")
include(tools/glint/calibrate_sources.cmake OPTIONAL)
add_executable(glint_cli ${GLINT_TOOL_SOURCES} ${GLINT_TOOL_GLYPH_SOURCES} ${GLINT_TOOL_BENCH_SOURCES} ${GLINT_TOOL_CALIBRATE_SOURCES})
set_target_properties(glint_cli PROPERTIES OUTPUT_NAME glint RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
target_include_directories(glint_cli PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src ${CMAKE_CURRENT_SOURCE_DIR}/tools/glint)
target_compile_definitions(glint_cli PRIVATE _POSIX_C_SOURCE=200809L
  $<$<BOOL:${GLINT_HAVE_GLYPH}>:GLINT_HAVE_GLYPH=1>
  $<$<BOOL:${GLINT_TOOL_BENCH_SOURCES}>:GLINT_HAVE_BENCH_CMD=1>
  $<$<BOOL:${GLINT_TOOL_CALIBRATE_SOURCES}>:GLINT_HAVE_CALIBRATE_CMD=1>)
target_link_libraries(glint_cli PRIVATE glint_static)
if(GLINT_HAVE_GLYPH)
  target_link_libraries(glint_cli PRIVATE glint_glyph)
endif()
glint_warnings(glint_cli)
install(TARGETS glint_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
