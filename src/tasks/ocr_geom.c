/* SPDX-License-Identifier: MIT */
/*
 * OCR geometry (see ocr_geom.h for what and why). Everything here works on plain arrays: no
 * models, no tensors, no logging. Allocation only in ei__regions_find().
 */
#include "ocr_geom.h"

#include "ei_util.h"

#include <math.h>
#include <string.h>

/* Regions -------------------------------------------------------------------------------------- */

/* A horizontal run of foreground pixels [a, b] in row y, and its union-find parent (an index into
 * the run array; the root of a region is its first run in raster order). */
struct run {
    int32_t y, a, b;
    size_t parent;
};

static size_t find_root(struct run *r, size_t i)
{
    size_t root = i;
    while (r[root].parent != root)
        root = r[root].parent;
    while (r[i].parent != root) {
        size_t next = r[i].parent;
        r[i].parent = root;
        i = next;
    }
    return root;
}

static void unite(struct run *r, size_t i, size_t j)
{
    size_t a = find_root(r, i), b = find_root(r, j);
    if (a < b)
        r[b].parent = a;
    else if (b < a)
        r[a].parent = b;
}

void ei__regions_free(ei__region_t *r, size_t n)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        ei__free(r[i].pts);
    ei__free(r);
}

/*
 * Run-length labelling: each row's runs are united with the runs of the row above that touch
 * them diagonally or directly (8-connectivity, as OpenCV's contour following). A region's
 * convex hull is that of its runs' ends, so those are all a region keeps.
 */
bool ei__regions_find(const float *map, int32_t w, int32_t h, float thresh, size_t max_regions,
                      ei__region_t **out, size_t *n)
{
    struct run *runs = NULL;
    size_t n_runs = 0, cap = 0;
    size_t *slot = NULL, *count = NULL;
    ei__region_t *regions = NULL;
    size_t n_regions = 0;
    bool ok = false;

    *out = NULL;
    *n = 0;
    size_t prev_begin = 0, prev_end = 0; /* runs of the row above */
    for (int32_t y = 0; y < h; y++) {
        const float *row = map + (size_t)y * (size_t)w;
        size_t cur_begin = n_runs;
        size_t k = prev_begin;
        for (int32_t x = 0; x < w;) {
            if (!(row[x] > thresh)) {
                x++;
                continue;
            }
            int32_t a = x;
            while (x < w && row[x] > thresh)
                x++;
            int32_t b = x - 1;
            if (n_runs == cap) {
                size_t nc = cap ? cap * 2 : 256;
                struct run *nr = ei__realloc(runs, nc * sizeof(*runs));
                if (nr == NULL)
                    goto out;
                runs = nr;
                cap = nc;
            }
            runs[n_runs] = (struct run){y, a, b, n_runs};
            /* Runs above that end left of a - 1 can touch no later run of this row either. */
            while (k < prev_end && runs[k].b < a - 1)
                k++;
            for (size_t j = k; j < prev_end && runs[j].a <= b + 1; j++)
                unite(runs, n_runs, j);
            n_runs++;
        }
        prev_begin = cur_begin;
        prev_end = n_runs;
    }
    if (n_runs == 0) {
        ok = true;
        goto out;
    }
    /* Number the roots in order (a root is the first run of its region), up to max_regions. */
    slot = ei__malloc(n_runs * sizeof(*slot));
    if (slot == NULL)
        goto out;
    for (size_t i = 0; i < n_runs; i++) {
        size_t r = find_root(runs, i);
        if (r == i)
            slot[i] = n_regions < max_regions ? n_regions++ : SIZE_MAX;
        else
            slot[i] = slot[r];
    }
    if (n_regions == 0) {
        ok = true;
        goto out;
    }
    count = ei__calloc(n_regions, sizeof(*count));
    regions = ei__calloc(n_regions, sizeof(*regions));
    if (count == NULL || regions == NULL)
        goto out;
    for (size_t i = 0; i < n_runs; i++)
        if (slot[i] != SIZE_MAX)
            count[slot[i]] += 2;
    for (size_t r = 0; r < n_regions; r++) {
        regions[r].pts = ei__malloc(count[r] * sizeof(ei__pt_t));
        if (regions[r].pts == NULL)
            goto out;
    }
    for (size_t i = 0; i < n_runs; i++) {
        if (slot[i] == SIZE_MAX)
            continue;
        ei__region_t *g = &regions[slot[i]];
        g->pts[g->n++] = (ei__pt_t){runs[i].a, runs[i].y};
        g->pts[g->n++] = (ei__pt_t){runs[i].b, runs[i].y};
    }
    *out = regions;
    *n = n_regions;
    regions = NULL;
    ok = true;
out:
    ei__regions_free(regions, n_regions);
    ei__free(count);
    ei__free(slot);
    ei__free(runs);
    return ok;
}

