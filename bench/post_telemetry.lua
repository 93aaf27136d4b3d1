-- wrk script: POST five-channel telemetry records, cycling through 1,000 precomputed records
-- of 10 satellites whose readings vary like nominal telemetry (a record repeated bit for bit
-- would be a stuck sensor, not a nominal stream). The same requests go to the ceiling server.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local bodies = {}
local n = 1000
math.randomseed(42)
for i = 1, n do
  local sat = (i % 10) + 1
  local p = 2 * math.pi * (i % 90) / 90
  bodies[i] = string.format(
    '{"voltage":%.3f,"temperature":%.2f,"gyro":%.5f,"current":%.3f,"wheel_speed":%.1f,"satellite_id":"sat-%d"}',
    28.2 + 0.4 * math.sin(p) + 0.02 * (math.random() - 0.5),
    18.0 + 6.0 * math.sin(p) + 0.2 * (math.random() - 0.5),
    0.0005 * (math.random() - 0.5),
    1.4 + 0.3 * math.cos(p) + 0.02 * (math.random() - 0.5),
    2300 + 20 * math.sin(p) + 5 * (math.random() - 0.5),
    sat)
end

local i = 0
request = function()
  i = i % n + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
