-- Scenario 1: a page of 50 open tasks of one list sorted by due date, for users in turn
-- ($BENCH_LISTS: a session and a list id per line; `list` reads each user's Inbox,
-- `list_shared` the lists five users share).
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local lists, n

function init(args)
  lists = {}
  for _, line in ipairs(common.lines(os.getenv("BENCH_LISTS"))) do
    lists[#lists + 1] = common.split(line)
  end
  n = math.random(#lists)
end

function request()
  n = n % #lists + 1
  local session, list = lists[n][1], lists[n][2]
  return wrk.format("GET", "/api/tasks/list?list_id=" .. list .. "&status=active&sort=due&order=asc&limit=50",
    { ["Cookie"] = "doable_session=" .. session })
end

done = common.done
