-- POST a password sign-in for a user picked at random per request from an identities file
-- (one email a line); every user has the same password (the second argument).
-- usage: wrk ... -s auth_password.lua <base>/api/collections/users/auth-with-password -- /path/identities.txt PASSWORD
local bodies = {}
local counter = 0

function init(args)
  local path, password = args[1], args[2]
  for line in io.lines(path) do
    if #line > 0 then
      bodies[#bodies + 1] = '{"identity":"' .. line .. '","password":"' .. password .. '"}'
    end
  end
  if #bodies == 0 then error("no identities in " .. tostring(path)) end
  counter = counter + 1
  math.randomseed(os.time() + counter * 7919)
end

function request()
  return wrk.format("POST", wrk.path, { ["Content-Type"] = "application/json" }, bodies[math.random(#bodies)])
end
