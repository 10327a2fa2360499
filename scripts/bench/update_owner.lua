-- PATCH a random record with its owner's auth token, from a file of "<record id> <token>" lines.
-- usage: wrk ... -s update_owner.lua <base>/api/collections/tasks/records -- /path/owned.txt
local ids, tokens = {}, {}
local counter = 0
local n = 0

function init(args)
  local path = args[1]
  for line in io.lines(path) do
    local id, token = line:match("^(%S+)%s+(%S+)$")
    if id then
      ids[#ids + 1] = id
      tokens[#tokens + 1] = token
    end
  end
  if #ids == 0 then error("no records in " .. tostring(path)) end
  counter = counter + 1
  math.randomseed(os.time() + counter * 7919)
end

function request()
  local i = math.random(#ids)
  n = n + 1
  return wrk.format("PATCH", wrk.path .. "/" .. ids[i], {
    ["Authorization"] = tokens[i],
    ["Content-Type"] = "application/json",
  }, '{"title":"updated by wrk ' .. n .. '","done":' .. (n % 2 == 0 and "true" or "false") .. '}')
end
