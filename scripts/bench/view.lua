-- GET a random record id from a list file (one id a line).
-- usage: wrk ... -s view.lua <base>/api/collections/posts/records -- /path/ids.txt
local ids = {}
local counter = 0

function init(args)
  local path = args[1]
  for line in io.lines(path) do
    if #line > 0 then ids[#ids + 1] = line end
  end
  if #ids == 0 then error("no ids in " .. tostring(path)) end
  counter = counter + 1
  math.randomseed(os.time() + counter * 7919)
end

function request()
  local id = ids[math.random(#ids)]
  return wrk.format("GET", wrk.path .. "/" .. id)
end
