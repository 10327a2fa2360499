-- POST a new record as JSON (the server generates the id).
-- usage: wrk ... -s create.lua <base>/api/collections/posts/records
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"wrk post","views":42,"published":true,"body":"Created by the wrk create scenario of scripts/bench."}'
