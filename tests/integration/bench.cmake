# SPDX-License-Identifier: MIT
# `edgeinfer bench` on the bundled PP-OCR classifier (a sub-millisecond model, so these stay fast):
# the text report with --iterations and --duration, the --json report checked field by field by
# Python's json module (counts equal to the iterations, min <= median <= max, ...), and the bad
# paths with their exit codes and messages. Nothing here asserts on timing values: only on their
# presence, their order and the counts. The checker is generated into the build folder so the
# test lives in this one file; it exits 77 (skipped) when the model is missing.
set(EI_BENCH_CHECK ${CMAKE_CURRENT_BINARY_DIR}/bench_check.py)
file(WRITE ${EI_BENCH_CHECK} [=[
import json, os, re, subprocess, sys

# usage: bench_check.py run RC REGEX -- ARGS...   (run `edgeinfer bench ARGS`, check rc and output)
#        bench_check.py json ITER|- -- ARGS...     (run with --json, check the report's fields)
mode, a1, a2 = sys.argv[1], sys.argv[2], sys.argv[3]
rest = sys.argv[sys.argv.index("--") + 1:]
model = os.path.join(os.environ["EI_MODELS"], "ppocr", "cls.onnx")
if not os.path.exists(model):
    print(f"skip: {model} missing"); sys.exit(77)
args = [a.replace("@CLS@", model) for a in rest]
p = subprocess.run([os.environ["EI_BIN"], "bench"] + args, capture_output=True, text=True,
                   timeout=240)
out = p.stdout + p.stderr
print(out)

def fail(msg):
    print("FAIL:", msg); sys.exit(1)

if mode == "run":
    if p.returncode != int(a1):
        fail(f"exit status {p.returncode}, expected {a1}")
    if not re.search(a2, out, re.M):
        fail(f"output lacks /{a2}/")
    if "AddressSanitizer" in out or "runtime error" in out:
        fail("sanitizer report")
    sys.exit(0)

if p.returncode != 0:
    fail(f"exit status {p.returncode}")
r = json.loads(p.stdout)
for k in ("tool", "model", "onnxruntime", "settings", "session_creation_ms", "first_run_ms", "runs",
          "items", "wall_s", "latency_ms", "throughput", "peak_rss_bytes"):
    if k not in r:
        fail(f"missing key '{k}'")
lat, s, thr = r["latency_ms"], r["settings"], r["throughput"]
order = ["min", "median", "p90", "p95", "p99", "max"]
for k in order + ["mean", "stddev"]:
    if not isinstance(lat.get(k), (int, float)) or lat[k] < 0:
        fail(f"latency_ms.{k} = {lat.get(k)!r}")
for x, y in zip(order, order[1:]):
    if lat[x] > lat[y]:
        fail(f"latency_ms.{x} {lat[x]} > {y} {lat[y]}")
if not lat["min"] <= lat["mean"] <= lat["max"] or lat["min"] <= 0:
    fail(f"mean {lat['mean']} outside [min {lat['min']}, max {lat['max']}] or min not > 0")
if a1 != "-":
    if r["runs"] != int(a1) or s["iterations"] != int(a1) or s["duration_s"] is not None:
        fail(f"runs {r['runs']} / settings.iterations {s['iterations']}, expected {a1}")
else:
    if not r["runs"] >= 1 or s["iterations"] is not None or not s["duration_s"] > 0:
        fail(f"duration run: runs {r['runs']}, settings {s}")
    if r["wall_s"] < s["duration_s"]:
        fail(f"wall_s {r['wall_s']} < duration {s['duration_s']}")
if r["items"] != r["runs"] * s["batch"]:
    fail(f"items {r['items']} != runs {r['runs']} x batch {s['batch']}")
if s["batch"] != int(a2):
    fail(f"settings.batch {s['batch']}, expected {a2}")
if s["inputs"][0]["shape"][0] != int(a2):
    fail(f"input shape {s['inputs'][0]['shape']} does not carry batch {a2}")
if s["providers"][-1] != "cpu" or not r["peak_rss_bytes"] > 1 << 20:
    fail(f"providers {s['providers']} / peak_rss_bytes {r['peak_rss_bytes']}")
if not thr["runs_per_s"] > 0 or abs(thr["items_per_s"] - thr["runs_per_s"] * s["batch"]) > 1e-6 * thr["items_per_s"]:
    fail(f"throughput {thr}")
if abs(thr["runs_per_s"] * r["wall_s"] - r["runs"]) > 1e-6 * r["runs"] + 1e-9:
    fail(f"runs_per_s {thr['runs_per_s']} x wall_s {r['wall_s']} != runs {r['runs']}")
if not r["session_creation_ms"] > 0 or not r["first_run_ms"] > 0:
    fail("session creation / first run times missing")
print("ok")
]=])

