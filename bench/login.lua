-- Scenario 5: logins (argon2id-bound), by users in turn.
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local emails, n

function init(args)
  emails = common.lines(os.getenv("BENCH_EMAILS"))
  n = math.random(#emails)
end

function request()
  n = n % #emails + 1
  return wrk.format("POST", "/api/auth/login", { ["Content-Type"] = "application/x-www-form-urlencoded" },
    "email=" .. emails[n] .. "&password=bench+password+" .. "for+everyone")
end

done = common.done
