/* SPDX-License-Identifier: MIT */
/*
 * The geometry of the OCR head, kept apart from models and tensors so that it can be unit-tested on
 * synthetic maps: text regions of a binary map (8-connected components), convex hull, minimum-area
 * rectangle (rotating calipers), PaddleOCR's box order, box score, rectangle unclip, reading order,
 * and the perspective crop of a quadrilateral into an upright strip.
 *
 * Why our own code and not OpenCV + Clipper: OpenCV has no C API any more (a C++ dependency for
 * four small functions), and for the shapes the DB detector produces the work is small: the
 * minimum-area rectangle of a region only depends on its convex hull, which only depends on each
 * pixel run's two ends, so no contour tracing is needed; and Clipper's round-join offset of a
 * rectangle, followed by a minimum-area rectangle (what PaddleOCR does), is the rectangle grown by
 * the offset distance on each side, which needs no polygon library.
 */
#ifndef EI_OCR_GEOM_H
#define EI_OCR_GEOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** A point in pixel coordinates (integer = pixel centre, as OpenCV). */
typedef struct ei__pt {
    double x, y;
} ei__pt_t;

/** A rotated rectangle: centre, side lengths along `u` (unit vector) and its normal. */
typedef struct ei__rrect {
    ei__pt_t c;
    double w, h; /* along u, along the normal (-u.y, u.x) */
    double ux, uy;
} ei__rrect_t;

/** One region of a binary map: the pixel-run ends that carry its convex hull. */
typedef struct ei__region {
    ei__pt_t *pts; /* run ends, two per run */
    size_t n;
} ei__region_t;

/**
 * The 8-connected regions of `map > thresh` (`w` x `h` floats), in order of their first pixel in
 * raster order, at most `max_regions`. On success *out holds *n regions; free with
 * ei__regions_free(). Returns false only when out of memory.
 */
bool ei__regions_find(const float *map, int32_t w, int32_t h, float thresh, size_t max_regions,
                      ei__region_t **out, size_t *n);
void ei__regions_free(ei__region_t *r, size_t n);

/**
 * Convex hull of `n` points (monotone chain; `pts` is sorted in place), without collinear
 * points, into `hull` (room for n + 1). Returns the hull size.
 */
size_t ei__convex_hull(ei__pt_t *pts, size_t n, ei__pt_t *hull);

/**
 * Minimum-area rectangle of `n` points (`pts` sorted in place): calipers over their convex hull,
 * built in `scratch` (room for n + 1 points). Degenerate inputs give zero sides. False for n == 0.
 */
bool ei__min_area_rect(ei__pt_t *pts, size_t n, ei__pt_t *scratch, ei__rrect_t *out);

/** The four corners of `r` (any order). */
void ei__rrect_points(const ei__rrect_t *r, ei__pt_t q[4]);

/**
 * PaddleOCR's get_mini_boxes order: corners sorted by x; of the left two, the upper first; of
 * the right two, the upper is the second corner: [top-left, top-right, bottom-right, bottom-left].
 */
void ei__quad_order(ei__pt_t q[4]);

/**
 * Mean of `map` over the pixels inside the quadrilateral `q` (corners truncated to integers as
 * PaddleOCR's box_score_fast does, boundary included), clipped to the map. 0 when empty.
 */
double ei__quad_mean(const float *map, int32_t w, int32_t h, const ei__pt_t q[4]);

/**
 * PaddleOCR's unclip for a rectangle: distance = area * ratio / perimeter; the round-join offset
 * of the rectangle by that distance has as minimum-area rectangle the one grown by it on every
 * side.
 */
void ei__rrect_unclip(ei__rrect_t *r, double ratio);

/**
 * Sorts quads into reading order as PaddleOCR's sorted_boxes: by (top-left y, top-left x), then
 * a bubble pass that puts boxes whose top-left y differ by less than `same_line` (10) in x order.
 * `quads` holds n groups of four points; `order` receives the permutation (index into quads).
 */
void ei__quads_sort(const ei__pt_t (*quads)[4], size_t n, double same_line, size_t *order);

/**
 * Solves the homography that maps the rectangle (0,0) (w,0) (w,h) (0,h) onto `q` (in that order):
 * src = H * (x, y, 1). Returns false when degenerate.
 */
bool ei__homography(const ei__pt_t q[4], double w, double h, double H[9]);

/**
 * Warps the quadrilateral `q` of an RGB image (`sw` x `sh`, `sstride` bytes per row) into an
 * upright `dw` x `dh` RGB strip (`dst`, tightly packed): bicubic (OpenCV's a = -0.75), border
 * replicated, as PaddleOCR's get_rotate_crop_image. Returns false when `q` is degenerate.
 */
bool ei__warp_quad(const uint8_t *src, int32_t sw, int32_t sh, size_t sstride, const ei__pt_t q[4],
                   uint8_t *dst, int32_t dw, int32_t dh);

/** Rotates a packed RGB image 90 degrees counter-clockwise (numpy rot90): w x h -> h x w. */
void ei__rgb_rot90(const uint8_t *src, int32_t w, int32_t h, uint8_t *dst);

/** Rotates a packed RGB image by 180 degrees in place. */
void ei__rgb_rot180(uint8_t *img, int32_t w, int32_t h);

#endif
