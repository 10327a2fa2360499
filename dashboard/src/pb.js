// The one PocketBase SDK client of the dashboard. pybase serves the dashboard at /_/, so the API
// is at the same origin; the session is kept in localStorage (survives reloads).
import PocketBase, { LocalAuthStore } from "pocketbase";

export const pb = new PocketBase(window.location.origin, new LocalAuthStore("__pb_superuser_auth__"));
pb.autoCancellation(false);

export const SUPERUSERS = "_superusers";

/** Whether the stored session is a superuser's and not expired. */
export function isSignedIn() {
  return pb.authStore.isValid && pb.authStore.record?.collectionName === SUPERUSERS;
}

/** The API error's message and per-field errors ({"fields.0.name": "message"}), flattened. */
export function apiErrors(err) {
  if (!err) return { message: "", fields: {} };
  const data = err.response?.data || err.data?.data || {};
  const fields = {};
  const walk = (value, path) => {
    if (!value || typeof value !== "object") return;
    if (typeof value.message === "string" && typeof value.code === "string") {
      fields[path] = value.message;
      return;
    }
    for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
  };
  walk(data, "");
  let message = err.response?.message || err.message || "Something went wrong.";
  if (err.status === 0) message = "The server cannot be reached.";
  return { message, fields };
}
