/* SPDX-License-Identifier: MIT */
/*
 * The model repository: scanning `<repo>/<model>/[config.pbtxt] <version>/model.onnx`, the version
 * policy, loading versions into refcounted ei__model_t (session + completed config + batcher),
 * explicit load/unload, and the poll thread that applies repository changes.
 *
 * Concurrency: one repository mutex guards the table of models and their version slots, and is
 * held only for lookups and for swapping pointers, never while loading. Loads of one model are
 * serialised by that model's own mutex, so a slow load of one model does not block requests to
 * (or loads of) others. A version that is replaced or removed loses the repository's reference;
 * requests in flight keep theirs and finish on it, and the last release frees the session.
 * Changes are detected with a signature of the files (name, size, mtime, inode).
 *
 * Why one file of ~1,100 lines: the model table, the version slots, loading, explicit load/unload
 * and polling all work on the same private entry structures under the same two locks; split, those
 * internals would need a shared header and the locking rules would be spread over several files.
 */
#include "batcher.h"
#include "ei_util.h"
#include "model_repo.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct ei__model {
    _Atomic long refs;
    char *name;
    int64_t version;
    char *log_id; /* "name@version" */
    ei__model_config_t *config;
    ei_session_t *session;
    ei__batcher_t *batcher;
    ei__model_stats_t stats;
    bool counted; /* included in live_models */
    /* A pipeline model (pipeline.h): no session, no batcher; requests go to the repository's
     * pipeline runner, and it is ready only while its stage models are. */
    ei__pipeline_t *pipe;
    ei__repo_t *repo;  /* for the runner; requests only arrive while the repository lives */
    ei__repo_t *owner; /* counted in owner->alive until freed (when `counted`) */
};

typedef struct vslot {
    int64_t version;
    ei__model_t *model; /* the repository's reference; NULL when not ready */
    const char *state;  /* static string */
    char reason[EI_ERROR_MSG_SIZE];
    uint64_t sig; /* files of the last load attempt */
} vslot_t;

typedef struct entry {
    char *name;
    vslot_t *v; /* ascending versions */
    size_t n;
    const char *state; /* model-level state when no version slot exists */
    char reason[EI_ERROR_MSG_SIZE];
    uint64_t last_sig; /* everything seen at the last load attempt; 0 = force */
    bool gone;         /* directory removed: not listed, not found */
    pthread_mutex_t load_lock;
    /* A load request's overrides (Triton's model-repository extension), used by later reloads
     * until a plain load or an unload: the config as JSON, and a private directory holding the
     * model's files when the request gave them. Changed under `lock`, read under `load_lock`. */
    char *ov_json;
    char *ov_dir;
} entry_t;

struct ei__repo {
    ei__repo_opts_t o;
    char *path;
    pthread_mutex_t lock;
    entry_t **e;
    size_t n, cap;
    bool started;
    bool stopping;
    bool polling;
    pthread_t poller;
    pthread_cond_t stop_cond;
    /* Its loaded versions not freed yet (a request may hold one past the repository's own
     * reference): ei__repo_destroy() waits for them, so no session outlives it. */
    pthread_mutex_t alive_mu;
    pthread_cond_t alive_cv;
    long alive;
};

/* Loaded versions alive in the process (held by a repository or a request); for tests/metrics. */
static _Atomic long live_models;

static const char *const ST_READY = "READY", *const ST_UNAVAILABLE = "UNAVAILABLE",
                         *const ST_LOADING = "LOADING";

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(p);
    return 0;
}

