-- SPDX-License-Identifier: Apache-2.0
-- Shared by the wrk scripts beside: TAXII headers, one Lua state per
-- thread numbered from setup(), and a summary line for bench/taxii.
local common = {}

local threads = {}

function common.headers(token)
    wrk.headers["Accept"] = "application/taxii+json;version=2.1"
    wrk.headers["Authorization"] = "Bearer " .. token
end

function common.setup(thread)
    thread:set("thread_no", #threads)
    table.insert(threads, thread)
end

-- One line that bench/taxii reads: counts, rate and latency in
-- microseconds, and the statuses the script itself found wrong.
function common.done(summary, latency)
    local e = summary.errors
    local bad = 0

    for _, t in ipairs(threads) do
        bad = bad + (t:get("bad_status") or 0)
    end
    io.write(string.format(
        "RESULT requests=%d seconds=%.3f rps=%.1f p50_us=%d p99_us=%d " ..
        "max_us=%d non2xx=%d bad_status=%d connect=%d read=%d write=%d " ..
        "timeout=%d\n",
        summary.requests, summary.duration / 1e6,
        summary.requests / (summary.duration / 1e6),
        latency:percentile(50), latency:percentile(99), latency.max,
        e.status, bad, e.connect, e.read, e.write, e.timeout))
end

return common
