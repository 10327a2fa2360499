"""Realtime from JS hooks: the onRealtime* events, $app.subscriptionsBroker() and SubscriptionMessage."""

from __future__ import annotations

import pytest

from tests.realtime.sse import SseClient

pytestmark = pytest.mark.both_backends

HOOKS = r"""
onRealtimeConnectRequest((e) => {
  e.client.set("fromJs", "connected");
  e.next();
});

onRealtimeSubscribeRequest((e) => {
  // every client also gets the "news" topic
  e.subscriptions = e.subscriptions.concat(["news"]);
  e.next();
});

onRealtimeMessageSend((e) => {
  if (e.message.name === "posts/*") {
    const data = JSON.parse(toString(e.message.data));
    data.record.seenByJs = e.client.get("fromJs");
    e.message = new SubscriptionMessage({ name: e.message.name, data: JSON.stringify(data) });
  }
  if (e.message.name === "news" && toString(e.message.data).includes("secret")) {
    return; // not calling next(): the message is not sent
  }
  e.next();
});

routerAdd("POST", "/news/{text}", (e) => {
  const message = new SubscriptionMessage({ name: "news", data: JSON.stringify({ text: e.request.pathValue("text") }) });
  const broker = $app.subscriptionsBroker();
  const clients = broker.clients();
  let sent = 0;
  for (let id in clients) {
    if (clients[id].hasSubscription("news")) {
      clients[id].send(message);
      sent++;
    }
  }
  return e.json(200, { sent: sent, total: broker.totalClients(), topics: Object.keys(broker.clientById(Object.keys(clients)[0]).subscriptions()).sort() });
});
"""


def test_js_realtime_hooks_and_broker(hooks_server) -> None:
    srv = hooks_server({"realtime.pb.js": HOOKS})
    client = SseClient(srv.base_url)
    try:
        assert client.subscribe("posts/*").status_code == 204
        resp = srv.request("POST", "/news/hello")
        assert resp.status_code == 200, resp.text
        assert resp.json() == {"sent": 1, "total": 1, "topics": ["news", "posts/*"]}
        event = client.next(5)
        assert event is not None and (event.name, event.data) == ("news", {"text": "hello"})
        srv.request("POST", "/news/secret")  # the message hook drops it
        created = srv.request("POST", "/api/collections/posts/records", json={"title": "from js test"})
        assert created.status_code == 200, created.text
        event = client.next(5)
        assert event is not None and event.name == "posts/*"
        assert event.data["record"]["title"] == "from js test"
        assert event.data["record"]["seenByJs"] == "connected"
    finally:
        client.close()
