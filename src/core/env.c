/* SPDX-License-Identifier: MIT */
/*
 * The process-wide runtime: the OrtApi table, the one OrtEnv (with ORT's log lines routed to our
 * sink, and optional global thread pools), the CPU memory info and the provider list.
 *
 * ei__env() creates everything with defaults on first use, under a mutex, so library calls work
 * without an explicit ei_global_init(); ei_global_init() just gets there first with options.
 */
#include "core_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

const OrtApi *ei__ort;

static pthread_mutex_t env_lock = PTHREAD_MUTEX_INITIALIZER;
static OrtEnv *env;
static OrtMemoryInfo *cpu_meminfo;
static ei_global_opts_t env_opts;
static bool run_arena;               /* the shared CPU arena (run_memory_limit) is registered */
static OrtAllocator *run_arena_view; /* a session's handle on it, for its statistics */
static _Atomic uint64_t run_arena_failures;
static _Atomic bool run_arena_shrink; /* the next run gives the arena's free regions back */
static const char **providers;        /* short names, static strings */
static size_t n_providers;

static const struct {
    const char *short_name;
    const char *long_name;
} provider_names[] = {
    {"cpu", "CPUExecutionProvider"},
    {"cuda", "CUDAExecutionProvider"},
    {"tensorrt", "TensorrtExecutionProvider"},
    {"openvino", "OpenVINOExecutionProvider"},
    {"coreml", "CoreMLExecutionProvider"},
    {"rocm", "ROCMExecutionProvider"},
    {"migraphx", "MIGraphXExecutionProvider"},
    {"dml", "DmlExecutionProvider"},
    {"xnnpack", "XnnpackExecutionProvider"},
    {"qnn", "QNNExecutionProvider"},
    {"dnnl", "DnnlExecutionProvider"},
    {"nnapi", "NnapiExecutionProvider"},
    {"acl", "ACLExecutionProvider"},
    {"armnn", "ArmNNExecutionProvider"},
    {"cann", "CANNExecutionProvider"},
    {"azure", "AzureExecutionProvider"},
    {"webgpu", "WebGpuExecutionProvider"},
    {"vitisai", "VitisAIExecutionProvider"},
    {"snpe", "SNPEExecutionProvider"},
    {"nv_tensorrt_rtx", "NvTensorRTRTXExecutionProvider"},
};

const char *ei__provider_long_name(const char *short_name)
{
    for (size_t i = 0; i < sizeof(provider_names) / sizeof(provider_names[0]); i++) {
        if (strcmp(short_name, provider_names[i].short_name) == 0 ||
            strcmp(short_name, provider_names[i].long_name) == 0)
            return provider_names[i].long_name;
    }
    return NULL;
}

const char *ei__provider_short_name(const char *long_name)
{
    for (size_t i = 0; i < sizeof(provider_names) / sizeof(provider_names[0]); i++) {
        if (strcmp(long_name, provider_names[i].long_name) == 0)
            return provider_names[i].short_name;
    }
    return NULL;
}

void ei_global_opts_init(ei_global_opts_t *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->ort_log_level = EI_LOG_WARN;
}

static ei_log_level_t from_ort_level(OrtLoggingLevel l)
{
    switch (l) {
    case ORT_LOGGING_LEVEL_VERBOSE:
        return EI_LOG_DEBUG;
    case ORT_LOGGING_LEVEL_INFO:
        return EI_LOG_INFO;
    case ORT_LOGGING_LEVEL_WARNING:
        return EI_LOG_WARN;
    default:
        return EI_LOG_ERROR;
    }
}

static OrtLoggingLevel to_ort_level(ei_log_level_t l)
{
    switch (l) {
    case EI_LOG_DEBUG:
        return ORT_LOGGING_LEVEL_VERBOSE;
    case EI_LOG_INFO:
        return ORT_LOGGING_LEVEL_INFO;
    case EI_LOG_WARN:
        return ORT_LOGGING_LEVEL_WARNING;
    case EI_LOG_ERROR:
        return ORT_LOGGING_LEVEL_ERROR;
    case EI_LOG_OFF:
        return ORT_LOGGING_LEVEL_FATAL;
    }
    return ORT_LOGGING_LEVEL_WARNING;
}

