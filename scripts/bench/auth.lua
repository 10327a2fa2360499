-- GET with a user's auth token, picked at random per request from a token file (one a line).
-- usage: wrk ... -s auth.lua <base>/api/collections/notes/records -- /path/tokens.txt
local tokens = {}
local counter = 0

function init(args)
  local path = args[1]
  for line in io.lines(path) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  if #tokens == 0 then error("no tokens in " .. tostring(path)) end
  counter = counter + 1
  math.randomseed(os.time() + counter * 7919)
end

function request()
  return wrk.format("GET", wrk.path, { ["Authorization"] = tokens[math.random(#tokens)] })
end
