-- SPDX-License-Identifier: MIT
-- wrk script: POST the file $EI_BODY with Content-Type $EI_CTYPE and, when $EI_HLEN is set, the
-- Inference-Header-Content-Length header of Triton's binary tensor extension.
local f = assert(io.open(os.getenv("EI_BODY"), "rb"))
wrk.body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = os.getenv("EI_CTYPE") or "application/octet-stream"
local hl = os.getenv("EI_HLEN")
if hl and hl ~= "" then
  wrk.headers["Inference-Header-Content-Length"] = hl
end