static void ort_logger(void *param, OrtLoggingLevel severity, const char *category,
                       const char *logid, const char *code_location, const char *message)
{
    (void)param;
    (void)category;
    (void)code_location;
    /*
     * ONNX Runtime logs at ERROR the very failure it then returns as a status (a kernel that
     * failed, a session that did not initialise), and that status reaches the caller's ei_error_t,
     * which is where it gets reported, once. Its ERROR lines are debug detail here.
     */
    ei_log_level_t level =
        severity == ORT_LOGGING_LEVEL_ERROR ? EI_LOG_DEBUG : from_ort_level(severity);
    if (!ei__log_enabled(level))
        return;
    char msg[EI_ERROR_MSG_SIZE];
    ei__strlcpy(msg, message != NULL ? message : "", sizeof(msg));
    ei__ort_words(msg);
    EI_LOG(level, "ort", "%s%s%s", logid && *logid ? logid : "", logid && *logid ? ": " : "", msg);
}

/* Fills the provider list from ORT's GetAvailableProviders; called with env_lock held. */
static ei_code_t load_providers(ei_error_t *err)
{
    char **list = NULL;
    int n = 0;
    ei_code_t rc = ei__ort_check(ei__ort->GetAvailableProviders(&list, &n), err);
    if (rc != EI_OK)
        return rc;
    providers = ei__calloc((size_t)n + 1, sizeof(*providers));
    if (providers == NULL) {
        ei__ort_check(ei__ort->ReleaseAvailableProviders(list, n), NULL);
        return ei__fail(err, EI_ENOMEM, "out of memory listing providers");
    }
    n_providers = 0;
    for (int i = 0; i < n; i++) {
        const char *s = ei__provider_short_name(list[i]);
        if (s == NULL) {
            /* An unknown provider: keep ORT's name so users can still see and request it. */
            s = ei__strdup(list[i]);
            if (s == NULL)
                continue;
            EI_LOG(EI_LOG_DEBUG, "core", "unknown provider name '%s'", list[i]);
            /* Leaked on purpose only if cleanup is never called; freed in ei_global_cleanup. */
        }
        providers[n_providers++] = s;
    }
    ei__ort_check(ei__ort->ReleaseAvailableProviders(list, n), NULL);
    return EI_OK;
}

static bool is_static_provider_name(const char *s)
{
    for (size_t i = 0; i < sizeof(provider_names) / sizeof(provider_names[0]); i++) {
        if (s == provider_names[i].short_name)
            return true;
    }
    return false;
}

/*
 * The run-memory bound: one CPU arena registered with the env, limited to `limit` bytes
 * ("max_mem"), which sessions use instead of their own (session.use_env_allocators, set in
 * session.c). ONNX Runtime's arena refuses to grow past max_mem and the kernel asking for more
 * fails ("Available memory of N is smaller than requested bytes of M"), which ends the run.
 * Arenas grow by powers of two; the last extension is cut to what the limit leaves.
 */
static ei_code_t create_run_arena(size_t limit, ei_error_t *err)
{
    const char *keys[] = {"max_mem", "arena_extend_strategy"};
    size_t values[] = {limit, 0 /* kNextPowerOfTwo */};
    OrtArenaCfg *cfg = NULL;
    ei_code_t rc = ei__ort_check(ei__ort->CreateArenaCfgV2(keys, values, 2, &cfg), err);
    if (rc == EI_OK)
        rc = ei__ort_check(ei__ort->CreateAndRegisterAllocator(env, cpu_meminfo, cfg), err);
    if (cfg != NULL)
        ei__ort->ReleaseArenaCfg(cfg);
    if (rc != EI_OK)
        ei__error_prefix(err, "creating the run-memory arena (%zu bytes)", limit);
    run_arena = rc == EI_OK;
    return rc;
}

