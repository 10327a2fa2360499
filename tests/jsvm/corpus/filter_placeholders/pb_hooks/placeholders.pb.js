// $app.findRecordsByFilter / findFirstRecordByFilter / countRecords with {:name} placeholders:
// PocketBase writes each value into the filter's text (strconv.Quote for a text, cast.ToString
// for a number or a bool, JSON for an object) before the filter is parsed, so what a record
// matches follows the filter scanner's escapes.

routerAdd("GET", "/corpus/placeholders/titles", (e) => {
  const TITLES = [
    "a\u0001b", "a\\x01b", "tab\tx", "tab\\tx", "nl\nx", "nl\\nx", "bell\u0007x", "bell\\ax",
    "q'x", "dq\"x", "bs\\x", "\u00e9t\u00e9", "zw\u200bx", "zw\\u200bx", "\ud83d\ude00",
    "lang\udb40\udc01x", "lang\\U000e0001x", "{\"k\":1}", "[1,2]", "true", "null", "",
  ];
  function ids(filter, params) {
    try {
      return $app.findRecordsByFilter("phs", filter, "id", 0, 0, params).map((r) => r.id);
    } catch (err) {
      return "error";
    }
  }
  return e.json(200, TITLES.map((title) => ids("title = {:t}", { t: title })));
});

routerAdd("GET", "/corpus/placeholders/values", (e) => {
  function ids(filter, params) {
    try {
      return $app.findRecordsByFilter("phs", filter, "id", 0, 0, params).map((r) => r.id);
    } catch (err) {
      return "error";
    }
  }
  return e.json(200, {
    object: ids("title = {:t}", { t: { k: 1 } }),
    array: ids("title = {:t}", { t: [1, 2] }),
    boolText: ids("title = {:t}", { t: true }),
    nullText: ids("title = {:t}", { t: null }),
    half: ids("n = {:n}", { n: 1.5 }),
    integer: ids("n = {:n}", { n: 3 }),
    big: ids("n < {:n}", { n: 1e21 }),
    tiny: ids("n > {:n}", { n: 1e-7 }),
    missing: ids("title = {:nope}", { t: "x" }),
    twice: ids("title = {:t} || title = {:t}", { t: "q'x" }),
    like: ids("title ~ {:t}", { t: "\\" }),
    first: (() => {
      try {
        return $app.findFirstRecordByFilter("phs", "title = {:t}", { t: "dq\"x" }).id;
      } catch (err) {
        return "error";
      }
    })(),
    count: $app.countRecords("phs", $dbx.exp("title = {:t}", { t: "bs\\x" })),
  });
});