/* Hull and rectangle -----------------------------------------------------------------------------
 */

static double cross(ei__pt_t o, ei__pt_t a, ei__pt_t b)
{
    return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

static bool pt_less(ei__pt_t a, ei__pt_t b)
{
    return a.x < b.x || (a.x == b.x && a.y < b.y);
}

/* Heap sort by (x, y): no allocation, O(n log n) for the large regions a hostile map gives. */
static void sift(ei__pt_t *p, size_t i, size_t n)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && pt_less(p[m], p[l]))
            m = l;
        if (l + 1 < n && pt_less(p[m], p[l + 1]))
            m = l + 1;
        if (m == i)
            return;
        ei__pt_t t = p[i];
        p[i] = p[m];
        p[m] = t;
        i = m;
    }
}

static void sort_pts(ei__pt_t *p, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift(p, i, n);
    for (size_t end = n; end > 1; end--) {
        ei__pt_t t = p[0];
        p[0] = p[end - 1];
        p[end - 1] = t;
        sift(p, 0, end - 1);
    }
}

/* Monotone chain over points already sorted by (x, y). */
static size_t hull_sorted(const ei__pt_t *p, size_t n, ei__pt_t *hull)
{
    if (n < 3) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (m == 0 || hull[m - 1].x != p[i].x || hull[m - 1].y != p[i].y)
                hull[m++] = p[i];
        return m;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        while (k >= 2 && cross(hull[k - 2], hull[k - 1], p[i]) <= 0)
            k--;
        hull[k++] = p[i];
    }
    for (size_t i = n - 1, t = k + 1; i-- > 0;) {
        while (k >= t && cross(hull[k - 2], hull[k - 1], p[i]) <= 0)
            k--;
        hull[k++] = p[i];
    }
    return k > 1 ? k - 1 : k;
}

size_t ei__convex_hull(ei__pt_t *pts, size_t n, ei__pt_t *hull)
{
    sort_pts(pts, n);
    return hull_sorted(pts, n, hull);
}

/* The rectangle of hull points `p` aligned with unit vector (ux, uy): extents along u and along
 * the normal. */
static void extents(const ei__pt_t *p, size_t n, double ux, double uy, ei__rrect_t *r)
{
    double lo_u = INFINITY, hi_u = -INFINITY, lo_v = INFINITY, hi_v = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double a = p[i].x * ux + p[i].y * uy;
        double b = -p[i].x * uy + p[i].y * ux;
        lo_u = a < lo_u ? a : lo_u;
        hi_u = a > hi_u ? a : hi_u;
        lo_v = b < lo_v ? b : lo_v;
        hi_v = b > hi_v ? b : hi_v;
    }
    double cu = (lo_u + hi_u) / 2, cv = (lo_v + hi_v) / 2;
    r->ux = ux;
    r->uy = uy;
    r->w = hi_u - lo_u;
    r->h = hi_v - lo_v;
    r->c.x = cu * ux - cv * uy;
    r->c.y = cu * uy + cv * ux;
}

/*
 * Rotating calipers in its simplest exact form: the minimum-area enclosing rectangle has a side
 * on a hull edge (Freeman & Shapira), so try each edge's direction. Hulls of text regions have
 * tens of vertices; O(h^2) is cheaper here than maintaining four caliper indices.
 */
