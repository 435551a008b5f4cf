-- SPDX-License-Identifier: Apache-2.0
-- GET pages of a listing (objects or manifest) from all over the
-- collection: each request takes a random added_after from a file.
--   wrk ... -s pages.lua URL -- TOKEN PATH AFTER_FILE LIMIT
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

local path, limit
local after = {}

setup = common.setup
done = common.done

function init(args)
    local f = assert(io.open(args[3], "r"))

    common.headers(args[1])
    path = args[2]
    limit = args[4] or "100"
    for line in f:lines() do
        if #line > 0 then
            after[#after + 1] = line
        end
    end
    f:close()
    assert(#after > 0, "no added_after values in " .. args[3])
    math.randomseed(os.time() * 7919 + thread_no)
end

function request()
    local v = after[math.random(#after)]

    return wrk.format("GET", path .. "?limit=" .. limit ..
                      "&added_after=" .. v)
end
