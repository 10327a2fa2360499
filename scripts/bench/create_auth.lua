-- POST a new record as JSON with a user's auth token, picked at random per request from a
-- token file (one a line); the server generates the id.
-- usage: wrk ... -s create_auth.lua <base>/api/collections/tasks/records -- /path/tokens.txt
local tokens = {}
local counter = 0
local body = '{"title":"wrk task","done":false}'

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
  return wrk.format("POST", wrk.path, {
    ["Authorization"] = tokens[math.random(#tokens)],
    ["Content-Type"] = "application/json",
  }, body)
end
