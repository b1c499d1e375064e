/* SPDX-License-Identifier: MIT */
/*
 * `edgeinfer conformance DIR...`: runs ONNX backend test cases (model.onnx + test_data_set_N/
 * {input,output}_N.pb) through edgeinfer and ONNX Runtime and compares the outputs with the
 * backend tests' tolerances.
 *
 * Every case runs in a child process forked from a parent that never initialises ONNX Runtime, so
 * a crash (a signal) or a hang (the per-case time limit) in one case is reported as that case's
 * failure and the run goes on. Up to --jobs children run at once; each sends its verdict back over
 * a pipe. The skip list turns known, explained failures into skips and flags listed cases that
 * now pass. The case logic (finding, comparing, running) is in conformance_case.c.
 */
#include "cli.h"
#include "commands.h"
#include "conformance.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WHY_SIZE 2048

static char reason_oom[] = "(reason lost: out of memory)";

typedef struct {
    ei_conf_status_t status;
    char *why;
    double seconds;
    long listed; /* skip-list entry or -1 */
} result_t;

typedef struct {
    pid_t pid;
    int fd; /* read end; -1 after EOF */
    size_t idx;
    double start;
    char *buf;
    size_t len, cap;
    bool timed_out;
} slot_t;

typedef struct {
    size_t jobs;
    double timeout;
    bool verbose;
    bool json;
    ei_conf_tol_t tol;
} conf_opts_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(FILE *f)
{
    fputs("usage: edgeinfer conformance DIR... [options]\n\n"
          "Runs ONNX backend test cases: a DIR is one case (a folder with model.onnx and\n"
          "test_data_set_N/{input,output}_N.pb) or a folder searched recursively for cases.\n"
          "Outputs are compared with the ONNX backend tests' tolerances: |got - expected| <=\n"
          "atol + rtol * |expected| for floating types (NaN matches NaN), exact for integers,\n"
          "bools and strings; dtype and shape must match. Each case runs in its own process,\n"
          "so a crash or a hang fails only that case.\n\n"
          "options:\n"
          "  --jobs N              cases run at once (default: the number of cores)\n"
          "  --skip-list FILE      '<folder>/<case>  <reason>' lines: a listed case that fails\n"
          "                        is counted as skipped; one that passes is reported as an\n"
          "                        unexpected pass\n"
          "  --write-skip-list FILE  write every case that did not pass, with its reason (a\n"
          "                        reason already in --skip-list is kept)\n"
          "  --filter SUBSTR       only cases whose '<folder>/<case>' contains SUBSTR\n"
          "  --timeout SEC         per-case time limit (default 120)\n"
          "  --rtol X, --atol X    tolerances (default 1e-3 and 1e-7)\n"
          "  --custom-op-library PATH  load ONNX Runtime custom ops from this library for\n"
          "                        every case; repeatable\n"
          "  --json                print a JSON report instead of text\n"
          "  --verbose             also list passes and skips, with times and reasons\n"
          "  --help                show this help\n\n"
          "Output: one line per failure ('FAIL <case>: <reason>'), per-folder counts, then the\n"
          "closing line 'N passed, N failed, N skipped'. Sequence, map and optional inputs and\n"
          "outputs are read from SequenceProto / MapProto / OptionalProto .pb files.\n"
          "Exit status: 0 when nothing failed, 1 when a case not in the skip list failed,\n"
          "2 on a usage error.\n",
          f);
}

/* The child: run one case, send "P", "F<why>" or "S<why>" over the pipe, exit. */
static void child_main(const ei_conf_case_t *c, const conf_opts_t *o, int fd)
{
    char why[WHY_SIZE];
    signal(SIGPIPE, SIG_DFL);
    /* ORT's own log lines would interleave between cases; the reason travels in `why`. */
    ei_cli_init_runtime(o->verbose ? EI_LOG_ERROR : EI_LOG_OFF, false, 0);
    ei_conf_status_t st = ei_conf_run_case(c, &o->tol, why, sizeof(why));
    char msg[WHY_SIZE + 2];
    int n = snprintf(msg, sizeof(msg), "%c%s",
                     st == EI_CONF_PASS   ? 'P'
                     : st == EI_CONF_SKIP ? 'S'
                                          : 'F',
                     st == EI_CONF_PASS ? "" : why);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, msg + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    close(fd);
    ei_global_cleanup();
    fflush(NULL);
    exit(0);
}

