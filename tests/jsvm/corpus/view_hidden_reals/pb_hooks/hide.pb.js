// Hiding a field makes the record's own export path write it: its REALs as the API writes them.
onRecordEnrich((e) => {
  if (e.requestInfo.query["hide"] === "1") {
    e.record.hide("secret");
  }
  e.next();
}, "vhr_view");
