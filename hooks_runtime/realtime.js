// Realtime for hooks: $app.subscriptionsBroker(), its clients and SubscriptionMessage
// (PocketBase's jsvm names). Clients cross as handles; messages as {name, data}.
(function (g) {
  "use strict";
  const bridge = g.__bridge;
  const call = bridge.call;

  class RealtimeClient {}
  for (const method of ["id", "subscriptions", "subscribe", "unsubscribe", "hasSubscription",
                        "get", "set", "unset", "send", "discard", "isDiscarded"]) {
    Object.defineProperty(RealtimeClient.prototype, method, {
      value: function (...args) { return call("realtime.client", this, method, ...args); },
    });
  }
  bridge.protos.rc = RealtimeClient.prototype;

  class SubscriptionMessage {
    constructor(data) {
      this.name = (data && data.name) || "";
      this.data = data && data.data !== undefined ? data.data : "";
    }
  }

  const broker = {
    clients: () => call("realtime.clients"),
    clientById: (id) => call("realtime.clientById", id),
    totalClients: () => call("realtime.totalClients"),
    chunkedClients: (size) => call("realtime.chunkedClients", size),
    register: (client) => call("realtime.register", client),
    unregister: (id) => call("realtime.unregister", id),
  };

  g.$app.subscriptionsBroker = () => broker;
  g.SubscriptionMessage = SubscriptionMessage;
})(globalThis);
