-- SPDX-License-Identifier: Apache-2.0
-- GET one resource, such as discovery, with the TAXII headers.
--   wrk ... -s get.lua URL -- TOKEN
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

setup = common.setup
done = common.done

function init(args)
    common.headers(args[1])
end
