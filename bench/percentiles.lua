-- wrk reporter: prints requests/s and p50/p95/p99 latency in one line per run, and counts
-- non-2xx answers (which a benchmark must not hide).
local errors = 0
local thread_errors = {}

function setup(thread)
   table.insert(thread_errors, thread)
end

function response(status, headers, body)
   if status >= 300 then errors = errors + 1 end
end

function done(summary, latency, requests)
   local non2xx = summary.errors.status
   io.write(string.format("RESULT requests=%d rps=%.0f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f non2xx=%d socket_errors=%d\n",
      summary.requests, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
      non2xx, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
