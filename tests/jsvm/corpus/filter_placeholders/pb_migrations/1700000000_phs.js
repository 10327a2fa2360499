// Records whose titles hold what strconv.Quote escapes (control characters, invisible
// characters, quotes, backslashes) and the escapes' own text, for the placeholder routes.
migrate((app) => {
  const collection = new Collection({
    type: "base",
    name: "phs",
    listRule: "",
    fields: [
      { name: "title", type: "text" },
      { name: "n", type: "number" },
    ],
  });
  app.save(collection);
  const titles = [
    "a\u0001b", "a\\x01b", "tab\tx", "tab\\tx", "nl\nx", "nl\\nx", "bell\u0007x", "bell\\ax",
    "q'x", "dq\"x", "bs\\x", "\u00e9t\u00e9", "zw\u200bx", "zw\\u200bx", "\ud83d\ude00",
    "lang\udb40\udc01x", "lang\\U000e0001x", "{\"k\":1}", "[1,2]", "true", "null", "",
  ];
  titles.forEach((title, i) => {
    const record = new Record(collection);
    record.set("id", "fixph" + String(i).padStart(10, "0"));
    record.set("title", title);
    record.set("n", i / 2);
    app.save(record);
  });
}, (app) => {
  app.delete(app.findCollectionByNameOrId("phs"));
});
