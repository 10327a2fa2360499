// Source: the collection and record examples of https://pocketbase.io/docs/js-migrations/
// and https://pocketbase.io/docs/js-collections/ (adapted: fixed ids so answers compare).
migrate((app) => {
  const collection = new Collection({
    type: "base",
    name: "articles",
    listRule: "",
    viewRule: "status = 'published'",
    fields: [
      { name: "title", type: "text", required: true, max: 100 },
      { name: "status", type: "select", values: ["draft", "published"], maxSelect: 1 },
      { name: "views", type: "number" },
      { name: "meta", type: "json" },
    ],
  });
  app.save(collection);

  const rows = [
    ["fixarticle00001", "Hello world", "published", 10],
    ["fixarticle00002", "A draft", "draft", 0],
    ["fixarticle00003", "Second one", "published", 250],
  ];
  for (const [id, title, status, views] of rows) {
    const record = new Record(collection);
    record.set("id", id);
    record.set("title", title);
    record.set("status", status);
    record.set("views", views);
    record.set("meta", { views: views, tags: ["x"] });
    app.save(record);
  }
}, (app) => {
  app.delete(app.findCollectionByNameOrId("articles"));
});
