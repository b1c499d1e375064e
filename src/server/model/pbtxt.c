/* SPDX-License-Identifier: MIT */
/*
 * Protobuf text format reader (the grammar of TextFormat, without a schema): fields `name: value`
 * or `name { ... }` / `name < ... >` (the colon optional before a message), lists in `[ ]`,
 * quoted strings with C escapes (adjacent strings concatenate), numbers, bare words (enums,
 * true/false), `#` comments, optional `,`/`;` separators. It only builds a tree; it does not know
 * ModelConfig. Every error carries path:line:column; nesting is bounded so hostile input cannot
 * exhaust the stack.
 */
#include "pbtxt.h"

#include "ei_util.h"

#include <string.h>

typedef struct {
    const char *s, *end, *path;
    int line, col;
    ei_error_t *err;
} lexer_t;

static ei_code_t syntax(lexer_t *lx, const char *what)
{
    return ei__fail(lx->err, EI_EFORMAT, "%s:%d:%d: %s", lx->path, lx->line, lx->col, what);
}

static int peekc(const lexer_t *lx)
{
    return lx->s < lx->end ? (unsigned char)*lx->s : -1;
}

static void advance(lexer_t *lx)
{
    if (lx->s >= lx->end)
        return;
    if (*lx->s == '\n') {
        lx->line++;
        lx->col = 1;
    } else {
        lx->col++;
    }
    lx->s++;
}

/* Skips whitespace and comments. */
static void skip_ws(lexer_t *lx)
{
    for (;;) {
        int c = peekc(lx);
        if (c == '#') {
            while (peekc(lx) != -1 && peekc(lx) != '\n')
                advance(lx);
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            advance(lx);
        } else {
            return;
        }
    }
}

