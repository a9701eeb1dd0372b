/* Helpers shared by the files of src/model/ only (not by other layers). */
#ifndef GL_GRAPH_INTERNAL_H
#define GL_GRAPH_INTERNAL_H

#include "model/graph.h"

/* Frees what a node owns (strings, arrays, attributes, parsed params) and
 * zeroes it. */
void gl_node_clear(const glint_allocator *a, gl_node *n);

/* Sets every value's producer from the node outputs (-1 for the rest). */
void gl_graph_set_producers(gl_graph *g);

/* Drops the nodes with keep[i] false, keeping the order of the rest, and
 * recomputes producers. */
void gl_graph_compact(gl_graph *g, const bool *keep);

#endif
