/// <reference path="../pb_data/types.d.ts" />
// Modelled on pb/pb_hooks/on_marks_create_request.pb.js of
// github.com/rizkia-as-actmp/kuliah_5_justdoit (rewritten): the records API may create marks
// only as a superuser; a custom route splits the content and saves the mark.

onRecordCreateRequest((e) => {
  if (!e.hasSuperuserAuth()) {
    $app.logger().error("create through /extend only", "collection", "marks");
    throw new ForbiddenError("Create marks through /extend/marks.");
  }
  e.next();
}, "marks");

routerAdd("POST", "/extend/marks", (e) => {
  const cut = require(`${__hooks}/utils/cut.js`);
  const data = e.requestInfo().body;
  const parts = cut.cutPreview(data.content, 4, 50);

  const mark = new Record($app.findCollectionByNameOrId("marks"));
  mark.set("title", data.title);
  mark.set("preview_content", parts.preview);
  mark.set("remaining_content", parts.remaining);
  $app.save(mark);

  return e.json(200, {
    title: mark.get("title"),
    preview: mark.get("preview_content"),
    fullContent: cut.toFullContent(mark.get("preview_content"), mark.get("remaining_content")),
  });
});