/* Removes an override directory and everything in it (NULL: nothing). */
static void drop_override_dir(const char *dir)
{
    if (dir != NULL)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Models ----------------------------------------------------------------------------------------
 */

static void model_free(ei__model_t *m)
{
    if (m == NULL)
        return;
    ei__batcher_destroy(m->batcher);
    ei_session_destroy(m->session);
    ei__pipeline_destroy(m->pipe);
    ei__model_config_destroy(m->config);
    ei__repo_t *owner = m->counted ? m->owner : NULL;
    if (m->counted) {
        atomic_fetch_sub(&live_models, 1);
        EI_LOG(EI_LOG_INFO, "server", "model %s unloaded", m->log_id);
    }
    ei__free(m->name);
    ei__free(m->log_id);
    ei__free(m);
    if (owner != NULL) {
        /* Last: once it is counted out, the repository may go. */
        pthread_mutex_lock(&owner->alive_mu);
        owner->alive--;
        pthread_cond_broadcast(&owner->alive_cv);
        pthread_mutex_unlock(&owner->alive_mu);
    }
}

void ei__model_retain(ei__model_t *m)
{
    atomic_fetch_add(&m->refs, 1);
}

void ei__model_release(ei__model_t *m)
{
    if (m != NULL && atomic_fetch_sub(&m->refs, 1) == 1)
        model_free(m);
}

const char *ei__model_name(const ei__model_t *m)
{
    return m->name;
}

int64_t ei__model_version(const ei__model_t *m)
{
    return m->version;
}

const struct ei__model_config *ei__model_config(const ei__model_t *m)
{
    return m->config;
}

ei_session_t *ei__model_session(const ei__model_t *m)
{
    return m->session;
}

ei__model_stats_t *ei__model_stats(ei__model_t *m)
{
    return &m->stats;
}

const ei__pipeline_t *ei__model_pipeline(const ei__model_t *m)
{
    return m->pipe;
}

void ei__model_record(ei__model_t *m, const ei__infer_req_t *req)
{
    ei__stats_record_request(&m->stats, req, ei__now_ns());
}

long ei__model_live_count(void)
{
    return atomic_load(&live_models);
}

ei_code_t ei__model_submit(ei__model_t *m, ei__infer_req_t *req, ei_error_t *err)
{
    if (m->pipe == NULL)
        return ei__batcher_submit(m->batcher, req, err);
    if (m->repo->o.pipeline_submit == NULL)
        return ei__fail(err, EI_EUNSUPPORTED, "model '%s': pipeline models cannot run here",
                        m->name);
    return m->repo->o.pipeline_submit(m->repo->o.pipeline_ctx, m->repo, m, req, err);
}

/* Formats a path; false when it does not fit (the caller skips or fails that entry). */
static bool fmt_path(char *buf, size_t size, const char *fmt, ...) EI__PRINTF(3, 4);
static bool fmt_path(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < size;
}

/* Files -----------------------------------------------------------------------------------------
 */

static uint64_t mix(uint64_t h, uint64_t v)
{
    /* FNV-1a over the 8 bytes of v: a change detector, not a cryptographic hash. */
    for (int i = 0; i < 8; i++) {
        h ^= (v >> (i * 8)) & 0xffu;
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t mix_str(uint64_t h, const char *s)
{
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t stat_sig(uint64_t h, const struct stat *st)
{
    h = mix(h, (uint64_t)st->st_size);
    h = mix(h, (uint64_t)st->st_mtim.tv_sec);
    h = mix(h, (uint64_t)st->st_mtim.tv_nsec);
    h = mix(h, (uint64_t)st->st_ino);
    return h;
}

/* Signature of the regular files directly in `dir` (and of model.onnx/ when it is a directory). */
static uint64_t dir_files_sig(const char *dir, int depth)
{
    uint64_t h = 0xcbf29ce484222325ull;
    DIR *d = opendir(dir);
    if (d == NULL)
        return h;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char p[4096];
        struct stat st;
        if (!fmt_path(p, sizeof(p), "%s/%s", dir, de->d_name) || stat(p, &st) != 0)
            continue;
        /* readdir order is arbitrary: combine entries order-independently. */
        uint64_t e = mix_str(0xcbf29ce484222325ull, de->d_name);
        if (S_ISREG(st.st_mode))
            h ^= stat_sig(e, &st);
        else if (S_ISDIR(st.st_mode) && depth > 0)
            h ^= mix(e, dir_files_sig(p, depth - 1));
    }
    closedir(d);
    return h;
}

static bool exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/*
 * Signed and encrypted model files (docs/security.md): an absent model.onnx with a model.onnx.enc
 * next to it loads the encrypted file (decrypted in memory with the server's model key); with
 * trusted keys, a file with a signature next to it is checked, and with require_signed a file
 * without one is refused. The checks run inside ei_session_create() on the bytes it loads.
 */
static ei_code_t integrity_opts(ei__repo_t *r, char *path, size_t size, const char *log_id,
                                ei_session_opts_t *so, ei_error_t *err)
{
    char alt[4096], sig[4096];
    if (!exists(path) && fmt_path(alt, sizeof(alt), "%s.enc", path) && exists(alt)) {
        if (ei__strlcpy(path, alt, size) >= size)
            return ei__fail(err, EI_ELIMIT, "model file path too long");
    }
    so->model_key = r->o.model_key;
    if (r->o.trusted_keys == NULL)
        return EI_OK;
    if (!fmt_path(sig, sizeof(sig), "%s.sig", path))
        return ei__fail(err, EI_ELIMIT, "model file path too long");
    if (exists(sig) || r->o.require_signed)
        so->verify_keys = r->o.trusted_keys;
    else
        EI_LOG(EI_LOG_WARN, "server",
               "model %s: no signature; loading it unchecked (--require-signed-models refuses it)",
               log_id);
    return EI_OK;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A version directory name: digits only, no leading 0 (Triton ignores "0", "01" and others). */
static bool version_name(const char *s, int64_t *v)
{
    if (s[0] < '1' || s[0] > '9')
        return false;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
    }
    return ei__parse_i64(s, v);
}

static int cmp_desc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Numeric version directories of a model, newest first. */
static ei_code_t scan_versions(const char *model_dir, int64_t **out, size_t *n, ei_error_t *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(model_dir);
    if (d == NULL)
        return ei__fail(err, EI_ENOENT, "%s: cannot open: %s", model_dir, strerror(errno));
    int64_t *v = NULL;
    size_t cnt = 0, cap = 0;
    struct dirent *de;
    ei_code_t rc = EI_OK;
    while ((de = readdir(d)) != NULL) {
        int64_t x = 0;
        char p[4096];
        if (!version_name(de->d_name, &x))
            continue;
        if (!fmt_path(p, sizeof(p), "%s/%s", model_dir, de->d_name) || !is_dir(p))
            continue;
        if (cnt == cap) {
            cap = cap != 0 ? cap * 2 : 8;
            int64_t *nv = ei__realloc(v, cap * sizeof(int64_t));
            if (nv == NULL) {
                rc = ei__fail(err, EI_ENOMEM, "out of memory");
                break;
            }
            v = nv;
        }
        v[cnt++] = x;
    }
    closedir(d);
    if (rc != EI_OK) {
        ei__free(v);
        return rc;
    }
    if (cnt > 1)
        qsort(v, cnt, sizeof(int64_t), cmp_desc);
    *out = v;
    *n = cnt;
    return EI_OK;
}

/* Keeps the versions the policy allows (in place); returns how many. */
static size_t apply_policy(const ei__model_config_t *c, int64_t *v, size_t n)
{
    if (c->version_policy == EI__VPOLICY_ALL)
        return n;
    if (c->version_policy == EI__VPOLICY_LATEST)
        return n < (size_t)c->num_versions ? n : (size_t)c->num_versions;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < c->n_versions; j++) {
            if (c->versions[j] == v[i]) {
                v[k++] = v[i];
                break;
            }
        }
    }
    return k;
}

/* Loading one version ------------------------------------------------------------------------- */

/*
 * The config's custom-op libraries as paths to load: absolute ones as written, relative ones
 * under the model's folder (so a repository carries its libraries along). NULL when none.
 */
static ei_code_t op_libraries(const ei__model_config_t *c, const char *model_dir, char ***out,
                              ei_error_t *err)
{
    *out = NULL;
    if (c->n_op_libraries == 0)
        return EI_OK;
    char **libs = ei__calloc(c->n_op_libraries, sizeof(*libs));
    if (libs == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    for (size_t i = 0; i < c->n_op_libraries; i++) {
        const char *lib = c->op_libraries[i];
        size_t size = strlen(model_dir) + strlen(lib) + 2;
        libs[i] = ei__malloc(size);
        if (libs[i] == NULL) {
            for (size_t k = 0; k < i; k++)
                ei__free(libs[k]);
            ei__free(libs);
            return ei__fail(err, EI_ENOMEM, "out of memory");
        }
        if (lib[0] == '/')
            snprintf(libs[i], size, "%s", lib);
        else
            snprintf(libs[i], size, "%s/%s", model_dir, lib);
    }
    *out = libs;
    return EI_OK;
}

static ei_code_t load_version(ei__repo_t *r, const char *name, const char *model_dir,
                              const char *ov_json, int64_t version, ei__model_t **out,
                              ei_error_t *err)
{
    *out = NULL;
    ei_code_t rc;
    char path[4096], log_id[512];
    ei_provider_opts_t prov[16];
    char **libs = NULL;
    ei__model_t *m = ei__calloc(1, sizeof(*m));
    if (m == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    atomic_init(&m->refs, 1);
    m->version = version;
    snprintf(log_id, sizeof(log_id), "%s@%lld", name, (long long)version);
    m->name = ei__strdup(name);
    m->log_id = ei__strdup(log_id);
    if (m->name == NULL || m->log_id == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "out of memory");
        goto out;
    }
    /* Quiet: load_model() read this config just before and reported its warnings. */
    rc = ei__model_config_load_from(model_dir, name, ov_json, true, &m->config, err);
    if (rc != EI_OK)
        goto out;
    if (ei__pipeline_config_is(m->config)) {
        /* Config only: the stages are models of their own, checked at each request. */
        m->repo = r;
        rc = ei__pipeline_create(m->config, &m->pipe, err);
        goto out;
    }
    const char *file = m->config->default_model_filename != NULL ? m->config->default_model_filename
                                                                 : "model.onnx";
    if (strchr(file, '/') != NULL || strcmp(file, "..") == 0) {
        rc = ei__fail(err, EI_EFORMAT, "default_model_filename '%s' must be a plain file name",
                      file);
        goto out;
    }
    if (!fmt_path(path, sizeof(path), "%s/%lld/%s", model_dir, (long long)version, file) ||
        (is_dir(path) && /* Triton allows model.onnx/ holding model.onnx plus external data */
         !fmt_path(path, sizeof(path), "%s/%lld/%s/model.onnx", model_dir, (long long)version,
                   file))) {
        rc = ei__fail(err, EI_ELIMIT, "model file path too long");
        goto out;
    }
    ei_session_opts_t so;
    ei_session_opts_init(&so);
    rc = integrity_opts(r, path, sizeof(path), log_id, &so, err);
    if (rc != EI_OK)
        goto out;
    /* A model whose config asks for thread counts gets its own pools; the others share the
     * runtime's global pools when the server made them. */
    bool own_threads = ei__model_config_param(m->config, "intra_op_thread_count") != NULL ||
                       ei__model_config_param(m->config, "inter_op_thread_count") != NULL;
    so.use_global_threads = r->o.use_global_threads && !own_threads;
    if (r->o.use_global_threads && own_threads)
        EI_LOG(EI_LOG_INFO, "server", "model %s: own thread pools (config sets thread counts)",
               log_id);
    so.log_id = m->log_id;
    ei__model_config_session_opts(m->config, &so, prov, sizeof(prov) / sizeof(prov[0]));
    rc = op_libraries(m->config, model_dir, &libs, err);
    if (rc != EI_OK)
        goto out;
    so.custom_op_libraries = (const char *const *)libs;
    so.n_custom_op_libraries = libs != NULL ? m->config->n_op_libraries : 0;
    rc = ei_session_create(path, &so, &m->session, err);
    if (rc != EI_OK)
        goto out;
    rc = ei__model_config_complete(m->config, m->session, r->o.default_max_batch_size, err);
    if (rc != EI_OK)
        goto out;
    rc = ei__model_config_load_labels(m->config, model_dir, err);
    if (rc != EI_OK)
        goto out;
    rc = ei__batcher_create(m->config, m->session, &m->stats, m->log_id, &m->batcher, err);
out:
    if (libs != NULL) {
        for (size_t i = 0; i < m->config->n_op_libraries; i++)
            ei__free(libs[i]);
        ei__free(libs);
    }
    if (rc != EI_OK) {
        ei__error_prefix(err, "model %s", log_id);
        model_free(m);
        return rc;
    }
    m->counted = true;
    m->owner = r;
    atomic_fetch_add(&live_models, 1);
    pthread_mutex_lock(&r->alive_mu);
    r->alive++;
    pthread_mutex_unlock(&r->alive_mu);
    if (m->pipe != NULL)
        EI_LOG(EI_LOG_INFO, "server", "model %s loaded: %s pipeline of %s, %s, %s", m->log_id,
               m->config->platform, m->pipe->stage[EI__STAGE_DET],
               m->pipe->stage[EI__STAGE_CLS] != NULL ? m->pipe->stage[EI__STAGE_CLS] : "(none)",
               m->pipe->stage[EI__STAGE_REC]);
    else
        EI_LOG(EI_LOG_INFO, "server",
               "model %s loaded: max_batch_size=%lld dynamic_batching=%d instances=%d", m->log_id,
               (long long)m->config->max_batch_size, m->config->dynamic_batching ? 1 : 0,
               m->config->instance_count);
    *out = m;
    return EI_OK;
}

/* Entries ---------------------------------------------------------------------------------------
 */

/* Under r->lock. */
static entry_t *find_entry(ei__repo_t *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->e[i]->name, name) == 0)
            return r->e[i];
    }
    return NULL;
}

