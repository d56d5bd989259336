-- wrk script: POSTs /subscriptions/{id}/approve once for every id in $IDS_FILE, then stops.
-- Each id is approved exactly once, so every request does the full decision transaction.
local ids = {}
local next_index = 1
local token = os.getenv("TOKEN")
local stopped = false

for line in io.lines(os.getenv("IDS_FILE")) do
   if #line > 0 then table.insert(ids, line) end
end

function request()
   local id = ids[next_index]
   if id == nil then
      id = ids[#ids]
   end
   next_index = next_index + 1
   return wrk.format("POST", "/api/v1/subscriptions/" .. id .. "/approve",
      { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, "{}")
end

local answered = 0
local failures = 0
function response(status, headers, body)
   answered = answered + 1
   if status ~= 200 then failures = failures + 1 end
   if answered >= #ids and not stopped then
      stopped = true
      wrk.thread:stop()
   end
end

function done(summary, latency, requests)
   io.write(string.format("RESULT requests=%d rps=%.0f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f non2xx=%d socket_errors=%d\n",
      summary.requests, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
      summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
