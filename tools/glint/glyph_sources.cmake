# The glyph subcommands; included by tools/glint/sources.cmake when the glyph
# layer is built.
set(GLINT_TOOL_GLYPH_SOURCES
  tools/glint/glyph_cli.c
  tools/glint/glyph_args.c
  tools/glint/cmd_raster.c
  tools/glint/cmd_restyle.c
  tools/glint/cmd_render.c
  tools/glint/cmd_atlas.c)