/* Under r->lock: the newest ready version of an entry, or NULL. */
static ei__model_t *newest_ready(const entry_t *e)
{
    for (size_t i = e->n; i-- > 0;) {
        if (e->v[i].model != NULL)
            return e->v[i].model;
    }
    return NULL;
}

/*
 * Under r->lock: whether pipeline model `m` can run now, i.e. each of its stage models has a
 * ready version and is an ordinary model; if not, why (naming the stage) in `why`.
 */
static bool stages_ready(ei__repo_t *r, const ei__model_t *m, char *why, size_t size)
{
    for (int i = 0; m->pipe != NULL && i < EI__N_STAGES; i++) {
        const char *name = m->pipe->stage[i];
        if (name == NULL)
            continue;
        const entry_t *e = find_entry(r, name);
        const ei__model_t *s = e != NULL && !e->gone ? newest_ready(e) : NULL;
        if (e == NULL || e->gone) {
            snprintf(why, size, "stage model '%.200s' is not in the repository", name);
            return false;
        }
        if (s == NULL) {
            const char *r2 = e->reason;
            for (size_t k = e->n; k-- > 0 && r2[0] == '\0';)
                r2 = e->v[k].reason;
            snprintf(why, size, "stage model '%.200s' is not ready%s%.240s", name,
                     r2[0] != '\0' ? ": " : "", r2);
            return false;
        }
        if (s->pipe != NULL) {
            snprintf(why, size, "stage model '%.200s' is a pipeline itself", name);
            return false;
        }
    }
    return true;
}

/* Under r->lock: finds or adds the entry (entries are never freed before the repository). */
static entry_t *get_entry(ei__repo_t *r, const char *name)
{
    entry_t *e = find_entry(r, name);
    if (e != NULL)
        return e;
    if (r->n == r->cap) {
        size_t cap = r->cap != 0 ? r->cap * 2 : 16;
        entry_t **p = ei__realloc(r->e, cap * sizeof(*p));
        if (p == NULL)
            return NULL;
        r->e = p;
        r->cap = cap;
    }
    e = ei__calloc(1, sizeof(*e));
    if (e == NULL)
        return NULL;
    e->name = ei__strdup(name);
    if (e->name == NULL) {
        ei__free(e);
        return NULL;
    }
    e->state = ST_UNAVAILABLE;
    ei__strlcpy(e->reason, "unloaded", sizeof(e->reason));
    e->gone = true; /* until a load sees its directory */
    pthread_mutex_init(&e->load_lock, NULL);
    r->e[r->n++] = e;
    return e;
}

static vslot_t *find_slot(entry_t *e, int64_t v)
{
    for (size_t i = 0; i < e->n; i++) {
        if (e->v[i].version == v)
            return &e->v[i];
    }
    return NULL;
}

/* A plain name: no path separators, not hidden, not empty. */
static bool model_name_ok(const char *name)
{
    return name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL && strlen(name) < 256;
}

/* Moves every model out of e's slots into `drop` (capacity e->n); returns the count. */
static size_t take_models(entry_t *e, ei__model_t **drop)
{
    size_t k = 0;
    for (size_t i = 0; i < e->n; i++) {
        if (e->v[i].model != NULL)
            drop[k++] = e->v[i].model;
        e->v[i].model = NULL;
    }
    return k;
}

typedef struct attempt {
    int64_t version;
    uint64_t sig;
    ei__model_t *model; /* new model, or NULL when kept or failed */
    bool keep;          /* the loaded model is up to date */
    ei_code_t rc;
    char reason[EI_ERROR_MSG_SIZE];
} attempt_t;

