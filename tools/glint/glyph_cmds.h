/* The glyph subcommands (FreeType + libpng builds only). */
#ifndef GLINT_GLYPH_CMDS_H
#define GLINT_GLYPH_CMDS_H

int cmd_raster(int argc, char **argv);
int cmd_restyle(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_atlas(int argc, char **argv);

#endif
