-- SPDX-License-Identifier: Apache-2.0
-- POST envelopes of new indicators: every request carries BATCH objects
-- whose ids no request has used, from the run tag (8 hex digits, one
-- per run), the thread and a counter of the thread.
--   wrk ... -s post.lua URL -- TOKEN PATH RUN_TAG BATCH
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

local path, tag, batch
local counter = 0

bad_status = 0

setup = common.setup
done = common.done

function init(args)
    common.headers(args[1])
    wrk.headers["Content-Type"] = "application/taxii+json;version=2.1"
    path = args[2]
    tag = args[3]
    batch = tonumber(args[4] or "1000")
end

local function indicator(n)
    local c = string.format("%018x", n)

    return string.format(
        '{"type":"indicator","spec_version":"2.1",' ..
        '"id":"indicator--%s-%04x-4%s-8%s-%s",' ..
        '"created":"2025-01-01T00:00:00.000Z",' ..
        '"modified":"2025-01-01T00:00:00.000Z",' ..
        '"name":"posted indicator %d",' ..
        '"indicator_types":["malicious-activity"],' ..
        '"pattern":"[ipv4-addr:value = \'172.%d.%d.%d\']",' ..
        '"pattern_type":"stix","valid_from":"2025-01-01T00:00:00Z",' ..
        '"labels":["bench"],"confidence":%d}',
        tag, thread_no, c:sub(1, 3), c:sub(4, 6), c:sub(7, 18),
        n, 16 + n % 16, math.floor(n / 256) % 256, n % 256, n % 101)
end

function request()
    local objs = {}

    for i = 1, batch do
        counter = counter + 1
        objs[i] = indicator(counter)
    end
    return wrk.format("POST", path, nil,
                      '{"objects":[' .. table.concat(objs, ",") .. "]}")
end

function response(status)
    if status ~= 202 then
        bad_status = bad_status + 1
    end
end
