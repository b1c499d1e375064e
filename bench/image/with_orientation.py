#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""with_orientation.py IN.jpg OUT.jpg [ORIENTATION]: a copy of a JPEG with an EXIF APP1 segment
carrying the orientation tag (default 6, how phones store portrait photos), spliced in after SOI.
The pixels are untouched. Standard library only."""
import struct
import sys

src, dst = sys.argv[1], sys.argv[2]
orient = int(sys.argv[3]) if len(sys.argv) > 3 else 6
data = open(src, "rb").read()
if data[:2] != b"\xff\xd8" or not 1 <= orient <= 8:
    sys.exit("usage: with_orientation.py IN.jpg OUT.jpg [1..8] (IN must be a JPEG)")
# TIFF, little-endian: one IFD entry, 0x0112 SHORT count 1 = orientation, no next IFD.
tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) + \
    struct.pack("<HHIHH", 0x0112, 3, 1, orient, 0) + struct.pack("<I", 0)
body = b"Exif\x00\x00" + tiff
open(dst, "wb").write(data[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + data[2:])
