/* Pedestrian distance along the streets layer (private to services/modules/permits/): the street centre
 * lines in a window become a graph, and the shortest path between two points is found with Dijkstra's
 * algorithm over a binary heap.
 *
 * The graph: every line is cut into straight segments; a node stands at each end of a segment and at every
 * point where two segments cross or touch (an end lying on another segment), merged when closer than 1 cm;
 * an edge joins consecutive nodes along a segment, weighted by its length in metres (EPSG:2180 is metric).
 * Overlapping collinear segments are cut at each other's ends and their common edges kept once. A point off the network
 * (an entrance) is snapped to the nearest point of the nearest edge and joined to it by a straight connector whose
 * length counts toward the distance. No one-way streets, footways, crossings or barriers: the streets layer has none.
 */
#ifndef SERVICES_MODULES_PERMITS_PATH_H
#define SERVICES_MODULES_PERMITS_PATH_H
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct permits_graph;

/* A new empty graph; NULL when out of memory. */
struct permits_graph *permits_graph_new(void);
void permits_graph_free(struct permits_graph *g);

/* Adds a polyline of n points (xy[2*i], xy[2*i+1]); ERR_INTERNAL when out of memory. */
enum err_code permits_graph_add_line(struct permits_graph *g, const double *xy, int n, struct err *e);

/* Cuts the segments at their crossings and builds the nodes and edges; call once, after the lines. */
enum err_code permits_graph_build(struct permits_graph *g, struct err *e);

int permits_graph_nodes(const struct permits_graph *g);
int permits_graph_edges(const struct permits_graph *g);

/* Where a point meets the network. */
struct permits_snap {
    int edge;       /* -1 when the graph has no edge */
    double x, y;    /* the nearest point of that edge */
    double t;       /* its position along the edge, 0 (first node) .. 1 */
    double connect; /* the straight connector's length, metres */
};

/* Snaps (x, y) to the nearest edge. */
void permits_graph_snap(const struct permits_graph *g, double x, double y, struct permits_snap *out);

/* Single-source shortest paths from the point (x, y): afterwards permits_graph_dist gives the path length
 * to any point. ERR_INTERNAL when out of memory; ERR_NOT_FOUND when the graph has no edge. */
enum err_code permits_graph_from(struct permits_graph *g, double x, double y, struct err *e);

/* The pedestrian distance from the source of the last permits_graph_from to (x, y), connectors included;
 * a negative value when no path joins them. */
double permits_graph_dist(const struct permits_graph *g, double x, double y);

#endif
