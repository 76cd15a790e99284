-- wrk script used by bench/bench.mjs for every load run.
--
-- BENCH_RATE unset or 0: closed loop (each connection sends its next request as soon as the
-- previous response arrives), i.e. plain `wrk`.
-- BENCH_RATE=N: fixed rate of N requests per second for the whole run, wrk2-like. All connections
-- of the thread share one global schedule (slot k is due at start + k/N); a connection that is
-- ready to send takes the next slot and waits until it is due. The schedule is absolute, so late
-- responses do not lower the rate (the next requests go out at once to catch up) and the achieved
-- rate is N as long as the connections can keep up. wrk's timers have 1 ms granularity, so a
-- request may leave up to ~0.5 ms before or after its slot; latency is measured by wrk from the
-- moment the request is actually written (no coordinated-omission correction, like hey).
--
-- done() prints one machine-readable line, "BENCHJSON {...}", latencies in microseconds.

local rate = tonumber(os.getenv("BENCH_RATE") or "0") or 0

if rate > 0 then
  local ffi = require("ffi")
  ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } maille_bench_timespec;
    int clock_gettime(int clk_id, maille_bench_timespec *tp);
  ]]
  local ts = ffi.new("maille_bench_timespec")
  local CLOCK_MONOTONIC = 1
  local function now_ms()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local interval = 1000 / rate
  local next_slot = nil

  function delay()
    local now = now_ms()
    if next_slot == nil then next_slot = now end
    local slot = next_slot
    next_slot = next_slot + interval
    local wait = slot - now
    if wait <= 0 then return 0 end
    return math.floor(wait + 0.5)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"lat_us":{"min":%d,"mean":%.2f,"stdev":%.2f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max))
end
