/* SPDX-License-Identifier: MIT */
/*
 * What decoding only part of a JPEG saves, in libjpeg-turbo alone (no edgeinfer code): per file
 * and DCT scale, the CPU time of a TurboJPEG whole decode, a libjpeg whole decode, and libjpeg
 * decodes that stop below the rectangle, also crop its columns (jpeg_crop_scanline), also skip the
 * rows above it (jpeg_skip_scanlines); then an entropy-only pass (every row skipped), the floor no
 * cropping can go under. The rectangle is given as fractions of the decoded size (a 224 centre crop
 * of a 256 shorter-side resize of a 4:3 landscape is x 0.167..0.833, y 0.058..0.942).
 * Modes run in turn each round; median and p10/p90 of the rounds. One thread.
 *
 *     ei_bench_jpeg_region FILE DENOM X0 X1 Y0 Y1 [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <turbojpeg.h>

/* clang-format off */
#include <jpeglib.h> /* after stdio.h: it uses FILE and size_t */
/* clang-format on */

enum { TJ_WHOLE, WHOLE, STOP_BELOW, CROP_COLS, SKIP_ABOVE, ENTROPY_ONLY, N_MODES };
static const char *mode_names[N_MODES] = {"TurboJPEG whole image",    "libjpeg whole image",
                                          "stop below the rectangle", "+ crop its columns",
                                          "+ skip the rows above",    "entropy decoding only"};

static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void decode(const unsigned char *buf, unsigned long len, int denom, int mode,
                   const double f[4], unsigned char *out)
{
    struct jpeg_decompress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e); /* benchmark input: a bad file may exit */
    jpeg_create_decompress(&c);
    jpeg_mem_src(&c, buf, len);
    jpeg_read_header(&c, TRUE);
    c.scale_num = 1;
    c.scale_denom = (unsigned)denom;
    c.out_color_space = JCS_RGB;
    jpeg_start_decompress(&c);
    JDIMENSION W = c.output_width, H = c.output_height, y0 = 0, y1 = H, x0 = 0;
    if (mode == ENTROPY_ONLY) {
        y0 = H - 1;
    } else if (mode >= STOP_BELOW) {
        y1 = (JDIMENSION)(H * f[3]);
        if (mode >= CROP_COLS) {
            JDIMENSION cw = (JDIMENSION)(W * (f[1] - f[0]));
            x0 = (JDIMENSION)(W * f[0]);
            jpeg_crop_scanline(&c, &x0, &cw);
        }
        if (mode >= SKIP_ABOVE)
            y0 = (JDIMENSION)(H * f[2]);
    }
    if (y0 > 0)
        jpeg_skip_scanlines(&c, y0);
    while (c.output_scanline < y1) {
        JSAMPROW row = out + (size_t)c.output_scanline * W * 3 + (size_t)x0 * 3;
        jpeg_read_scanlines(&c, &row, 1);
    }
    if (c.output_scanline < H)
        jpeg_abort_decompress(&c);
    else
        jpeg_finish_decompress(&c);
    jpeg_destroy_decompress(&c);
}

int main(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr, "usage: %s FILE DENOM X0 X1 Y0 Y1 [ROUNDS]\n", argv[0]);
        return 2;
    }
    FILE *fp = fopen(argv[1], "rb");
    if (fp == NULL) {
        perror(argv[1]);
        return 1;
    }
    fseek(fp, 0, SEEK_END);
    unsigned long len = (unsigned long)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *buf = malloc(len);
    if (buf == NULL || fread(buf, 1, len, fp) != len) {
        fprintf(stderr, "%s: cannot read\n", argv[1]);
        return 1;
    }
    fclose(fp);
    int denom = atoi(argv[2]);
    double f[4] = {atof(argv[3]), atof(argv[4]), atof(argv[5]), atof(argv[6])};
    int rounds = argc > 7 ? atoi(argv[7]) : 41;
    if ((denom != 1 && denom != 2 && denom != 4 && denom != 8) || rounds < 1 || f[0] < 0 ||
        f[1] > 1 || f[0] >= f[1] || f[2] < 0 || f[3] > 1 || f[2] >= f[3]) {
        fprintf(stderr, "bad DENOM (1, 2, 4, 8), fractions (0 <= X0 < X1 <= 1) or ROUNDS\n");
        return 2;
    }
    tjhandle tj = tjInitDecompress();
    int w, h, ss, cs;
    if (tjDecompressHeader3(tj, buf, len, &w, &h, &ss, &cs) != 0) {
        fprintf(stderr, "%s: %s\n", argv[1], tjGetErrorStr2(tj));
        return 1;
    }
    int sw = (w + denom - 1) / denom, sh = (h + denom - 1) / denom;
    unsigned char *out = malloc((size_t)sw * (size_t)sh * 3);
    double *t = malloc(sizeof(double) * (size_t)rounds * N_MODES);
    for (int r = -3; r < rounds; r++) { /* three warm-up rounds */
        for (int m = 0; m < N_MODES; m++) {
            double a = cpu_ms();
            if (m == TJ_WHOLE)
                tjDecompress2(tj, buf, len, out, sw, 0, sh, TJPF_RGB, 0);
            else
                decode(buf, len, denom, m, f, out);
            if (r >= 0)
                t[m * rounds + r] = cpu_ms() - a;
        }
    }
    printf("%s (%dx%d) at 1/%d, rectangle x %.3f..%.3f y %.3f..%.3f, %d rounds:\n\n", argv[1], w, h,
           denom, f[0], f[1], f[2], f[3], rounds);
    printf("| decode | CPU ms median | p10–p90 |\n|---|---|---|\n");
    for (int m = 0; m < N_MODES; m++) {
        double *v = t + m * rounds;
        qsort(v, (size_t)rounds, sizeof(double), cmp_double);
        printf("| %s | %.2f | %.2f–%.2f |\n", mode_names[m], v[rounds / 2], v[rounds / 10],
               v[rounds - 1 - rounds / 10]);
    }
    tjDestroy(tj);
    free(t);
    free(out);
    free(buf);
    return 0;
}
