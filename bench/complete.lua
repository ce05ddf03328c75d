-- Scenario 3: completing or reopening random tasks, each by its owner; with
-- BENCH_COMPLETE_ONLY=1, only completing (complete_recurring: each completion of a recurring
-- task records its date and moves it on).
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local tasks

function init(args)
  tasks = common.lines(os.getenv("BENCH_TASKS"))
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  local fields = common.split(tasks[math.random(#tasks)])
  local completed = (os.getenv("BENCH_COMPLETE_ONLY") == "1" or math.random(2) == 1) and "true" or "false"
  return wrk.format("POST", "/api/tasks/set-completed", {
    ["Cookie"] = "doable_session=" .. fields[1],
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "id=" .. fields[2] .. "&completed=" .. completed)
end

done = common.done