static bool is_ident_start(int c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_ident_char(int c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static ei_code_t read_ident(lexer_t *lx, char **out)
{
    const char *start = lx->s;
    if (!is_ident_start(peekc(lx)))
        return syntax(lx, "expected a field name");
    while (is_ident_char(peekc(lx)) || peekc(lx) == '.')
        advance(lx);
    *out = ei__strndup(start, (size_t)(lx->s - start));
    return *out != NULL ? EI_OK : ei__fail(lx->err, EI_ENOMEM, "out of memory");
}

/* A growable byte buffer for string values. */
typedef struct {
    char *p;
    size_t n, cap;
} sbuf_t;

static bool sbuf_put(sbuf_t *b, char c)
{
    if (b->n + 1 >= b->cap) {
        size_t cap = b->cap != 0 ? b->cap * 2 : 32;
        char *p = ei__realloc(b->p, cap);
        if (p == NULL)
            return false;
        b->p = p;
        b->cap = cap;
    }
    b->p[b->n++] = c;
    b->p[b->n] = '\0';
    return true;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One quoted string (the lexer is on the quote); appends the unescaped bytes to `b`. */
static ei_code_t read_quoted(lexer_t *lx, sbuf_t *b)
{
    int q = peekc(lx);
    int line = lx->line, col = lx->col;
    advance(lx);
    for (;;) {
        int c = peekc(lx);
        if (c == -1 || c == '\n') {
            lx->line = line;
            lx->col = col;
            return syntax(lx, "unterminated string");
        }
        advance(lx);
        if (c == q)
            return EI_OK;
        if (c == '\\') {
            int e = peekc(lx);
            if (e == -1)
                continue; /* reported as unterminated on the next turn */
            advance(lx);
            switch (e) {
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'r':
                c = '\r';
                break;
            case 'a':
                c = '\a';
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'v':
                c = '\v';
                break;
            case '\\':
            case '\'':
            case '"':
            case '?':
                c = e;
                break;
            case 'x':
            case 'X': {
                int v = 0, k = 0;
                while (k < 2 && hexval(peekc(lx)) >= 0) {
                    v = v * 16 + hexval(peekc(lx));
                    advance(lx);
                    k++;
                }
                if (k == 0)
                    return syntax(lx, "\\x escape without hex digits");
                c = v;
                break;
            }
            default:
                if (e >= '0' && e <= '7') {
                    int v = e - '0', k = 1;
                    while (k < 3 && peekc(lx) >= '0' && peekc(lx) <= '7') {
                        v = v * 8 + (peekc(lx) - '0');
                        advance(lx);
                        k++;
                    }
                    if (v > 255)
                        return syntax(lx, "octal escape out of range");
                    c = v;
                } else {
                    return syntax(lx, "unknown escape sequence in string");
                }
            }
        }
        if (!sbuf_put(b, (char)c))
            return ei__fail(lx->err, EI_ENOMEM, "out of memory");
    }
}

/* A scalar value: strings (concatenated), numbers, identifiers. Fills n->kind/value. */
static ei_code_t read_scalar(lexer_t *lx, ei__pb_node_t *n)
{
    int c = peekc(lx);
    if (c == '"' || c == '\'') {
        sbuf_t b = {0};
        ei_code_t rc = EI_OK;
        while (peekc(lx) == '"' || peekc(lx) == '\'') {
            rc = read_quoted(lx, &b);
            if (rc != EI_OK)
                break;
            skip_ws(lx);
        }
        if (rc == EI_OK && b.p == NULL) {
            b.p = ei__strdup("");
            if (b.p == NULL)
                rc = ei__fail(lx->err, EI_ENOMEM, "out of memory");
        }
        if (rc != EI_OK) {
            ei__free(b.p);
            return rc;
        }
        n->kind = EI__PB_STRING;
        n->value = b.p;
        n->value_len = b.n;
        return EI_OK;
    }
    const char *start = lx->s;
    if (c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9')) {
        advance(lx);
        for (;;) {
            int d = peekc(lx);
            bool exp_sign =
                (d == '-' || d == '+') && (lx->s[-1] == 'e' || lx->s[-1] == 'E') &&
                !(start[0] == '0' && lx->s - start > 1 && (start[1] == 'x' || start[1] == 'X'));
            if (is_ident_char(d) || d == '.' || exp_sign)
                advance(lx);
            else
                break;
        }
        /* "-inf" / "-nan" are numbers too; anything else must start with a digit or '.'. */
        n->kind = EI__PB_NUMBER;
    } else if (is_ident_start(c)) {
        while (is_ident_char(peekc(lx)))
            advance(lx);
        n->kind = EI__PB_IDENT;
    } else {
        return syntax(lx, "expected a value (string, number or name)");
    }
    n->value_len = (size_t)(lx->s - start);
    n->value = ei__strndup(start, n->value_len);
    return n->value != NULL ? EI_OK : ei__fail(lx->err, EI_ENOMEM, "out of memory");
}

static ei_code_t parse_fields(lexer_t *lx, ei__pb_node_t *parent, int close, int depth);

static ei__pb_node_t *node_new(lexer_t *lx, const char *name, int line, int col)
{
    ei__pb_node_t *n = ei__calloc(1, sizeof(*n));
    if (n == NULL)
        return NULL;
    n->name = ei__strdup(name);
    if (n->name == NULL) {
        ei__free(n);
        return NULL;
    }
    n->line = line;
    n->col = col;
    (void)lx;
    return n;
}

/* One element (scalar or message) of field `name`; appended after *tail. */
static ei_code_t parse_element(lexer_t *lx, const char *name, int line, int col, bool colon,
                               ei__pb_node_t ***tail, int depth)
{
    ei__pb_node_t *n = node_new(lx, name, line, col);
    if (n == NULL)
        return ei__fail(lx->err, EI_ENOMEM, "out of memory");
    **tail = n;
    *tail = &n->next;
    int c = peekc(lx);
    if (c == '{' || c == '<') {
        if (depth + 1 > EI__PB_MAX_DEPTH)
            return syntax(lx, "messages nested too deeply");
        n->kind = EI__PB_MESSAGE;
        advance(lx);
        return parse_fields(lx, n, c == '{' ? '}' : '>', depth + 1);
    }
    if (!colon)
        return syntax(lx, "expected ':' or '{' after the field name");
    return read_scalar(lx, n);
}

/* Fields until `close` ('}' / '>', or -1 for end of input). */
static ei_code_t parse_fields(lexer_t *lx, ei__pb_node_t *parent, int close, int depth)
{
    ei__pb_node_t **tail = &parent->child;
    ei_code_t rc = EI_OK;
    char *name = NULL;
    for (;;) {
        skip_ws(lx);
        int c = peekc(lx);
        if (c == close) {
            advance(lx);
            break;
        }
        if (c == -1) {
            rc = syntax(lx, "unexpected end of input: missing closing brace");
            break;
        }
        if (c == '}' || c == '>') {
            rc = syntax(lx, "unbalanced closing brace");
            break;
        }
        int line = lx->line, col = lx->col;
        rc = read_ident(lx, &name);
        if (rc != EI_OK)
            break;
        skip_ws(lx);
        bool colon = false;
        if (peekc(lx) == ':') {
            colon = true;
            advance(lx);
            skip_ws(lx);
        }
        if (peekc(lx) == '[') {
            advance(lx);
            skip_ws(lx);
            if (peekc(lx) == ']') {
                advance(lx);
            } else {
                for (;;) {
                    rc = parse_element(lx, name, line, col, true, &tail, depth);
                    if (rc != EI_OK)
                        break;
                    skip_ws(lx);
                    if (peekc(lx) == ',') {
                        advance(lx);
                        skip_ws(lx);
                        continue;
                    }
                    if (peekc(lx) == ']') {
                        advance(lx);
                        break;
                    }
                    rc = syntax(lx, "expected ',' or ']' in a list");
                    break;
                }
            }
        } else {
            rc = parse_element(lx, name, line, col, colon, &tail, depth);
        }
        ei__free(name);
        name = NULL;
        if (rc != EI_OK)
            break;
        skip_ws(lx);
        if (peekc(lx) == ',' || peekc(lx) == ';')
            advance(lx);
    }
    ei__free(name);
    return rc;
}

ei_code_t ei__pb_parse(const char *text, size_t len, const char *path, ei__pb_node_t **out,
                       ei_error_t *err)
{
    *out = NULL;
    lexer_t lx = {text, text + len, path != NULL ? path : "<config>", 1, 1, err};
    if (memchr(text, '\0', len) != NULL) {
        const char *z = memchr(text, '\0', len);
        while (lx.s < z)
            advance(&lx);
        return syntax(&lx, "NUL byte in text");
    }
    ei__pb_node_t *root = node_new(&lx, "", 1, 1);
    if (root == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    root->kind = EI__PB_MESSAGE;
    ei_code_t rc = parse_fields(&lx, root, -1, 0);
    if (rc != EI_OK) {
        ei__pb_free(root);
        return rc;
    }
    *out = root;
    return EI_OK;
}

void ei__pb_free(ei__pb_node_t *n)
{
    /* Iterative over siblings, recursive over children (depth is bounded by the parser). */
    while (n != NULL) {
        ei__pb_node_t *next = n->next;
        ei__pb_free(n->child);
        ei__free(n->name);
        ei__free(n->value);
        ei__free(n);
        n = next;
    }
}
