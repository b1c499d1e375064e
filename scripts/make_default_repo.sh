#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the bundled model repository for `edgeinfer serve` (Triton layout) under .deps/repo from
# the models that scripts/setup.sh unpacked into .deps/models:
#   ppocr_cls   PP-OCR text orientation classifier; labels 0/180; image preset "ppocr"; batching
#   ppocr_rec   PP-OCR recogniser; labels = the CTC alphabet (blank, the dictionary, space)
#   ppocr_det   PP-OCR text detection
#   ocr         the OCR pipeline, a config-only model (platform "edgeinfer_ocr") naming ppocr_det,
#               ppocr_cls and ppocr_rec as its stages, each batched on its own: POST
#               /v2/models/ocr/ocr with an image, or /infer with a BYTES input "image"
#   silero_vad  no config.pbtxt: the server completes it from the model
# Models are symlinked (relative), configs and labels written. Idempotent: the repository is built
# in a temporary directory and swapped in, so running it again gives the same tree.
# Usage: scripts/make_default_repo.sh [REPO_DIR]   (default: .deps/repo)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
models="$top/.deps/models"
repo=${1:-"$top/.deps/repo"}
for f in ppocr/det.onnx ppocr/cls.onnx ppocr/rec.onnx ppocr/keys.txt ppocr/cls_labels.txt vad/silero_vad.onnx; do
    if [ ! -f "$models/$f" ]; then
        echo "make_default_repo: $models/$f is missing (run scripts/setup.sh first)" >&2
        exit 1
    fi
done
tmp="$repo.tmp.$$"
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/ppocr_det/1" "$tmp/ppocr_cls/1" "$tmp/ppocr_rec/1" "$tmp/silero_vad/1"

# Link a model file into a version directory: relative when the repository is under .deps, so the
# tree can be moved with the checkout; absolute otherwise; a copy if links are not possible.
link() {
    local src=$1 dst=$2
    case "$repo" in
        "$top/.deps/"*) rel=$(realpath -m --relative-to="$(dirname "$repo/${dst#"$tmp/"}")" "$src") ;;
        *) rel=$src ;;
    esac
    ln -s "$rel" "$dst" 2>/dev/null || cp "$src" "$dst"
}
link "$models/ppocr/det.onnx" "$tmp/ppocr_det/1/model.onnx"
link "$models/ppocr/cls.onnx" "$tmp/ppocr_cls/1/model.onnx"
link "$models/ppocr/rec.onnx" "$tmp/ppocr_rec/1/model.onnx"
link "$models/vad/silero_vad.onnx" "$tmp/silero_vad/1/model.onnx"

cp "$models/ppocr/cls_labels.txt" "$tmp/ppocr_cls/labels.txt"
cat >"$tmp/ppocr_cls/config.pbtxt" <<'PBTXT'
# PP-OCR text-line orientation classifier (0 or 180 degrees).
name: "ppocr_cls"
platform: "onnxruntime_onnx"
max_batch_size: 16
input [ { name: "x" data_type: TYPE_FP32 dims: [ 3, -1, -1 ] } ]
output [ { name: "softmax_0.tmp_0" data_type: TYPE_FP32 dims: [ 2 ] label_filename: "labels.txt" } ]
# No queue delay: requests that arrive while a run is in progress form the next batch (Triton's
# advice: start with dynamic_batching {} and add a delay only if measurements say so).
dynamic_batching { }
# Two instances of each OCR stage model: with one, concurrent /ocr requests wait for each other's
# runs at every stage (detection inputs of different sizes never batch) and 8 clients got no more
# pages/s than one; with two, one request's stage runs while another's is in its serial parts
# (decode, crops, CTC). Both instances share the server's global thread pools, so a lone request
# runs as with one instance. bench/ocr/server.sh, 2 cores, under heavy load: 8 clients 1.30x one
# client's pages/s (0.93x with one instance); at lower load both about 1.0x (docs/BENCHMARKS.md
# part 7).
instance_group [ { count: 2 kind: KIND_CPU } ]
# POST /v2/models/ppocr_cls/classify: how to turn an image into the input tensor.
parameters { key: "image_preset" value: { string_value: "ppocr" } }
parameters { key: "image_top_k" value: { string_value: "2" } }
PBTXT

