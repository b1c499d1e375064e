#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Generates the .npy fixtures for tests/unit/test_npy.c (run with Debian's /usr/bin/python3, which
# has numpy). Every numeric array holds arange values in C order, so the test checks element i == i
# (bool: i % 2) whatever the file's byte order or memory order.
import os
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def save(name, arr, version=None):
    path = os.path.join(here, name)
    with open(path, "wb") as f:
        np.lib.format.write_array(f, arr, version=version, allow_pickle=True)


base = np.arange(6).reshape(2, 3)
for code in ["i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8", "c8", "c16"]:
    save("le_%s.npy" % code, base.astype("<" + code))
    if code not in ("i1", "u1"):
        save("be_%s.npy" % code, base.astype(">" + code))
save("le_b1.npy", (base % 2).astype(bool))
save("fortran_f4.npy", np.asfortranarray(np.arange(24, dtype="<f4").reshape(2, 3, 4)))
save("fortran_be_i8.npy", np.asfortranarray(np.arange(24, dtype=">i8").reshape(4, 6)))
save("scalar_f8.npy", np.array(3.5, dtype="<f8"))
save("empty_f4.npy", np.zeros((0, 3), dtype="<f4"))
save("v2_i4.npy", base.astype("<i4"), version=(2, 0))
save("v3_i4.npy", base.astype("<i4"), version=(3, 0))
strs = np.array([["a", "bc", "d\u00e9f"], ["", "x", "\u20ac\U0001F600"]])
save("str_U.npy", strs)
save("str_be_U.npy", strs.astype(">U3"))
save("str_fortran_U.npy", np.asfortranarray(strs))
save("str_S.npy", np.array([b"ab", b"c", b""]))
save("object.npy", np.array([1, "a"], dtype=object))
save("structured.npy", np.zeros(2, dtype=[("a", "<i4")]))
