/* SPDX-License-Identifier: MIT */
/*
 * Image arguments: files, directories and stdin (see image_args.h).
 */
#include "image_args.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* One image on stdin is read whole, up to this many bytes. */
#define STDIN_MAX ((size_t)1 << 30)

static bool is_image_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot == NULL || name[0] == '.')
        return false;
    return strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0 ||
           strcasecmp(dot, ".png") == 0 || strcasecmp(dot, ".webp") == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool push(ei_cli_images_t *im, size_t *cap, char *s)
{
    if (s == NULL)
        return false;
    if (im->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        char **np = realloc(im->paths, nc * sizeof(*np));
        if (np == NULL) {
            free(s);
            return false;
        }
        im->paths = np;
        *cap = nc;
    }
    im->paths[im->n++] = s;
    return true;
}

static int read_stdin(const char *cmd, ei_cli_images_t *im)
{
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    if (buf == NULL) {
        ei_cli_errorc(EI_ENOMEM, "%s: out of memory", cmd);
        return EI_EXIT_FAILURE;
    }
    for (;;) {
        if (n == cap) {
            if (cap >= STDIN_MAX) {
                free(buf);
                ei_cli_errorc(EI_ELIMIT, "%s: reading stdin: more than %zu bytes", cmd, STDIN_MAX);
                return EI_EXIT_FAILURE;
            }
            unsigned char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                ei_cli_errorc(EI_ENOMEM, "%s: out of memory", cmd);
                return EI_EXIT_FAILURE;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(stdin)) {
        free(buf);
        ei_cli_errorc(EI_EIO, "%s: reading stdin failed", cmd);
        return EI_EXIT_FAILURE;
    }
    im->stdin_data = buf;
    im->stdin_size = n;
    return EI_EXIT_OK;
}

static int add_dir(const char *cmd, const char *dir, ei_cli_images_t *im, size_t *cap)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        ei_cli_errorc(EI_EIO, "%s: cannot read directory '%s'", cmd, dir);
        return EI_EXIT_FAILURE;
    }
    size_t first = im->n;
    struct dirent *e;
    int rc = EI_EXIT_OK;
    while ((e = readdir(d)) != NULL) {
        if (!is_image_name(e->d_name))
            continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(len);
        if (p != NULL) {
            bool slash = dir[0] != '\0' && dir[strlen(dir) - 1] == '/';
            snprintf(p, len, "%s%s%s", dir, slash ? "" : "/", e->d_name);
            struct stat st;
            if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
                free(p);
                continue;
            }
        }
        if (!push(im, cap, p)) {
            ei_cli_errorc(EI_ENOMEM, "%s: out of memory", cmd);
            rc = EI_EXIT_FAILURE;
            break;
        }
    }
    closedir(d);
    if (rc == EI_EXIT_OK && im->n == first)
        ei_cli_warn("%s: no images (*.jpg, *.jpeg, *.png, *.webp) in directory '%s'", cmd, dir);
    qsort(im->paths + first, im->n - first, sizeof(*im->paths), cmp_str);
    return rc;
}

int ei_cli_images_expand(const char *cmd, char **args, size_t n, ei_cli_images_t *out)
{
    size_t cap = 0;
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        int rc = EI_EXIT_OK;
        if (strcmp(args[i], "-") == 0) {
            if (out->stdin_data != NULL) {
                ei_cli_images_free(out);
                return ei_cli_usage_error(cmd, "'-' (stdin) given twice");
            }
            rc = read_stdin(cmd, out);
            if (rc == EI_EXIT_OK && !push(out, &cap, strdup("-")))
                rc = EI_EXIT_FAILURE;
        } else if (stat(args[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = add_dir(cmd, args[i], out, &cap);
        } else if (!push(out, &cap, strdup(args[i]))) {
            ei_cli_errorc(EI_ENOMEM, "%s: out of memory", cmd);
            rc = EI_EXIT_FAILURE;
        }
        if (rc != EI_EXIT_OK) {
            ei_cli_images_free(out);
            return rc;
        }
    }
    return EI_EXIT_OK;
}

void ei_cli_images_free(ei_cli_images_t *im)
{
    for (size_t i = 0; i < im->n; i++)
        free(im->paths[i]);
    free(im->paths);
    free(im->stdin_data);
    memset(im, 0, sizeof(*im));
}

void ei_cli_progress_init(ei_cli_progress_t *p, size_t total)
{
    p->total = total;
    p->on = total >= 2 && isatty(STDERR_FILENO);
}

void ei_cli_progress_step(ei_cli_progress_t *p, size_t done, const char *name)
{
    if (!p->on)
        return;
    /* \r + clear to end of line: the next step overwrites this one. */
    fprintf(stderr, "\r\033[K[%zu/%zu] %.60s", done, p->total, name);
    fflush(stderr);
}

void ei_cli_progress_end(ei_cli_progress_t *p)
{
    if (!p->on)
        return;
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
}
