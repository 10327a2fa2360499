// The schema the hooks expect (documents, audit entries), written for this case.
migrate((app) => {
  app.save(new Collection({ type: "base", name: "documents", listRule: "", viewRule: "", createRule: "", updateRule: "", deleteRule: "",
    fields: [{ name: "title", type: "text" }, { name: "status", type: "select", values: ["draft", "final"], maxSelect: 1 }] }));
  app.save(new Collection({ type: "base", name: "audit", listRule: "", viewRule: "",
    fields: [{ name: "action", type: "text" }, { name: "target", type: "text" }, { name: "changes", type: "json" }] }));
});
