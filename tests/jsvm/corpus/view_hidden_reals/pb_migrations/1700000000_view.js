// A view computing REALs of every spelling class (below 1e-4, from 1e6, past 1e21, -0,
// integral, plain), listed with a hook hiding one of its fields.
migrate((app) => {
  const posts = new Collection({ type: "base", name: "vhr_posts", listRule: "", viewRule: "", fields: [{ name: "title", type: "text" }] });
  app.save(posts);
  const post = new Record(posts);
  post.set("id", "vhrpost00000001");
  post.set("title", "Hello");
  app.save(post);
  app.save(new Collection({
    type: "view",
    name: "vhr_view",
    listRule: "",
    viewRule: "",
    viewQuery:
      "SELECT id, title AS shown, title AS secret, 0.000025 AS small, (2.5e-05*1) AS small2, 1e21 AS huge, " +
      "1234567.5 AS million, (-0.0) AS negzero, 4.0 AS whole, 0.5 AS half, 1e-07 AS tiny FROM vhr_posts",
  }));
});