bool ei__min_area_rect(ei__pt_t *pts, size_t n, ei__pt_t *scratch, ei__rrect_t *out)
{
    if (n == 0)
        return false;
    size_t h = ei__convex_hull(pts, n, scratch);
    if (h == 1) {
        *out = (ei__rrect_t){scratch[0], 0, 0, 1, 0};
        return true;
    }
    double best = INFINITY;
    for (size_t i = 0; i < h; i++) {
        ei__pt_t a = scratch[i], b = scratch[(i + 1) % h];
        double dx = b.x - a.x, dy = b.y - a.y, len = hypot(dx, dy);
        if (len == 0)
            continue;
        ei__rrect_t r;
        extents(scratch, h, dx / len, dy / len, &r);
        double area = r.w * r.h;
        /* Ties (a square, or two hull edges at right angles) keep the first. */
        if (area < best - 1e-9) {
            best = area;
            *out = r;
        }
    }
    return true;
}

void ei__rrect_points(const ei__rrect_t *r, ei__pt_t q[4])
{
    double ax = r->ux * r->w / 2, ay = r->uy * r->w / 2;
    double bx = -r->uy * r->h / 2, by = r->ux * r->h / 2;
    q[0] = (ei__pt_t){r->c.x - ax - bx, r->c.y - ay - by};
    q[1] = (ei__pt_t){r->c.x + ax - bx, r->c.y + ay - by};
    q[2] = (ei__pt_t){r->c.x + ax + bx, r->c.y + ay + by};
    q[3] = (ei__pt_t){r->c.x - ax + bx, r->c.y - ay + by};
}

void ei__quad_order(ei__pt_t q[4])
{
    /* Stable insertion sort by x. */
    for (int i = 1; i < 4; i++) {
        ei__pt_t t = q[i];
        int j = i;
        while (j > 0 && q[j - 1].x > t.x) {
            q[j] = q[j - 1];
            j--;
        }
        q[j] = t;
    }
    ei__pt_t tl, bl, tr, br;
    if (q[1].y > q[0].y) {
        tl = q[0];
        bl = q[1];
    } else {
        tl = q[1];
        bl = q[0];
    }
    if (q[3].y > q[2].y) {
        tr = q[2];
        br = q[3];
    } else {
        tr = q[3];
        br = q[2];
    }
    q[0] = tl;
    q[1] = tr;
    q[2] = br;
    q[3] = bl;
}

static int32_t clampi(double v, int32_t lo, int32_t hi)
{
    if (!(v >= lo))
        return lo;
    if (v > hi)
        return hi;
    return (int32_t)v;
}

double ei__quad_mean(const float *map, int32_t w, int32_t h, const ei__pt_t q[4])
{
    double minx = q[0].x, maxx = q[0].x, miny = q[0].y, maxy = q[0].y;
    for (int i = 1; i < 4; i++) {
        minx = fmin(minx, q[i].x);
        maxx = fmax(maxx, q[i].x);
        miny = fmin(miny, q[i].y);
        maxy = fmax(maxy, q[i].y);
    }
    int32_t x0 = clampi(floor(minx), 0, w - 1), x1 = clampi(ceil(maxx), 0, w - 1);
    int32_t y0 = clampi(floor(miny), 0, h - 1), y1 = clampi(ceil(maxy), 0, h - 1);
    /* The polygon PaddleOCR fills: corners relative to (x0, y0), truncated toward zero. */
    double px[4], py[4];
    for (int i = 0; i < 4; i++) {
        px[i] = trunc(q[i].x - x0);
        py[i] = trunc(q[i].y - y0);
    }
    double sum = 0;
    size_t cnt = 0;
    for (int32_t y = y0; y <= y1; y++) {
        double yy = y - y0, lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < 4; i++) {
            int j = (i + 1) % 4;
            double ya = py[i], yb = py[j];
            if (yy < fmin(ya, yb) || yy > fmax(ya, yb))
                continue;
            if (ya == yb) {
                lo = fmin(lo, fmin(px[i], px[j]));
                hi = fmax(hi, fmax(px[i], px[j]));
            } else {
                double x = px[i] + (yy - ya) * (px[j] - px[i]) / (yb - ya);
                lo = fmin(lo, x);
                hi = fmax(hi, x);
            }
        }
        if (lo > hi)
            continue;
        double fa = ceil(lo - 1e-9) + x0, fb = floor(hi + 1e-9) + x0;
        if (fa > x1 || fb < x0)
            continue;
        int32_t a = fa < x0 ? x0 : (int32_t)fa, b = fb > x1 ? x1 : (int32_t)fb;
        const float *row = map + (size_t)y * (size_t)w;
        for (int32_t x = a; x <= b; x++)
            sum += (double)row[x];
        cnt += (size_t)(b - a + 1);
    }
    return cnt ? sum / (double)cnt : 0.0;
}

