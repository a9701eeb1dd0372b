# `glint calibrate` (INT8 calibration, issue 7). main.c dispatches cmd_calibrate
# when GLINT_TOOL_CALIBRATE_SOURCES is non-empty; the font path joins it in
# glyph builds.
set(GLINT_TOOL_CALIBRATE_SOURCES tools/glint/cmd_calibrate.c)
if(GLINT_HAVE_GLYPH)
  list(APPEND GLINT_TOOL_CALIBRATE_SOURCES tools/glint/calibrate_fonts.c)
endif()
