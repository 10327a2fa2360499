-- Seed the delete_owner pool fast: POST each "<record id> <owner id>" line of a file once, as the
-- superuser, thread t of n taking lines offset+t+1, offset+t+1+n, ...; past the end, cheap health
-- checks. done() prints "pool_next=<k>" (lines every thread got past) so the next run goes on from there.
-- usage: wrk ... -s seed_pool.lua <base>/api/collections/tasks/records -- /path/pool_seed.txt <token> <threads> <offset>
local threads = {}
local tid_counter = 0

function setup(thread)
  thread:set("tid", tid_counter)
  tid_counter = tid_counter + 1
  threads[#threads + 1] = thread
end

local ids, owners = {}, {}
local token = ""
local step = 1
next_line = 1

function init(args)
  for line in io.lines(args[1]) do
    local id, owner = line:match("^(%S+)%s+(%S+)$")
    if id then
      ids[#ids + 1] = id
      owners[#owners + 1] = owner
    end
  end
  token = args[2]
  step = tonumber(args[3] or "1")
  next_line = tonumber(args[4] or "0") + tid + 1
end

function request()
  local i = next_line
  next_line = next_line + step
  if i > #ids then
    return wrk.format("GET", "/api/health")
  end
  return wrk.format("POST", wrk.path, {
    ["Authorization"] = token,
    ["Content-Type"] = "application/json",
  }, '{"id":"' .. ids[i] .. '","title":"pool task ' .. i .. '","owner":"' .. owners[i] .. '"}')
end

function done(summary, latency, requests)
  -- NOTE: the slowest thread's position: the next run posts again what faster threads did past
  -- it (duplicate ids, refused) rather than leaving gaps.
  local lo = nil
  for _, t in ipairs(threads) do
    local k = t:get("next_line")
    if lo == nil or k < lo then lo = k end
  end
  io.write(string.format("pool_next=%d\n", (lo or 1) - 1))
end