void ei__rrect_unclip(ei__rrect_t *r, double ratio)
{
    double perim = 2 * (r->w + r->h);
    if (!(perim > 0))
        return;
    double d = r->w * r->h * ratio / perim;
    r->w += 2 * d;
    r->h += 2 * d;
}

void ei__quads_sort(const ei__pt_t (*quads)[4], size_t n, double same_line, size_t *order)
{
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    /* Stable sort by (y, x) of the first corner, as Python's sorted(). */
    for (size_t i = 1; i < n; i++) {
        size_t t = order[i], j = i;
        ei__pt_t p = quads[t][0];
        while (j > 0) {
            ei__pt_t o = quads[order[j - 1]][0];
            if (o.y > p.y || (o.y == p.y && o.x > p.x))
                order[j] = order[j - 1];
            else
                break;
            j--;
        }
        order[j] = t;
    }
    /* PaddleOCR's pass: move a box left past its predecessors on the same line. */
    for (size_t i = 0; i + 1 < n; i++) {
        for (size_t j = i + 1; j-- > 0;) {
            ei__pt_t a = quads[order[j]][0], b = quads[order[j + 1]][0];
            if (fabs(b.y - a.y) < same_line && b.x < a.x) {
                size_t t = order[j];
                order[j] = order[j + 1];
                order[j + 1] = t;
            } else {
                break;
            }
        }
    }
}

/* Perspective crop ------------------------------------------------------------------------------
 */

bool ei__homography(const ei__pt_t q[4], double w, double h, double H[9])
{
    const double sx[4] = {0, w, w, 0}, sy[4] = {0, 0, h, h};
    double m[8][9];
    for (int i = 0; i < 4; i++) {
        double x = sx[i], y = sy[i], X = q[i].x, Y = q[i].y;
        double r0[9] = {x, y, 1, 0, 0, 0, -x * X, -y * X, X};
        double r1[9] = {0, 0, 0, x, y, 1, -x * Y, -y * Y, Y};
        memcpy(m[2 * i], r0, sizeof(r0));
        memcpy(m[2 * i + 1], r1, sizeof(r1));
    }
    /* Gaussian elimination with partial pivoting. */
    for (int c = 0; c < 8; c++) {
        int p = c;
        for (int r = c + 1; r < 8; r++)
            if (fabs(m[r][c]) > fabs(m[p][c]))
                p = r;
        if (!(fabs(m[p][c]) > 1e-12))
            return false;
        if (p != c) {
            double t[9];
            memcpy(t, m[p], sizeof(t));
            memcpy(m[p], m[c], sizeof(t));
            memcpy(m[c], t, sizeof(t));
        }
        for (int r = 0; r < 8; r++) {
            if (r == c)
                continue;
            double f = m[r][c] / m[c][c];
            for (int k = c; k < 9; k++)
                m[r][k] -= f * m[c][k];
        }
    }
    for (int i = 0; i < 8; i++)
        H[i] = m[i][8] / m[i][i];
    H[8] = 1;
    for (int i = 0; i < 9; i++)
        if (!isfinite(H[i]))
            return false;
    return true;
}

/* Keys' cubic convolution weights for offsets -1, 0, 1, 2 from the sample's floor (a = -0.75,
 * OpenCV's INTER_CUBIC). */
