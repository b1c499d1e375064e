/* SPDX-License-Identifier: MIT */
/*
 * Route tables (http.h): a request's path is split into segments and matched against each route's
 * pattern in order ("{}" captures one segment); the first whose method also matches runs. A path
 * that matches only with other methods is a 405 naming them (Allow header); no match is a 404.
 */
#include "http.h"

#include <string.h>

/* Path segments of the URL (at most 9; more make the route unknown). */
typedef struct path {
    char buf[512];
    const char *seg[9];
    size_t n;
} path_t;

static bool split_path(const char *url, path_t *r)
{
    r->n = 0;
    if (ei__strlcpy(r->buf, url, sizeof r->buf) >= sizeof r->buf)
        return false;
    char *q = strchr(r->buf, '?');
    if (q)
        *q = '\0';
    char *p = r->buf;
    while (*p) {
        while (*p == '/')
            *p++ = '\0';
        if (!*p)
            break;
        if (r->n == 9)
            return false;
        r->seg[r->n++] = p;
        while (*p && *p != '/')
            p++;
    }
    return true;
}

/* Whether `path` matches `pattern` ("/a/{}/b"); the "{}" segments go to arg. */
static bool match(const char *pattern, const path_t *path, const char **arg, size_t *n_arg)
{
    size_t i = 0;
    *n_arg = 0;
    const char *p = pattern;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, "/");
        if (i == path->n)
            return false;
        if (len == 2 && p[0] == '{' && p[1] == '}') {
            if (*n_arg == EI__HTTP_MAX_ARGS)
                return false;
            arg[(*n_arg)++] = path->seg[i];
        } else if (strlen(path->seg[i]) != len || memcmp(path->seg[i], p, len) != 0) {
            return false;
        }
        i++;
        p += len;
    }
    return i == path->n;
}

/* Whether `method` is one of the comma-separated `methods`. */
static bool method_in(const char *method, const char *methods)
{
    size_t len = strlen(method);
    for (const char *p = methods; *p;) {
        p += strspn(p, ", ");
        size_t n = strcspn(p, ", ");
        if (n == len && memcmp(p, method, n) == 0)
            return true;
        p += n;
    }
    return false;
}

unsigned ei__http_route_scope(const ei__http_routes_t *rt, const char *url)
{
    path_t path;
    if (split_path(url, &path)) {
        for (size_t i = 0; i < rt->n; i++) {
            const char *arg[EI__HTTP_MAX_ARGS];
            size_t n_arg = 0;
            if (match(rt->route[i].pattern, &path, arg, &n_arg))
                return rt->route[i].scope;
        }
    }
    return EI__SCOPE_AUTHENTICATED;
}

void ei__http_route(ei__http_req_t *r, const ei__http_routes_t *rt)
{
    path_t path;
    const char *allow = NULL;
    if (split_path(r->url, &path)) {
        for (size_t i = 0; i < rt->n; i++) {
            const char *arg[EI__HTTP_MAX_ARGS];
            size_t n_arg = 0;
            if (!match(rt->route[i].pattern, &path, arg, &n_arg))
                continue;
            if (method_in(r->method, rt->route[i].methods)) {
                rt->route[i].fn(r, arg, n_arg);
                return;
            }
            if (!allow)
                allow = rt->route[i].methods;
        }
    }
    if (allow) {
        r->allow = allow;
        ei__http_respond_error(r, 405, "method %s not allowed on %.200s (allowed: %s)", r->method,
                               r->url, allow);
        return;
    }
    ei__http_respond_error(r, 404, "unknown endpoint '%.200s'%s", r->url,
                           rt->not_found_hint ? rt->not_found_hint : "");
}
