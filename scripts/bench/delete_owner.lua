-- DELETE seeded records with their owner's auth token, each record once, from a file of
-- "<record id> <token>" lines. Thread t of n takes lines offset+t, offset+t+n, ... (1-based
-- after the offset); done() prints "pool_next=<k>", the first line no thread has used, so the
-- next run starts there. Past the end of the file it deletes a missing id: the 404s make the
-- run invalid rather than measuring something else.
-- usage: wrk ... -s delete_owner.lua <base>/api/collections/tasks/records -- /path/pool.txt <offset> <threads>
local threads = {}
local tid_counter = 0

function setup(thread)
  thread:set("tid", tid_counter)
  tid_counter = tid_counter + 1
  threads[#threads + 1] = thread
end

local ids, tokens = {}, {}
next_line = 0
local step = 1

function init(args)
  for line in io.lines(args[1]) do
    local id, token = line:match("^(%S+)%s+(%S+)$")
    if id then
      ids[#ids + 1] = id
      tokens[#tokens + 1] = token
    end
  end
  step = tonumber(args[3] or "1")
  next_line = tonumber(args[2] or "0") + tid + 1
end

function request()
  local i = next_line
  next_line = next_line + step
  if i > #ids then
    return wrk.format("DELETE", wrk.path .. "/pool0exhausted0", { ["Authorization"] = tokens[1] })
  end
  return wrk.format("DELETE", wrk.path .. "/" .. ids[i], { ["Authorization"] = tokens[i] })
end

function done(summary, latency, requests)
  local hi = 0
  for _, t in ipairs(threads) do
    local k = t:get("next_line")
    if k > hi then hi = k end
  end
  io.write(string.format("pool_next=%d\n", hi - 1))
end
