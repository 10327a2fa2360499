// Modelled on pb_hooks/reserveringen.pb.js of github.com/Nergy101/tovedem (rewritten for the
// 0.23+ API): a privacy-safe totals route, and a create hook refusing reservations past 100 seats.

routerAdd("GET", "/reservations/totals", (e) => {
  const showId = e.request.url.query().get("show");
  if (!showId) {
    throw new BadRequestError("The show query parameter is required.");
  }
  const rows = $app.findRecordsByFilter("reservations", "show = {:show}", "-created", 500, 0, { show: showId });
  let first = 0;
  let second = 0;
  for (const row of rows) {
    first += row.getInt("first_seats") || 0;
    second += row.getInt("second_seats") || 0;
  }
  return e.json(200, { first_total: first, second_total: second });
});

onRecordCreateRequest((e) => {
  const showId = e.record.get("show");
  const wantedFirst = e.record.getInt("first_seats") || 0;
  const wantedSecond = e.record.getInt("second_seats") || 0;
  if (!showId || (wantedFirst === 0 && wantedSecond === 0)) {
    return e.next();
  }
  const rows = $app.findRecordsByFilter("reservations", "show = {:show}", "", 500, 0, { show: showId });
  let first = 0;
  let second = 0;
  for (const row of rows) {
    first += row.getInt("first_seats");
    second += row.getInt("second_seats");
  }
  if (first + wantedFirst > 100) {
    throw new BadRequestError(`The first date is full: ${first}/100 taken, ${wantedFirst} asked.`);
  }
  if (second + wantedSecond > 100) {
    throw new BadRequestError(`The second date is full: ${second}/100 taken, ${wantedSecond} asked.`);
  }
  return e.next();
}, "reservations");