set(EI_CLS_DIMS --dim p2o.DynamicDimension.1=48 --dim p2o.DynamicDimension.2=192)
set(EI_BENCH_CHECK_CMD /usr/bin/python3 ${EI_BENCH_CHECK})
function(ei_bench_test name)
  add_test(NAME bench_${name} COMMAND ${EI_BENCH_CHECK_CMD} ${ARGN})
  set_tests_properties(bench_${name} PROPERTIES LABELS integration ENVIRONMENT "${EI_TEST_ENV}"
                       SKIP_RETURN_CODE 77 TIMEOUT 300)
endfunction()

# Good paths.
ei_bench_test(iterations run 0 "^measured runs: +20 in .*\n^latency \\(ms\\): +min .* median .* p99 .* max"
              -- @CLS@ --iterations 20 --warmup 2 --threads 1 ${EI_CLS_DIMS})
ei_bench_test(duration run 0 "duration 0\\.500 s\n(.|\n)*^throughput: +[0-9.]+ runs/s, [0-9.]+ items/s"
              -- @CLS@ --duration 0.5 --threads 1 ${EI_CLS_DIMS})
ei_bench_test(json json 20 1 -- @CLS@ --iterations 20 --json ${EI_CLS_DIMS})
ei_bench_test(json_duration json - 1 -- @CLS@ --duration 0.3 --json --warmup 0)
ei_bench_test(json_batch json 7 3 -- @CLS@ --iterations 7 --batch 3 --json ${EI_CLS_DIMS})
ei_bench_test(help run 0 "^usage: edgeinfer bench MODEL" -- --help)

# Bad paths: usage errors exit 2, failures exit 1, each message naming what was wrong.
ei_bench_test(missing_model run 1 "error: .*/no/such/model\\.onnx.*\\[EI_ENOENT\\]"
              -- ${CMAKE_CURRENT_BINARY_DIR}/no/such/model.onnx --iterations 3)
ei_bench_test(not_a_model run 1 "error: .*\\[EI_EMODEL\\]" -- ${EI_BENCH_CHECK} --iterations 3)
ei_bench_test(no_model run 2 "missing MODEL" -- --iterations 3)
ei_bench_test(zero_iterations run 2 "--iterations: expected .* got '0'" -- @CLS@ --iterations 0)
ei_bench_test(negative_batch run 2 "--batch: expected .* got '-1'" -- @CLS@ --batch -1)
ei_bench_test(bad_duration run 2 "--duration: expected .* got 'abc'" -- @CLS@ --duration abc)
ei_bench_test(iterations_and_duration run 2 "--iterations and --duration exclude each other"
              -- @CLS@ --iterations 5 --duration 1)
ei_bench_test(unknown_provider run 1 "unknown execution provider 'nosuchep'"
              -- @CLS@ --provider nosuchep --iterations 3)
ei_bench_test(unknown_option run 2 "unknown option '--frobnicate'" -- @CLS@ --frobnicate)
ei_bench_test(missing_value run 2 "option '--warmup' needs a value" -- @CLS@ --warmup)