static bool spawn(slot_t *sl, const ei_conf_cases_t *cases, size_t idx, const conf_opts_t *o)
{
    int fds[2];
    if (pipe(fds) != 0) {
        ei_cli_errorc(EI_EIO, "pipe: %s", strerror(errno));
        return false;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        ei_cli_errorc(EI_EIO, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return false;
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(&cases->items[idx], o, fds[1]);
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    memset(sl, 0, sizeof(*sl));
    sl->pid = pid;
    sl->fd = fds[0];
    sl->idx = idx;
    sl->start = now_s();
    return true;
}

static void read_slot(slot_t *sl)
{
    char tmp[4096];
    ssize_t n = read(sl->fd, tmp, sizeof(tmp));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        close(sl->fd);
        sl->fd = -1;
        return;
    }
    if (sl->len + (size_t)n + 1 > sl->cap) {
        size_t cap = (sl->len + (size_t)n + 1) * 2;
        char *b = realloc(sl->buf, cap);
        if (b == NULL)
            return; /* drop the text; the verdict is then "no result" */
        sl->buf = b;
        sl->cap = cap;
    }
    memcpy(sl->buf + sl->len, tmp, (size_t)n);
    sl->len += (size_t)n;
    sl->buf[sl->len] = '\0';
}

/* Turns the child's exit and message into the case's result. */
static void finish_slot(slot_t *sl, int wstatus, double timeout, result_t *r)
{
    char why[WHY_SIZE + 256];
    r->seconds = now_s() - sl->start;
    if (sl->fd >= 0) {
        close(sl->fd);
        sl->fd = -1;
    }
    const char *msg = sl->len > 0 ? sl->buf : NULL;
    if (sl->timed_out) {
        r->status = EI_CONF_FAIL;
        snprintf(why, sizeof(why), "timed out after %g s (killed)", timeout);
    } else if (WIFSIGNALED(wstatus)) {
        int sig = WTERMSIG(wstatus);
        r->status = EI_CONF_FAIL;
        snprintf(why, sizeof(why), "crashed: killed by signal %d (SIG%s)%s%s", sig,
                 sigabbrev_np(sig) != NULL ? sigabbrev_np(sig) : "?",
                 msg != NULL ? "; it had reported: " : "", msg != NULL ? msg : "");
    } else if (msg == NULL) {
        r->status = EI_CONF_FAIL;
        snprintf(why, sizeof(why), "the case process exited with status %d without a result",
                 WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
    } else if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0) {
        /* A sanitizer report at exit (a leak) lands here: the verdict does not count. */
        r->status = EI_CONF_FAIL;
        snprintf(why, sizeof(why), "the case process exited with status %d after reporting '%s'",
                 WEXITSTATUS(wstatus), msg);
    } else {
        r->status = msg[0] == 'P' ? EI_CONF_PASS : msg[0] == 'S' ? EI_CONF_SKIP : EI_CONF_FAIL;
        snprintf(why, sizeof(why), "%s", msg + 1);
    }
    r->why = strdup(why);
    if (r->why == NULL)
        r->why = reason_oom; /* keep the verdict even when its text cannot be kept */
    free(sl->buf);
    sl->buf = NULL;
    sl->pid = 0;
}

/* Runs every case with up to o->jobs children at once. */
static bool run_all(const ei_conf_cases_t *cases, const conf_opts_t *o, result_t *res)
{
    slot_t *slots = calloc(o->jobs, sizeof(*slots));
    struct pollfd *pfd = calloc(o->jobs, sizeof(*pfd));
    size_t next = 0, running = 0, done = 0;
    bool ok = slots != NULL && pfd != NULL;
    while (ok && done < cases->n) {
        for (size_t j = 0; j < o->jobs && next < cases->n; j++) {
            if (slots[j].pid != 0)
                continue;
            if (!spawn(&slots[j], cases, next, o)) {
                ok = false;
                break;
            }
            next++;
            running++;
        }
        if (!ok)
            break;
        size_t np = 0;
        bool reaping = false;
        for (size_t j = 0; j < o->jobs; j++) {
            if (slots[j].pid == 0)
                continue;
            if (slots[j].fd >= 0) {
                pfd[np].fd = slots[j].fd;
                pfd[np].events = POLLIN;
                pfd[np].revents = 0;
                np++;
            } else {
                reaping = true;
            }
        }
        int rc = poll(pfd, np, reaping ? 5 : 200);
        if (rc < 0 && errno != EINTR) {
            ei_cli_errorc(EI_EIO, "poll: %s", strerror(errno));
            ok = false;
            break;
        }
        double t = now_s();
        for (size_t j = 0; j < o->jobs; j++) {
            slot_t *sl = &slots[j];
            if (sl->pid == 0)
                continue;
            for (size_t k = 0; k < np; k++) {
                if (pfd[k].fd == sl->fd && sl->fd >= 0 &&
                    (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
                    read_slot(sl);
            }
            int ws = 0;
            pid_t w = waitpid(sl->pid, &ws, WNOHANG);
            if (w == 0 && t - sl->start > o->timeout) {
                kill(sl->pid, SIGKILL);
                sl->timed_out = true;
                w = waitpid(sl->pid, &ws, 0);
            }
            if (w == sl->pid) {
                /* Drain whatever the child wrote before it exited. */
                while (sl->fd >= 0)
                    read_slot(sl);
                size_t idx = sl->idx;
                finish_slot(sl, ws, o->timeout, &res[idx]);
                running--;
                done++;
                if (o->verbose)
                    fprintf(stderr, "[%zu/%zu] %s %s (%.2f s)\n", done, cases->n,
                            res[idx].status == EI_CONF_PASS   ? "pass"
                            : res[idx].status == EI_CONF_SKIP ? "skip"
                                                              : "fail",
                            cases->items[idx].id, res[idx].seconds);
            }
        }
    }
    if (!ok) {
        for (size_t j = 0; slots != NULL && j < o->jobs; j++) {
            if (slots[j].pid != 0) {
                kill(slots[j].pid, SIGKILL);
                waitpid(slots[j].pid, NULL, 0);
                if (slots[j].fd >= 0)
                    close(slots[j].fd);
                free(slots[j].buf);
            }
        }
    }
    free(slots);
    free(pfd);
    return ok;
}

/* The folder part of a case id ("node" in "node/test_add"). */
static void folder_of(const char *id, char *buf, size_t size)
{
    const char *slash = strchr(id, '/');
    size_t n = slash != NULL ? (size_t)(slash - id) : 0;
    if (n >= size)
        n = size - 1;
    memcpy(buf, id, n);
    buf[n] = '\0';
}

typedef struct {
    char name[128];
    size_t passed, failed, skipped;
} folder_count_t;

static bool write_skip_list(const char *path, const ei_conf_cases_t *cases, const result_t *res,
                            const ei_conf_skip_t *skip)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        ei_cli_errorc(EI_EIO, "%s: cannot create: %s", path, strerror(errno));
        return false;
    }
    fputs(
        "# ONNX backend test cases (Debian libonnx-testdata 1.12) that edgeinfer on ONNX Runtime "
        "1.29 does\n"
        "# not pass, one per line: '<folder>/<case>  <category>: <reason>'. Made by\n"
        "# tests/conformance/make_skip_list.sh from a real run, then reviewed entry by entry; see\n"
        "# docs/CONFORMANCE.md. A listed case that fails is counted as skipped; a listed case "
        "that passes\n"
        "# is reported as an unexpected pass (prune it); a failing case not listed is a "
        "failure.\n",
        f);
    for (size_t i = 0; i < cases->n; i++) {
        if (res[i].status == EI_CONF_PASS)
            continue;
        const char *reason = res[i].listed >= 0 ? skip->reasons[res[i].listed] : res[i].why;
        char one[WHY_SIZE];
        snprintf(one, sizeof(one), "%s", reason);
        /* New failures are marked for review; automatic skips carry their category already. */
        if (res[i].listed < 0 && res[i].status == EI_CONF_FAIL)
            snprintf(one, sizeof(one), "UNREVIEWED: %s", res[i].why);
        /* Keep entries on one readable line. */
        if (strlen(one) > 300)
            memcpy(one + 296, "...", 4);
        fprintf(f, "%s  %s\n", cases->items[i].id, one);
    }
    if (fclose(f) != 0) {
        ei_cli_errorc(EI_EIO, "%s: write failed: %s", path, strerror(errno));
        return false;
    }
    return true;
}

static void print_json(const ei_conf_cases_t *cases, const result_t *res,
                       const ei_conf_skip_t *skip, size_t passed, size_t failed, size_t skipped,
                       size_t xpass, double seconds)
{
    json_t *root = json_object();
    json_t *arr = json_array();
    for (size_t i = 0; i < cases->n; i++) {
        const result_t *r = &res[i];
        const char *status = r->status == EI_CONF_PASS
                                 ? (r->listed >= 0 ? "unexpected_pass" : "pass")
                             : r->status == EI_CONF_SKIP ? "skip"
                             : r->listed >= 0            ? "skip"
                                                         : "fail";
        json_t *c = json_object();
        json_object_set_new(c, "case", json_string(cases->items[i].id));
        json_object_set_new(c, "status", json_string(status));
        json_object_set_new(c, "seconds", json_real(r->seconds));
        if (r->status != EI_CONF_PASS)
            json_object_set_new(c, "reason", json_string(r->why));
        if (r->listed >= 0)
            json_object_set_new(c, "skip_list_reason", json_string(skip->reasons[r->listed]));
        json_array_append_new(arr, c);
    }
    json_object_set_new(root, "passed", json_integer((json_int_t)passed));
    json_object_set_new(root, "failed", json_integer((json_int_t)failed));
    json_object_set_new(root, "skipped", json_integer((json_int_t)skipped));
    json_object_set_new(root, "unexpected_passes", json_integer((json_int_t)xpass));
    json_object_set_new(root, "seconds", json_real(seconds));
    json_object_set_new(root, "cases", arr);
    char *s = json_dumps(root, JSON_INDENT(2));
    if (s != NULL)
        printf("%s\n", s);
    free(s);
    json_decref(root);
}

static int run_conformance(int argc, char **argv)
{
    conf_opts_t o = {0, 120, false, false, {1e-3, 1e-7}};
    const char *skip_path = NULL, *write_path = NULL, *filter = NULL;
    const char *custom_ops[16];
    size_t n_custom_ops = 0;
    const char **dirs = calloc((size_t)argc, sizeof(char *));
    size_t n_dirs = 0;
    ei_conf_cases_t cases = {0};
    ei_conf_skip_t skip = {0};
    result_t *res = NULL;
    folder_count_t *folders = NULL;
    int rc = EI_EXIT_FAILURE;
    long long v;

    if (dirs == NULL) {
        ei_cli_errorc(EI_ENOMEM, "out of memory");
        return EI_EXIT_FAILURE;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            rc = EI_EXIT_OK;
            goto out;
        } else if (strcmp(a, "--json") == 0) {
            o.json = true;
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            o.verbose = true;
        } else if (strcmp(a, "--jobs") == 0 || strcmp(a, "-j") == 0) {
            if (!has_val || !ei_cli_parse_int(argv[++i], 1, 1024, &v)) {
                rc = ei_cli_usage_error("conformance", "--jobs needs a number from 1 to 1024");
                goto out;
            }
            o.jobs = (size_t)v;
        } else if (strcmp(a, "--timeout") == 0) {
            double d = 0;
            if (!has_val || !ei_cli_parse_double(argv[++i], &d) || !(d > 0)) {
                rc = ei_cli_usage_error("conformance",
                                        "--timeout needs a positive number of seconds");
                goto out;
            }
            o.timeout = d;
        } else if (strcmp(a, "--rtol") == 0 || strcmp(a, "--atol") == 0) {
            double d = -1;
            if (!has_val || !ei_cli_parse_double(argv[++i], &d) || !(d >= 0)) {
                rc = ei_cli_usage_error("conformance", "%s needs a number >= 0", a);
                goto out;
            }
            if (a[2] == 'r')
                o.tol.rtol = d;
            else
                o.tol.atol = d;
        } else if (strcmp(a, "--custom-op-library") == 0) {
            if (!has_val || argv[i + 1][0] == '\0') {
                rc = ei_cli_usage_error("conformance", "%s needs a library path", a);
                goto out;
            }
            if (n_custom_ops == sizeof(custom_ops) / sizeof(custom_ops[0])) {
                rc = ei_cli_usage_error("conformance", "%s: at most %zu libraries", a,
                                        sizeof(custom_ops) / sizeof(custom_ops[0]));
                goto out;
            }
            custom_ops[n_custom_ops++] = argv[++i];
        } else if (strcmp(a, "--skip-list") == 0 || strcmp(a, "--write-skip-list") == 0 ||
                   strcmp(a, "--filter") == 0) {
            if (!has_val) {
                rc = ei_cli_usage_error("conformance", "%s needs a value", a);
                goto out;
            }
            const char *val = argv[++i];
            if (a[2] == 's')
                skip_path = val;
            else if (a[2] == 'w')
                write_path = val;
            else
                filter = val;
        } else if (a[0] == '-' && a[1] != '\0') {
            rc = ei_cli_usage_error("conformance", "unknown option '%s'", a);
            goto out;
        } else {
            dirs[n_dirs++] = a;
        }
    }
    if (n_dirs == 0) {
        rc = ei_cli_usage_error("conformance", "give at least one test case folder");
        goto out;
    }
    if (o.jobs == 0) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        o.jobs = ncpu > 0 ? (size_t)ncpu : 1;
    }
    ei_error_t err = {0};
    if (skip_path != NULL && !ei_conf_skip_load(skip_path, &skip, &err)) {
        rc = ei_cli_fail(&err, "reading the skip list");
        goto out;
    }
    ei_conf_set_custom_ops(custom_ops, n_custom_ops);
    for (size_t i = 0; i < n_dirs; i++) {
        size_t before = cases.n;
        if (!ei_conf_find_cases(dirs[i], filter, &cases, &err)) {
            rc = ei_cli_fail(&err, "looking for test cases");
            goto out;
        }
        if (cases.n == before) {
            ei_cli_errorc(EI_ENOTFOUND, "%s: no test cases (folders holding model.onnx)%s%s%s",
                          dirs[i], filter != NULL ? " matching '" : "",
                          filter != NULL ? filter : "", filter != NULL ? "'" : "");
            goto out;
        }
    }
    res = calloc(cases.n, sizeof(*res));
    folders = calloc(cases.n, sizeof(*folders));
    if (res == NULL || folders == NULL) {
        ei_cli_errorc(EI_ENOMEM, "out of memory");
        goto out;
    }
    if (o.jobs > cases.n)
        o.jobs = cases.n;
    double t0 = now_s();
    if (!run_all(&cases, &o, res))
        goto out;
    double seconds = now_s() - t0;

    size_t passed = 0, failed = 0, skipped = 0, xpass = 0, n_folders = 0;
    for (size_t i = 0; i < cases.n; i++) {
        result_t *r = &res[i];
        const char *id = cases.items[i].id;
        r->listed = ei_conf_skip_find(&skip, id);
        if (r->listed >= 0)
            skip.used[r->listed] = true;
        char fname[128];
        folder_of(id, fname, sizeof(fname));
        size_t fi = 0;
        while (fi < n_folders && strcmp(folders[fi].name, fname) != 0)
            fi++;
        if (fi == n_folders)
            snprintf(folders[n_folders++].name, sizeof(folders[0].name), "%s", fname);
        folder_count_t *fc = &folders[fi];
        const char *why = r->why != NULL ? r->why : "";
        if (r->status == EI_CONF_PASS) {
            passed++;
            fc->passed++;
            if (r->listed >= 0) {
                xpass++;
                if (!o.json)
                    printf("UNEXPECTED PASS %s (skip list: %s)\n", id, skip.reasons[r->listed]);
            } else if (o.verbose && !o.json) {
                printf("PASS %s (%.2f s)\n", id, r->seconds);
            }
        } else if (r->status == EI_CONF_SKIP || r->listed >= 0) {
            skipped++;
            fc->skipped++;
            if (o.verbose && !o.json) {
                if (r->listed >= 0)
                    printf("SKIP %s: %s [observed: %s]\n", id, skip.reasons[r->listed], why);
                else
                    printf("SKIP %s: %s\n", id, why);
            }
        } else {
            failed++;
            fc->failed++;
            if (!o.json)
                printf("FAIL %s: %s\n", id, why);
        }
    }
    if (write_path != NULL && !write_skip_list(write_path, &cases, res, &skip))
        goto out;
    if (o.json) {
        print_json(&cases, res, &skip, passed, failed, skipped, xpass, seconds);
    } else {
        if (n_folders > 1) {
            for (size_t i = 0; i < n_folders; i++)
                printf("%s: %zu passed, %zu failed, %zu skipped\n", folders[i].name,
                       folders[i].passed, folders[i].failed, folders[i].skipped);
        }
        printf("%zu cases in %.1f s with %zu jobs\n", cases.n, seconds, o.jobs);
    }
    if (xpass > 0)
        ei_cli_warn("%zu case(s) in the skip list passed: remove them from %s", xpass, skip_path);
    if (!o.json)
        printf("%zu passed, %zu failed, %zu skipped\n", passed, failed, skipped);
    rc = failed > 0 ? EI_EXIT_FAILURE : EI_EXIT_OK;
out:
    for (size_t i = 0; res != NULL && i < cases.n; i++)
        if (res[i].why != reason_oom)
            free(res[i].why);
    free(res);
    free(folders);
    ei_conf_cases_free(&cases);
    ei_conf_skip_free(&skip);
    free(dirs);
    return rc;
}

const ei_cli_command_t ei_cli_cmd_conformance = {
    "conformance", run_conformance, "run ONNX backend test cases and compare with their outputs"};
