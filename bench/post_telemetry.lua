-- wrk script: POST telemetry records read from an NDJSON file, one per request, in order and
-- cycling: by default the nominal simulator stream bench/run.sh writes (10 satellites, realistic
-- orbits and noise; a record repeated bit for bit would be a stuck sensor, not a nominal
-- stream). The same requests go to the ceiling server.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
-- The production-settings service requires an API key (bench/run.sh gives it this one); the
-- other targets ignore the header, so every target reads the same request.
wrk.headers["Authorization"] = "Bearer bench-operator-key"

local path = os.getenv("BENCH_RECORDS") or "build/bench-records.ndjson"
local bodies = {}
for line in io.lines(path) do
  if #line > 0 then bodies[#bodies + 1] = line end
end
assert(#bodies > 0, "no records in " .. path)

local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
