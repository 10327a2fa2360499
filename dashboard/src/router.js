// A hash router: "#/collections/posts?filter=..." -> { path: ["collections", "posts"], query }.
import { useEffect, useState } from "preact/hooks";

export function parseHash(hash = window.location.hash) {
  const raw = hash.replace(/^#\/?/, "");
  const [pathPart, queryPart = ""] = raw.split("?");
  const path = pathPart.split("/").filter(Boolean).map(decodeURIComponent);
  return { path, query: Object.fromEntries(new URLSearchParams(queryPart)) };
}

export function useRoute() {
  const [route, setRoute] = useState(parseHash());
  useEffect(() => {
    const onChange = () => setRoute(parseHash());
    window.addEventListener("hashchange", onChange);
    // NOTE: a navigate() during the first render may change the hash before this listener exists
    onChange();
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

export function navigate(path, query) {
  const qs = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== "" && v != null)).toString() : "";
  const hash = "#/" + path.replace(/^\//, "") + (qs ? "?" + qs : "");
  if (window.location.hash !== hash) window.location.hash = hash;
}

/** Replace the query of the current route without adding a history entry. */
export function setQuery(query) {
  const { path } = parseHash();
  const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== "" && v != null)).toString();
  const url = "#/" + path.map(encodeURIComponent).join("/") + (qs ? "?" + qs : "");
  history.replaceState(null, "", url);
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}
