-- Scenario: completing recurring tasks (daily), each by its owner: every completion records
-- the date as a completed task and moves the task to its next date (#19).
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local tasks

function init(args)
  tasks = common.lines(os.getenv("BENCH_TASKS"))
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  local fields = common.split(tasks[math.random(#tasks)])
  return wrk.format("POST", "/api/tasks/set-completed", {
    ["Cookie"] = "doable_session=" .. fields[1],
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "id=" .. fields[2] .. "&completed=true")
end

done = common.done
