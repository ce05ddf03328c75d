-- Scenario 4: the server-rendered task page, as a browser's first load.
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local sessions, n

function init(args)
  sessions = common.lines(os.getenv("BENCH_SESSIONS"))
  n = math.random(#sessions)
end

function request()
  n = n % #sessions + 1
  return wrk.format("GET", "/tasks", {
    ["Cookie"] = "doable_session=" .. sessions[n],
    ["Accept"] = "text/html",
  })
end

done = common.done
