// Source: the Record examples of https://pocketbase.io/docs/js-records/ ("Get/Set record fields",
// "Expand relations", "Auth tokens", "Hide/Unhide fields"), wrapped in routes so that their
// results can be compared.

routerAdd("GET", "/corpus/dates", (e) => {
  const post = $app.findRecordById("posts", "fixpost00000001");
  const published = post.get("published");
  const dt = post.getDateTime("published");
  return e.json(200, {
    string: String(published),
    text: published.string(),
    unix: dt.unix(),
    jsDate: new Date(dt).toISOString(),
    parsed: new Date("2024-05-01 10:00:00.000Z").getTime(),
    parse: Date.parse("2024-05-01 10:00:00.000Z"),
    plusMonth: dt.addDate(0, 1, 0).string(),
    plusHour: new DateTime("2024-01-31 00:00:00.000Z").add(3600 * 1e9).string(),
    after: dt.after(new DateTime("2024-01-01 00:00:00.000Z")),
    zero: post.getDateTime("empty").isZero(),
    zeroText: post.getDateTime("empty").string(),
    serialised: published,
  });
});

routerAdd("GET", "/corpus/export", (e) => {
  const post = $app.findRecordById("posts", "fixpost00000001");
  post.hide("views");
  post.unhide("note");
  post.set("computed", 42);
  post.withCustomData(true);
  const user = $app.findRecordById("users", "fixuser00000001");
  const plain = $app.findRecordById("users", "fixuser00000001");
  user.ignoreEmailVisibility(true);
  const other = $app.findRecordById("posts", "fixpost00000001");
  other.set("computed", 1);
  return e.json(200, { post: post, user: user, plainUser: plain, other: other });
});

routerAdd("GET", "/corpus/expand", (e) => {
  const post = $app.findRecordById("posts", "fixpost00000001");
  const failed = $app.expandRecord(post, ["author"], null);
  const author = post.expandedOne("author");
  return e.json(200, {
    failed: Object.keys(failed || {}).length,
    author: author ? author.getString("name") : null,
    all: post.expandedAll("author").length,
    none: post.expandedOne("nope"),
  });
});

routerAdd("GET", "/corpus/tokens", (e) => {
  const user = $app.findRecordById("users", "fixuser00000001");
  const token = user.newAuthToken();
  const found = $app.findAuthRecordByToken(token, "auth");
  const claims = $security.parseUnverifiedJWT(token);
  const reset = $security.parseUnverifiedJWT(user.newPasswordResetToken());
  const verify = $security.parseUnverifiedJWT(user.newVerificationToken());
  const change = $security.parseUnverifiedJWT(user.newEmailChangeToken("new@example.com"));
  const fixed = $security.parseUnverifiedJWT(user.newStaticAuthToken(60 * 1e9));
  return e.json(200, {
    found: found.id,
    type: claims.type,
    refreshable: claims.refreshable,
    reset: [reset.type, reset.email],
    verify: [verify.type, verify.email],
    change: [change.type, change.newEmail],
    fixed: [fixed.type, fixed.refreshable, fixed.exp - Math.floor(Date.now() / 1000) <= 61],
  });
});

routerAdd("POST", "/corpus/passwords", (e) => {
  const user = $app.findRecordById("users", "fixuser00000001");
  const oldKey = user.tokenKey();
  const password = user.setRandomPassword();
  user.refreshTokenKey();
  $app.save(user);
  const fresh = $app.findRecordById("users", "fixuser00000001");
  return e.json(200, {
    length: password.length,
    valid: fresh.validatePassword(password),
    keyChanged: fresh.tokenKey() !== oldKey,
    keyLength: fresh.tokenKey().length,
  });
});

routerAdd("GET", "/corpus/fields", (e) => {
  const post = $app.findRecordById("posts", "fixpost00000001");
  const meta = new DynamicModel({ a: 0, b: "", c: [] });
  post.unmarshalJSONField("meta", meta);
  const copy = new Record(post.collection());
  copy.markAsNotNew();
  return e.json(200, {
    meta: meta,
    pk: post.pk(),
    lastSavedPK: post.lastSavedPK(),
    rawViews: post.getRaw("views"),
    fields: Object.keys(post.fieldsData()).sort(),
    copyIsNew: copy.isNew(),
    replaced: post.replaceModifiers({ "views+": 3, "title": "x" }),
  });
});
