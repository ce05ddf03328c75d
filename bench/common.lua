-- Shared by the wrk scripts of `make bench`: reads the seeded sessions and writes the
-- summary as JSON to $BENCH_OUT when the run ends.
local common = {}

function common.lines(path)
  local out = {}
  for line in io.lines(path) do
    if line ~= "" then out[#out + 1] = line end
  end
  return out
end

function common.split(line)
  local fields = {}
  for field in string.gmatch(line, "[^\t]+") do fields[#fields + 1] = field end
  return fields
end

function common.done(summary, latency, requests)
  local errors = summary.errors
  local out = io.open(os.getenv("BENCH_OUT"), "w")
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
  out:close()
end

return common
