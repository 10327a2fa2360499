/// Record hooks: a request hook altering a field, one rejecting, and a collection-tagged model hook.

onRecordCreateRequest((e) => {
  if (e.record.get("title") === "forbidden") {
    throw new BadRequestError("titles like this are not allowed", { title: new ValidationError("no_way", "Nope") });
  }
  e.record.set("title", e.record.get("title") + " via js");
  e.next();
}, "posts");

onRecordCreate((e) => {
  e.record.set("message", e.record.getString("message") + " (checked)");
  e.next();
}, "comments");
