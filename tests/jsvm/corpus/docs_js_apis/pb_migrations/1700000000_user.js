// Source: https://pocketbase.io/docs/js-migrations/ (a record created in a migration), with a
// fixed id so that answers compare.
migrate((app) => {
  const user = new Record(app.findCollectionByNameOrId("users"));
  user.set("id", "fixuser00000001");
  user.set("email", "reader@example.com");
  user.set("name", "Reader");
  user.set("verified", true);
  user.setPassword("1234567890");
  app.save(user);
});
