// Source: the shape of a `pocketbase migrate collections` snapshot (an importCollections call
// with every collection, relations pointing at collections listed after them) as open-source
// apps ship them in pb_migrations/, cut down to a few collections.
migrate((app) => {
  const snapshot = [
    {
      id: "pbc_comments01", name: "comments", type: "base", system: false,
      listRule: "", viewRule: "", createRule: "@request.auth.id != ''", updateRule: null, deleteRule: null,
      fields: [
        { id: "text_msg", name: "message", type: "text", required: true, max: 500 },
        { id: "rel_post", name: "post", type: "relation", collectionId: "pbc_posts0001", maxSelect: 1, cascadeDelete: true },
        { id: "autodate_c", name: "created", type: "autodate", onCreate: true, onUpdate: false },
      ],
      indexes: ["CREATE INDEX `idx_comments_post` ON `comments` (`post`)"],
    },
    {
      id: "pbc_posts0001", name: "posts", type: "base", system: false,
      listRule: "", viewRule: "", createRule: null, updateRule: null, deleteRule: null,
      fields: [
        { id: "text_title", name: "title", type: "text", required: true },
        { id: "text_slug", name: "slug", type: "text" },
        { id: "num_views", name: "views", type: "number" },
        { id: "sel_status", name: "status", type: "select", values: ["draft", "published"], maxSelect: 1 },
      ],
      indexes: ["CREATE UNIQUE INDEX `idx_posts_slug` ON `posts` (`slug`) WHERE `slug` != ''"],
    },
  ];
  app.importCollections(snapshot, false);
});
