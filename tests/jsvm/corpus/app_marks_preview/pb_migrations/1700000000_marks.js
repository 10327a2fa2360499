// The schema the hooks expect (marks: title, preview_content, remaining_content), written for this case.
migrate((app) => {
  app.save(new Collection({ type: "base", name: "marks", listRule: "", viewRule: "", createRule: "",
    fields: [{ name: "title", type: "text" }, { name: "preview_content", type: "text" }, { name: "remaining_content", type: "text" }] }));
});
