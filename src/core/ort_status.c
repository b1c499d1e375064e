/* SPDX-License-Identifier: MIT */
/*
 * The only place an OrtStatus is inspected: maps ONNX Runtime's error codes onto ei_code_t and
 * copies its message into the caller's error buffer, in our words: ONNX Runtime's source paths
 * ("/onnxruntime_src/...cc:177") and C++ signatures are cut, stack traces dropped, and its chains
 * of "Non-zero status code returned while running X node. Name:'N' Status Message: ..." become
 * "node 'N' (X): ...".
 */
#include "core_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Whether `s` starts with a source location: "/path/file.cc:123 " (or .h / .cpp). */
static size_t source_location_len(const char *s)
{
    if (s[0] != '/')
        return 0;
    const char *sp = strchr(s, ' ');
    if (sp == NULL)
        return 0;
    const char *colon = NULL;
    for (const char *p = s; p < sp; p++) {
        if (*p == ':')
            colon = p;
    }
    if (colon == NULL || colon + 1 == sp)
        return 0;
    for (const char *p = colon + 1; p < sp; p++) {
        if (!isdigit((unsigned char)*p))
            return 0;
    }
    return (size_t)(sp - s) + 1;
}

/*
 * The length of a C++ signature at `s` ("virtual void onnxruntime::X::Y(int, const T&) const "):
 * a name with "::" before the first '(', up to the matching ')' and a trailing " const". 0 when
 * `s` does not start with one.
 */
static size_t signature_len(const char *s)
{
    const char *open = strchr(s, '(');
    if (open == NULL)
        return 0;
    /* The part before '(' must look like a declaration: one line, a qualified name, no ". ". */
    bool qualified = false;
    for (const char *p = s; p < open; p++) {
        if (*p == '\n' || (p[0] == '.' && p[1] == ' '))
            return 0;
        if (p[0] == ':' && p[1] == ':')
            qualified = true;
    }
    if (!qualified)
        return 0;
    int depth = 0;
    const char *p = open;
    for (; *p != '\0'; p++) {
        if (*p == '(')
            depth++;
        else if (*p == ')' && --depth == 0)
            break;
    }
    if (*p != ')')
        return 0;
    p++;
    if (strncmp(p, " const", 6) == 0)
        p += 6;
    while (*p == ' ')
        p++;
    return (size_t)(p - s);
}

static void cut(char *s, size_t at, size_t n)
{
    memmove(s + at, s + at + n, strlen(s + at + n) + 1);
}

/* Rewrites ORT's message in place (it only gets shorter). */
static void our_words(char *m)
{
    char *st = strstr(m, "\nStacktrace:");
    if (st != NULL)
        *st = '\0';
    /* Source locations and signatures wherever they start a line or follow "failed:". */
    for (size_t i = 0; m[i] != '\0'; i++) {
        if (i > 0 && m[i - 1] != '\n' && m[i - 1] != ':' && m[i - 1] != ' ')
            continue;
        size_t loc = source_location_len(m + i);
        if (loc == 0)
            continue;
        cut(m, i, loc);
        cut(m, i, signature_len(m + i));
    }
    /* "Non-zero status code returned while running Pad node. Name:'Pad_5' Status Message: x" */
    static const char run_pre[] = "Non-zero status code returned while running ";
    char *p;
    while ((p = strstr(m, run_pre)) != NULL) {
        char *op = p + sizeof(run_pre) - 1;
        char *node_end = strstr(op, " node. Name:'");
        if (node_end == NULL)
            break;
        char *name = node_end + strlen(" node. Name:'");
        char *name_end = strchr(name, '\'');
        if (name_end == NULL)
            break;
        const char *rest = name_end + 1;
        if (strncmp(rest, " Status Message: ", 17) == 0)
            rest += 17;
        char buf[EI_ERROR_MSG_SIZE];
        int n = snprintf(buf, sizeof(buf), "node '%.*s' (%.*s): %s", (int)(name_end - name), name,
                         (int)(node_end - op), op, rest);
        if (n < 0)
            break;
        size_t room = strlen(p); /* what the rewrite replaces; it is never longer */
        if ((size_t)n > room)
            break;
        memcpy(p, buf, (size_t)n + 1);
    }
    static const char *const drop[] = {"Exception during initialization: ", "Fatal error: "};
    for (size_t k = 0; k < sizeof(drop) / sizeof(drop[0]); k++) {
        while ((p = strstr(m, drop[k])) != NULL)
            cut(m, (size_t)(p - m), strlen(drop[k]));
    }
    /* Trailing newlines and spaces. */
    size_t len = strlen(m);
    while (len > 0 && (m[len - 1] == '\n' || m[len - 1] == ' '))
        m[--len] = '\0';
}

ei_code_t ei__ort_check(OrtStatus *st, ei_error_t *err)
{
    if (st == NULL)
        return EI_OK;
    ei_code_t code;
    switch (ei__ort->GetErrorCode(st)) {
    case ORT_OK:
        code = EI_OK;
        break;
    case ORT_INVALID_ARGUMENT:
        code = EI_EINVAL;
        break;
    case ORT_NO_SUCHFILE:
        code = EI_ENOENT;
        break;
    case ORT_NO_MODEL:
    case ORT_INVALID_GRAPH:
    case ORT_INVALID_PROTOBUF:
    case ORT_MODEL_LOADED:
    case ORT_MODEL_LOAD_CANCELED:
    case ORT_MODEL_REQUIRES_COMPILATION:
        code = EI_EMODEL;
        break;
    case ORT_NOT_IMPLEMENTED:
        code = EI_EUNSUPPORTED;
        break;
    case ORT_NOT_FOUND:
        code = EI_ENOTFOUND;
        break;
    default:
        code = EI_ERUNTIME;
        break;
    }
    if (code == EI_OK)
        code = EI_ERUNTIME;
    const char *msg = ei__ort->GetErrorMessage(st);
    ei__fail(err, code, "%s", msg != NULL ? msg : "unknown ONNX Runtime error");
    if (err != NULL)
        our_words(err->msg);
    ei__ort->ReleaseStatus(st);
    return code;
}

void ei__ort_words(char *msg)
{
    our_words(msg);
}