/*
 * Rewrites a message that reaches clients so it does not reveal where the repository lives:
 * "<root>/add/1/model.onnx" becomes "add/1/model.onnx" and a bare "<root>" "the repository".
 */
static void scrub_root(const char *root, char *msg, size_t size)
{
    size_t rl = strlen(root);
    while (rl > 1 && root[rl - 1] == '/')
        rl--;
    if (rl == 0 || size == 0)
        return;
    char out[EI_ERROR_MSG_SIZE * 2];
    size_t o = 0;
    for (const char *p = msg; *p && o + 1 < sizeof(out);) {
        if (strncmp(p, root, rl) == 0) {
            const char *rep = p[rl] == '/' ? "" : "the repository";
            p += rl + (p[rl] == '/' ? 1 : 0);
            size_t n = strlen(rep);
            if (o + n >= sizeof(out))
                break;
            memcpy(out + o, rep, n);
            o += n;
            continue;
        }
        out[o++] = *p++;
    }
    out[o] = '\0';
    ei__strlcpy(msg, out, size);
}

/*
 * (Re)loads one model from disk. `force`: retry even if nothing changed since the last attempt.
 * New and changed versions load without any lock held; then, under the repository lock, the new
 * set is published. If no wanted version ends up ready, the versions that were serving stay (a
 * broken new version keeps the old one), each failure shown as the reason of its version.
 */
