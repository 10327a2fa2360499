// Source: https://pocketbase.io/docs/js-routing/ ("Built-in middlewares", "Sending an auth
// response" with $apis.recordAuthResponse, "Enriching records" with $apis.enrichRecord).

routerAdd("POST", "/corpus/login", (e) => {
  const data = new DynamicModel({ email: "", password: "" });
  e.bindBody(data);
  let record;
  try {
    record = $app.findAuthRecordByEmail("users", data.email);
  } catch (err) {
    throw new BadRequestError("Invalid credentials.");
  }
  if (!record.validatePassword(data.password)) {
    throw new BadRequestError("Invalid credentials.");
  }
  return $apis.recordAuthResponse(e, record, "password");
}, $apis.bodyLimit(1024));

routerAdd("GET", "/corpus/enriched/{id}", (e) => {
  const record = $app.findRecordById("users", e.request.pathValue("id"));
  $apis.enrichRecord(e, record);
  return e.json(200, record);
});

routerAdd("GET", "/corpus/quiet", (e) => {
  return e.json(200, { quiet: true });
}, $apis.skipSuccessActivityLog(), $apis.gzip());
