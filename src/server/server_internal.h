/* SPDX-License-Identifier: MIT */
/*
 * The server object (include/edgeinfer/server.h): the top of src/server. It owns the options, the
 * protocol-neutral v2 core (v2/v2_core.h: repository, shared memory, drain gate) and the
 * front-ends that drive it (http/http.h with the route tables of http/rest.h; grpc/grpc_frontend.h
 * when built with gRPC), and starts and
 * stops them in order. Nothing below includes this header.
 */
#ifndef EI_SERVER_INTERNAL_H
#define EI_SERVER_INTERNAL_H

#include "http.h"
#include "v2_core.h"
#ifdef EI_HAVE_GRPC
#include "grpc_frontend.h"
#endif

#include <edgeinfer/server.h>
#include <pthread.h>
#include <stdbool.h>

struct ei_server {
    ei_server_opts_t o; /* strings below are owned copies */
    char *repo_path;
    char *address;
    char *cors_origins;  /* owned copy of o.cors_allow_origins */
    char *allowed_hosts; /* owned copy of o.allowed_hosts */
    char **load_models;
    ei__v2_core_t core;
    ei__http_t http;
    /* Security objects the front-ends and the repository use (core.auth and core.tls too). */
    ei_keyring_t *trusted_keys;
    ei_model_key_t *model_key;
#ifdef EI_HAVE_GRPC
    ei__grpc_t grpc;
#endif
    char *grpc_address;
    bool started, stopped;
    bool late_unanswered; /* cancelled requests' models never answered: never free (see stop) */
    /* Start-up loading, on `loader` once the ports are bound. */
    pthread_t loader;
    bool loader_started, loader_joined, loaded;
    pthread_mutex_t load_mu;
    pthread_cond_t load_cv;
    ei_code_t load_rc;
    ei_error_t load_err;
};

#endif
