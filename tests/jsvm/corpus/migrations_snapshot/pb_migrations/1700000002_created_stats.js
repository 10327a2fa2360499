// Source: the shape of a `created_<view>` migration of a view collection with aggregate and
// CAST columns (as dashboards of open-source apps define "stats" views).
migrate((app) => {
  const collection = new Collection({
    name: "post_stats",
    type: "view",
    listRule: "",
    viewRule: "",
    viewQuery: "SELECT p.id, p.title, CAST(p.views AS INT) AS views_int, (SELECT COUNT(*) FROM comments c WHERE c.post = p.id) AS comments_count FROM posts p",
  });
  return app.save(collection);
}, (app) => {
  return app.delete(app.findCollectionByNameOrId("post_stats"));
});