/* Creates the env with `opts`; called with env_lock held and env == NULL. */
static ei_code_t create_env(const ei_global_opts_t *opts, ei_error_t *err)
{
    const OrtApiBase *base = OrtGetApiBase();
    ei__ort = base->GetApi(ORT_API_VERSION);
    if (ei__ort == NULL)
        return ei__fail(err, EI_EUNSUPPORTED,
                        "ONNX Runtime %s does not provide C API version %d (edgeinfer was built "
                        "against a newer ONNX Runtime)",
                        base->GetVersionString(), ORT_API_VERSION);
    OrtLoggingLevel level = to_ort_level(opts->ort_log_level);
    OrtStatus *st;
    /*
     * ONNX Runtime's POSIX telemetry matches std::regex patterns against the process command line
     * while the environment is created, and libstdc++'s regex recurses per character: a long
     * command line (`edgeinfer classify` with a few hundred absolute image paths) overflows the
     * stack inside CreateEnv. Nothing is sent on Linux anyway; opting out skips the regexes. A
     * value the user set is left alone.
     */
    setenv("ORT_DISABLE_TELEMETRY", "1", 0);
    if (opts->global_thread_pools) {
        OrtThreadingOptions *tp = NULL;
        ei_code_t rc = ei__ort_check(ei__ort->CreateThreadingOptions(&tp), err);
        if (rc != EI_OK)
            return rc;
        st = ei__ort->SetGlobalIntraOpNumThreads(tp, opts->global_intra_threads);
        if (st == NULL)
            st = ei__ort->SetGlobalInterOpNumThreads(tp, opts->global_inter_threads);
        if (st == NULL)
            st = ei__ort->CreateEnvWithCustomLoggerAndGlobalThreadPools(ort_logger, NULL, level,
                                                                        "edgeinfer", tp, &env);
        ei__ort->ReleaseThreadingOptions(tp);
    } else {
        st = ei__ort->CreateEnvWithCustomLogger(ort_logger, NULL, level, "edgeinfer", &env);
    }
    ei_code_t rc = ei__ort_check(st, err);
    if (rc != EI_OK) {
        env = NULL;
        ei__error_prefix(err, "creating the ONNX Runtime environment");
        return rc;
    }
    rc = ei__ort_check(
        ei__ort->CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &cpu_meminfo), err);
    if (rc == EI_OK && opts->run_memory_limit > 0)
        rc = create_run_arena(opts->run_memory_limit, err);
    if (rc == EI_OK)
        rc = load_providers(err);
    if (rc != EI_OK) {
        if (cpu_meminfo != NULL)
            ei__ort->ReleaseMemoryInfo(cpu_meminfo);
        run_arena = false;
        cpu_meminfo = NULL;
        ei__ort->ReleaseEnv(env);
        env = NULL;
        return rc;
    }
    env_opts = *opts;
    EI_LOG(EI_LOG_DEBUG, "core", "ONNX Runtime %s ready (%zu providers)", base->GetVersionString(),
           n_providers);
    return EI_OK;
}

ei_code_t ei_global_init(const ei_global_opts_t *opts, ei_error_t *err)
{
    ei_global_opts_t defaults;
    if (opts == NULL) {
        ei_global_opts_init(&defaults);
        opts = &defaults;
    }
    pthread_mutex_lock(&env_lock);
    ei_code_t rc = EI_OK;
    if (env == NULL) {
        rc = create_env(opts, err);
    } else if (opts->global_thread_pools != env_opts.global_thread_pools ||
               (opts->global_thread_pools &&
                (opts->global_intra_threads != env_opts.global_intra_threads ||
                 opts->global_inter_threads != env_opts.global_inter_threads))) {
        rc = ei__fail(err, EI_EBUSY,
                      "the runtime is already initialised with other thread-pool settings");
    } else if (opts->run_memory_limit != env_opts.run_memory_limit) {
        rc = ei__fail(err, EI_EBUSY,
                      "the runtime is already initialised with another run-memory limit");
    }
    pthread_mutex_unlock(&env_lock);
    return rc;
}

OrtEnv *ei__env(ei_error_t *err)
{
    pthread_mutex_lock(&env_lock);
    if (env == NULL) {
        ei_global_opts_t d;
        ei_global_opts_init(&d);
        if (create_env(&d, err) != EI_OK) {
            pthread_mutex_unlock(&env_lock);
            return NULL;
        }
    }
    OrtEnv *e = env;
    pthread_mutex_unlock(&env_lock);
    return e;
}