static ei_code_t load_model(ei__repo_t *r, const char *name, bool force, ei_error_t *err)
{
    if (name == NULL)
        return ei__fail(err, EI_EINVAL, "no model name given");
    if (!model_name_ok(name))
        return ei__fail(err, EI_EINVAL, "invalid model name '%s'", name);
    char repo_dir[4096];
    if (!fmt_path(repo_dir, sizeof(repo_dir), "%s/%s", r->path, name))
        return ei__fail(err, EI_ELIMIT, "model '%s': repository path too long", name);
    /* Entries live as long as the repository: only a name that is (or was) a model, or one given
     * files by a load request, gets one, so loads of unknown names leave nothing behind. */
    bool exists = is_dir(repo_dir);
    pthread_mutex_lock(&r->lock);
    entry_t *e = exists ? get_entry(r, name) : find_entry(r, name);
    pthread_mutex_unlock(&r->lock);
    if (e == NULL && !exists)
        return ei__fail(err, EI_ENOTFOUND, "model '%s' not found in the repository", name);
    if (e == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");

    pthread_mutex_lock(&e->load_lock);
    ei_code_t rc = EI_OK;
    ei__model_config_t *cfg = NULL;
    int64_t *vers = NULL;
    size_t nv = 0, nwant = 0, ndrop = 0;
    attempt_t *att = NULL;
    ei__model_t **drop = NULL;
    char model_dir[4096];
    const char *ov_json = e->ov_json; /* stable while we hold load_lock */
    if (!fmt_path(model_dir, sizeof(model_dir), "%s/%s", e->ov_dir != NULL ? e->ov_dir : r->path,
                  e->ov_dir != NULL ? "" : name)) {
        pthread_mutex_unlock(&e->load_lock);
        return ei__fail(err, EI_ELIMIT, "model '%s': repository path too long", name);
    }

    if (!is_dir(model_dir)) {
        /* The model left the repository: unload it. */
        pthread_mutex_lock(&r->lock);
        drop = ei__calloc(e->n + 1, sizeof(*drop));
        if (drop != NULL)
            ndrop = take_models(e, drop);
        bool was_known = !e->gone;
        e->n = 0;
        e->gone = true;
        e->last_sig = 0;
        pthread_mutex_unlock(&r->lock);
        if (was_known)
            EI_LOG(EI_LOG_INFO, "server", "model '%s' removed from the repository", name);
        rc = ei__fail(err, EI_ENOTFOUND, "model '%s' not found in the repository", name);
        goto out;
    }
    uint64_t dsig = mix_str(dir_files_sig(model_dir, 0), ov_json != NULL ? ov_json : "");
    rc = scan_versions(model_dir, &vers, &nv, err);
    uint64_t total = dsig;
    for (size_t i = 0; rc == EI_OK && i < nv; i++) {
        char vdir[4200];
        (void)fmt_path(vdir, sizeof(vdir), "%s/%lld", model_dir, (long long)vers[i]);
        total = mix(total, mix((uint64_t)vers[i], dir_files_sig(vdir, 1)));
    }
    if (rc == EI_OK && !force && total == e->last_sig)
        goto out; /* nothing changed since the last attempt */
    if (rc == EI_OK)
        rc = ei__model_config_load_from(model_dir, name, ov_json, false, &cfg, err);
    if (rc != EI_OK) {
        ei__error_prefix(err, "model '%s'", name);
        pthread_mutex_lock(&r->lock);
        e->gone = false;
        e->last_sig = total;
        if (e->n == 0)
            e->state = ST_UNAVAILABLE;
        ei__strlcpy(e->reason, err != NULL ? err->msg : "invalid config", sizeof(e->reason));
        scrub_root(r->path, e->reason, sizeof(e->reason));
        for (size_t i = 0; i < e->n; i++) {
            if (e->v[i].model != NULL)
                snprintf(e->v[i].reason, sizeof(e->v[i].reason),
                         "reload failed, still serving the previous config: %.440s", e->reason);
        }
        pthread_mutex_unlock(&r->lock);
        EI_LOG(EI_LOG_ERROR, "server", "%s", err != NULL ? err->msg : "model config error");
        goto out;
    }
    if (nv == 0 && ei__pipeline_config_is(cfg)) {
        /* A pipeline is its config alone: without version directories it is version 1. */
        ei__free(vers);
        vers = ei__calloc(1, sizeof(*vers));
        if (vers == NULL) {
            rc = ei__fail(err, EI_ENOMEM, "out of memory");
            goto out;
        }
        vers[0] = 1;
        nv = 1;
    }
    nwant = apply_policy(cfg, vers, nv);
    att = ei__calloc(nwant + 1, sizeof(*att));
    if (att == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "out of memory");
        goto out;
    }
    /* Decide what to load, and show new versions as LOADING meanwhile. */
    pthread_mutex_lock(&r->lock);
    e->gone = false;
    for (size_t i = 0; i < nwant; i++) {
        char vdir[4200];
        (void)fmt_path(vdir, sizeof(vdir), "%s/%lld", model_dir, (long long)vers[i]);
        att[i].version = vers[i];
        att[i].sig = mix(dsig, dir_files_sig(vdir, 1));
        vslot_t *s = find_slot(e, vers[i]);
        att[i].keep = s != NULL && s->model != NULL && s->sig == att[i].sig;
        if (s == NULL) {
            vslot_t *p = ei__realloc(e->v, (e->n + 1) * sizeof(*p));
            if (p == NULL)
                continue; /* loaded below anyway; only the LOADING display is lost */
            e->v = p;
            size_t at = e->n;
            while (at > 0 && e->v[at - 1].version > vers[i]) {
                e->v[at] = e->v[at - 1];
                at--;
            }
            memset(&e->v[at], 0, sizeof(e->v[at]));
            e->v[at].version = vers[i];
            e->v[at].state = ST_LOADING;
            e->n++;
        } else if (s->model == NULL) {
            s->state = ST_LOADING;
        }
    }
    pthread_mutex_unlock(&r->lock);

    bool any_ready = false;
    ei_code_t first_rc = EI_OK;
    for (size_t i = 0; i < nwant; i++) {
        if (att[i].keep) {
            any_ready = true;
            continue;
        }
        ei_error_t lerr = {0};
        att[i].rc = load_version(r, name, model_dir, ov_json, att[i].version, &att[i].model, &lerr);
        if (att[i].rc == EI_OK) {
            any_ready = true;
        } else {
            ei__strlcpy(att[i].reason, lerr.msg, sizeof(att[i].reason));
            scrub_root(r->path, att[i].reason, sizeof(att[i].reason));
            EI_LOG(EI_LOG_ERROR, "server", "%s", lerr.msg);
            if (first_rc == EI_OK) {
                first_rc = att[i].rc;
                if (err != NULL)
                    *err = lerr;
            }
        }
    }

    /* Publish. */
    pthread_mutex_lock(&r->lock);
    drop = ei__calloc(e->n + nwant + 1, sizeof(*drop));
    if (drop == NULL) {
        /* Cannot even make the list of models to release: keep everything as it was. */
        for (size_t i = 0; i < nwant; i++) {
            if (att[i].model != NULL) {
                ei__model_release(att[i].model);
                att[i].model = NULL;
            }
        }
        pthread_mutex_unlock(&r->lock);
        rc = ei__fail(err, EI_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nwant; i++) {
        vslot_t *s = find_slot(e, att[i].version);
        if (s == NULL) { /* the slot could not be added above */
            if (att[i].model != NULL)
                drop[ndrop++] = att[i].model;
            continue;
        }
        if (att[i].keep) {
            s->reason[0] = '\0';
            continue;
        }
        s->sig = att[i].sig;
        if (att[i].model != NULL) {
            if (s->model != NULL)
                drop[ndrop++] = s->model;
            s->model = att[i].model;
            s->state = ST_READY;
            s->reason[0] = '\0';
        } else if (s->model != NULL) {
            /* A changed file that fails to load: the old one keeps serving. */
            snprintf(s->reason, sizeof(s->reason),
                     "reload failed, still serving the previous "
                     "files: %.440s",
                     att[i].reason);
        } else {
            s->state = ST_UNAVAILABLE;
            ei__strlcpy(s->reason, att[i].reason, sizeof(s->reason));
        }
    }
    /* Versions no longer wanted: dropped if something wanted is ready, else kept serving. */
    size_t k = 0;
    for (size_t i = 0; i < e->n; i++) {
        bool wanted = false;
        for (size_t j = 0; j < nwant; j++)
            wanted = wanted || e->v[i].version == vers[j];
        if (!wanted && (any_ready || nwant == 0 || e->v[i].model == NULL)) {
            if (e->v[i].model != NULL)
                drop[ndrop++] = e->v[i].model;
            continue;
        }
        if (!wanted)
            snprintf(e->v[i].reason, sizeof(e->v[i].reason),
                     "kept serving: no newer version could be loaded");
        e->v[k++] = e->v[i];
    }
    e->n = k;
    e->state = k > 0 ? ST_READY : ST_UNAVAILABLE;
    if (nwant == 0)
        snprintf(e->reason, sizeof(e->reason),
                 "no version to load for '%.200s' (policy allows none)", name);
    else
        e->reason[0] = '\0';
    e->last_sig = total;
    pthread_mutex_unlock(&r->lock);
    if (nwant == 0 && rc == EI_OK)
        rc = ei__fail(err, EI_ENOTFOUND, "model '%s': no version directory to load", name);
    if (rc == EI_OK)
        rc = first_rc;
out:
    if (rc != EI_OK && err != NULL)
        scrub_root(r->path, err->msg, sizeof(err->msg));
    pthread_mutex_unlock(&e->load_lock);
    /* Outside every lock: a dropped version drains and frees when its last request ends. */
    for (size_t i = 0; i < ndrop; i++)
        ei__model_release(drop[i]);
    ei__free(drop);
    ei__free(att);
    ei__free(vers);
    ei__model_config_destroy(cfg);
    return rc;
}

/*
 * In EXPLICIT mode, loading a pipeline model loads its stage models that are not ready yet, as
 * Triton's loading of an ensemble loads its composing models. A stage that fails keeps its own
 * reason, which the pipeline then shows. (Unloading a pipeline leaves its stages alone.)
 */
static void load_stages(ei__repo_t *r, const char *name)
{
    char stage[EI__N_STAGES][512];
    int n = 0;
    pthread_mutex_lock(&r->lock);
    entry_t *e = r->o.mode == EI__CONTROL_EXPLICIT ? find_entry(r, name) : NULL;
    const ei__model_t *m = e != NULL ? newest_ready(e) : NULL;
    for (int i = 0; m != NULL && m->pipe != NULL && i < EI__N_STAGES; i++) {
        const char *sn = m->pipe->stage[i];
        const entry_t *se = sn != NULL ? find_entry(r, sn) : NULL;
        if (sn != NULL && (se == NULL || se->gone || newest_ready(se) == NULL))
            snprintf(stage[n++], sizeof stage[0], "%s", sn);
    }
    pthread_mutex_unlock(&r->lock);
    for (int i = 0; i < n; i++) {
        ei_error_t err = {0};
        EI_LOG(EI_LOG_INFO, "server", "model '%s': loading its stage model '%s'", name, stage[i]);
        if (load_model(r, stage[i], false, &err) != EI_OK)
            EI_LOG(EI_LOG_ERROR, "server", "model '%s': stage model: %s", name, err.msg);
    }
}

/* Repository ------------------------------------------------------------------------------------
 */

/* Names of the model directories in the repository. */
static ei_code_t list_models(const char *path, char ***out, size_t *n, ei_error_t *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(path);
    if (d == NULL)
        return ei__fail(err, errno == ENOENT ? EI_ENOENT : EI_EIO,
                        "model repository %s: cannot open: %s", path, strerror(errno));
    char **names = NULL;
    size_t cnt = 0, cap = 0;
    ei_code_t rc = EI_OK;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char p[4096];
        if (!model_name_ok(de->d_name))
            continue;
        if (!fmt_path(p, sizeof(p), "%s/%s", path, de->d_name) || !is_dir(p))
            continue;
        if (cnt == cap) {
            cap = cap != 0 ? cap * 2 : 16;
            char **nn = ei__realloc(names, cap * sizeof(char *));
            if (nn == NULL) {
                rc = ei__fail(err, EI_ENOMEM, "out of memory");
                break;
            }
            names = nn;
        }
        names[cnt] = ei__strdup(de->d_name);
        if (names[cnt] == NULL) {
            rc = ei__fail(err, EI_ENOMEM, "out of memory");
            break;
        }
        cnt++;
    }
    closedir(d);
    if (rc != EI_OK) {
        for (size_t i = 0; i < cnt; i++)
            ei__free(names[i]);
        ei__free(names);
        return rc;
    }
    *out = names;
    *n = cnt;
    return EI_OK;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ei__free(names[i]);
    ei__free(names);
}