cat >"$tmp/ppocr_det/config.pbtxt" <<'PBTXT'
# PP-OCRv4 text detection: [N,3,H,W] (H, W multiples of 32) -> [N,1,H,W] text probability map.
# The first stage of the OCR pipeline model "ocr".
name: "ppocr_det"
platform: "onnxruntime_onnx"
max_batch_size: 4
input [ { name: "x" data_type: TYPE_FP32 dims: [ 3, -1, -1 ] } ]
output [ { name: "sigmoid_0.tmp_0" data_type: TYPE_FP32 dims: [ 1, -1, -1 ] } ]
dynamic_batching { }
# Two instances, as ppocr_cls says.
instance_group [ { count: 2 kind: KIND_CPU } ]
PBTXT

# The OCR pipeline (docs/ocr.md): a config-only model whose stages are the three models above.
mkdir -p "$tmp/ocr/1"
cat >"$tmp/ocr/config.pbtxt" <<'PBTXT'
# OCR pipeline: input "image" (BYTES, encoded images) -> outputs "text", "score", "polygon",
# "angle", "image_index" (one row per line); also POST /v2/models/ocr/ocr with an image body.
name: "ocr"
platform: "edgeinfer_ocr"
parameters { key: "detection_model" value: { string_value: "ppocr_det" } }
parameters { key: "classification_model" value: { string_value: "ppocr_cls" } }
parameters { key: "recognition_model" value: { string_value: "ppocr_rec" } }
# PaddleOCR's option names; these are its defaults.
parameters { key: "det_db_thresh" value: { string_value: "0.3" } }
parameters { key: "det_db_box_thresh" value: { string_value: "0.6" } }
parameters { key: "det_db_unclip_ratio" value: { string_value: "1.5" } }
parameters { key: "det_limit_side_len" value: { string_value: "960" } }
parameters { key: "cls_thresh" value: { string_value: "0.9" } }
parameters { key: "drop_score" value: { string_value: "0.5" } }
PBTXT

# CTC alphabet: index 0 is the blank, then the dictionary, then the space character.
{
    printf 'blank\n'
    cat "$models/ppocr/keys.txt"
    [ -z "$(tail -c 1 "$models/ppocr/keys.txt")" ] || printf '\n'
    printf ' \n'
} >"$tmp/ppocr_rec/labels.txt"
cat >"$tmp/ppocr_rec/config.pbtxt" <<'PBTXT'
# PP-OCR text recogniser: [N,3,48,W] image strips -> [N,T,6625] CTC probabilities.
name: "ppocr_rec"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [ { name: "x" data_type: TYPE_FP32 dims: [ 3, 48, -1 ] } ]
output [ { name: "softmax_11.tmp_0" data_type: TYPE_FP32 dims: [ -1, 6625 ] label_filename: "labels.txt" } ]
dynamic_batching { }
# Two instances, as ppocr_cls says.
instance_group [ { count: 2 kind: KIND_CPU } ]
parameters { key: "image_preset" value: { string_value: "ppocr" } }
PBTXT

n=$(wc -l <"$tmp/ppocr_rec/labels.txt")
if [ "$n" -ne 6625 ]; then
    echo "make_default_repo: ppocr_rec labels: expected 6625 lines, got $n" >&2
    exit 1
fi

rm -rf "$repo.old"
if [ -e "$repo" ]; then mv "$repo" "$repo.old"; fi
mv "$tmp" "$repo"
rm -rf "$repo.old"
trap - EXIT
echo "model repository ready: $repo (ocr pipeline, ppocr_det, ppocr_cls, ppocr_rec, silero_vad)"
