// Source: the shape of the `updated_<collection>` migrations PocketBase's dashboard writes
// (find, change, save), with the calls real apps use: addIndex, a rule left undefined, a
// partial index with a "" literal.
migrate((app) => {
  const collection = app.findCollectionByNameOrId("posts");
  collection.addIndex("idx_posts_status", false, "status", "");
  collection.indexes.push('CREATE INDEX `idx_posts_views` ON `posts` (`views`) WHERE `status` != ""');
  collection.viewRule = undefined;
  collection.listRule = "status = 'published'";
  return app.save(collection);
}, (app) => {
  const collection = app.findCollectionByNameOrId("posts");
  collection.removeIndex("idx_posts_status");
  return app.save(collection);
});
