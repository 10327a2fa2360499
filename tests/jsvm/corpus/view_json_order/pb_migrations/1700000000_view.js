// A view whose json fields hold objects with their keys out of order (issue #17): every path
// that writes a record as JSON keeps them in the order SQLite wrote them, as PocketBase does.
migrate((app) => {
  const posts = new Collection({
    type: "base",
    name: "vjo_posts",
    listRule: "",
    viewRule: "",
    fields: [
      { name: "title", type: "text" },
      { name: "meta", type: "json" },
    ],
  });
  app.save(posts);

  const post = new Record(posts);
  post.set("id", "vjopost00000001");
  post.set("title", "Hello");
  post.set("meta", [{ zz: 1, b: 2 }, { bb: [{ y: 1, x: 2 }], c: 3 }]);
  app.save(post);

  const view = new Collection({
    type: "view",
    name: "vjo_view",
    listRule: "",
    viewRule: "",
    viewQuery:
      "SELECT id, '{\"b\":1,\"a\":2}' AS j, json_object('z', 1, 'y', json_array(json_object('d', title, 'c', 2))) AS o, " +
      "meta AS m, json_extract(meta, '$[1]') AS x1 FROM vjo_posts",
  });
  app.save(view);
});