static void cubic_weights(double t, double wt[4])
{
    const double A = -0.75;
    double d0 = 1 + t, d1 = t, d2 = 1 - t, d3 = 2 - t;
    wt[0] = ((A * d0 - 5 * A) * d0 + 8 * A) * d0 - 4 * A;
    wt[1] = ((A + 2) * d1 - (A + 3)) * d1 * d1 + 1;
    wt[2] = ((A + 2) * d2 - (A + 3)) * d2 * d2 + 1;
    wt[3] = ((A * d3 - 5 * A) * d3 + 8 * A) * d3 - 4 * A;
}

bool ei__warp_quad(const uint8_t *src, int32_t sw, int32_t sh, size_t sstride, const ei__pt_t q[4],
                   uint8_t *dst, int32_t dw, int32_t dh)
{
    double H[9];
    if (!ei__homography(q, dw, dh, H))
        return false;
    for (int32_t y = 0; y < dh; y++) {
        uint8_t *out = dst + (size_t)y * (size_t)dw * 3;
        for (int32_t x = 0; x < dw; x++) {
            double z = H[6] * x + H[7] * y + H[8];
            double X = (H[0] * x + H[1] * y + H[2]) / z;
            double Y = (H[3] * x + H[4] * y + H[5]) / z;
            /* Far outside is the replicated border anyway; the clamp keeps floor() in range. */
            X = isfinite(X) ? fmin(fmax(X, -4.0), sw + 4.0) : 0.0;
            Y = isfinite(Y) ? fmin(fmax(Y, -4.0), sh + 4.0) : 0.0;
            double fx = floor(X), fy = floor(Y);
            double wx[4], wy[4];
            cubic_weights(X - fx, wx);
            cubic_weights(Y - fy, wy);
            int32_t ix = (int32_t)fx, iy = (int32_t)fy;
            double acc[3] = {0, 0, 0};
            for (int j = 0; j < 4; j++) {
                int32_t yy = iy - 1 + j;
                yy = yy < 0 ? 0 : (yy >= sh ? sh - 1 : yy);
                const uint8_t *row = src + (size_t)yy * sstride;
                double ra[3] = {0, 0, 0};
                for (int i = 0; i < 4; i++) {
                    int32_t xx = ix - 1 + i;
                    xx = xx < 0 ? 0 : (xx >= sw ? sw - 1 : xx);
                    const uint8_t *p = row + (size_t)xx * 3;
                    ra[0] += wx[i] * p[0];
                    ra[1] += wx[i] * p[1];
                    ra[2] += wx[i] * p[2];
                }
                acc[0] += wy[j] * ra[0];
                acc[1] += wy[j] * ra[1];
                acc[2] += wy[j] * ra[2];
            }
            for (int c = 0; c < 3; c++) {
                double v = nearbyint(acc[c]);
                out[3 * x + c] = (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
            }
        }
    }
    return true;
}

void ei__rgb_rot90(const uint8_t *src, int32_t w, int32_t h, uint8_t *dst)
{
    /* Output: w rows of h pixels; out(row i, col j) = in(row j, col w - 1 - i). */
    for (int32_t i = 0; i < w; i++) {
        uint8_t *o = dst + (size_t)i * (size_t)h * 3;
        for (int32_t j = 0; j < h; j++) {
            const uint8_t *p = src + ((size_t)j * (size_t)w + (size_t)(w - 1 - i)) * 3;
            o[3 * j] = p[0];
            o[3 * j + 1] = p[1];
            o[3 * j + 2] = p[2];
        }
    }
}

void ei__rgb_rot180(uint8_t *img, int32_t w, int32_t h)
{
    size_t n = (size_t)w * (size_t)h;
    for (size_t i = 0, j = n ? n - 1 : 0; i < j; i++, j--) {
        uint8_t t[3];
        memcpy(t, img + 3 * i, 3);
        memcpy(img + 3 * i, img + 3 * j, 3);
        memcpy(img + 3 * j, t, 3);
    }
}
