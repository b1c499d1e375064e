#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the stateful ONNX models of the sequence-batcher tests into this model repository
(tests/data/seq_repo/<model>/1/model.onnx; the config.pbtxt files next to them are written by
hand). Run with Debian's /usr/bin/python3 + python3-onnx; the outputs are checked in.

Triton's example repository holds `simple_sequence` and `simple_dyna_sequence` ONNX models, but
it is fetched from NVIDIA's servers, which this project cannot reach. These are equivalent models,
built from what Triton documents and what its example clients check
(simple_{http,grpc}_sequence_sync_infer_client.py):

simple_sequence       OUTPUT = (INPUT + START) * READY            INPUT, START, READY: int32 [B, 1]
simple_dyna_sequence  OUTPUT = (INPUT + START + END * CORRID) * READY    CORRID: uint64 [B, 1]
                      (the client expects the correlation ID added on the request that ends it)
seq_accumulate        implicit state, the accumulator of Triton's implicit-state documentation:
                      OUTPUT = OUTPUT_STATE = INPUT + (START ? 0 : INPUT_STATE), int32 [B, -1];
                      START is a bool control, so the three false/true kinds are all exercised
seq_corrid_fp32       OUTPUT = CORRID * READY + INPUT: a uint64 CORRID and an fp32 READY, [B, 1]
seq_corrid_string     OUTPUT = INPUT, ID = CORRID: a TYPE_STRING correlation-ID control, [B, 1]
"""
import os

import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, nodes, inputs, outputs):
    g = helper.make_graph(nodes, name, inputs, outputs)
    m = helper.make_model(g, producer_name="edgeinfer-tests",
                          opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    d = os.path.join(HERE, name, "1")
    os.makedirs(d, exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))


def io(name, t, shape):
    return helper.make_tensor_value_info(name, t, shape)


I32, U64, F32, BOOL = TensorProto.INT32, TensorProto.UINT64, TensorProto.FLOAT, TensorProto.BOOL
B = "batch"

save("simple_sequence",
     [helper.make_node("Add", ["INPUT", "START"], ["s"]),
      helper.make_node("Mul", ["s", "READY"], ["OUTPUT"])],
     [io("INPUT", I32, [B, 1]), io("START", I32, [B, 1]), io("READY", I32, [B, 1])],
     [io("OUTPUT", I32, [B, 1])])

save("simple_dyna_sequence",
     [helper.make_node("Cast", ["CORRID"], ["corr"], to=I32),
      helper.make_node("Mul", ["END", "corr"], ["ec"]),
      helper.make_node("Add", ["INPUT", "START"], ["s"]),
      helper.make_node("Add", ["s", "ec"], ["t"]),
      helper.make_node("Mul", ["t", "READY"], ["OUTPUT"])],
     [io("INPUT", I32, [B, 1]), io("START", I32, [B, 1]), io("END", I32, [B, 1]),
      io("READY", I32, [B, 1]), io("CORRID", U64, [B, 1])],
     [io("OUTPUT", I32, [B, 1])])

save("seq_accumulate",
     [helper.make_node("Not", ["START"], ["cont_b"]),
      helper.make_node("Cast", ["cont_b"], ["cont"], to=I32),
      helper.make_node("Mul", ["INPUT_STATE", "cont"], ["kept"]),
      helper.make_node("Add", ["INPUT", "kept"], ["OUTPUT"]),
      helper.make_node("Identity", ["OUTPUT"], ["OUTPUT_STATE"])],
     [io("INPUT", I32, [B, "n"]), io("START", BOOL, [B, 1]), io("INPUT_STATE", I32, [B, "n"])],
     [io("OUTPUT", I32, [B, "n"]), io("OUTPUT_STATE", I32, [B, "n"])])

save("seq_corrid_fp32",
     [helper.make_node("Cast", ["CORRID"], ["c"], to=F32),
      helper.make_node("Mul", ["c", "READY"], ["r"]),
      helper.make_node("Add", ["r", "INPUT"], ["OUTPUT"])],
     [io("INPUT", F32, [B, 1]), io("READY", F32, [B, 1]), io("CORRID", U64, [B, 1])],
     [io("OUTPUT", F32, [B, 1])])

S = TensorProto.STRING
save("seq_corrid_string",
     [helper.make_node("Identity", ["INPUT"], ["OUTPUT"]),
      helper.make_node("Identity", ["CORRID"], ["ID"])],
     [io("INPUT", I32, [B, 1]), io("CORRID", S, [B, 1])],
     [io("OUTPUT", I32, [B, 1]), io("ID", S, [B, 1])])
