/* SDF glyph ranges for MapLibre GL (the glyphs protocol of node-fontnik): the code points start..start+255
 * of a font stack, rendered with FreeType at 24 px, 3 px buffer, radius 8 and cutoff 0.25, as the
 * protocol buffer glyphs { stacks { name, range, glyphs { id, bitmap, width, height, left, top, advance } } }.
 * Font names map to the DejaVu files of a directory ("DejaVu Sans Bold" -> DejaVuSans-Bold.ttf); the first
 * font of a stack that has a code point gives its glyph. Generated ranges are kept in a small in-memory
 * cache shared by all threads. */
#ifndef TILES_GLYPHS_H
#define TILES_GLYPHS_H
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

#define TILE_GLYPHS_DIR       "/usr/share/fonts/truetype/dejavu"
#define TILE_GLYPHS_SIZE      24
#define TILE_GLYPHS_BUFFER    3
#define TILE_GLYPHS_MAX_FONTS 8

/* Parses a range "S-E" where S is a multiple of 256, E = S + 255 and E <= 65535; sets *start. */
bool tile_glyphs_parse_range(const char *s, int *start);

/* Writes the font file path for font name into out (cap bytes); false when the name is not a DejaVu face
 * this module knows or the file does not exist in dir. */
bool tile_glyphs_font_file(const char *dir, const char *name, char *out, size_t cap);

/* Appends the range's protocol buffer to out, from the cache or rendered now (*cached tells which; may be
 * NULL). fontstack is the decoded comma-separated list. ERR_INVALID for a bad range, ERR_NOT_FOUND when no
 * font of the stack is known. */
enum err_code tile_glyphs_range(const char *dir, const char *fontstack, int start, struct buf *out, bool *cached,
                                struct err *e);

/* Renders without the cache. */
enum err_code tile_glyphs_render(const char *dir, const char *fontstack, int start, struct buf *out, struct err *e);

/* Empties the cache (also done at exit). */
void tile_glyphs_cache_clear(void);

#endif
