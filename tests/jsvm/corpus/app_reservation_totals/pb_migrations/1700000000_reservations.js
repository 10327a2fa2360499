// The schema the hooks expect (shows, reservations with two seat counts), written for this case.
migrate((app) => {
  const shows = new Collection({ type: "base", name: "shows", listRule: "", viewRule: "", fields: [{ name: "title", type: "text" }] });
  app.save(shows);
  const reservations = new Collection({ type: "base", name: "reservations", createRule: "",
    fields: [{ name: "show", type: "relation", collectionId: shows.id, maxSelect: 1, required: true },
             { name: "name", type: "text" }, { name: "first_seats", type: "number" }, { name: "second_seats", type: "number" },
             { name: "created", type: "autodate", onCreate: true }] });
  app.save(reservations);
  const show = new Record(shows);
  show.set("id", "fixshow00000001");
  show.set("title", "The Play");
  app.save(show);
  for (const [id, a, b] of [["fixres000000001", 40, 10], ["fixres000000002", 50, 0]]) {
    const r = new Record(reservations);
    r.set("id", id);
    r.set("show", "fixshow00000001");
    r.set("name", "guest " + id);
    r.set("first_seats", a);
    r.set("second_seats", b);
    app.save(r);
  }
});