bool ei__env_global_threads(void)
{
    return env != NULL && env_opts.global_thread_pools;
}

const OrtMemoryInfo *ei__cpu_meminfo(void)
{
    return cpu_meminfo;
}

size_t ei__env_run_memory_limit(void)
{
    return run_arena ? env_opts.run_memory_limit : 0;
}

void ei__env_run_memory_refused(void)
{
    atomic_fetch_add(&run_arena_failures, 1);
    atomic_store(&run_arena_shrink, true);
}

bool ei__env_run_memory_take_shrink(void)
{
    return atomic_load_explicit(&run_arena_shrink, memory_order_relaxed) &&
           atomic_exchange(&run_arena_shrink, false);
}

/*
 * The allocator ORT hands out for the env's shared arena (GetSharedAllocator) reports no
 * statistics; one made from a session that uses it (CreateAllocator) does, and keeps the arena
 * alive on its own, so the first such session lends one until ei_global_cleanup().
 */
void ei__env_run_memory_watch(OrtSession *sess)
{
    pthread_mutex_lock(&env_lock);
    if (run_arena && run_arena_view == NULL &&
        ei__ort->CreateAllocator(sess, cpu_meminfo, &run_arena_view) != NULL)
        run_arena_view = NULL;
    pthread_mutex_unlock(&env_lock);
}

/* One of the arena's statistics (ORT's names: Limit, InUse, TotalAllocated, MaxInUse...). */
static size_t stat_value(const OrtKeyValuePairs *kv, const char *key)
{
    const char *v = ei__ort->GetKeyValue(kv, key);
    return v != NULL ? (size_t)strtoull(v, NULL, 10) : 0;
}

void ei_run_memory_stats(ei_run_memory_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&env_lock);
    if (run_arena) {
        out->limit = env_opts.run_memory_limit;
        out->failures = atomic_load(&run_arena_failures);
        OrtKeyValuePairs *kv = NULL;
        if (run_arena_view != NULL && ei__ort->AllocatorGetStats(run_arena_view, &kv) == NULL &&
            kv != NULL) {
            out->reserved = stat_value(kv, "TotalAllocated");
            out->in_use = stat_value(kv, "InUse");
            out->max_in_use = stat_value(kv, "MaxInUse");
            ei__ort->ReleaseKeyValuePairs(kv);
        }
    }
    pthread_mutex_unlock(&env_lock);
}

void ei_global_cleanup(void)
{
    pthread_mutex_lock(&env_lock);
    if (env != NULL) {
        for (size_t i = 0; i < n_providers; i++) {
            if (!is_static_provider_name(providers[i]))
                ei__free((void *)providers[i]);
        }
        ei__free(providers);
        providers = NULL;
        n_providers = 0;
        if (run_arena_view != NULL)
            ei__ort->ReleaseAllocator(run_arena_view);
        run_arena_view = NULL;
        run_arena = false; /* the arena goes with the env */
        atomic_store(&run_arena_failures, 0);
        atomic_store(&run_arena_shrink, false);
        ei__ort->ReleaseMemoryInfo(cpu_meminfo);
        cpu_meminfo = NULL;
        ei__ort->ReleaseEnv(env);
        env = NULL;
    }
    pthread_mutex_unlock(&env_lock);
}

const char *ei_ort_version(void)
{
    return OrtGetApiBase()->GetVersionString();
}

size_t ei_providers_available(const char **names, size_t cap)
{
    if (ei__env(NULL) == NULL)
        return 0;
    for (size_t i = 0; i < n_providers && i < cap; i++)
        names[i] = providers[i];
    return n_providers;
}

bool ei_provider_available(const char *name)
{
    if (name == NULL || ei__env(NULL) == NULL)
        return false;
    /* Accept both "cuda" and "CUDAExecutionProvider". */
    const char *short_name = ei__provider_short_name(name);
    if (short_name == NULL)
        short_name = name;
    for (size_t i = 0; i < n_providers; i++) {
        if (strcmp(providers[i], short_name) == 0)
            return true;
    }
    return false;
}
