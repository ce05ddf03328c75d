-- Scenario 2: new tasks with a priority, a due date and tags, for users in turn
-- ($BENCH_REMINDERS: with two reminders each, queued as they are created).
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local sessions, n, count
local extra = os.getenv("BENCH_REMINDERS") and "&reminders=1d,15m" or ""

function init(args)
  sessions = common.lines(os.getenv("BENCH_SESSIONS"))
  n = math.random(#sessions)
  count = 0
end

function request()
  n = n % #sessions + 1
  count = count + 1
  local body = "title=Benchmark+task+" .. count .. "&priority=medium&due_date=2031-06-15&tags=bench,load" .. extra
  return wrk.format("POST", "/api/tasks/create", {
    ["Cookie"] = "doable_session=" .. sessions[n],
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

done = common.done
