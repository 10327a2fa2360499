/// Every JS error type and what it answers.

routerAdd("GET", "/err/{kind}", (e) => {
  const kind = e.request.pathValue("kind");
  switch (kind) {
    case "api": throw new ApiError(418, "i'm a teapot", { field: "bad" });
    case "bad": throw new BadRequestError("bad input");
    case "notfound": throw new NotFoundError();
    case "forbidden": throw new ForbiddenError("no entry");
    case "unauthorized": throw new UnauthorizedError();
    case "toomany": throw new TooManyRequestsError();
    case "internal": throw new InternalServerError();
    case "plain": throw new Error("some internal detail");
    case "type": return null.boom;
    case "missing": return e.json(200, $app.findRecordById("posts", "nope"));
    case "caught":
      try { $app.findRecordById("posts", "nope"); } catch (err) { return e.json(200, { caught: err.status, name: err.name }); }
  }
  return e.json(200, { kind: kind });
});