typedef struct {
    ei__repo_t *r;
    char **names;
    size_t n;
    _Atomic size_t next;
    bool stages; /* load the stage models of pipelines too (EXPLICIT mode, a list of models) */
} startup_t;

static void *startup_main(void *arg)
{
    startup_t *s = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&s->next, 1);
        if (i >= s->n)
            break;
        ei_error_t err = {0};
        /* Load failures are recorded per model (and logged); a name that is not in the
         * repository (a typo in --load-model) has no entry to show, so say it here. */
        if (load_model(s->r, s->names[i], true, &err) == EI_ENOTFOUND)
            EI_LOG(EI_LOG_ERROR, "server", "%s", err.msg);
        if (s->stages)
            load_stages(s->r, s->names[i]);
    }
    return NULL;
}

/* Loads models with up to 4 threads (ONNX Runtime session creation is mostly single-threaded). */
static void load_all(ei__repo_t *r, char **names, size_t n, bool stages)
{
    startup_t s = {r, names, n, 0, stages};
    pthread_t th[3];
    size_t extra = n > 1 ? (n - 1 < 3 ? n - 1 : 3) : 0, started = 0;
    for (size_t i = 0; i < extra; i++) {
        if (pthread_create(&th[started], NULL, startup_main, &s) == 0)
            started++;
    }
    startup_main(&s);
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
}

/* One poll: load new/changed models, unload removed ones. */
static void poll_once(ei__repo_t *r)
{
    char **names = NULL;
    size_t n = 0;
    ei_error_t err = {0};
    if (list_models(r->path, &names, &n, &err) != EI_OK) {
        EI_LOG(EI_LOG_ERROR, "server", "poll: %s", err.msg);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        ei_error_t lerr = {0};
        (void)load_model(r, names[i], false, &lerr);
    }
    /* Models known before but no longer listed. */
    pthread_mutex_lock(&r->lock);
    size_t nk = r->n;
    char **known = ei__calloc(nk + 1, sizeof(char *));
    for (size_t i = 0; known != NULL && i < nk; i++)
        known[i] = r->e[i]->gone ? NULL : ei__strdup(r->e[i]->name);
    pthread_mutex_unlock(&r->lock);
    for (size_t i = 0; known != NULL && i < nk; i++) {
        bool listed = false;
        for (size_t j = 0; known[i] != NULL && j < n; j++)
            listed = listed || strcmp(known[i], names[j]) == 0;
        if (known[i] != NULL && !listed) {
            ei_error_t lerr = {0};
            (void)load_model(r, known[i], true, &lerr); /* sees the directory gone: unloads */
        }
        ei__free(known[i]);
    }
    ei__free(known);
    free_names(names, n);
}

