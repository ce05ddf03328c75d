-- Scenario 6, the baseline: GET /healthz, which touches nothing.
package.path = os.getenv("BENCH_DIR") .. "/?.lua;" .. package.path
local common = require("common")
done = common.done
