// Hook errors as JSON: ApiError family (message, data of each class) and plain errors.

routerAdd("GET", "/sweep/throw/{kind}", (e) => {
  switch (e.request.pathValue("kind")) {
    case "bad": throw new BadRequestError("bad thing", { title: new ValidationError("code_x", "msg x") });
    case "badNoMessage": throw new BadRequestError();
    case "badEmpty": throw new BadRequestError("", {});
    case "badUnicode": throw new BadRequestError("ünïcode ✓", { "ü": new ValidationError("c", "ü msg") });
    case "badPlainData": throw new BadRequestError("plain data", { a: "text", b: 1, c: { d: new ValidationError("dd", "nested") } });
    case "badNullData": throw new BadRequestError("null data", null);
    case "badQuestion": throw new BadRequestError("really?");
    case "badLarge": throw new BadRequestError("x".repeat(3000));
    case "notFound": throw new NotFoundError();
    case "forbidden": throw new ForbiddenError("no");
    case "unauthorized": throw new UnauthorizedError();
    case "tooMany": throw new TooManyRequestsError();
    case "internal": throw new InternalServerError("boom");
    case "api418": throw new ApiError(418);
    case "api299": throw new ApiError(299, "odd");
    case "apiString": throw new ApiError("404", "as text");
    case "plainError": throw new Error("plain");
    case "typeError": return null.x;
    case "string": throw "a string";
    case "object": throw { status: 404, message: "object" };
    case "verrMessage": {
      const err = new BadRequestError("lower case", { f: new ValidationError("", "") });
      return e.json(200, { message: err.message, status: err.status });
    }
    case "noRows": return $app.findRecordById("notes", "missing");
    case "badFilter": return $app.findRecordsByFilter("notes", "text ==");
    case "validation": {
      const r = new Record($app.findCollectionByNameOrId("notes"));
      r.set("n", "not a number");
      r.set("id", "bad id!");
      $app.save(r);
      return e.json(200, {});
    }
    case "validationMessage": {
      const r = new Record($app.findCollectionByNameOrId("notes"));
      r.set("id", "bad id!");
      try { $app.save(r); } catch (err) { return e.json(200, { message: String(err.message) }); }
      return e.json(200, {});
    }
  }
  return e.noContent(204);
});

onRecordCreateRequest((e) => {
  const text = e.record.getString("text");
  if (text === "reject") throw new BadRequestError("rejected by hook", { text: new ValidationError("rejected", "Not this.") });
  if (text === "plain") throw new Error("plain in hook");
  if (text === "custom") return e.json(299, { custom: true, text: text });
  e.record.set("secret", "set by hook");
  e.next();
  if (text === "after") e.response.header().set("X-After", "yes");
}, "notes");

onRecordEnrich((e) => {
  if (e.record.getString("text") === "hide") e.record.hide("text");
  e.record.set("enriched", e.record.getString("text").toUpperCase());
  e.record.withCustomData(true);
  e.record.hide("secret");
  return e.next();
}, "notes");

// a model hook letting a validation error of e.next() through (the API words it)
onRecordCreate((e) => {
  e.next();
}, "notes");

onRecordUpdate((e) => {
  try {
    e.next();
  } catch (err) {
    throw new BadRequestError("update refused: " + err.message);
  }
}, "notes");
