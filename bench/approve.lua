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
   -- wrk calls request() once before the first real request (that one is never sent), so the list
   -- wraps around: the id it skipped is sent last and every id is approved exactly once.
   -- Requests sent while the last responses are in flight go to /healthz, not to a decided id.
   if next_index > #ids + 1 then
      return wrk.format("GET", "/healthz")
   end
   local id = ids[((next_index - 1) % #ids) + 1]
   next_index = next_index + 1
   return wrk.format("POST", "/api/v1/subscriptions/" .. id .. "/approve",
      { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, "{}")
end

local answered = 0
local failures = 0
function response(status, headers, body)
   answered = answered + 1
   if status ~= 200 then
      failures = failures + 1
      if failures == 1 then io.write(string.format("FIRST-FAILURE status=%d body=%s\n", status, body)) end
   end
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
