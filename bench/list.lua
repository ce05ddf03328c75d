-- Scenario 1: a page of 50 open tasks sorted by due date, for users in turn.
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local sessions, n

function init(args)
  sessions = common.lines(os.getenv("BENCH_SESSIONS"))
  n = math.random(#sessions)
end

function request()
  n = n % #sessions + 1
  return wrk.format("GET", "/api/tasks/list?status=active&sort=due&order=asc&limit=50",
    { ["Cookie"] = "doable_session=" .. sessions[n] })
end

done = common.done
