// Source: https://pocketbase.io/docs/js-migrations/ (collection and record examples), adapted
// with fixed ids and dates so that answers compare.
migrate((app) => {
  const users = app.findCollectionByNameOrId("users");
  const user = new Record(users);
  user.set("id", "fixuser00000001");
  user.set("email", "reader@example.com");
  user.set("name", "Reader");
  user.setPassword("1234567890");
  app.save(user);

  const posts = new Collection({
    type: "base",
    name: "posts",
    listRule: "",
    viewRule: "",
    fields: [
      { name: "title", type: "text" },
      { name: "views", type: "number" },
      { name: "published", type: "date" },
      { name: "empty", type: "date" },
      { name: "meta", type: "json" },
      { name: "note", type: "text", hidden: true },
      { name: "author", type: "relation", collectionId: users.id, maxSelect: 1 },
    ],
  });
  app.save(posts);

  const post = new Record(posts);
  post.set("id", "fixpost00000001");
  post.set("title", "Hello");
  post.set("views", 7);
  post.set("published", "2024-01-31 10:20:30.456Z");
  post.set("meta", { a: 1, b: "two", c: [1, 2] });
  post.set("note", "private");
  post.set("author", "fixuser00000001");
  app.save(post);
});