static void *poll_main(void *arg)
{
    ei__repo_t *r = arg;
    int secs = r->o.poll_secs > 0 ? r->o.poll_secs : 15;
    pthread_mutex_lock(&r->lock);
    while (!r->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += secs;
        while (!r->stopping && pthread_cond_timedwait(&r->stop_cond, &r->lock, &ts) != ETIMEDOUT)
            ;
        if (r->stopping)
            break;
        pthread_mutex_unlock(&r->lock);
        poll_once(r);
        pthread_mutex_lock(&r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

ei_code_t ei__repo_create(const ei__repo_opts_t *o, ei__repo_t **out, ei_error_t *err)
{
    *out = NULL;
    if (o == NULL || o->path == NULL)
        return ei__fail(err, EI_EINVAL, "model repository: no path given");
    ei_code_t rc = EI_OK;
    char **names = NULL;
    size_t n = 0;
    bool stages = false;
    ei__repo_t *r = ei__calloc(1, sizeof(*r));
    if (r == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    r->o = *o;
    r->o.load_models = NULL;
    r->o.n_load_models = 0;
    pthread_mutex_init(&r->lock, NULL);
    pthread_mutex_init(&r->alive_mu, NULL);
    pthread_cond_init(&r->alive_cv, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->stop_cond, &ca);
    pthread_condattr_destroy(&ca);
    r->path = ei__strdup(o->path);
    if (r->path == NULL) {
        rc = ei__fail(err, EI_ENOMEM, "out of memory");
        goto out;
    }
    rc = list_models(r->path, &names, &n, err);
    if (rc != EI_OK)
        goto out;
    if (o->mode == EI__CONTROL_EXPLICIT) {
        bool all = false;
        for (size_t i = 0; i < o->n_load_models; i++)
            all = all || strcmp(o->load_models[i], "*") == 0;
        pthread_mutex_lock(&r->lock);
        for (size_t i = 0; i < n; i++) {
            entry_t *e = get_entry(r, names[i]);
            if (e != NULL)
                e->gone = false; /* listed as unloaded */
        }
        pthread_mutex_unlock(&r->lock);
        stages = !all;
        if (!all) {
            free_names(names, n);
            names = NULL;
            n = 0;
            names = ei__calloc(o->n_load_models + 1, sizeof(char *));
            if (names == NULL) {
                rc = ei__fail(err, EI_ENOMEM, "out of memory");
                goto out;
            }
            for (size_t i = 0; i < o->n_load_models; i++) {
                names[i] = ei__strdup(o->load_models[i]);
                if (names[i] == NULL) {
                    rc = ei__fail(err, EI_ENOMEM, "out of memory");
                    goto out;
                }
                n = i + 1;
            }
        }
    }
    load_all(r, names, n, stages);
    r->started = true;
    if (o->mode == EI__CONTROL_POLL) {
        if (pthread_create(&r->poller, NULL, poll_main, r) != 0) {
            rc = ei__fail(err, EI_ERUNTIME, "model repository: cannot start the poll thread");
            goto out;
        }
        r->polling = true;
    }
out:
    free_names(names, n);
    if (rc != EI_OK) {
        ei__repo_destroy(r);
        return rc;
    }
    *out = r;
    return EI_OK;
}

void ei__repo_destroy(ei__repo_t *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    pthread_cond_broadcast(&r->stop_cond);
    pthread_mutex_unlock(&r->lock);
    if (r->polling)
        pthread_join(r->poller, NULL);
    for (size_t i = 0; i < r->n; i++) {
        entry_t *e = r->e[i];
        for (size_t k = 0; k < e->n; k++)
            ei__model_release(e->v[k].model);
        ei__free(e->v);
        pthread_mutex_destroy(&e->load_lock);
        drop_override_dir(e->ov_dir);
        ei__free(e->ov_dir);
        ei__free(e->ov_json);
        ei__free(e->name);
        ei__free(e);
    }
    /* Versions still held by requests go when those end (their last runs, terminated by a
     * stop); a version freed from inside a request's done() finishes on its worker thread. No
     * session may outlive this (the runtime goes next, ei_global_cleanup()): wait for them. */
    pthread_mutex_lock(&r->alive_mu);
    while (r->alive > 0) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 5;
        if (pthread_cond_timedwait(&r->alive_cv, &r->alive_mu, &until) == ETIMEDOUT)
            EI_LOG(EI_LOG_WARN, "server",
                   "waiting for %ld model version(s) to finish their "
                   "last requests",
                   r->alive);
    }
    pthread_mutex_unlock(&r->alive_mu);
    while (!ei__batcher_wait_detached(5000))
        EI_LOG(EI_LOG_WARN, "server", "waiting for models that are finishing their last runs");
    pthread_mutex_destroy(&r->alive_mu);
    pthread_cond_destroy(&r->alive_cv);
    ei__free(r->e);
    ei__free(r->path);
    pthread_cond_destroy(&r->stop_cond);
    pthread_mutex_destroy(&r->lock);
    ei__free(r);
}

size_t ei__repo_entry_count(ei__repo_t *r)
{
    pthread_mutex_lock(&r->lock);
    size_t n = r->n;
    pthread_mutex_unlock(&r->lock);
    return n;
}

bool ei__repo_ready(const ei__repo_t *r)
{
    /* Ready once start-up loading is over (models that failed are UNAVAILABLE, the rest serve). */
    return r != NULL && r->started && !r->stopping;
}

ei_code_t ei__repo_acquire(ei__repo_t *r, const char *name, int64_t version, ei__model_t **out,
                           ei_error_t *err)
{
    *out = NULL;
    if (name == NULL)
        return ei__fail(err, EI_EINVAL, "no model name given");
    ei_code_t rc = EI_OK;
    pthread_mutex_lock(&r->lock);
    entry_t *e = find_entry(r, name);
    if (e == NULL || e->gone) {
        rc = ei__fail(err, EI_ENOTFOUND, "Request for unknown model: '%s' is not found", name);
    } else if (version < 0) {
        for (size_t i = e->n; i-- > 0;) {
            if (e->v[i].model != NULL) {
                *out = e->v[i].model;
                break;
            }
        }
        if (*out == NULL) {
            const char *why = e->reason;
            for (size_t i = e->n; i-- > 0 && why[0] == '\0';)
                why = e->v[i].reason;
            rc = ei__fail(err, EI_EBUSY,
                          "Request for unknown model: '%s' has no available versions%s%s", name,
                          why[0] != '\0' ? ": " : "", why);
        }
    } else {
        vslot_t *s = find_slot(e, version);
        if (s == NULL)
            rc = ei__fail(err, EI_ENOTFOUND,
                          "Request for unknown model: '%s' version %lld is not found", name,
                          (long long)version);
        else if (s->model == NULL)
            rc = ei__fail(err, EI_EBUSY, "model '%s' version %lld is not ready%s%s", name,
                          (long long)version, s->reason[0] != '\0' ? ": " : "", s->reason);
        else
            *out = s->model;
    }
    char why[EI_ERROR_MSG_SIZE];
    if (*out != NULL && !stages_ready(r, *out, why, sizeof why)) {
        rc = ei__fail(err, EI_EBUSY, "model '%s' is not ready: %s", name, why);
        *out = NULL;
    }
    if (*out != NULL)
        atomic_fetch_add(&(*out)->refs, 1);
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* Under r->lock. A pipeline version is READY only while its stage models are. */
static void report_entry(ei__repo_t *r, const entry_t *e, bool ready_only,
                         void (*fn)(const ei__repo_entry_t *e, void *user), void *user)
{
    if (e->n == 0 && !ready_only) {
        ei__repo_entry_t row = {e->name, -1, e->state, e->reason};
        fn(&row, user);
    }
    for (size_t k = 0; k < e->n; k++) {
        const vslot_t *s = &e->v[k];
        const char *state = s->model != NULL ? ST_READY : s->state;
        const char *reason = s->reason;
        char why[EI_ERROR_MSG_SIZE];
        if (s->model != NULL && !stages_ready(r, s->model, why, sizeof why)) {
            state = ST_UNAVAILABLE;
            reason = why;
        }
        if (ready_only && state != ST_READY)
            continue;
        ei__repo_entry_t row = {e->name, s->version, state, reason};
        fn(&row, user);
    }
}

ei_code_t ei__repo_index(ei__repo_t *r, bool ready_only,
                         void (*fn)(const ei__repo_entry_t *e, void *user), void *user,
                         ei_error_t *err)
{
    (void)err;
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->n; i++) {
        if (!r->e[i]->gone)
            report_entry(r, r->e[i], ready_only, fn, user);
    }
    pthread_mutex_unlock(&r->lock);
    return EI_OK;
}

ei_code_t ei__repo_versions(ei__repo_t *r, const char *name,
                            void (*fn)(const ei__repo_entry_t *e, void *user), void *user,
                            ei_error_t *err)
{
    ei_code_t rc = EI_OK;
    if (name == NULL)
        return ei__fail(err, EI_EINVAL, "no model name given");
    pthread_mutex_lock(&r->lock);
    entry_t *e = find_entry(r, name);
    if (e == NULL || e->gone)
        rc = ei__fail(err, EI_ENOTFOUND, "Request for unknown model: '%s' is not found", name);
    else
        report_entry(r, e, false, fn, user);
    pthread_mutex_unlock(&r->lock);
    return rc;
}

ei_code_t ei__repo_load(ei__repo_t *r, const char *name, ei_error_t *err)
{
    return ei__repo_load_with(r, name, NULL, NULL, 0, err);
}

/* Overrides ------------------------------------------------------------------------------------
 */

/*
 * A file override's path: "<version>/<name>[/<name>...]" with a version directory name the
 * repository would load (digits, no leading zero) and no empty, "." or ".." component.
 */
static bool override_path_ok(const char *p)
{
    if (p[0] < '1' || p[0] > '9')
        return false;
    const char *c = p;
    while (*c >= '0' && *c <= '9')
        c++;
    if (*c != '/')
        return false;
    while (*c == '/') {
        const char *s = ++c;
        while (*c != '\0' && *c != '/')
            c++;
        size_t n = (size_t)(c - s);
        if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            return false;
    }
    return *c == '\0';
}

/* Writes the override files into a new private directory (*dir, ei__free'd by the caller). */
static ei_code_t write_override_dir(const char *name, const ei__repo_file_t *files, size_t n,
                                    char **dir, ei_error_t *err)
{
    *dir = NULL;
    const char *tmp = getenv("TMPDIR");
    char base[4096];
    if (!fmt_path(base, sizeof(base), "%s/ei-override-XXXXXX",
                  tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp"))
        return ei__fail(err, EI_ELIMIT, "model '%s': TMPDIR path too long", name);
    if (mkdtemp(base) == NULL)
        return ei__fail(err, EI_EIO,
                        "model '%s': cannot create a directory for the file "
                        "overrides: %s",
                        name, strerror(errno));
    ei_code_t rc = EI_OK;
    for (size_t i = 0; rc == EI_OK && i < n; i++) {
        char p[4096];
        if (!fmt_path(p, sizeof(p), "%s/%s", base, files[i].path)) {
            rc = ei__fail(err, EI_ELIMIT, "file override '%s': path too long", files[i].path);
            break;
        }
        /* Make the directories on the way. */
        for (char *c = p + strlen(base) + 1; *c != '\0'; c++) {
            if (*c == '/') {
                *c = '\0';
                if (mkdir(p, 0700) != 0 && errno != EEXIST)
                    rc = ei__fail(err, EI_EIO, "file override '%s': %s", files[i].path,
                                  strerror(errno));
                *c = '/';
            }
        }
        FILE *f = rc == EI_OK ? fopen(p, "wb") : NULL;
        if (rc == EI_OK && f == NULL)
            rc = ei__fail(err, EI_EIO, "file override '%s': %s", files[i].path, strerror(errno));
        if (f != NULL) {
            bool ok = fwrite(files[i].data, 1, files[i].len, f) == files[i].len;
            ok = fclose(f) == 0 && ok;
            if (!ok)
                rc = ei__fail(err, EI_EIO, "file override '%s': write failed", files[i].path);
        }
    }
    if (rc != EI_OK) {
        drop_override_dir(base);
        return rc;
    }
    *dir = ei__strdup(base);
    if (*dir == NULL) {
        drop_override_dir(base);
        return ei__fail(err, EI_ENOMEM, "out of memory");
    }
    return EI_OK;
}

ei_code_t ei__repo_load_with(ei__repo_t *r, const char *name, const char *config_json,
                             const ei__repo_file_t *files, size_t n_files, ei_error_t *err)
{
    if (r->o.mode != EI__CONTROL_EXPLICIT)
        return ei__fail(err, EI_EUNSUPPORTED,
                        "explicit model load/unload is not allowed in model control mode %s",
                        r->o.mode == EI__CONTROL_POLL ? "poll" : "none");
    if (name == NULL || !model_name_ok(name))
        return ei__fail(err, EI_EINVAL, "invalid model name '%s'", name != NULL ? name : "");
    if (n_files > 0 && config_json == NULL)
        return ei__fail(err, EI_EINVAL,
                        "model '%s': file overrides need the 'config' parameter as well", name);
    for (size_t i = 0; i < n_files; i++) {
        if (!override_path_ok(files[i].path))
            return ei__fail(err, EI_EINVAL,
                            "file override '%s': expected file:<version>/<name> with a version "
                            "number and no '.' or '..' parts",
                            files[i].path);
    }
    char *dir = NULL, *json = NULL;
    ei_code_t rc = n_files > 0 ? write_override_dir(name, files, n_files, &dir, err) : EI_OK;
    if (rc == EI_OK && config_json != NULL && (json = ei__strdup(config_json)) == NULL)
        rc = ei__fail(err, EI_ENOMEM, "out of memory");
    entry_t *e = NULL;
    if (rc == EI_OK) {
        /* Only a model on disk or one given files gets an entry: unknown names leave nothing. */
        char repo_dir[4096];
        bool known = dir != NULL || (fmt_path(repo_dir, sizeof(repo_dir), "%s/%s", r->path, name) &&
                                     is_dir(repo_dir));
        pthread_mutex_lock(&r->lock);
        e = known ? get_entry(r, name) : find_entry(r, name);
        pthread_mutex_unlock(&r->lock);
        if (e == NULL)
            rc = known
                     ? ei__fail(err, EI_ENOMEM, "out of memory")
                     : ei__fail(err, EI_ENOTFOUND, "model '%s' not found in the repository", name);
    }
    if (rc != EI_OK) {
        drop_override_dir(dir);
        ei__free(dir);
        ei__free(json);
        return rc;
    }
    /* Swap the overrides in (a plain load clears them: Triton reloads from the repository). */
    pthread_mutex_lock(&e->load_lock);
    char *old_json = e->ov_json, *old_dir = e->ov_dir;
    pthread_mutex_lock(&r->lock);
    e->ov_json = json;
    e->ov_dir = dir;
    pthread_mutex_unlock(&r->lock);
    pthread_mutex_unlock(&e->load_lock);
    rc = load_model(r, name, true, err);
    if (rc == EI_OK)
        load_stages(r, name);
    pthread_mutex_lock(&e->load_lock);
    if (rc != EI_OK && e->ov_json == json && e->ov_dir == dir && (json != NULL || dir != NULL)) {
        /* The failed overrides go; what was serving keeps its own. */
        pthread_mutex_lock(&r->lock);
        e->ov_json = old_json;
        e->ov_dir = old_dir;
        pthread_mutex_unlock(&r->lock);
        old_json = json;
        old_dir = dir;
    }
    pthread_mutex_unlock(&e->load_lock);
    drop_override_dir(old_dir);
    ei__free(old_dir);
    ei__free(old_json);
    return rc;
}

ei_code_t ei__repo_unload(ei__repo_t *r, const char *name, ei_error_t *err)
{
    if (r->o.mode != EI__CONTROL_EXPLICIT)
        return ei__fail(err, EI_EUNSUPPORTED,
                        "explicit model load/unload is not allowed in model control mode %s",
                        r->o.mode == EI__CONTROL_POLL ? "poll" : "none");
    if (name == NULL)
        return ei__fail(err, EI_EINVAL, "no model name given");
    pthread_mutex_lock(&r->lock);
    entry_t *e = find_entry(r, name);
    pthread_mutex_unlock(&r->lock);
    if (e == NULL || e->gone)
        return ei__fail(err, EI_ENOTFOUND, "Request for unknown model: '%s' is not found", name);
    pthread_mutex_lock(&e->load_lock);
    char *old_json = e->ov_json, *old_dir = e->ov_dir;
    e->ov_json = NULL;
    e->ov_dir = NULL;
    drop_override_dir(old_dir);
    ei__free(old_dir);
    ei__free(old_json);
    pthread_mutex_lock(&r->lock);
    ei__model_t **drop = ei__calloc(e->n + 1, sizeof(*drop));
    size_t ndrop = 0;
    if (drop != NULL) {
        ndrop = take_models(e, drop);
        e->n = 0;
        e->state = ST_UNAVAILABLE;
        ei__strlcpy(e->reason, "unloaded", sizeof(e->reason));
        e->last_sig = 0;
    }
    pthread_mutex_unlock(&r->lock);
    pthread_mutex_unlock(&e->load_lock);
    for (size_t i = 0; i < ndrop; i++)
        ei__model_release(drop[i]);
    ei__free(drop);
    if (drop == NULL)
        return ei__fail(err, EI_ENOMEM, "out of memory");
    EI_LOG(EI_LOG_INFO, "server", "model '%s' unloaded (%zu versions draining)", name, ndrop);
    return EI_OK;
}

void ei__repo_foreach(ei__repo_t *r, void (*fn)(ei__model_t *m, void *user), void *user)
{
    pthread_mutex_lock(&r->lock);
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->e[i]->n;
    ei__model_t **ms = ei__calloc(n + 1, sizeof(*ms));
    size_t k = 0;
    for (size_t i = 0; ms != NULL && i < r->n; i++) {
        for (size_t j = 0; j < r->e[i]->n; j++) {
            ei__model_t *m = r->e[i]->v[j].model;
            if (m != NULL) {
                atomic_fetch_add(&m->refs, 1);
                ms[k++] = m;
            }
        }
    }
    pthread_mutex_unlock(&r->lock);
    for (size_t i = 0; i < k; i++) {
        fn(ms[i], user);
        ei__model_release(ms[i]);
    }
    ei__free(ms);
}
